// Zone transfers between `tw dns` (a real program on the runtime running
// this file) and nsd (Debian's nsd) both ways, and IXFR asked by BIND's dig
// and Knot's kdig (bind9-dnsutils, knot-dnsutils): `tw dns --secondary` of
// nsd follows nsd's NOTIFY; nsd as a secondary of `tw dns --notify` takes
// AXFR, then IXFR after a reload. Missing tools skip these tests, except
// under CI (.ci/run installs them).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { trackLeaks } from "../../src/testing/mod.ts";
import { exec, type Program, tempDir, terminate } from "../cli/_program.ts";
import { findTool, freePort, skipWithout, startDNS, startNSD } from "./_programs.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

const DIG = findTool("dig"), KDIG = findTool("kdig"), NSD = findTool("nsd");
const skip = skipWithout;
const DIG_SKIP = skip(DIG, "dig", "bind9-dnsutils");
const KDIG_SKIP = skip(KDIG, "kdig", "knot-dnsutils");
const NSD_SKIP = DIG_SKIP || skip(NSD, "nsd", "nsd");

function zone(serial: number, www: string, extra = ""): string {
  return `$ORIGIN example.com.
$TTL 3600
@    IN SOA ns1 hostmaster ( ${serial} 3600 600 86400 300 )
     IN NS  ns1
ns1  IN A   192.0.2.53
www  IN A   ${www}
${extra}
`;
}

/** The record lines of dig's or kdig's output, as `name ttl CLASS TYPE rdata`. */
function records(text: string): string[] {
  return text.split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith(";"))
    .map((line) => line.trim().split(/\s+/).join(" "));
}

async function dig(port: number, ...args: string[]) {
  const argv = [DIG!, "@127.0.0.1", "-p", String(port), "+time=2", "+tries=1", "+nocmd", ...args];
  const { code, out, err } = await exec(argv);
  assert.equal(code, 0, `dig ${args.join(" ")}: ${err}${out}`);
  return { out, records: records(out), status: /status: (\w+)/.exec(out)?.[1] ?? "" };
}

/** Asks `name` A of 127.0.0.1:port until the answer is `address` (15 s at most). */
async function waitForAddress(port: number, name: string, address: string): Promise<void> {
  let last = "";
  for (let i = 0; i < 75; i++) {
    const reply = await dig(port, "+short", "+norec", name, "A");
    last = reply.out.trim();
    if (last === address) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`${name} on port ${port} is ${JSON.stringify(last)}, not ${address}, after 15 s`);
}

function since(program: Program, mark: number): string {
  return program.out.slice(mark);
}

describe("tw dns and nsd transferring zones", { timeout: 180_000 }, () => {
  it("tw dns --secondary of nsd transfers the zone and follows nsd's NOTIFY after a reload", {
    skip: NSD_SKIP,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const file = join(dir, "example.com.zone");
    writeFileSync(file, zone(2026120601, "192.0.2.80"));
    const nsdPort = await freePort(), ourPort = await freePort();
    let nsd: Awaited<ReturnType<typeof startNSD>> | null = null;
    let dns: Awaited<ReturnType<typeof startDNS>> | null = null;
    try {
      nsd = await startNSD(
        dir,
        nsdPort,
        `  zonefile: "${file}"\n  provide-xfr: 127.0.0.1 NOKEY\n  notify: 127.0.0.1@${ourPort} NOKEY\n`,
        { verbosity: 2 },
      );
      dns = await startDNS(["--secondary", `127.0.0.1:${nsdPort}/example.com`], ourPort);
      await dns.program.waitFor(/Transferred zone example\.com \(serial 2026120601/);
      const first = await dig(ourPort, "+norec", "www.example.com", "A");
      assert.deepEqual(first.records, ["www.example.com. 3600 IN A 192.0.2.80"]);
      assert.match(first.out, /flags: qr aa;/);
      const nx = await dig(ourPort, "+norec", "nothere.example.com", "A");
      assert.equal(nx.status, "NXDOMAIN");
      assert.equal((await dig(ourPort, "+norec", "www.example.org", "A")).status, "REFUSED");

      writeFileSync(file, zone(2026120602, "192.0.2.81", 'new IN TXT "added"'));
      nsd.hup(); // nsd reads the file again and sends NOTIFY to us
      await waitForAddress(ourPort, "www.example.com", "192.0.2.81");
      assert.match(dns.program.out, /NOTIFY for example\.com from its primary 127\.0\.0\.1/);
      const txt = await dig(ourPort, "+norec", "new.example.com", "TXT");
      assert.deepEqual(txt.records, ['new.example.com. 3600 IN TXT "added"']);
      const soa = await dig(ourPort, "+norec", "example.com", "SOA");
      assert.match(soa.records[0], / 2026120602 3600 600 86400 300$/);
    } finally {
      if (dns) await terminate(dns.program, dns.transport);
      await nsd?.stop();
      cleanup();
    }
    assert.equal(dns!.program.exitCode, 0, dns!.program.err);
  });

  it("nsd as a secondary of tw dns --notify takes AXFR, then IXFR after a reload", {
    skip: NSD_SKIP,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const file = join(dir, "example.com.zone");
    writeFileSync(file, zone(7, "192.0.2.80", "old IN A 192.0.2.9"));
    const nsdPort = await freePort(), ourPort = await freePort();
    let nsd: Awaited<ReturnType<typeof startNSD>> | null = null;
    let dns: Awaited<ReturnType<typeof startDNS>> | null = null;
    try {
      dns = await startDNS([
        "--bindzone",
        file,
        "--notify",
        `127.0.0.1:${nsdPort}`,
        "--allow-transfer",
        "127.0.0.0/8",
        "-v",
      ], ourPort);
      nsd = await startNSD(
        dir,
        nsdPort,
        `  zonefile: "${join(dir, "secondary.zone")}"\n` +
          `  request-xfr: 127.0.0.1@${ourPort} NOKEY\n  allow-notify: 127.0.0.1 NOKEY\n`,
        { verbosity: 2 },
      );
      await waitForAddress(nsdPort, "www.example.com", "192.0.2.80");
      assert.match(dns.program.out, /AXFR query from 127\.0\.0\.1/);
      await dns.program.waitFor(/NOTIFY for example\.com acknowledged by 127\.0\.0\.1/);

      const mark = dns.program.out.length;
      writeFileSync(file, zone(8, "192.0.2.81", "new IN A 192.0.2.7"));
      dns.transport.signalProcess("HUP");
      await waitForAddress(nsdPort, "www.example.com", "192.0.2.81");
      assert.match(since(dns.program, mark), /IXFR query from 127\.0\.0\.1/);
      assert.match(since(dns.program, mark), /NOTIFY for example\.com acknowledged/);
      assert.equal((await dig(nsdPort, "+norec", "old.example.com", "A")).status, "NXDOMAIN");
      const added = await dig(nsdPort, "+norec", "+noall", "+answer", "new.example.com", "A");
      assert.deepEqual(added.records, ["new.example.com. 3600 IN A 192.0.2.7"]);
    } finally {
      await nsd?.stop();
      if (dns) await terminate(dns.program, dns.transport);
      cleanup();
    }
  });
});

describe("tw dns answering IXFR to dig and kdig", { timeout: 120_000 }, () => {
  const before = zone(1, "192.0.2.80", "old IN A 192.0.2.9");
  const after = zone(2, "192.0.2.81", "new 60 IN A 192.0.2.7");
  const differences = [
    "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2 3600 600 86400 300",
    "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300",
    "www.example.com. 3600 IN A 192.0.2.80",
    "old.example.com. 3600 IN A 192.0.2.9",
    "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2 3600 600 86400 300",
    "www.example.com. 3600 IN A 192.0.2.81",
    "new.example.com. 60 IN A 192.0.2.7",
    "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2 3600 600 86400 300",
  ];

  /** tw dns serving `before`, reloaded with `after`. */
  async function reloaded(args: string[] = []) {
    const [dir, cleanup] = tempDir();
    const file = join(dir, "example.com.zone");
    writeFileSync(file, before);
    const dns = await startDNS(["--bindzone", file, ...args], await freePort());
    const port = Number(/127\.0\.0\.1:(\d+) \(UDP/.exec(dns.program.out)![1]);
    writeFileSync(file, after);
    dns.transport.signalProcess("HUP");
    await dns.program.waitFor(/Reloaded zone example\.com/);
    const stop = async () => {
      await terminate(dns.program, dns.transport);
      cleanup();
    };
    return { port, stop };
  }

  it("dig +ixfr: the differences since the serial asked, the SOA alone when current", {
    skip: DIG_SKIP,
  }, async () => {
    const { port, stop } = await reloaded();
    try {
      assert.deepEqual((await dig(port, "example.com", "IXFR=1")).records, differences);
      assert.deepEqual((await dig(port, "example.com", "IXFR=2")).records, [differences[0]]);
      const whole = (await dig(port, "example.com", "IXFR=0")).records;
      assert.equal(whole.length, 6, "no differences from serial 0: the whole zone");
    } finally {
      await stop();
    }
  });

  it("kdig IXFR=SERIAL: the same differences", { skip: KDIG_SKIP }, async () => {
    const { port, stop } = await reloaded();
    try {
      const argv = [KDIG!, "@127.0.0.1", "-p", String(port), "+timeout=3", "example.com"];
      const { code, out } = await exec([...argv, "IXFR=1"]);
      assert.equal(code, 0, out);
      assert.deepEqual(records(out), differences);
      assert.match(out, /Received \d+ B \(1 messages?, 8 records\)/);
    } finally {
      await stop();
    }
  });

  it("--allow-transfer refuses AXFR and IXFR from other addresses", {
    skip: DIG_SKIP,
  }, async () => {
    const { port, stop } = await reloaded(["--allow-transfer", "192.0.2.0/24"]);
    try {
      for (const type of ["AXFR", "IXFR=1"]) {
        const reply = await dig(port, "example.com", type);
        assert.deepEqual(reply.records, [], type);
        assert.match(reply.out, /Transfer failed/, type);
      }
      const query = await dig(port, "www.example.com", "A");
      assert.deepEqual(query.records, ["www.example.com. 3600 IN A 192.0.2.81"]);
    } finally {
      await stop();
    }
  });
});
