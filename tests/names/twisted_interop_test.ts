// Interop with Twisted's names (Debian's python3-twisted, run by
// /usr/bin/python3, installed by .ci/run): Twisted's client asks `tw dns`,
// and our Resolver asks Twisted's server (what `twistd dns --pyzone` runs).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Deferred,
  type Failure,
  ProcessProtocol,
  type ProcessTransport,
  reactor,
} from "../../mod.ts";
import {
  DNSNameError,
  type LookupResult,
  type Record_A,
  type Record_MX,
  Record_SOA,
  type Record_TXT,
  Resolver,
} from "../../src/names/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { exec, tempDir, terminate } from "../cli/_program.ts";
import { findTool, skipWithout, startDNS } from "./_programs.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

const PYTHON = findTool("python3") && "/usr/bin/python3";
const HAS_TWISTED = await exec([PYTHON ?? "/usr/bin/python3", "-c", "import twisted.names"])
  .then((r) => r.code === 0, () => false);
const SKIP = skipWithout(HAS_TWISTED ? PYTHON : null, "Twisted", "python3-twisted");
const peer = (name: string) => fileURLToPath(new URL(`./peers/${name}`, import.meta.url));

const BIG = ["a", "b", "c"].map((c) => `big IN TXT "${c.repeat(200)}"`).join("\n");
const ZONE = `$ORIGIN example.com.
$TTL 3600
@   IN SOA ns1.example.com. hostmaster.example.com. ( 2026120601 7200 3600 1209600 300 )
    IN NS ns1
    IN MX 10 mail
    IN TXT "v=spf1 mx -all"
ns1 IN A 192.0.2.53
    IN AAAA 2001:db8::53
mail IN A 192.0.2.25
www IN A 192.0.2.80
_sip._tcp IN SRV 0 5 5060 www
${BIG}
`;

describe("Twisted's names client against tw dns", { timeout: 120_000 }, () => {
  it("gets every answer, NXDOMAIN and REFUSED as Twisted's errors, TC then TCP, and AXFR", {
    skip: SKIP,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const file = join(dir, "example.com.zone");
    writeFileSync(file, ZONE);
    const { program, transport, port } = await startDNS(["--bindzone", file]);
    try {
      const run = await exec([PYTHON!, peer("twisted_names_client.py"), String(port)]);
      assert.equal(run.code, 0, run.err);
      const got = JSON.parse(run.out);
      assert.deepEqual(got["lookupAddress www.example.com"], ["A 192.0.2.80"]);
      assert.deepEqual(got["lookupIPV6Address ns1.example.com"], ["AAAA 2001:db8::53"]);
      assert.deepEqual(got["lookupMailExchange example.com"], ["MX 10 mail.example.com"]);
      assert.deepEqual(got["lookupText example.com"], ["TXT v=spf1 mx -all"]);
      // 3 x 200 bytes do not fit in 512: TC, and Twisted asks again over TCP.
      assert.deepEqual(
        got["lookupText big.example.com"].sort(),
        ["a", "b", "c"].map((c) => `TXT ${c.repeat(200)}`),
      );
      assert.deepEqual(got["lookupService _sip._tcp.example.com"], [
        "SRV 0 5 5060 www.example.com",
      ]);
      assert.deepEqual(got["lookupNameservers example.com"], ["NS ns1.example.com"]);
      assert.deepEqual(got["lookupAuthority example.com"], ["SOA ns1.example.com 2026120601"]);
      assert.equal(got["lookupAddress nothere.example.com"], "DNSNameError");
      assert.equal(got["lookupAddress www.example.org"], "DNSQueryRefusedError");
      const zone = got["lookupZone example.com"] as string[];
      assert.equal(zone.length, 13, JSON.stringify(zone)); // 12 records, the SOA again at the end
      assert.equal(zone[0], "SOA ns1.example.com 2026120601");
      assert.equal(zone.at(-1), "SOA ns1.example.com 2026120601");
    } finally {
      await terminate(program, transport);
      cleanup();
    }
  });
});

/** Twisted's DNS server as a subprocess; `port` fires once it listens. */
class TwistedServer extends ProcessProtocol {
  out = "";
  err = "";
  port = new Deferred<number>();
  ended = new Deferred<void>();
  override outReceived(data: Uint8Array): void {
    this.out += new TextDecoder().decode(data);
    const m = /READY (\d+)/.exec(this.out);
    if (m && !this.port.called) this.port.callback(Number(m[1]));
  }
  override errReceived(data: Uint8Array): void {
    this.err += new TextDecoder().decode(data);
  }
  override processEnded(_reason: Failure): void {
    if (!this.port.called) this.port.errback(new Error(`Twisted's server ended: ${this.err}`));
    this.ended.callback(undefined);
  }
}

const PY_ZONE = `zone = [
    SOA('example.com', mname='ns1.example.com', rname='hostmaster.example.com', serial=7,
        refresh=7200, retry=3600, expire=1209600, minimum=300, ttl=300),
    NS('example.com', 'ns1.example.com', ttl=300),
    A('ns1.example.com', '192.0.2.53', ttl=300),
    A('www.example.com', '192.0.2.80', ttl=300),
    MX('example.com', 10, 'mail.example.com', ttl=300),
    TXT('example.com', b'hello from twisted', ttl=300),
] + [TXT('big.example.com', bytes([97 + i]) * 200, ttl=300) for i in range(3)]
`;

describe("Our Resolver against Twisted's DNS server", { timeout: 60_000 }, () => {
  it("gets answers over UDP (Twisted never truncates), NXDOMAIN, and the zone by AXFR", {
    skip: SKIP,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const zoneFile = join(dir, "zone.py");
    writeFileSync(zoneFile, PY_ZONE);
    const server = new TwistedServer();
    const transport: ProcessTransport = reactor.spawnProcess(server, PYTHON!, [
      PYTHON!,
      peer("twisted_names_server.py"),
      zoneFile,
    ]);
    try {
      const port = await server.port.addTimeout(20, reactor);
      const resolver = new Resolver({ servers: [["127.0.0.1", port]], timeout: [2, 5], reactor });
      const first = (r: LookupResult) => r[0].map((rr) => rr.payload);
      const [a] = first(await resolver.lookupAddress("www.example.com")) as Record_A[];
      assert.equal(a.dottedQuad(), "192.0.2.80");
      const [mx] = first(await resolver.lookupMailExchange("example.com")) as Record_MX[];
      assert.deepEqual([mx.preference, mx.name.name], [10, "mail.example.com"]);
      const [txt] = first(await resolver.lookupText("example.com")) as Record_TXT[];
      assert.equal(txt.text(), "hello from twisted");
      const big = first(await resolver.lookupText("big.example.com")) as Record_TXT[];
      assert.deepEqual(big.map((t) => t.text()).sort(), ["a", "b", "c"].map((c) => c.repeat(200)));
      await assert.rejects(
        Promise.resolve(resolver.lookupAddress("nothere.example.com")),
        DNSNameError,
      );
      const [zone] = await resolver.lookupZone("example.com");
      assert.ok(zone[0].payload instanceof Record_SOA);
      assert.ok(zone.at(-1)!.payload instanceof Record_SOA);
      assert.equal(zone.length, 10);
    } finally {
      transport.signalProcess("TERM");
      await server.ended.addTimeout(10, reactor).addErrback(() => transport.signalProcess("KILL"));
      cleanup();
    }
  });
});
