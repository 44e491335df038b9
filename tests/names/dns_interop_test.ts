// `tw dns` as a real program on the runtime running this file, queried by
// BIND's dig and Knot's kdig (Debian's bind9-dnsutils and knot-dnsutils), and
// compared with nsd (Debian's nsd) serving the same zone file. Missing tools
// skip these tests, except under CI (.ci/run installs them).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { trackLeaks } from "../../src/testing/mod.ts";
import { CURRENT, exec, ROOT, runToEnd, tempDir, terminate } from "../cli/_program.ts";
import { findTool, freePort, skipWithout, startDNS, startNSD } from "./_programs.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

const DIG = findTool("dig"), KDIG = findTool("kdig"), NSD = findTool("nsd");
const skip = skipWithout;
const DIG_SKIP = skip(DIG, "dig", "bind9-dnsutils");
const KDIG_SKIP = skip(KDIG, "kdig", "knot-dnsutils");
const NSD_SKIP = DIG_SKIP || skip(NSD, "nsd", "nsd");

const BIG = ["a", "b", "c"].map((c) => `big IN TXT "${c.repeat(200)}"`).join("\n");
const ZONE = `$ORIGIN example.com.
$TTL 3600
@   IN SOA ns1.example.com. hostmaster.example.com. ( 2024010101 7200 3600 1209600 300 )
    IN NS ns1
    IN NS ns2.example.net.
    IN MX 10 mail
    IN A 192.0.2.1
ns1 IN A 192.0.2.53
    IN AAAA 2001:db8::53
mail IN A 192.0.2.25
www IN CNAME web
web IN A 192.0.2.80
alias IN CNAME www
ext IN CNAME www.example.org.
loop1 IN CNAME loop2
loop2 IN CNAME loop1
gone IN CNAME nothere
*.wild IN A 192.0.2.99
*.wild IN TXT "wild"
exists.wild IN MX 5 mail
a.b.c IN A 192.0.2.3
sub IN NS ns.sub
sub IN NS ns.elsewhere.org.
ns.sub IN A 192.0.2.54
_sip._tcp IN SRV 0 5 5060 web
dn IN DNAME example.net.
dn2 IN DNAME other
x.other IN A 192.0.2.7
*.wc IN CNAME web
${BIG}
`;

interface Reply {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  edns: string | null;
  text: string;
}

/** A record line of dig or kdig as `name ttl CLASS TYPE rdata`, the name lower-cased. */
function record(line: string): string {
  const [name, ttl, cls, type, ...data] = line.trim().split(/\s+/);
  return [name.toLowerCase(), ttl, cls, type, data.join(" ")].join(" ");
}

/** dig's or kdig's output, parsed. */
function parse(text: string): Reply {
  const reply: Reply = {
    status: "",
    flags: [],
    answer: [],
    authority: [],
    additional: [],
    edns: null,
    text,
  };
  let section: "answer" | "authority" | "additional" | null = null;
  for (const line of text.split("\n")) {
    const status = /status: (\w+)/.exec(line);
    if (status) reply.status = status[1];
    const flags = /^;; [Ff]lags: ([a-z ]*);/.exec(line);
    if (flags) reply.flags = flags[1].trim().split(/\s+/).filter(Boolean);
    const edns = /EDNS: version: (\d+).*udp: (\d+)/i.exec(line);
    if (edns) reply.edns = `${edns[1]} ${edns[2]}`;
    const heading = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (heading) {
      section = heading[1].toLowerCase() as "answer";
      continue;
    }
    if (line.trim() === "" || line.startsWith(";")) {
      if (line.trim() === "") section = null;
      continue;
    }
    if (section) reply[section].push(record(line));
  }
  return reply;
}

async function dig(port: number, ...args: string[]): Promise<Reply> {
  const argv = [DIG!, "@127.0.0.1", "-p", String(port), "+time=3", "+tries=1", "+nocmd", ...args];
  const { code, out, err } = await exec(argv);
  assert.equal(code, 0, `dig ${args.join(" ")}: ${err}${out}`);
  return parse(out);
}

async function kdig(port: number, ...args: string[]): Promise<Reply> {
  const argv = [KDIG!, "@127.0.0.1", "-p", String(port), "+timeout=3", "+retry=0", ...args];
  const { code, out, err } = await exec(argv);
  assert.equal(code, 0, `kdig ${args.join(" ")}: ${err}${out}`);
  return parse(out);
}

describe("tw dns with dig and kdig", { timeout: 120_000 }, () => {
  it("answers over UDP and TCP, with and without EDNS, and BADVERS for version 1", {
    skip: DIG_SKIP,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const file = join(dir, "example.com.zone");
    writeFileSync(file, ZONE);
    const { program, transport, port } = await startDNS(["--bindzone", file]);
    try {
      const udp = await dig(port, "+norec", "www.example.com", "A");
      assert.equal(udp.status, "NOERROR");
      assert.deepEqual(udp.flags.sort(), ["aa", "qr"]);
      assert.deepEqual(udp.answer, [
        "www.example.com. 3600 IN CNAME web.example.com.",
        "web.example.com. 3600 IN A 192.0.2.80",
      ]);
      assert.equal(udp.edns, "0 1232");
      const tcp = await dig(port, "+tcp", "+norec", "WWW.Example.COM", "A");
      // Compression points the CNAME's target at the question's spelling, as nsd's does.
      const lower = (rrs: string[]) => rrs.map((rr) => rr.toLowerCase());
      assert.deepEqual(lower(tcp.answer), lower(udp.answer));
      assert.match(tcp.text, /\(TCP\)/);
      const plain = await dig(port, "+noedns", "nothere.example.com", "A");
      assert.deepEqual([plain.status, plain.edns, plain.flags.includes("aa")], [
        "NXDOMAIN",
        null,
        true,
      ]);
      assert.deepEqual(plain.authority, [
        "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300",
      ]);
      const badvers = await dig(port, "+edns=1", "+noednsnegotiation", "example.com", "SOA");
      assert.equal(badvers.status, "BADVERS");
      const refused = await dig(port, "www.example.org", "A");
      assert.deepEqual([refused.status, refused.flags.includes("ra")], ["REFUSED", false]);
    } finally {
      await terminate(program, transport);
      cleanup();
    }
    assert.equal(program.exitCode, 0, program.err);
  });

  it("sets TC when the reply does not fit, dig retries over TCP; AXFR; SIGHUP reloads", {
    skip: DIG_SKIP,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const file = join(dir, "example.com.zone");
    writeFileSync(file, ZONE);
    const { program, transport, port } = await startDNS(["--bindzone", file]);
    try {
      const cut = await dig(port, "+noedns", "+ignore", "big.example.com", "TXT");
      assert.ok(cut.flags.includes("tc"), cut.text);
      assert.deepEqual(cut.answer, []);
      const small = await dig(port, "+bufsize=600", "+ignore", "big.example.com", "TXT");
      assert.ok(small.flags.includes("tc"), small.text);
      assert.equal(small.edns, "0 1232");
      const retried = await dig(port, "+noedns", "big.example.com", "TXT");
      assert.deepEqual([retried.flags.includes("tc"), retried.answer.length], [false, 3]);
      assert.match(retried.text, /\(TCP\)/);
      const fits = await dig(port, "+bufsize=4096", "big.example.com", "TXT");
      assert.deepEqual([fits.flags.includes("tc"), fits.answer.length], [false, 3]);

      const axfr = await exec([
        DIG!,
        "@127.0.0.1",
        "-p",
        String(port),
        "+time=3",
        "example.com",
        "AXFR",
      ]);
      const records = axfr.out.split("\n").filter((line) => line && !line.startsWith(";"));
      assert.equal(records.length, 31, axfr.out);
      assert.match(records[0], /^example\.com\.\s+3600\s+IN\s+SOA/);
      assert.match(records.at(-1)!, /^example\.com\.\s+3600\s+IN\s+SOA/);

      writeFileSync(file, ZONE.replace("web IN A 192.0.2.80", "web IN A 192.0.2.81"));
      transport.signalProcess("HUP");
      await program.waitFor(/Reloaded zone example\.com/);
      const reloaded = await dig(port, "web.example.com", "A");
      assert.deepEqual(reloaded.answer, ["web.example.com. 3600 IN A 192.0.2.81"]);
      writeFileSync(file, "$TTL 1\n@ IN SOA broken\n");
      transport.signalProcess("HUP");
      await program.waitFor(/Cannot reload .*example\.com\.zone, keeping the zone/);
      assert.deepEqual((await dig(port, "web.example.com", "A")).answer, reloaded.answer);
    } finally {
      await terminate(program, transport);
      cleanup();
    }
    assert.equal(program.exitCode, 0, program.err);
  });

  it("answers kdig over UDP and TCP, AXFR included", { skip: KDIG_SKIP }, async () => {
    const [dir, cleanup] = tempDir();
    const file = join(dir, "example.com.zone");
    writeFileSync(file, ZONE);
    const { program, transport, port } = await startDNS(["--bindzone", file]);
    try {
      const mx = await kdig(port, "+notcp", "+norec", "example.com", "MX");
      assert.equal(mx.status, "NOERROR");
      assert.ok(mx.flags.includes("aa"));
      assert.deepEqual(mx.answer, ["example.com. 3600 IN MX 10 mail.example.com."]);
      assert.deepEqual(mx.additional, ["mail.example.com. 3600 IN A 192.0.2.25"]);
      const srv = await kdig(port, "+tcp", "_sip._tcp.example.com", "SRV");
      assert.deepEqual(srv.answer, [
        "_sip._tcp.example.com. 3600 IN SRV 0 5 5060 web.example.com.",
      ]);
      const tc = await kdig(port, "+notcp", "+noedns", "+ignore", "big.example.com", "TXT");
      assert.ok(tc.flags.includes("tc"), tc.text);
      const axfr = await exec([
        KDIG!,
        "@127.0.0.1",
        "-p",
        String(port),
        "-t",
        "AXFR",
        "example.com",
      ]);
      assert.match(axfr.out, /Received \d+ B \(\d+ messages?, 31 records\)/, axfr.out);
    } finally {
      await terminate(program, transport);
      cleanup();
    }
  });

  it("serves a --zone module", { skip: DIG_SKIP }, async () => {
    const [dir, cleanup] = tempDir();
    const module = join(dir, "zone.ts");
    const names = new URL("src/names/mod.ts", `file://${ROOT}`).href;
    writeFileSync(
      module,
      `import { Record_A, Record_SOA } from ${JSON.stringify(names)};\n` +
        `export const zone = [\n` +
        `  ["example.net", new Record_SOA({ mname: "ns.example.net", minimum: 60, ttl: 600 })],\n` +
        `  ["host.example.net", new Record_A("198.51.100.7", 120)],\n` +
        `];\n`,
    );
    const { program, transport, port } = await startDNS(["--zone", module]);
    try {
      const reply = await dig(port, "host.example.net", "A");
      assert.deepEqual(reply.answer, ["host.example.net. 120 IN A 198.51.100.7"]);
      assert.ok(reply.flags.includes("aa"));
    } finally {
      await terminate(program, transport);
      cleanup();
    }
  });
});

describe("tw dns refusing to start", { timeout: 120_000 }, () => {
  it("a missing or bad zone file: one line naming the file (and line), exit 1", async () => {
    const [dir, cleanup] = tempDir();
    try {
      const missing = join(dir, "missing.zone");
      const gone = await runToEnd(CURRENT, ["dns", "--port", "0", "--bindzone", missing]);
      assert.equal(gone.exitCode, 1);
      assert.equal(gone.err, `tw: Cannot read zone file ${missing}: no such file or directory\n`);
      const bad = join(dir, "bad.zone");
      writeFileSync(bad, "$TTL 60\n@ SOA ns host 1 2 3 4 5\nwww A 300.1.2.3\n");
      const broken = await runToEnd(CURRENT, ["dns", "--port", "0", "--bindzone", bad]);
      assert.equal(broken.exitCode, 1);
      assert.match(broken.err, new RegExp(`^tw: ${bad.replaceAll(".", "\\.")}:3: [^\\n]+\\n$`));
      const outside = join(dir, "example.com");
      writeFileSync(outside, "$TTL 60\n@ SOA ns host 1 2 3 4 5\nwww.example.org. A 192.0.2.1\n");
      const out = await runToEnd(CURRENT, ["dns", "--port", "0", "--bindzone", outside]);
      assert.equal(out.exitCode, 1);
      assert.match(
        out.err,
        /^tw: .*example\.com:3: The record www\.example\.org\. A 192\.0\.2\.1 is outside the zone example\.com\.\n$/,
      );
    } finally {
      cleanup();
    }
  });

  it("usage errors are one line, exit 2; --pyzone names --zone", async () => {
    for (
      const args of [["--pyzone", "zone.py"], ["--port", "dns"], [
        "--secondary",
        "example.com",
      ], ["--allow-transfer", "192.0.2.1/8"]]
    ) {
      const program = await runToEnd(CURRENT, ["dns", ...args]);
      assert.equal(program.exitCode, 2, args.join(" "));
      assert.equal(program.err.split("\n").length, 2, program.err);
    }
    const pyzone = await runToEnd(CURRENT, ["dns", "--pyzone", "zone.py"]);
    assert.match(pyzone.err, /--pyzone .*--zone MODULE/);
  });
});

const COMPARED: [string, string][] = [
  ["example.com", "SOA"],
  ["example.com", "NS"],
  ["example.com", "MX"],
  ["example.com", "A"],
  ["example.com", "TXT"],
  ["www.example.com", "A"],
  ["WwW.ExAmPlE.cOm", "A"],
  ["alias.example.com", "A"],
  ["alias.example.com", "MX"],
  ["web.example.com", "AAAA"],
  ["ns1.example.com", "AAAA"],
  ["nothere.example.com", "A"],
  ["c.example.com", "A"],
  ["b.c.example.com", "TXT"],
  ["a.b.c.example.com", "A"],
  ["x.a.b.c.example.com", "A"],
  ["foo.wild.example.com", "A"],
  ["foo.wild.example.com", "TXT"],
  ["foo.wild.example.com", "MX"],
  ["a.b.wild.example.com", "A"],
  ["exists.wild.example.com", "A"],
  ["exists.wild.example.com", "MX"],
  ["x.exists.wild.example.com", "A"],
  ["sub.example.com", "A"],
  ["sub.example.com", "NS"],
  ["sub.example.com", "DS"],
  ["x.y.sub.example.com", "MX"],
  ["ns.sub.example.com", "A"],
  ["_sip._tcp.example.com", "SRV"],
  ["loop1.example.com", "A"],
  ["gone.example.com", "A"],
  ["ext.example.com", "A"],
  ["a.wc.example.com", "A"],
  ["a.wc.example.com", "CNAME"],
  ["foo.dn.example.com", "A"],
  ["x.dn2.example.com", "A"],
  ["y.dn2.example.com", "A"],
  ["dn.example.com", "DNAME"],
  ["dn.example.com", "A"],
  ["big.example.com", "TXT"],
];

/**
 * nsd's reply as ours would be: nsd (minimal-responses: no, its default) adds
 * the apex NS set to the authority section of positive answers and their
 * addresses to the additional section; we do not (RFC 1034 s6.2's examples,
 * BIND's minimal-responses, Knot).
 */
function withoutApexNS(nsd: Reply, ours: Reply): Reply {
  if (nsd.status !== "NOERROR" || nsd.answer.length === 0) return nsd;
  const apexNS = nsd.authority.filter((rr) => /^example\.com\. \d+ IN NS /.test(rr));
  const targets = new Set(apexNS.map((rr) => rr.split(" ").at(-1)!.toLowerCase()));
  return {
    ...nsd,
    authority: nsd.authority.filter((rr) => !apexNS.includes(rr)),
    additional: nsd.additional.filter((rr) =>
      ours.additional.includes(rr) || !targets.has(rr.split(" ")[0]) || !/ IN (A|AAAA) /.test(rr)
    ),
  };
}

describe("tw dns compared with nsd", { timeout: 180_000 }, () => {
  it(
    "gives the same sections, flags and status for the same zone file",
    { skip: NSD_SKIP },
    async () => {
      const [dir, cleanup] = tempDir();
      const file = join(dir, "example.com.zone");
      writeFileSync(file, ZONE);
      const nsdPort = await freePort();
      let stopNSD: (() => Promise<void>) | null = null;
      const { program, transport, port } = await startDNS(["--bindzone", file]);
      try {
        stopNSD =
          (await startNSD(dir, nsdPort, `  zonefile: "${file}"\n`, { ready: /status: NOERROR/ }))
            .stop;
        const sorted = (r: Reply) => ({
          status: r.status,
          aa: r.flags.includes("aa"),
          tc: r.flags.includes("tc"),
          answer: [...r.answer].sort(),
          authority: [...r.authority].sort(),
          additional: [...r.additional].sort(),
        });
        for (const [name, type] of COMPARED) {
          for (const transportFlag of ["+notcp", "+tcp"]) {
            const args = [transportFlag, "+norec", name, type];
            const ours = await dig(port, ...args);
            const theirs = withoutApexNS(await dig(nsdPort, ...args), ours);
            assert.deepEqual(sorted(ours), sorted(theirs), `${name} ${type} ${transportFlag}`);
          }
        }
      } finally {
        await stopNSD?.();
        await terminate(program, transport);
        cleanup();
      }
    },
  );
});
