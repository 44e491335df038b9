// One HTTP/2 client run for bench/h2_client_bench.ts: `impl` is "tw" (our
// Agent, h2 by ALPN, one pooled connection) or "node" (node:http2's connect on
// this runtime). CONCURRENCY request loops for SECONDS against URL over TLS
// (trusting CA); prints {"requests": N, "seconds": S, "connections": C}.
// Usage: <runtime> bench/_h2_client.ts tw|node URL CA SECONDS CONCURRENCY
import { readFileSync } from "node:fs";
import process from "node:process";
import { connect } from "node:http2";
import { reactor } from "../mod.ts";
import { Agent, HTTPConnectionPool, readBody } from "../src/web/mod.ts";

const [impl, url, caPath, secondsArg, concurrencyArg] = process.argv.slice(2);
const ca = readFileSync(caPath, "utf8");
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);

async function runTw(): Promise<[number, number]> {
  const pool = new HTTPConnectionPool(reactor);
  const agent = new Agent(reactor, { pool, tlsOptions: { ca } });
  const first = await agent.request("GET", url);
  if (first.version[1] !== 2) throw new Error(`not h2: ${first.version}`);
  await readBody(first);
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      await readBody(await agent.request("GET", url));
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  const connections = pool.cachedConnectionCount();
  await pool.closeCachedConnections();
  process.stdout.write(JSON.stringify({ requests: n, seconds: elapsed, connections }) + "\n");
  return [n, elapsed];
}

async function runNode(): Promise<void> {
  const u = new URL(url);
  const session = connect(u.origin, { ca });
  const get = () =>
    new Promise<void>((resolve, reject) => {
      const req = session.request({ ":path": u.pathname });
      req.on("data", () => {});
      req.on("end", () => resolve());
      req.on("error", reject);
      req.end();
    });
  await get();
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      await get();
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  session.close();
  process.stdout.write(JSON.stringify({ requests: n, seconds: elapsed, connections: 1 }) + "\n");
}

if (impl === "tw") await runTw();
else await runNode();
process.exit(0);
