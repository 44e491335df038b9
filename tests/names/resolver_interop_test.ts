// The DNS client against real servers over loopback: NSD (authoritative, with
// a zone written here) and Unbound (a resolver with local data, and a stub
// zone pointing at NSD). Both run in the foreground from temporary configs on
// free ports, started and stopped through our own reactor.spawnProcess.
// Under CI a missing server fails the tests (.ci/run installs them); elsewhere
// they are skipped.
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reactor } from "../../runtimes/select.ts";
import { Deferred } from "../../src/internet/defer.ts";
import type { IPv4Address } from "../../src/internet/address.ts";
import type { Failure } from "../../src/internet/failure.ts";
import {
  DatagramProtocol,
  Factory,
  ProcessProtocol,
  Protocol,
} from "../../src/internet/protocol.ts";
import type { ProcessTransport } from "../../src/internet/process.ts";
import { deferLater } from "../../src/internet/task.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import * as client from "../../src/names/client.ts";
import {
  Query,
  type Record_A,
  type Record_AAAA,
  type Record_MX,
  type Record_SRV,
  type Record_TXT,
  SOA,
  TXT,
} from "../../src/names/dns.ts";
import { DNSNameError, DomainError } from "../../src/names/error.ts";
import { exec, terminate } from "../cli/_program.ts";
import { findTool, startDNS } from "./_programs.ts";

const DIG = findTool("dig") ?? "/usr/bin/dig";

// Connections close after their lookup fired: give them time to.
trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

const NSD = "/usr/sbin/nsd";
const UNBOUND = "/usr/sbin/unbound";
const CI = process.env.CI === "true";

/** False when `path` exists or under CI (where its absence fails); else the reason to skip. */
function skipWithout(path: string, pkg: string): string | false {
  return existsSync(path) || CI ? false : `no ${path}: install Debian's ${pkg} package`;
}

const decoder = new TextDecoder();

/** A server in the foreground: its output, and its end. */
class Peer extends ProcessProtocol {
  output = "";
  ended = new Deferred<void>();
  override outReceived(data: Uint8Array): void {
    this.output += decoder.decode(data);
  }
  override errReceived(data: Uint8Array): void {
    this.output += decoder.decode(data);
  }
  override processEnded(_reason: Failure): void {
    this.ended.callback(undefined);
  }
}

/** A loopback port free for both UDP and TCP, found by binding port 0. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = reactor.listenUDP(0, new DatagramProtocol(), { interface: "127.0.0.1" });
    await udp.whenListening();
    const port = (udp.getHost() as IPv4Address).port;
    const factory = Factory.forProtocol(Protocol);
    factory.noisy = false;
    const tcp = reactor.listenTCP(port, factory, { interface: "127.0.0.1" });
    let free = true;
    try {
      await tcp.whenListening();
    } catch {
      free = false;
    }
    await tcp.stopListening();
    await udp.stopListening();
    // Deno's own UDP sockets (--unstable-net) free their port a moment after close.
    await deferLater(reactor, 0.2);
    if (free) return port;
  }
  throw new Error("No loopback port free for both UDP and TCP");
}

/** Starts `argv` in the foreground. */
function start(argv: string[]): [Peer, ProcessTransport] {
  const peer = new Peer();
  const transport = reactor.spawnProcess(peer, argv[0], argv) as ProcessTransport;
  return [peer, transport];
}

/** Stops a server: SIGTERM, then SIGKILL after 5 s. */
async function stop([peer, transport]: [Peer, ProcessTransport]): Promise<void> {
  if (peer.ended.called) return;
  transport.signalProcess("TERM");
  const kill = reactor.callLater(5, () => transport.signalProcess("KILL"));
  await peer.ended;
  if (kill.active()) kill.cancel();
}

/** A resolver asking only `port` on 127.0.0.1. */
function resolverFor(port: number, timeout: number[] = [2, 4]): client.Resolver {
  return new client.Resolver({ servers: [["127.0.0.1", port]], timeout, reactor });
}

/** Waits until the server at `port` answers an SOA question for `zone` (10 s at most). */
async function waitForServer(
  port: number,
  zone: string,
  peer: Peer,
  log?: string,
): Promise<void> {
  const resolver = resolverFor(port, [0.25]);
  const deadline = reactor.seconds() + 10;
  for (;;) {
    try {
      await resolver.lookupAuthority(zone);
      return;
    } catch (error) {
      if (peer.ended.called) {
        const logged = log && existsSync(log) ? readFileSync(log, "utf8") : "";
        throw new Error(`The server exited: ${peer.output}${logged}`);
      }
      if (reactor.seconds() > deadline) {
        throw new Error(`No answer from 127.0.0.1:${port} (${error}): ${peer.output}`);
      }
      await deferLater(reactor, 0.1);
    }
  }
}

const text = (rr: { payload: unknown }): string =>
  (rr.payload as Record_TXT).data.map((d) => decoder.decode(d)).join("");

const ZONE_HOSTS = 1500;
const BIG_TXT = 30;

function zoneFile(): string {
  const lines = [
    "$ORIGIN example.test.",
    "$TTL 300",
    "@ IN SOA ns1 hostmaster 2024010101 3600 600 86400 60",
    "@ IN NS ns1",
    "ns1 IN A 127.0.0.1",
    "www IN A 192.0.2.80",
    "www IN AAAA 2001:db8::80",
    "@ IN MX 10 mail",
    "mail IN A 192.0.2.25",
    '@ IN TXT "v=spf1 -all"',
    "_imaps._tcp IN SRV 0 5 993 mail",
    "alias IN CNAME www",
  ];
  // 30 strings of 100 bytes: about 3 KiB, past a 1232-byte UDP answer.
  for (let i = 0; i < BIG_TXT; i++) {
    lines.push(`big IN TXT "${String(i).padStart(2, "0")}${"x".repeat(98)}"`);
  }
  // Enough records that NSD sends the transfer in several messages.
  for (let i = 0; i < ZONE_HOSTS; i++) lines.push(`h${i} IN A 198.51.100.${(i % 250) + 1}`);
  return lines.join("\n") + "\n";
}

describe("client.Resolver against NSD", { skip: skipWithout(NSD, "nsd"), timeout: 60_000 }, () => {
  let dir = "";
  let port = 0;
  let server: [Peer, ProcessTransport] | null = null;

  before(async () => {
    assert.ok(existsSync(NSD), `${NSD} is missing: install Debian's nsd package`);
    dir = mkdtempSync(join(tmpdir(), "tw-nsd-"));
    port = await freePort();
    writeFileSync(join(dir, "example.test.zone"), zoneFile());
    writeFileSync(
      join(dir, "nsd.conf"),
      [
        "server:",
        `  ip-address: 127.0.0.1@${port}`,
        `  zonesdir: "${dir}"`,
        `  pidfile: "${dir}/nsd.pid"`,
        '  database: ""',
        `  xfrdfile: "${dir}/xfrd.state"`,
        `  zonelistfile: "${dir}/zone.list"`,
        `  xfrdir: "${dir}"`,
        '  username: ""',
        '  chroot: ""',
        `  logfile: "${dir}/nsd.log"`,
        "  server-count: 1",
        "  verbosity: 1",
        "remote-control:",
        "  control-enable: no",
        "zone:",
        "  name: example.test",
        "  zonefile: example.test.zone",
        "  provide-xfr: 127.0.0.1 NOKEY",
        "",
      ].join("\n"),
    );
    server = start([NSD, "-d", "-c", join(dir, "nsd.conf")]);
    await waitForServer(port, "example.test", server[0], join(dir, "nsd.log"));
  });

  after(async () => {
    if (server) await stop(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("looks up A, AAAA, MX, TXT and SRV records", async () => {
    const resolver = resolverFor(port);
    const [a] = await resolver.lookupAddress("www.example.test");
    assert.deepEqual(a.map((rr) => (rr.payload as Record_A).dottedQuad()), ["192.0.2.80"]);
    assert.equal(a[0].ttl, 300);
    const [aaaa] = await resolver.lookupIPV6Address("www.example.test");
    assert.deepEqual(aaaa.map((rr) => rr.payload!.toText()), ["2001:db8::80"]);
    assert.equal((aaaa[0].payload as Record_AAAA).TYPE, 28);
    const [mx] = await resolver.lookupMailExchange("example.test");
    const exchange = mx[0].payload as Record_MX;
    assert.deepEqual([exchange.preference, exchange.name.name], [10, "mail.example.test"]);
    const [txt] = await resolver.lookupText("example.test");
    assert.deepEqual(txt.map(text), ["v=spf1 -all"]);
    const [srv] = await resolver.lookupService("_imaps._tcp.example.test");
    const service = srv[0].payload as Record_SRV;
    assert.deepEqual(
      [service.priority, service.weight, service.port, service.target.name],
      [0, 5, 993, "mail.example.test"],
    );
    assert.equal(await resolver.getHostByName("alias.example.test"), "192.0.2.80");
  });

  it("fails with DNSNameError, with the zone's SOA, for a name that does not exist", async () => {
    const error = await resolverFor(port).lookupAddress("nope.example.test").then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DNSNameError, String(error));
    assert.equal(error.response!.rCode, 3);
    assert.deepEqual(error.response!.authority.map((rr) => rr.type), [SOA]);
  });

  it("asks over TCP when the UDP answer is truncated", async () => {
    const resolver = resolverFor(port);
    const udp = await resolver.queryUDP([new Query("big.example.test", TXT)]);
    assert.equal(udp.trunc, true);
    const [answers] = await resolver.lookupText("big.example.test");
    assert.equal(answers.length, BIG_TXT);
    assert.deepEqual(
      answers.map((rr) => text(rr).slice(0, 2)).sort(),
      Array.from({ length: BIG_TXT }, (_, i) => String(i).padStart(2, "0")),
    );
  });

  it("transfers the zone (AXFR) over several messages", async () => {
    const [records, authority, additional] = await resolverFor(port).lookupZone("example.test");
    assert.equal(records.length, ZONE_HOSTS + BIG_TXT + 11);
    assert.equal(records[0].type, SOA);
    assert.equal(records.at(-1)!.type, SOA);
    assert.ok(records.some((rr) => rr.name.name === `h${ZONE_HOSTS - 1}.example.test`));
    assert.deepEqual([authority, additional], [[], []]);
  });

  it("fails a transfer of a zone the server does not serve", async () => {
    const error = await resolverFor(port).lookupZone("other.test").then(
      () => assert.fail("transferred"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof DomainError, String(error));
  });

  it("reads the server from a resolv.conf with OpenBSD's [address]:port", async () => {
    const path = join(dir, "resolv.conf");
    writeFileSync(path, `# test\nsearch example.test\nnameserver [127.0.0.1]:${port}\n`);
    const resolver = new client.Resolver({ resolv: path, timeout: [2], reactor });
    const [answers] = await resolver.lookupAddress("mail.example.test");
    assert.equal((answers[0].payload as Record_A).dottedQuad(), "192.0.2.25");
    assert.deepEqual(resolver.search, ["example.test"]);
  });

  it("shares one query among concurrent lookups", async () => {
    const resolver = resolverFor(port);
    const all = await Promise.all(
      Array.from({ length: 5 }, () => resolver.lookupAddress("www.example.test")),
    );
    for (const [answers] of all) assert.equal(answers.length, 1);
  });
});

describe(
  "client.Resolver against Unbound",
  { skip: skipWithout(UNBOUND, "unbound") || skipWithout(NSD, "nsd"), timeout: 60_000 },
  () => {
    let dir = "";
    let port = 0;
    let nsdPort = 0;
    const servers: [Peer, ProcessTransport][] = [];

    before(async () => {
      assert.ok(existsSync(UNBOUND), `${UNBOUND} is missing: install Debian's unbound package`);
      assert.ok(existsSync(NSD), `${NSD} is missing: install Debian's nsd package`);
      dir = mkdtempSync(join(tmpdir(), "tw-unbound-"));
      nsdPort = await freePort();
      port = await freePort();
      writeFileSync(join(dir, "example.test.zone"), zoneFile());
      writeFileSync(
        join(dir, "nsd.conf"),
        [
          "server:",
          `  ip-address: 127.0.0.1@${nsdPort}`,
          `  zonesdir: "${dir}"`,
          `  pidfile: "${dir}/nsd.pid"`,
          '  database: ""',
          `  xfrdfile: "${dir}/xfrd.state"`,
          `  zonelistfile: "${dir}/zone.list"`,
          `  xfrdir: "${dir}"`,
          '  username: ""',
          '  chroot: ""',
          `  logfile: "${dir}/nsd.log"`,
          "  server-count: 1",
          "remote-control:",
          "  control-enable: no",
          "zone:",
          "  name: example.test",
          "  zonefile: example.test.zone",
          "",
        ].join("\n"),
      );
      writeFileSync(
        join(dir, "unbound.conf"),
        [
          "server:",
          `  interface: 127.0.0.1@${port}`,
          `  port: ${port}`,
          "  do-daemonize: no",
          '  chroot: ""',
          '  username: ""',
          `  directory: "${dir}"`,
          `  pidfile: "${dir}/unbound.pid"`,
          "  use-syslog: no",
          '  logfile: ""',
          "  verbosity: 0",
          "  do-ip6: no",
          "  num-threads: 1",
          "  access-control: 127.0.0.0/8 allow",
          '  module-config: "iterator"',
          "  do-not-query-localhost: no",
          // "test." is one of Unbound's default NXDOMAIN zones (RFC 6761): open it.
          '  local-zone: "test." nodefault',
          '  local-zone: "local.test." static',
          '  local-data: "local.test. 300 IN SOA ns.local.test. hostmaster.local.test. 1 3600 600 86400 60"',
          '  local-data: "www.local.test. 300 IN A 192.0.2.1"',
          '  local-data: "www.local.test. 300 IN AAAA 2001:db8::1"',
          '  local-data: "local.test. 300 IN MX 10 mail.local.test."',
          '  local-data: "mail.local.test. 300 IN A 192.0.2.25"',
          "  local-data: 'local.test. 300 IN TXT \"hello world\"'",
          '  local-data: "_sip._udp.local.test. 300 IN SRV 10 60 5060 sip.local.test."',
          '  domain-insecure: "example.test."',
          "stub-zone:",
          '  name: "example.test."',
          `  stub-addr: 127.0.0.1@${nsdPort}`,
          "remote-control:",
          "  control-enable: no",
          "",
        ].join("\n"),
      );
      servers.push(start([NSD, "-d", "-c", join(dir, "nsd.conf")]));
      await waitForServer(nsdPort, "example.test", servers[0][0], join(dir, "nsd.log"));
      servers.push(start([UNBOUND, "-d", "-c", join(dir, "unbound.conf")]));
      await waitForServer(port, "local.test", servers[1][0]);
    });

    after(async () => {
      for (const server of servers.reverse()) await stop(server);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("looks up A, AAAA, MX, TXT and SRV records of its local data", async () => {
      const resolver = resolverFor(port);
      const [a] = await resolver.lookupAddress("www.local.test");
      assert.deepEqual(a.map((rr) => (rr.payload as Record_A).dottedQuad()), ["192.0.2.1"]);
      const [aaaa] = await resolver.lookupIPV6Address("www.local.test");
      assert.deepEqual(aaaa.map((rr) => rr.payload!.toText()), ["2001:db8::1"]);
      const [mx] = await resolver.lookupMailExchange("local.test");
      assert.equal((mx[0].payload as Record_MX).name.name, "mail.local.test");
      const [txt] = await resolver.lookupText("local.test");
      assert.deepEqual(txt.map(text), ["hello world"]);
      const [srv] = await resolver.lookupService("_sip._udp.local.test");
      assert.equal((srv[0].payload as Record_SRV).port, 5060);
    });

    it("fails with DNSNameError for a name its local zone lacks", async () => {
      const error = await resolverFor(port).lookupAddress("nope.local.test").then(
        () => assert.fail("resolved"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DNSNameError, String(error));
    });

    it("resolves through its stub zone at NSD, and over TCP for a truncated answer", async () => {
      const resolver = resolverFor(port);
      assert.equal(await resolver.getHostByName("www.example.test"), "192.0.2.80");
      const [answers] = await resolver.lookupText("big.example.test");
      assert.equal(answers.length, BIG_TXT);
      const error = await resolver.lookupAddress("nope.example.test").then(
        () => assert.fail("resolved"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof DNSNameError, String(error));
    });

    it("is what tw dns --resolv-conf forwards to: RA set, answers for RD queries only", {
      skip: skipWithout(DIG, "bind9-dnsutils"),
    }, async () => {
      const conf = join(dir, "resolv.conf");
      writeFileSync(conf, `nameserver [127.0.0.1]:${port}\n`); // OpenBSD's form names the port
      const dns = await startDNS(["--resolv-conf", conf]);
      try {
        const ask = async (...args: string[]) =>
          (await exec([DIG, "@127.0.0.1", "-p", String(dns.port), "+time=5", "+tries=1", ...args]))
            .out;
        const forwarded = await ask("www.local.test", "A");
        assert.match(forwarded, /status: NOERROR/);
        assert.match(forwarded, /flags: qr rd ra;/);
        assert.match(forwarded, /www\.local\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/);
        assert.match(await ask("nope.local.test", "A"), /status: NXDOMAIN/);
        assert.match(await ask("+norec", "www.local.test", "A"), /status: REFUSED/);
      } finally {
        await terminate(dns.program, dns.transport);
      }
    });
  },
);
