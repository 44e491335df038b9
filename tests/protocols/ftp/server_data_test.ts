// The FTP server's data connections through StringTransport and MemoryReactorClock: PASV
// and EPSV listen on the control connection's local address and accept only the client,
// PORT and EPRT refuse other hosts and low ports, commands are read while a passive
// connection is awaited, ABOR (426 then 226), a dropped connection (426), the data
// timeout (425), REST, APPE, TYPE A, LIST/NLST/MLSD, and TLS settings (AUTH, PBSZ, PROT).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IPv4Address, IPv6Address } from "../../../mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { enc, Session } from "./_server_helpers.ts";

trackLeaks({ beforeEach, afterEach });

const TLS = { cert: "CERT", key: "KEY" };

describe("FTP server: passive and active data connections", () => {
  it("PASV listens on the control connection's local address and accepts only the client", async () => {
    const s = new Session();
    try {
      await s.login();
      assert.equal(await s.command("PASV"), "227 Entering Passive Mode (10,0,0,1,156,64).\r\n");
      const [port, , , iface] = s.reactor.tcpServers[0];
      assert.equal(port, 40000);
      assert.equal(iface, "10.0.0.1");
      assert.equal(s.connectPassive("192.168.1.99"), null); // another host
      const data = s.connectPassive()!;
      assert.equal(s.connectPassive(), null); // one connection only
      s.send("LIST");
      const reply = await s.waitFor(/^226 /m);
      assert.equal(
        reply,
        "125 Data connection already open, starting transfer\r\n226 Transfer Complete.\r\n",
      );
      const lines = data.text().split("\r\n");
      assert.equal(lines.pop(), "");
      assert.deepEqual(lines.map((l) => l.split(/\s+/).pop()), ["data.bin", "lines.txt", "sub"]);
      assert.match(
        lines[0],
        /^-rw-r--r-- +1 \S+ +\S+ +10 [A-Z][a-z]{2} \d\d (\d\d:\d\d| \d{4}) data\.bin$/,
      );
      assert.match(lines[2], /^d[rwx-]{9} /);
    } finally {
      s.close();
    }
  });

  it("PASV answers passiveAddress when set, and 522 on an IPv6 control connection", async () => {
    const s = new Session({ passiveAddress: "203.0.113.7" });
    try {
      await s.login();
      assert.equal(await s.command("PASV"), "227 Entering Passive Mode (203,0,113,7,156,64).\r\n");
    } finally {
      s.close();
    }
    const v6 = new Session({}, {
      host: new IPv6Address("TCP", "::1", 21),
      peer: new IPv6Address("TCP", "::1", 50000),
    });
    try {
      await v6.login();
      assert.match(await v6.command("PASV"), /^522 /);
      assert.equal(await v6.command("EPSV"), "229 Entering Extended Passive Mode (|||40000|)\r\n");
      assert.equal(v6.reactor.tcpServers[0][3], "::1");
      assert.match(await v6.command("EPSV 1"), /^522 .*\(2\)/);
    } finally {
      v6.close();
    }
  });

  it("EPSV answers 229; after EPSV ALL, PASV, PORT and EPRT are 503", async () => {
    const s = new Session();
    try {
      await s.login();
      assert.equal(await s.command("EPSV"), "229 Entering Extended Passive Mode (|||40000|)\r\n");
      assert.match(await s.command("EPSV 2"), /^522 .*\(1\)/);
      assert.equal(await s.command("EPSV ALL"), "200 EPSV ALL ok\r\n");
      assert.match(await s.command("PASV"), /^503 /);
      assert.match(await s.command("PORT 192,168,1,1,200,10"), /^503 /);
      assert.match(await s.command("EPRT |1|192.168.1.1|5000|"), /^503 /);
      assert.match(await s.command("EPSV"), /^229 /);
    } finally {
      s.close();
    }
  });

  it("PORT and EPRT connect back to the client only, never below port 1024", async () => {
    const s = new Session();
    try {
      await s.login();
      assert.match(await s.command("PORT 1,2,3"), /^501 /);
      assert.match(await s.command("PORT 10,9,9,9,200,10"), /^504 .*foreign/);
      assert.match(await s.command("PORT 192,168,1,1,0,21"), /^504 .*privileged/);
      assert.match(await s.command("EPRT |2|::1|5000|"), /^504 /);
      assert.match(await s.command("EPRT |1|192.168.1.1|x|"), /^501 /);
      assert.equal(await s.command("PORT 192,168,1,1,200,10"), "200 PORT OK\r\n");
      s.send("RETR data.bin");
      assert.equal(
        await s.waitFor(/^150 /m),
        "150 File status okay; about to open data connection.\r\n",
      );
      await new Promise((r) => setImmediate(r));
      const [host, port, , timeout] = s.reactor.tcpClients[0];
      assert.deepEqual([host, port, timeout], ["192.168.1.1", 51210, 10]);
      const data = s.connectActive();
      assert.equal(await s.waitFor(/^226 /m), "226 Transfer Complete.\r\n");
      assert.equal(data.text(), "0123456789");
      assert.equal(await s.command("EPRT |1|192.168.1.1|6000|"), "200 EPRT OK\r\n");
    } finally {
      s.close();
    }
  });

  it("answers 425 when no data connection was prepared or none comes within dtpTimeout", async () => {
    const s = new Session({ dtpTimeout: 10 });
    try {
      await s.login();
      assert.equal(await s.command("RETR data.bin"), "425 Use PORT, PASV or EPSV first.\r\n");
      await s.command("PASV");
      s.send("RETR data.bin");
      await s.waitFor(/^150 /m);
      s.reactor.advance(10);
      assert.equal(await s.waitFor(/^425 /m), "425 Can't open data connection.\r\n");
      assert.equal(await s.command("NOOP"), "200 Command OK\r\n");
    } finally {
      s.close();
    }
  });

  it("reads REST and TYPE while the passive connection is awaited, then streams from the offset", async () => {
    const s = new Session();
    try {
      await s.login();
      await s.command("PASV");
      assert.match(await s.command("REST 4"), /^350 /);
      s.send("RETR data.bin");
      await s.waitFor(/^150 /m);
      const data = s.connectPassive()!;
      assert.equal(await s.waitFor(/^226 /m), "226 Transfer Complete.\r\n");
      assert.equal(data.text(), "456789");
    } finally {
      s.close();
    }
  });

  it("holds commands that come during a transfer until its last reply", async () => {
    const s = new Session();
    try {
      await s.login();
      await s.command("PASV");
      s.send("RETR data.bin", "NOOP", "PWD");
      await s.waitFor(/^150 /m);
      assert.equal(s.take(), "");
      s.connectPassive();
      assert.equal(
        await s.waitFor(/^257 /m),
        '226 Transfer Complete.\r\n200 Command OK\r\n257 "/" is the current directory.\r\n',
      );
    } finally {
      s.close();
    }
  });

  it("ABOR during a transfer answers 426 then 226, and the session goes on", async () => {
    const s = new Session();
    try {
      await s.login();
      await s.command("PASV");
      s.send("STOR up.bin");
      await s.waitFor(/^150 /m);
      const data = s.connectPassive()!;
      data.protocol.dataReceived(enc.encode("partial"));
      s.send("ABOR");
      assert.equal(data.transport.aborted, true);
      data.close(false);
      assert.equal(
        await s.waitFor(/^226 /m),
        "426 Transfer aborted.  Data connection closed.\r\n226 Abort successful\r\n",
      );
      assert.equal(await s.command("ABOR"), "225 No transfer to abort.\r\n");
      assert.equal(await s.command("NOOP"), "200 Command OK\r\n");
      // Before the connection came: the same two replies.
      await s.command("EPSV");
      s.send("RETR data.bin");
      await s.waitFor(/^150 /m);
      s.send("ABOR");
      assert.equal(
        await s.waitFor(/^226 /m),
        "426 Transfer aborted.  Data connection closed.\r\n226 Abort successful\r\n",
      );
    } finally {
      s.close();
    }
  });

  it("takes ABOR sent as urgent data (its LF lost) and ignores empty lines", async () => {
    const s = new Session();
    try {
      await s.login();
      await s.command("PASV");
      s.send("RETR data.bin");
      await s.waitFor(/^150 /m);
      s.ftp.dataReceived(enc.encode("ABOR\r"));
      assert.equal(
        await s.waitFor(/^226 /m),
        "426 Transfer aborted.  Data connection closed.\r\n226 Abort successful\r\n",
      );
      s.ftp.dataReceived(enc.encode("\n\r\nNOOP\r\n"));
      assert.equal(await s.waitFor(/^200 /m), "200 Command OK\r\n");
    } finally {
      s.close();
    }
  });

  it("answers 426 when the client drops the data connection of an upload", async () => {
    const s = new Session();
    try {
      await s.login();
      await s.command("PASV");
      s.send("STOR up.bin");
      await s.waitFor(/^150 /m);
      const data = s.connectPassive()!;
      data.protocol.dataReceived(enc.encode("abc"));
      data.close(false);
      assert.equal(await s.waitFor(/^426 /m), "426 Transfer aborted.  Data connection closed.\r\n");
      assert.equal(await s.command("NOOP"), "200 Command OK\r\n");
    } finally {
      s.close();
    }
  });

  it("STOR writes, REST+STOR keeps the start, APPE appends; the anonymous user gets 550", async () => {
    const s = new Session();
    try {
      await s.login();
      const file = join(s.root, "home", "alice", "up.bin");
      const upload = async (command: string, body: string): Promise<void> => {
        await s.command("PASV");
        s.send(command);
        await s.waitFor(/^1[25]0 /m);
        const data = s.connectPassive()!;
        data.protocol.dataReceived(enc.encode(body));
        data.close(true);
        assert.equal(await s.waitFor(/^226 /m), "226 Transfer Complete.\r\n");
      };
      await upload("STOR up.bin", "hello world");
      assert.equal(readFileSync(file, "utf8"), "hello world");
      await s.command("REST 6");
      await upload("STOR up.bin", "there");
      assert.equal(readFileSync(file, "utf8"), "hello there");
      await upload("APPE up.bin", "!");
      assert.equal(readFileSync(file, "utf8"), "hello there!");
      await s.command("PASV");
      assert.match(await s.command("STOR sub"), /^550 \/sub: is a directory/);
      const anon = new Session();
      try {
        await anon.login("anonymous", "x");
        await anon.command("PASV");
        assert.match(await anon.command("STOR x.bin"), /^550 Anonymous/);
      } finally {
        anon.close();
      }
    } finally {
      s.close();
    }
  });

  it("TYPE A sends LF as CRLF and stores CRLF as LF", async () => {
    const s = new Session();
    try {
      await s.login();
      await s.command("TYPE A");
      await s.command("PASV");
      s.send("RETR lines.txt");
      const data = s.connectPassive()!;
      await s.waitFor(/^226 /m);
      assert.equal(data.text(), "a\r\nb\r\n");
      await s.command("PASV");
      s.send("STOR crlf.txt");
      const up = s.connectPassive()!;
      up.protocol.dataReceived(enc.encode("x\r"));
      up.protocol.dataReceived(enc.encode("\ny\r\nz\r"));
      up.close();
      await s.waitFor(/^226 /m);
      assert.equal(readFileSync(join(s.root, "home", "alice", "crlf.txt"), "utf8"), "x\ny\nz\r");
    } finally {
      s.close();
    }
  });

  it("NLST with and without a path, LIST ignoring -la, a glob, and MLSD", async () => {
    const s = new Session();
    try {
      await s.login();
      writeFileSync(join(s.root, "home", "alice", "sub", "inner.txt"), "in");
      const listing = async (command: string): Promise<string> => {
        await s.command("PASV");
        s.send(command);
        const data = s.connectPassive()!;
        const reply = await s.waitFor(/^(226|5\d\d) /m);
        assert.match(reply, /226/, `${command}: ${reply}`);
        return data.text();
      };
      assert.equal(await listing("NLST"), "data.bin\r\nlines.txt\r\nsub\r\n");
      assert.equal(await listing("NLST sub"), "inner.txt\r\n");
      assert.equal(await listing("NLST *.txt"), "lines.txt\r\n");
      assert.equal(await listing("NLST sub/*.txt"), "sub/inner.txt\r\n");
      assert.match(await listing("LIST -la sub"), /^-\S+ +1 .* inner\.txt\r\n$/);
      assert.match(await listing("LIST data.bin"), /^-\S+ .* 10 .* data\.bin\r\n$/);
      const mlsd = (await listing("MLSD")).split("\r\n");
      assert.match(mlsd[0], /^type=cdir;.*perm=cdeflmp;.* \.$/);
      assert.match(
        mlsd[1],
        /^type=file;size=10;modify=\d{14};perm=adfrw;UNIX\.mode=0644; data\.bin$/,
      );
      assert.match(mlsd[3], /^type=dir;.* sub$/);
      await s.command("PASV");
      assert.match(await s.command("MLSD data.bin"), /^501 /);
      assert.match(await s.command("LIST missing"), /^550 /);
    } finally {
      s.close();
    }
  });
});

describe("FTP server: TLS commands", () => {
  it("AUTH TLS is 431 without a certificate; PBSZ and PROT need AUTH first", async () => {
    const s = new Session();
    try {
      s.take();
      assert.match(await s.command("AUTH TLS"), /^431 /);
      assert.match(await s.command("PBSZ 0"), /^503 /);
      assert.match(await s.command("PROT P"), /^503 /);
    } finally {
      s.close();
    }
  });

  it("AUTH TLS answers 234, drops what was pipelined after it and starts TLS", async () => {
    const s = new Session({ tls: TLS });
    const started: unknown[] = [];
    (s.transport as unknown as { startTLS(o: unknown): void }).startTLS = (o) => started.push(o);
    try {
      s.take();
      const feat = await s.command("FEAT", /^211 End/m);
      assert.match(feat, /^ AUTH TLS\r\n PBSZ\r\n PROT\r\n/m);
      s.send("AUTH TLS\r\nUSER injected");
      assert.equal(s.take(), "234 AUTH TLS successful.\r\n");
      assert.deepEqual(started, [{ cert: "CERT", key: "KEY", isServer: true }]);
      assert.equal(s.ftp.secure, true);
      assert.match(await s.command("AUTH TLS"), /^503 /);
      assert.match(await s.command("PROT P"), /^503 /);
      assert.equal(await s.command("PBSZ 0"), "200 PBSZ=0\r\n");
      assert.equal(await s.command("PROT P"), "200 Protection level set to P.\r\n");
      assert.match(await s.command("PROT S"), /^536 /);
      assert.equal(await s.command("PROT C"), "200 Protection level set to C.\r\n");
      await s.command("PROT P");
      await s.login();
      await s.command("PASV");
      s.send("RETR data.bin");
      await s.waitFor(/^150 /m);
      const data = s.connectPassive()!;
      // The data connection runs the server side of a TLS handshake (it has no startTLS here: cut).
      assert.equal(data.transport.aborted, true);
      data.close(false);
      assert.match(await s.waitFor(/^426 /m), /^426 /);
    } finally {
      s.close();
    }
  });

  it("requireTLS refuses USER before AUTH TLS and transfers without PROT P", async () => {
    const s = new Session({ tls: TLS, requireTLS: true });
    (s.transport as unknown as { startTLS(o: unknown): void }).startTLS = () => {};
    try {
      s.take();
      assert.match(await s.command("USER alice"), /^530 TLS required/);
      await s.command("AUTH TLS");
      await s.login();
      assert.match(await s.command("PBSZ 0"), /^200 /);
      assert.match(await s.command("PROT C"), /^534 /);
      await s.command("PASV");
      assert.match(await s.command("RETR data.bin"), /^521 /);
    } finally {
      s.close();
    }
  });
});

void IPv4Address;
