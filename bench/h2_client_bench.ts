// The HTTP/2 client: our Agent (h2 by ALPN, one pooled connection, 100
// requests in flight) vs node:http2's client (connect, 100 streams in flight)
// on the same runtime, both fetching a small file from nghttpd over TLS.
// Requests/s, best of --repeat runs; the client pinned to core 0, nghttpd to core 1.
// Run with node: node_modules/.bin/node bench/h2_client_bench.ts [--duration=5]
//   [--concurrency=100] [--repeat=2] [--only=deno,bun,node]
// Needs nghttpd (Debian package `nghttp2-server`).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { BIN, CLIENT_CORE, flag, pinned, ROOT, SERVER_CORE } from "./_proc.ts";

const DURATION = Number(flag("duration") ?? 5);
const CONCURRENCY = Number(flag("concurrency") ?? 100);
const REPEAT = Number(flag("repeat") ?? 2);
const ONLY = flag("only")?.split(",") ?? ["deno", "bun", "node"];
const TLS = join(ROOT, "tests/fixtures/tls");

if (spawnSync("nghttpd", ["--version"]).error) {
  process.stderr.write("nghttpd not found: apt-get install nghttp2-server\n");
  process.exit(2);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(cmd: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => code === 0 ? resolve(out) : reject(new Error(`${cmd} -> ${code}`)));
  });
}

const dir = mkdtempSync(join(tmpdir(), "tw-h2-client-bench-"));
writeFileSync(join(dir, "hello.txt"), "hello world\n");
const port = await freePort();
const serverCmd = pinned(SERVER_CORE, [
  "nghttpd",
  "-d",
  dir,
  "--address=127.0.0.1",
  String(port),
  join(TLS, "server.key"),
  join(TLS, "server.pem"),
]);
const server = spawn(serverCmd[0], serverCmd.slice(1), { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 500));
const url = `https://localhost:${port}/hello.txt`;
const results: [string, string, number][] = [];
try {
  for (const rt of ONLY as ("deno" | "bun" | "node")[]) {
    for (const impl of ["tw", "node"]) {
      let best = 0;
      for (let i = 0; i < REPEAT; i++) {
        const args = [
          "bench/_h2_client.ts",
          impl,
          url,
          join(TLS, "ca.pem"),
          String(DURATION),
          String(CONCURRENCY),
        ];
        const cmd = rt === "deno" ? [BIN.deno, "run", "-A", ...args] : [BIN[rt], ...args];
        const out = JSON.parse(await run(pinned(CLIENT_CORE, cmd)));
        best = Math.max(best, out.requests / out.seconds);
      }
      results.push([rt, impl, best]);
      process.stderr.write(`${rt} ${impl}: ${Math.round(best)} req/s\n`);
    }
  }
} finally {
  server.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
console.log("| client | runtime | requests/s | tw / node:http2 |");
console.log("| ------ | ------- | ---------: | --------------: |");
for (const rt of ONLY) {
  const tw = results.find((r) => r[0] === rt && r[1] === "tw")?.[2] ?? 0;
  const nd = results.find((r) => r[0] === rt && r[1] === "node")?.[2] ?? 0;
  console.log(
    `| tw Agent | ${rt} | ${Math.round(tw).toLocaleString("en")} | ${(tw / nd).toFixed(2)} |`,
  );
  console.log(`| node:http2 | ${rt} | ${Math.round(nd).toLocaleString("en")} | |`);
}
