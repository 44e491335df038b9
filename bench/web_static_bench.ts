// Static file throughput: a 100 MB file served by our `File` resource vs the
// runtime's native way of serving a file, downloaded by curl (a separate
// process) over loopback.
// Run with: deno run -A bench/web_static_bench.ts | bun bench/web_static_bench.ts |
//           node bench/web_static_bench.ts
// Also: TW_RUNTIME=node to put our server on the node adapter under Deno or Bun.
// Prints MB/s per server (median of ROUNDS downloads) and the ratio ours / native.
import { spawn } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reactor } from "../mod.ts";
import { File, Resource, Site, siteAsFetchHandler } from "../src/web/mod.ts";

const SIZE = 100 * 1024 * 1024;
const ROUNDS = Number(globalThis.process?.env?.ROUNDS ?? 5);

const dir = mkdtempSync(join(tmpdir(), "tw-static-bench-"));
const path = join(dir, "big.bin");
{
  const block = new Uint8Array(1024 * 1024);
  crypto.getRandomValues(block.subarray(0, 65536));
  for (let i = 65536; i < block.length; i += 65536) block.copyWithin(i, 0, 65536);
  const whole = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i += block.length) whole.set(block, i);
  writeFileSync(path, whole);
}

/** Runs curl in the background and resolves with its speed (bytes/s). */
async function curl(url: string): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const child = spawn("curl", [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{speed_download} %{size_download}",
      url,
    ]);
    let out = "";
    child.stdout.on("data", (d: Uint8Array) => out += new TextDecoder().decode(d));
    child.on("error", reject);
    child.on("close", (code: number) => {
      const [speed, size] = out.trim().split(" ").map(Number);
      if (code !== 0 || size !== SIZE) reject(new Error(`curl failed: ${code} ${out}`));
      else resolve(speed);
    });
  });
}

async function measure(url: string): Promise<number> {
  await curl(url); // warm up
  const speeds: number[] = [];
  for (let i = 0; i < ROUNDS; i++) speeds.push(await curl(url));
  speeds.sort((a, b) => a - b);
  return speeds[Math.floor(speeds.length / 2)] / 1e6;
}

const results: Record<string, number> = {};

// Ours: File over our HTTP server on our transport.
{
  const root = new Resource();
  root.putChild("f", new File(dir));
  const site = new Site(root);
  const port = reactor.listenTCP(0, site, { interface: "127.0.0.1" });
  await port.whenListening?.();
  const n = (port.getHost() as unknown as { port: number }).port;
  results["tw File"] = await measure(`http://127.0.0.1:${n}/f/big.bin`);
  await site.shutdown();
  await port.stopListening();
}

// The runtime's native server, serving the file its own idiomatic way, and
// (Deno, Bun) our Site through the fetch bridge under it.
const g = globalThis as unknown as {
  Deno?: {
    serve(o: unknown, h: unknown): { addr: { port: number }; shutdown(): Promise<void> };
    open(p: string): Promise<{ readable: ReadableStream<Uint8Array> }>;
  };
  Bun?: {
    serve(o: unknown): { port: number; stop(force?: boolean): unknown };
    file(p: string): unknown;
  };
};
const runtimeName = g.Deno ? "deno" : g.Bun ? "bun" : "node";
if (g.Deno) {
  const server = g.Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async () =>
      new Response((await g.Deno!.open(path)).readable, {
        headers: { "content-length": String(statSync(path).size) },
      }),
  );
  results["native Deno.serve"] = await measure(`http://127.0.0.1:${server.addr.port}/`);
  await server.shutdown();
} else if (g.Bun) {
  const server = g.Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => new Response(g.Bun!.file(path) as BodyInit),
  });
  results["native Bun.serve"] = await measure(`http://127.0.0.1:${server.port}/`);
  await server.stop(true);
} else {
  const http = await import("node:http");
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-length": String(statSync(path).size) });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const n = (server.address() as { port: number }).port;
  results["native node:http"] = await measure(`http://127.0.0.1:${n}/`);
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}
if (g.Deno || g.Bun) {
  const root = new Resource();
  root.putChild("f", new File(dir));
  const handler = siteAsFetchHandler(new Site(root));
  if (g.Deno) {
    const server = g.Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
    results["tw File via fetch bridge on Deno.serve"] = await measure(
      `http://127.0.0.1:${server.addr.port}/f/big.bin`,
    );
    await server.shutdown();
  } else {
    const server = g.Bun!.serve({ port: 0, hostname: "127.0.0.1", fetch: handler });
    results["tw File via fetch bridge on Bun.serve"] = await measure(
      `http://127.0.0.1:${server.port}/f/big.bin`,
    );
    await server.stop(true);
  }
}

rmSync(dir, { recursive: true, force: true });
const native = Object.entries(results).find(([k]) => k.startsWith("native"))?.[1] ?? NaN;
console.log(
  `static file ${
    SIZE / 1024 / 1024
  } MiB, ${runtimeName} (reactor on ${reactor.runtime.name}), median of ${ROUNDS}`,
);
for (const [name, mbps] of Object.entries(results)) {
  console.log(
    `  ${name.padEnd(42)} ${mbps.toFixed(0).padStart(6)} MB/s  x${(mbps / native).toFixed(2)}`,
  );
}
// Exit explicitly: an imported reactor keeps nothing alive, but runtimes' servers may linger.
globalThis.process?.exit?.(0);
