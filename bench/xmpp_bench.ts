// Stanzas parsed per second by domish.elementStream() (our bounded streaming parser plus the
// element tree) on Deno, Bun and Node, against Twisted's domish.elementStream() (expat), on the
// same ~10 MB XMPP stream fed in 64 KiB chunks. Ratios, never asserted.
// Usage: node bench/xmpp_bench.ts [--quick]        (prints a markdown table)
//        <runtime> bench/xmpp_bench.ts --measure FILE (one measurement, JSON)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { domish } from "../src/words/xish/mod.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CHUNK = 64 * 1024;

function makeStream(bytes: number): { data: Uint8Array; stanzas: number } {
  const parts = [
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
    "xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='x' version='1.0'>",
  ];
  let size = parts[0].length;
  let stanzas = 0;
  const kinds = [
    (i: number) =>
      `<message from='romeo@montague.net/orchard' to='juliet@capulet.com/balcony' type='chat' ` +
      `id='m${i}'><body>Wherefore art thou, Romeo? &amp; h\u00e9las ${i}</body>` +
      `<active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
    (i: number) =>
      `<presence from='juliet@capulet.com/balcony' id='p${i}'><show>away</show>` +
      `<status>At the ball</status><c xmlns='http://jabber.org/protocol/caps' ` +
      `hash='sha-1' node='http://example.com' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>`,
    (i: number) =>
      `<iq type='result' id='r${i}' to='juliet@capulet.com/balcony'><query xmlns='jabber:iq:roster'>` +
      `<item jid='romeo@montague.net' name='Romeo' subscription='both'><group>Friends</group></item>` +
      `<item jid='mercutio@example.com' name='Mercutio' subscription='from'/></query></iq>`,
  ];
  while (size < bytes) {
    const s = kinds[stanzas % kinds.length](stanzas) + "\n";
    parts.push(s);
    size += s.length;
    stanzas++;
  }
  parts.push("</stream:stream>");
  return { data: new TextEncoder().encode(parts.join("")), stanzas };
}

function measure(file: string): void {
  const data = new Uint8Array(readFileSync(file));
  const run = () => {
    const s = domish.elementStream({ maxStanzaSize: 16 << 20 });
    let n = 0;
    s.DocumentStartEvent = () => {};
    s.ElementEvent = () => void n++;
    s.DocumentEndEvent = () => {};
    for (let i = 0; i < data.length; i += CHUNK) s.parse(data.subarray(i, i + CHUNK));
    return n;
  };
  run(); // warm-up
  const t0 = performance.now();
  const rounds = 3;
  let n = 0;
  for (let r = 0; r < rounds; r++) n += run();
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      stanzasPerSecond: n / seconds,
      mbPerSecond: (data.length * rounds) / 1e6 / seconds,
    }),
  );
}

const TWISTED = `
import json, sys, time
from twisted.words.xish import domish
data = open(sys.argv[1], "rb").read()
CHUNK = ${CHUNK}
def run():
    s = domish.elementStream()
    n = [0]
    s.DocumentStartEvent = lambda root: None
    def el(e): n[0] += 1
    s.ElementEvent = el
    s.DocumentEndEvent = lambda: None
    for i in range(0, len(data), CHUNK):
        s.parse(data[i:i + CHUNK])
    return n[0]
run()
t0 = time.perf_counter(); n = 0
for _ in range(3): n += run()
sec = time.perf_counter() - t0
print(json.dumps({"stanzasPerSecond": n / sec, "mbPerSecond": len(data) * 3 / 1e6 / sec}))
`;

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === "--measure") return measure(args[1]);
  const quick = args.includes("--quick");
  const dir = mkdtempSync(join(tmpdir(), "tw-xmpp-bench-"));
  try {
    const { data, stanzas } = makeStream(quick ? 2_000_000 : 10_000_000);
    const file = join(dir, "stream.xml");
    writeFileSync(file, data);
    const results: [string, { stanzasPerSecond: number; mbPerSecond: number } | null][] = [];
    const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
    const script = fileURLToPath(import.meta.url);
    for (
      const [name, argv] of [
        ["deno", [bin("deno"), "run", "-A", script, "--measure", file]],
        ["bun", [bin("bun"), script, "--measure", file]],
        ["node", [bin("node"), script, "--measure", file]],
        ["Twisted (expat)", ["/usr/bin/python3", "-c", TWISTED, file]],
      ] as [string, string[]][]
    ) {
      const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", cwd: ROOT });
      try {
        results.push([name, JSON.parse(r.stdout.trim().split("\n").pop()!)]);
      } catch {
        results.push([name, null]);
      }
    }
    const twisted = results.find(([n]) => n.startsWith("Twisted"))?.[1];
    console.log(
      `${(data.length / 1e6).toFixed(1)} MB, ${stanzas} stanzas, ${CHUNK / 1024} KiB chunks\n`,
    );
    console.log("| parser | stanzas/s | MB/s | vs Twisted |");
    console.log("|---|---:|---:|---:|");
    for (const [name, r] of results) {
      if (!r) {
        console.log(`| ${name} | failed | | |`);
        continue;
      }
      const ratio = twisted ? (r.stanzasPerSecond / twisted.stanzasPerSecond).toFixed(2) : "-";
      console.log(
        `| ${name} | ${Math.round(r.stanzasPerSecond).toLocaleString("en")} | ${
          r.mbPerSecond.toFixed(1)
        } | ${ratio} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
