// The load generator for tcp_echo_bench.ts: the same client for every server.
// Written against node:net; run it with node (node_modules/.bin/node).
// Usage (prints one JSON line, then exits, except `idle` and `noread`):
//   pingpong <port> <conns> <warmupMs> <roundMs> <rounds>
//     each connection sends 64 bytes and waits for them back, again and again;
//     prints {"phase":"measuring"} after the warm-up, then round trips/s for each round
//     and the client's CPU use (fraction of one core)
//   stream <port> <bytes>    prints {"phase":"measuring"}, sends <bytes> and counts them back;
//                            prints MB/s (bytes through the server per second)
//   idle <port> <n>          opens n connections, prints {"open": n}, holds them until stdin closes
//   noread <port>            connects and never reads; prints {"connected": true}, holds until stdin closes
import net from "node:net";
import process from "node:process";

const [mode, portArg, ...rest] = process.argv.slice(2);
const port = Number(portArg);
const MSG = 64;

function out(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, noDelay: true });
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
    s.once("error", reject);
  });
}

async function pingpong(conns: number, warmupMs: number, roundMs: number, rounds: number) {
  const sockets = await Promise.all(Array.from({ length: conns }, connect));
  const msg = Buffer.alloc(MSG, 97);
  let trips = 0;
  let stop = false;
  for (const s of sockets) {
    let got = 0;
    s.on("data", (d: Buffer) => {
      got += d.length;
      while (got >= MSG) {
        got -= MSG;
        trips++;
        if (!stop) s.write(msg);
      }
    });
    s.on("error", () => {});
    s.write(msg);
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(warmupMs);
  out({ phase: "measuring" });
  const perRound: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    const before = trips;
    await sleep(roundMs);
    perRound.push(((trips - before) * 1000) / (performance.now() - start));
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  stop = true;
  for (const s of sockets) s.destroy();
  out({ perRound, clientCpu: (cpu.user + cpu.system) / 1000 / wall });
}

async function stream(bytes: number) {
  const s = await connect();
  const chunk = Buffer.alloc(64 * 1024, 98);
  let received = 0;
  out({ phase: "measuring" });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const done = new Promise<void>((resolve, reject) => {
    s.on("data", (d: Buffer) => {
      received += d.length;
      if (received >= bytes) resolve();
    });
    s.on("error", reject);
    s.on(
      "close",
      () => (received >= bytes ? resolve() : reject(new Error(`closed at ${received}`))),
    );
  });
  let sent = 0;
  const pump = () => {
    while (sent < bytes) {
      const n = Math.min(chunk.length, bytes - sent);
      sent += n;
      if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return;
    }
  };
  s.on("drain", pump);
  pump();
  await done;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  s.destroy();
  out({ mbps: bytes / 1e6 / (wall / 1000), clientCpu: (cpu.user + cpu.system) / 1000 / wall });
}

function holdUntilStdinEnds(sockets: net.Socket[]): void {
  process.stdin.resume();
  process.stdin.on("end", () => {
    for (const s of sockets) s.destroy();
    process.exit(0);
  });
}

async function idle(n: number) {
  const sockets: net.Socket[] = [];
  // In batches: a burst of 1,000 SYNs can overflow a small accept backlog.
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, connect));
    for (const s of batch) s.on("error", () => {});
    sockets.push(...batch);
  }
  out({ open: sockets.length });
  holdUntilStdinEnds(sockets);
}

async function noread() {
  const s = await connect();
  s.on("error", () => {});
  s.pause(); // never read: the server's writes must stop at the socket buffers
  out({ connected: true });
  holdUntilStdinEnds([s]);
}

if (mode === "pingpong") {
  const [conns, warmup, round, rounds] = rest.map(Number);
  await pingpong(conns, warmup, round, rounds);
} else if (mode === "stream") await stream(Number(rest[0]));
else if (mode === "idle") await idle(Number(rest[0]));
else if (mode === "noread") await noread();
else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
