// Start-up time: each runtime's empty program against `tw --version`, `tw --help`,
// `import "@tw/core"` and an echo server until it listens (then it exits), from the
// TypeScript sources and from the npm build (dist/npm, built first), plus Twisted's
// `twistd --version`. Whole processes, run in turn, RUNS times each; medians.
// Run with node: node_modules/.bin/node bench/startup_bench.ts [--runs=15] [--baseline=DIR]
// --baseline=DIR also times `tw --help` and `import "@tw/core"` from another npm build
// (a copy of an older dist/npm), in the same rounds: before and after, side by side.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { performance } from "node:perf_hooks";
import { BIN, median, ROOT } from "./_proc.ts";

const argv = process.argv.slice(2);
const RUNS = Number(argv.find((a) => a.startsWith("--runs="))?.split("=")[1] ?? 15);
const BASELINE = argv.find((a) => a.startsWith("--baseline="))?.slice("--baseline=".length);

const build = spawnSync(BIN.node, [join(ROOT, "scripts/build_npm.mjs")], { encoding: "utf8" });
if (build.status !== 0) throw new Error(`npm build failed: ${build.stderr}`);
const DIST = join(ROOT, "dist/npm");

const work = mkdtempSync(join(tmpdir(), "tw-startup-"));
const write = (name: string, text: string): string => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};
const empty = write("empty.mjs", "");
const importSrc = write("import_src.ts", `import "${ROOT}mod.ts";\n`);
const importDist = write("import_dist.mjs", `import "${DIST}/mod.js";\n`);
const importBaseline = BASELINE && write("import_baseline.mjs", `import "${BASELINE}/mod.js";\n`);
const echo = (from: string, ext: string): string =>
  write(
    `echo_${from === ROOT ? "src" : "dist"}.${ext}`,
    `import { Factory, Protocol, reactor } from "${from}";
class Echo extends Protocol {
  dataReceived(data) { this.transport.write(data); }
}
const port = reactor.listenTCP(0, Factory.forProtocol(Echo), { interface: "127.0.0.1" });
await port.whenListening();
await port.stopListening();
`,
  );
const echoSrc = echo(`${ROOT}mod.ts`, "mjs");
const echoDist = echo(`${DIST}/mod.js`, "mjs");

type Runtime = "deno" | "bun" | "node";
const run = (rt: Runtime, file: string, ...args: string[]): string[] =>
  rt === "deno" ? [BIN.deno, "run", "-A", file, ...args] : [BIN[rt], file, ...args];

interface Case {
  runtime: Runtime | "python";
  name: string;
  cmd: string[];
}
const cases: Case[] = [];
for (const rt of ["deno", "bun", "node"] as const) {
  cases.push(
    { runtime: rt, name: "empty program", cmd: run(rt, empty) },
    {
      runtime: rt,
      name: "tw --version (sources)",
      cmd: run(rt, `${ROOT}runtimes/cli.ts`, "--version"),
    },
    { runtime: rt, name: "tw --version (build)", cmd: run(rt, `${DIST}/bin/tw.js`, "--version") },
    { runtime: rt, name: "tw --help (sources)", cmd: run(rt, `${ROOT}runtimes/cli.ts`, "--help") },
    { runtime: rt, name: "tw --help (build)", cmd: run(rt, `${DIST}/bin/tw.js`, "--help") },
    { runtime: rt, name: 'import "@tw/core" (sources)', cmd: run(rt, importSrc) },
    { runtime: rt, name: 'import "@tw/core" (build)', cmd: run(rt, importDist) },
    { runtime: rt, name: "echo server until listening (sources)", cmd: run(rt, echoSrc) },
    { runtime: rt, name: "echo server until listening (build)", cmd: run(rt, echoDist) },
  );
  if (BASELINE && importBaseline) {
    cases.push(
      {
        runtime: rt,
        name: "tw --help (baseline build)",
        cmd: run(rt, `${BASELINE}/bin/tw.js`, "--help"),
      },
      { runtime: rt, name: 'import "@tw/core" (baseline build)', cmd: run(rt, importBaseline) },
    );
  }
}
cases.push({ runtime: "python", name: "twistd --version", cmd: ["/usr/bin/twistd3", "--version"] });

const times = new Map<Case, number[]>(cases.map((c) => [c, []]));
for (let i = 0; i < RUNS + 1; i++) {
  for (const c of cases) {
    const started = performance.now();
    const r = spawnSync(c.cmd[0], c.cmd.slice(1), { cwd: work, stdio: "ignore" });
    const ms = performance.now() - started;
    if (r.status !== 0) {
      if (i === 0) process.stderr.write(`  ${c.runtime} ${c.name}: exit ${r.status}\n`);
      continue;
    }
    if (i > 0) times.get(c)!.push(ms); // the first round warms caches
  }
}
rmSync(work, { recursive: true, force: true });

console.log(
  `Start-up, whole processes, median of ${RUNS} runs in turn (\`node bench/startup_bench.ts\`).\n`,
);
console.log("| runtime | what | median ms | over the empty program |");
console.log("| --- | --- | ---: | ---: |");
for (const c of cases) {
  const ms = times.get(c)!;
  const base = cases.find((b) => b.runtime === c.runtime && b.name === "empty program");
  const over = base && base !== c && ms.length > 0
    ? `+${Math.round(median(ms) - median(times.get(base)!))}`
    : "";
  const value = ms.length > 0 ? Math.round(median(ms)).toString() : "failed";
  console.log(`| ${c.runtime} | ${c.name} | ${value} | ${over} |`);
}
