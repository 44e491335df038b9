/**
 * The node adapter: the `Runtime` contract over `node:net`, `node:tls`,
 * `node:dgram`, `node:child_process`, `node:dns` and `node:worker_threads`.
 * It is Node's own adapter, and also runs on Deno and Bun through their node
 * compatibility (`TW_RUNTIME=node`).
 *
 * Sockets offer both Web Streams and a fast path fed by node's `'data'` events.
 *
 * Importing the adapter loads little: its stream sockets, UDP, files and
 * SQLite parts are imported on first use (node:net and node's streams with
 * them), and node's built-in modules are loaded when first needed.
 *
 * @example Echo one connection
 * ```ts
 * import { runtime } from "@tw/core/runtimes/node";
 *
 * const listener = await runtime.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
 * (async () => {
 *   for await (const socket of listener) {
 *     await socket.readable.pipeTo(socket.writable);
 *   }
 * })();
 * await listener.close();
 * ```
 *
 * @module
 */
import type { SpawnSQLiteWorker } from "./_sqlite.ts";
import {
  nodeChildProcess,
  nodeDns,
  nodeGlobalProcess as process,
  nodeWorkerThreads,
} from "./_node_lazy.ts";
import type * as childProcess from "node:child_process";
import type {
  ChildProcess,
  ResolvedAddress,
  Runtime,
  RuntimeFileSystem,
  SpawnOptions,
} from "../src/internet/socket.ts";
import { normalizeError } from "./_node_errors.ts";

export type * from "../src/internet/socket.ts";
import { nodeCiphers } from "./_node_ciphers.ts";
import { nodeCompression } from "./_node_zlib.ts";
import { nodeProcess } from "./_node_process.ts";
import { nodeOpenStream, nodeStdin } from "./_node_stream.ts";
import { detectRuntime } from "./_detect.ts";

// ---------------------------------------------------------------------------
// Parts imported on first use

/**
 * `use(module)` once `load()` has given the module: imported on the first
 * call, then used directly. What stream sockets, UDP and SQLite need (node:net
 * and node's streams among them) is not loaded by importing the adapter.
 */
function lazyModule<M>(load: () => Promise<M>): <T>(use: (module: M) => Promise<T>) => Promise<T> {
  let loaded: M | undefined;
  let loading: Promise<M> | undefined;
  return (use) => loaded ? use(loaded) : (loading ??= load().then((m) => loaded = m)).then(use);
}

/** TCP, TLS and Unix listeners and connections. */
const withNet = lazyModule(() => import("./_node_net.ts"));
/** UDP. */
const withUdp = lazyModule(() => import("./_node_udp.ts"));
/** SQLite in a worker. */
const withSQLite = lazyModule(() => import("./_sqlite.ts"));
/** Files. */
const withFs = lazyModule(() => import("./_node_fs.ts"));

/** The file-system methods of _node_fs.ts (all asynchronous), each importing it on first use. */
const FS_METHODS = [
  "readFile",
  "writeFile",
  "rename",
  "mkdir",
  "readDir",
  "stat",
  "lstat",
  "realPath",
  "remove",
  "chmod",
  "openFile",
  "open",
  "rmdir",
  "symlink",
  "readLink",
  "link",
  "utimes",
  "truncate",
  "chown",
  "statfs",
] as const satisfies readonly (keyof RuntimeFileSystem)[];
// Type-checks only while FS_METHODS names every RuntimeFileSystem method
// (openStream comes from _node_stream.ts): a method added there is added here.
const _everyFsMethod:
  [Exclude<keyof RuntimeFileSystem, typeof FS_METHODS[number] | "openStream">] extends [never]
    ? true
    : never = true;

type AnyAsync = (...args: unknown[]) => Promise<unknown>;
const lazyFileSystem = Object.fromEntries(
  FS_METHODS.map((name) => [
    name,
    (...args: unknown[]) => withFs((m) => (m.nodeFileSystem[name] as AnyAsync)(...args)),
  ]),
) as unknown as Required<Omit<RuntimeFileSystem, "openStream">>;

// ---------------------------------------------------------------------------
// Processes

/** A `ChildProcess` over node's, with stdio piped. */
class NodeChildProcess implements ChildProcess {
  readonly pid: number;
  #child: childProcess.ChildProcessWithoutNullStreams;

  constructor(child: childProcess.ChildProcessWithoutNullStreams) {
    this.#child = child;
    this.pid = child.pid!;
    // A child that exits before reading its input gives EPIPE: not the parent's failure.
    child.stdin.on("error", () => {});
  }

  get native(): unknown {
    return this.#child;
  }

  start(handler: {
    onOutput(fd: 1 | 2, data: Uint8Array): void;
    onExit(exitCode: number | null, signal: string | null): void;
  }): void {
    const child = this.#child;
    const chunk = (data: Uint8Array) =>
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    child.stdout.on("data", (data: Uint8Array) => handler.onOutput(1, chunk(data)));
    child.stderr.on("data", (data: Uint8Array) => handler.onOutput(2, chunk(data)));
    // 'close' comes after the exit and after both output pipes were drained.
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
      handler.onExit(signal ? null : code, signal ?? null);
    });
  }

  writeStdin(data: Uint8Array): void {
    const stdin = this.#child.stdin;
    if (!stdin.destroyed && !stdin.writableEnded) stdin.write(data);
  }

  closeStdin(): void {
    if (!this.#child.stdin.writableEnded) this.#child.stdin.end();
  }

  kill(signal: string): void {
    this.#child.kill(signal as NodeJS.Signals);
  }
}

function spawn(options: SpawnOptions): ChildProcess {
  const child = nodeChildProcess().spawn(options.command, options.args, {
    env: options.env ?? process().env,
    cwd: options.cwd,
    stdio: "pipe",
  });
  if (child.pid === undefined) {
    // node reports a failed exec asynchronously; the contract wants a throw now.
    child.on("error", () => {});
    const error = new Error(`Cannot run ${options.command}: no such executable or not permitted`);
    (error as Error & { code: string }).code = "ENOENT";
    throw error;
  }
  return new NodeChildProcess(child);
}

// ---------------------------------------------------------------------------
// DNS, signals, workers

async function resolve(hostname: string): Promise<ResolvedAddress[]> {
  try {
    const found = await nodeDns().promises.lookup(hostname, { all: true });
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } catch (error) {
    throw normalizeError(error);
  }
}

function onSignal(signal: string, handler: () => void): () => void {
  const listener = (): void => handler();
  process().on(signal as NodeJS.Signals, listener);
  return () => {
    process().off(signal as NodeJS.Signals, listener);
  };
}

function runInWorker(moduleURL: string, exportName: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new (nodeWorkerThreads().Worker)(new URL("./_node_worker.ts", import.meta.url), {
      workerData: { moduleURL, exportName, args },
    });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
      worker.terminate().catch(() => {});
    };
    worker.once("message", (message: {
      ok: boolean;
      value?: unknown;
      error?: { name: string; message: string; stack?: string };
    }) => {
      if (message.ok) settle(() => resolve(message.value));
      else {
        const error = new Error(message.error?.message ?? "Worker failed");
        error.name = message.error?.name ?? "Error";
        if (message.error?.stack) error.stack = message.error.stack;
        settle(() => reject(error));
      }
    });
    worker.once("error", (error) => settle(() => reject(error)));
    worker.once("exit", (code) => {
      settle(() => reject(new Error(`The worker exited with code ${code} before answering`)));
    });
  });
}

/** Starts the SQLite worker as a worker thread (unreferenced while idle). */
const spawnSQLiteWorker: SpawnSQLiteWorker = (url, handlers) => {
  const worker = new (nodeWorkerThreads().Worker)(url, { workerData: { twSQLite: true } });
  worker.on("message", handlers.message);
  worker.on("error", handlers.error);
  worker.on("exit", handlers.exit);
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => void worker.terminate().catch(() => {}),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
  };
};

// ---------------------------------------------------------------------------
// The runtime

/**
 * Creates a node adapter. Cheap: starts nothing and keeps nothing alive.
 *
 * @example
 * ```ts
 * import { createRuntime } from "@tw/core/runtimes/node";
 * import { Reactor } from "@tw/core";
 * const reactor = new Reactor(createRuntime()); // the node adapter, on any runtime
 * console.log(reactor.runtime.name); // "node"
 * ```
 */
export function createRuntime(): Runtime {
  return {
    name: "node",
    ciphers: nodeCiphers,
    compression: nodeCompression,
    ...lazyFileSystem,
    ...nodeProcess,
    openStdin: nodeStdin,
    openStream: nodeOpenStream,
    listen: (options) =>
      withNet((m) => options.transport === "unix" ? m.listenUnix(options) : m.listenTcp(options)),
    connect: (options) => withNet((m) => m.connect(options)),
    bindDatagram: (options) => withUdp((m) => m.bindDatagram(options)),
    spawn,
    resolve,
    onSignal,
    runInWorker,
    openSQLite: (options) => withSQLite((m) => m.openSQLite(options, spawnSQLiteWorker)),
    env(name: string): string | undefined {
      return process().env[name];
    },
    args(): string[] {
      return process().argv.slice(2);
    },
    exit(code: number): never {
      return process().exit(code);
    },
  };
}

/** The node adapter, ready to use. */
export const runtime: Runtime = createRuntime();
// This adapter also runs on Bun (TW_RUNTIME=node), where slabs do not pay
// (they are on by default, as Node wants them).
if (detectRuntime() === "bun") {
  (await import("../src/internet/_bytes.ts")).setBytePooling(false);
}
