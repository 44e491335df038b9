// The FTP server's commands through StringTransport and MemoryReactorClock, over a real
// temporary folder: login, the reply codes of each command, paths that try to leave the
// root, sequence errors, FEAT/OPTS/HELP, the idle timeout and the line limit.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { Session } from "./_server_helpers.ts";

trackLeaks({ beforeEach, afterEach });

describe("FTP server: login and session", () => {
  it("greets with 220 and answers SYST, NOOP, FEAT and HELP before login", async () => {
    const s = new Session({ welcomeMessage: "hi there" });
    try {
      assert.equal(s.take(), "220 hi there\r\n");
      assert.equal(await s.command("SYST"), "215 UNIX Type: L8\r\n");
      assert.equal(await s.command("noop"), "200 Command OK\r\n");
      const feat = await s.command("FEAT", /^211 End\r\n/m);
      assert.match(feat, /^211-Features:\r\n/);
      for (
        const f of ["EPRT", "EPSV", "MDTM", "MLST type\\*;size\\*;", "REST STREAM", "SIZE", "UTF8"]
      ) {
        assert.match(feat, new RegExp(`^ ${f}`, "m"), f);
      }
      assert.doesNotMatch(feat, /AUTH TLS/); // no certificate configured
      const help = await s.command("HELP", /^214 Help OK/m);
      assert.match(help, /RETR/);
    } finally {
      s.close();
    }
  });

  it("answers 530 before login, 502 for unknown commands, 503 for PASS without USER", async () => {
    const s = new Session();
    try {
      s.take();
      assert.equal(await s.command("LIST"), "530 Please login with USER and PASS.\r\n");
      assert.equal(await s.command("CWD /"), "530 Please login with USER and PASS.\r\n");
      assert.equal(await s.command("XYZZY foo"), "502 Command 'XYZZY' not implemented\r\n");
      assert.match(await s.command("PASS x"), /^503 /);
      assert.match(await s.command("USER"), /^501 /);
    } finally {
      s.close();
    }
  });

  it("logs in anonymous (read-only) and users through the portal; a bad password is 530", async () => {
    const s = new Session();
    try {
      s.take();
      assert.equal(
        await s.command("USER anonymous"),
        "331 Guest login ok, type your email address as password.\r\n",
      );
      assert.equal(
        await s.command("PASS me@example.com"),
        "230 Anonymous login ok, access restrictions apply.\r\n",
      );
      assert.equal(
        await s.command("MKD new"),
        "550 Anonymous users are forbidden to change the filesystem\r\n",
      );
      assert.match(await s.command("DELE hello.txt"), /^550 Anonymous/);
      assert.match(await s.command("USER alice"), /^503 /);
      const t = new Session();
      try {
        t.take();
        assert.equal(await t.command("USER alice"), "331 Password required for alice.\r\n");
        assert.equal(await t.command("PASS wrong"), "530 Sorry, Authentication failed.\r\n");
        assert.equal(await t.command("PWD"), "530 Please login with USER and PASS.\r\n");
        await t.login();
        assert.equal(await t.command("PWD"), '257 "/" is the current directory.\r\n');
      } finally {
        t.close();
      }
    } finally {
      s.close();
    }
  });

  it("refuses anonymous logins when allowAnonymous is false", async () => {
    const s = new Session({ allowAnonymous: false });
    try {
      s.take();
      assert.match(await s.command("USER anonymous"), /^331 Password required/);
      assert.match(await s.command("PASS x"), /^530 /);
    } finally {
      s.close();
    }
  });

  it("refuses a session past maxConnections with 421", () => {
    const s = new Session({ maxConnections: 1 });
    try {
      const second = s.factory.buildProtocol(s.transport.getPeer());
      const t = new (s.transport
        .constructor as typeof import("../../../src/testing/mod.ts").StringTransport)();
      second.makeConnection(t);
      assert.equal(t.valueText(), "421 Too many users right now, try again in a few minutes.\r\n");
      assert.equal(t.disconnecting, true);
      second.connectionLost();
      assert.equal(s.factory.instances.size, 1);
    } finally {
      s.close();
    }
    assert.equal(s.factory.instances.size, 0);
  });

  it("QUIT says 221 and closes", async () => {
    const s = new Session();
    try {
      s.take();
      assert.equal(await s.command("QUIT"), "221 Goodbye.\r\n");
      assert.equal(s.transport.disconnecting, true);
    } finally {
      s.close();
    }
  });

  it("times out after timeOut seconds without a complete line: 421", () => {
    const s = new Session({ timeOut: 600 });
    try {
      s.take();
      s.reactor.advance(599);
      s.send("NOOP");
      s.reactor.advance(599);
      assert.equal(s.transport.disconnecting, false);
      // Bytes of a line that never ends do not keep the session alive.
      s.ftp.dataReceived(new TextEncoder().encode("NO"));
      s.reactor.advance(1);
      assert.equal(s.take(), "200 Command OK\r\n421 Timeout: closing control connection.\r\n");
      assert.equal(s.transport.disconnecting, true);
    } finally {
      s.close();
    }
  });

  it("answers a line over 8 KiB with 500 and closes", () => {
    const s = new Session();
    try {
      s.take();
      s.ftp.dataReceived(new TextEncoder().encode("NOOP " + "x".repeat(9000)));
      assert.equal(s.take(), "500 Syntax error: Line too long\r\n");
      assert.equal(s.transport.disconnecting, true);
      const t = new Session();
      try {
        t.take();
        t.send("USER " + "y".repeat(8100)); // under the limit: answered
        assert.match(t.take(), /^331 /);
      } finally {
        t.close();
      }
    } finally {
      s.close();
    }
  });

  it("ignores Telnet IP and DM before a command (ftplib's ABOR)", async () => {
    const s = new Session();
    try {
      s.take();
      s.ftp.dataReceived(
        new Uint8Array([0xff, 0xf4, 0xff, 0xf2, ...new TextEncoder().encode("NOOP\r\n")]),
      );
      assert.equal(await s.waitFor(/200/), "200 Command OK\r\n");
    } finally {
      s.close();
    }
  });

  it("answers TYPE, MODE, STRU, ALLO, OPTS UTF8 and OPTS MLST", async () => {
    const s = new Session();
    try {
      await s.login();
      assert.equal(await s.command("TYPE A"), "200 Type set to A.\r\n");
      assert.equal(s.ftp.binary, false);
      assert.equal(await s.command("TYPE I"), "200 Type set to I.\r\n");
      assert.equal(s.ftp.binary, true);
      assert.match(await s.command("TYPE E"), /^504 /);
      assert.equal(await s.command("MODE S"), "200 Mode set to S.\r\n");
      assert.match(await s.command("MODE B"), /^504 /);
      assert.equal(await s.command("STRU F"), "200 Structure set to F.\r\n");
      assert.match(await s.command("STRU R"), /^504 /);
      assert.match(await s.command("ALLO 100"), /^202 /);
      assert.equal(await s.command("OPTS UTF8 ON"), "200 UTF8 set to on.\r\n");
      assert.equal(await s.command("OPTS MLST type;size;"), "200 MLST OPTS type;size;\r\n");
      assert.match(
        await s.command("MLST data.bin", /^250 End/m),
        /^ type=file;size=10; \/data\.bin\r$/m,
      );
      assert.match(await s.command("OPTS FOO"), /^501 /);
    } finally {
      s.close();
    }
  });
});

describe("FTP server: file commands", () => {
  it("walks folders with CWD, CDUP and PWD; a path above the root is 550", async () => {
    const s = new Session();
    try {
      await s.login();
      assert.equal(await s.command("CWD sub"), "250 Requested File Action Completed OK\r\n");
      assert.equal(await s.command("PWD"), '257 "/sub" is the current directory.\r\n');
      assert.equal(await s.command("CDUP"), "250 Requested File Action Completed OK\r\n");
      assert.equal(await s.command("PWD"), '257 "/" is the current directory.\r\n');
      assert.equal(await s.command("CWD .."), "550 ..: No such file or directory.\r\n");
      assert.match(await s.command("CDUP"), /^550 /);
      assert.match(await s.command("CWD sub/../../.."), /^550 /);
      assert.match(await s.command("CWD %2e%2e%2f"), /^550 /);
      assert.match(await s.command("CWD data.bin"), /^550 /);
      assert.match(await s.command("CWD missing"), /^550 /);
      assert.equal(await s.command("PWD"), '257 "/" is the current directory.\r\n');
    } finally {
      s.close();
    }
  });

  it("never follows a symbolic link out of the root", async () => {
    const s = new Session();
    try {
      symlinkSync(join(s.root, "pub"), join(s.root, "home", "alice", "out"));
      symlinkSync(join(s.root, "pub", "hello.txt"), join(s.root, "home", "alice", "out.txt"));
      symlinkSync("data.bin", join(s.root, "home", "alice", "in.bin"));
      await s.login();
      assert.match(await s.command("CWD out"), /^550 \/out: Permission denied\./);
      assert.match(await s.command("SIZE out.txt"), /^550 \/out\.txt: Permission denied\./);
      assert.match(await s.command("SIZE out/hello.txt"), /^550 /);
      assert.equal(await s.command("SIZE in.bin"), "213 10\r\n");
      assert.match(await s.command("MKD out/new"), /^550 /);
      assert.equal(existsSync(join(s.root, "pub", "new")), false);
      // The link itself may go: that changes nothing outside.
      assert.match(await s.command("DELE out.txt"), /^250 /);
      assert.equal(existsSync(join(s.root, "pub", "hello.txt")), true);
    } finally {
      s.close();
    }
  });

  it("answers a NUL in a path with 550", async () => {
    const s = new Session();
    try {
      await s.login();
      assert.match(await s.command("SIZE data\0.bin"), /^550 /);
    } finally {
      s.close();
    }
  });

  it("makes, renames and removes folders and files", async () => {
    const s = new Session();
    try {
      await s.login();
      const home = join(s.root, "home", "alice");
      assert.equal(await s.command("MKD new"), '257 "/new" created\r\n');
      assert.equal(statSync(join(home, "new")).isDirectory(), true);
      assert.match(await s.command("MKD new"), /^550 \/new: File exists/);
      assert.equal(await s.command('MKD a"b'), '257 "/a""b" created\r\n');
      assert.match(await s.command("RNFR missing"), /^550 /);
      assert.equal(
        await s.command("RNFR data.bin"),
        "350 Requested file action pending further information.\r\n",
      );
      assert.equal(
        await s.command("RNTO new/moved.bin"),
        "250 Requested File Action Completed OK\r\n",
      );
      assert.equal(readFileSync(join(home, "new", "moved.bin"), "utf8"), "0123456789");
      assert.match(await s.command("RNTO again"), /^503 /);
      assert.match(await s.command("RNFR new/moved.bin"), /^350 /);
      await s.command("NOOP");
      assert.match(await s.command("RNTO x"), /^503 /); // RNTO must follow RNFR at once
      assert.match(await s.command("RMD new"), /^550 /); // not empty
      assert.match(
        await s.command("RMD lines.txt"),
        /^550 Cannot rmd, \/lines\.txt is not a directory/,
      );
      assert.match(await s.command("DELE new"), /^550 \/new: is a directory/);
      assert.equal(
        await s.command("DELE new/moved.bin"),
        "250 Requested File Action Completed OK\r\n",
      );
      assert.equal(await s.command("RMD new"), "250 Requested File Action Completed OK\r\n");
      assert.equal(existsSync(join(home, "new")), false);
      assert.match(await s.command("DELE missing"), /^550 \/missing: No such file or directory\./);
      assert.match(await s.command("MKD"), /^501 /);
    } finally {
      s.close();
    }
  });

  it("answers SIZE, MDTM, MLST and SITE CHMOD", async () => {
    const s = new Session();
    try {
      await s.login();
      assert.equal(await s.command("SIZE data.bin"), "213 10\r\n");
      assert.match(await s.command("SIZE sub"), /^550 /);
      assert.match(await s.command("SIZE nothing"), /^550 \/nothing: No such file/);
      const mtime = statSync(join(s.root, "home", "alice", "data.bin")).mtime;
      const stamp = mtime.toISOString().replace(/[-:T]/g, "").slice(0, 14);
      assert.equal(await s.command("MDTM data.bin"), `213 ${stamp}\r\n`);
      const mlst = await s.command("MLST sub", /^250 End/m);
      assert.match(
        mlst,
        /^250-Listing \/sub\r\n type=dir;size=\d+;modify=\d{14};perm=cdeflmp;UNIX\.mode=0\d{3}; \/sub\r\n250 End\r\n$/,
      );
      assert.equal(
        await s.command("SITE CHMOD 600 data.bin"),
        "200 SITE CHMOD command successful.\r\n",
      );
      assert.equal(statSync(join(s.root, "home", "alice", "data.bin")).mode & 0o777, 0o600);
      assert.match(await s.command("SITE CHMOD 9 data.bin"), /^501 /);
      assert.match(await s.command("SITE FOO"), /^504 /);
      assert.match(await s.command("SITE HELP"), /^214 /);
      assert.match(await s.command("REST abc"), /^501 /);
      assert.match(await s.command("REST 5"), /^350 Restarting at 5\./);
    } finally {
      s.close();
    }
  });
});
