// Deferred vs native Promise: callback dispatch and awaiting.
// Run with: deno run -A bench/defer_bench.ts | bun bench/defer_bench.ts | node bench/defer_bench.ts
// Prints ops/s for each case and the ratio Deferred time / Promise time (lower is better;
// the target is <= 2).
import { Deferred, succeed } from "../src/internet/defer.ts";

const N = 200_000;
const ROUNDS = 7;

const inc = (n: number): number => n + 1;

/** One batch of N operations; returns the elapsed milliseconds. */
type Batch = () => Promise<number>;

const cases: Record<string, { deferred: Batch; promise: Batch }> = {
  "dispatch: new, 3 callbacks, fire": {
    deferred() {
      const start = performance.now();
      let sum = 0;
      for (let i = 0; i < N; i++) {
        const d = new Deferred<number>();
        d.addCallback(inc).addCallback(inc).addCallback((n) => {
          sum += n;
        });
        d.callback(i);
      }
      if (sum === 0) throw new Error("unreachable");
      return Promise.resolve(performance.now() - start);
    },
    async promise() {
      const start = performance.now();
      let sum = 0;
      let last: Promise<void> | undefined;
      for (let i = 0; i < N; i++) {
        last = Promise.resolve(i).then(inc).then(inc).then((n) => {
          sum += n;
        });
      }
      await last;
      if (sum === 0) throw new Error("unreachable");
      return performance.now() - start;
    },
  },
  "await an already-fired value": {
    async deferred() {
      const start = performance.now();
      let sum = 0;
      for (let i = 0; i < N; i++) sum += await succeed(i);
      if (sum === 0) throw new Error("unreachable");
      return performance.now() - start;
    },
    async promise() {
      const start = performance.now();
      let sum = 0;
      for (let i = 0; i < N; i++) sum += await Promise.resolve(i);
      if (sum === 0) throw new Error("unreachable");
      return performance.now() - start;
    },
  },
  "await a value fired later": {
    async deferred() {
      const start = performance.now();
      let sum = 0;
      const waiter = async (d: Deferred<number>): Promise<void> => {
        sum += await d;
      };
      for (let i = 0; i < N; i++) {
        const d = new Deferred<number>();
        const done = waiter(d);
        d.callback(i);
        await done;
      }
      if (sum === 0) throw new Error("unreachable");
      return performance.now() - start;
    },
    async promise() {
      const start = performance.now();
      let sum = 0;
      const waiter = async (p: Promise<number>): Promise<void> => {
        sum += await p;
      };
      for (let i = 0; i < N; i++) {
        let resolve!: (n: number) => void;
        const p = new Promise<number>((r) => (resolve = r));
        const done = waiter(p);
        resolve(i);
        await done;
      }
      if (sum === 0) throw new Error("unreachable");
      return performance.now() - start;
    },
  },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const g = globalThis as {
  Deno?: { version: { deno: string } };
  Bun?: { version: string };
  process?: { version: string };
};
const runtime = g.Deno
  ? `deno ${g.Deno.version.deno}`
  : g.Bun
  ? `bun ${g.Bun.version}`
  : `node ${g.process?.version}`;
console.log(`# Deferred vs Promise on ${runtime} (${N} ops per batch, median of ${ROUNDS})`);
for (const [name, { deferred, promise }] of Object.entries(cases)) {
  await deferred(); // warm up both
  await promise();
  const dt: number[] = [];
  const pt: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    dt.push(await deferred());
    pt.push(await promise());
  }
  const d = median(dt);
  const p = median(pt);
  const ops = (ms: number): string => Math.round(N / (ms / 1000)).toLocaleString("en-US");
  console.log(
    `${name.padEnd(34)} Deferred ${ops(d).padStart(12)} ops/s  Promise ${
      ops(p).padStart(12)
    } ops/s  ratio ${(d / p).toFixed(2)}`,
  );
}
