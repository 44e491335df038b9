/**
 * The Bun adapter: the `Runtime` contract over `Bun.listen`, `Bun.connect`,
 * `upgradeTLS`, `Bun.udpSocket` and `Bun.spawn`, with `node:dns`,
 * `node:process` and a Web Worker for the rest.
 *
 * Sockets offer `fastPath`: Bun's callbacks feed the transport directly.
 *
 * @example
 * ```ts
 * import { runtime } from "@tw/core/runtimes/bun";
 * const listener = await runtime.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
 * console.log(listener.address);
 * await listener.close();
 * ```
 *
 * @module
 */

import type {
  ChildProcess,
  ConnectOptions,
  DatagramOptions,
  DatagramSocket,
  Listener,
  ListenOptions,
  ResolvedAddress,
  Runtime,
  Socket,
  SpawnOptions,
} from "../src/internet/socket.ts";
import { type BunApi, bunApi, type BunSubprocess, type BunUdpSocket } from "./_bun_types.ts";
import { bunConnect, bunListen } from "./_bun_listener.ts";
import { normalizeError } from "./_bun_tls.ts";
import { setBytePooling } from "../src/internet/_bytes.ts";

export type * from "../src/internet/socket.ts";
import { nodeCiphers } from "./_node_ciphers.ts";
import { nodeCompression } from "./_node_zlib.ts";
import { nodeFileSystem } from "./_node_fs.ts";
import { nodeProcess } from "./_node_process.ts";
import { nodeDns, nodeGlobalProcess as process, nodeOs } from "./_node_lazy.ts";
import { nodeStdin } from "./_node_stream.ts";
import { bunOpenStream } from "./_bun_stream.ts";
import { openSQLite, type SpawnSQLiteWorker } from "./_sqlite.ts";

/** Datagrams kept while no handler is attached yet. */
const MAX_EARLY_DATAGRAMS = 256;

async function bindDatagram(bun: BunApi, options: DatagramOptions): Promise<DatagramSocket> {
  if (options.reuseAddress) {
    // Bun.udpSocket has no SO_REUSEADDR option: this one socket goes through
    // Bun's node:dgram, by way of the node adapter.
    return await (await import("./node.ts")).createRuntime().bindDatagram(options);
  }
  type Handler = Parameters<DatagramSocket["start"]>[0];
  let handler: Handler | null = null;
  const early: [Uint8Array, string, number][] = [];
  return await bun.udpSocket({
    hostname: options.hostname ?? "0.0.0.0",
    port: options.port,
    binaryType: "uint8array",
    socket: {
      data(_socket, data, port, address) {
        if (handler !== null) handler.onMessage(data, address, port);
        else if (early.length < MAX_EARLY_DATAGRAMS) early.push([data, address, port]);
      },
      error(_socket, error) {
        handler?.onError(normalizeError(error));
      },
    },
  }).then((raw: BunUdpSocket): DatagramSocket => ({
    address: { transport: "udp", hostname: raw.address.address, port: raw.port },
    native: raw,
    send(data: Uint8Array, hostname: string, port: number): void {
      raw.send(data, port, hostname);
    },
    start(h: Handler): void {
      if (handler !== null) throw new Error("DatagramSocket.start() was already called");
      handler = h;
      for (const [data, address, port] of early.splice(0)) h.onMessage(data, address, port);
    },
    joinMulticast(group: string, iface?: string): void {
      if (!raw.addMembership(group, iface)) {
        throw Object.assign(new Error(`Cannot join multicast group ${group}`), { code: "EINVAL" });
      }
    },
    leaveMulticast(group: string, iface?: string): void {
      raw.dropMembership(group, iface);
    },
    setMulticastTTL(ttl: number): void {
      raw.setMulticastTTL(ttl);
    },
    setMulticastLoopback(enabled: boolean): void {
      raw.setMulticastLoopback(enabled);
    },
    setBroadcast(enabled: boolean): void {
      raw.setBroadcast(enabled);
    },
    close(): Promise<void> {
      raw.close();
      return Promise.resolve();
    },
  }), (error) => {
    throw normalizeError(error);
  });
}

/** Signal numbers to names, for a child killed by a signal Bun reports as a number. */
function signalName(signal: string | number | null): string | null {
  if (signal === null || typeof signal === "string") return signal;
  const entry = Object.entries(nodeOs().constants.signals).find(([, n]) => n === signal);
  return entry ? entry[0] : `SIG${signal}`;
}

function spawn(bun: BunApi, options: SpawnOptions): ChildProcess {
  let proc: BunSubprocess;
  try {
    proc = bun.spawn({
      cmd: [options.command, ...options.args],
      ...(options.env !== undefined ? { env: options.env } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (error) {
    throw normalizeError(error);
  }
  let started = false;
  let stdinOpen = true;
  return {
    pid: proc.pid,
    native: proc,
    start(handler): void {
      if (started) throw new Error("ChildProcess.start() was already called");
      started = true;
      // Output streams are pull-based: nothing is lost before `start`.
      const pump = async (fd: 1 | 2, stream: ReadableStream<Uint8Array>): Promise<void> => {
        const reader = stream.getReader();
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            if (value.byteLength > 0) handler.onOutput(fd, value);
          }
        } catch {
          // A broken pipe ends this stream; the exit still comes.
        } finally {
          reader.releaseLock();
        }
      };
      Promise.all([pump(1, proc.stdout), pump(2, proc.stderr), proc.exited]).then(() => {
        handler.onExit(
          proc.signalCode === null ? proc.exitCode : null,
          signalName(proc.signalCode),
        );
      });
    },
    writeStdin(data: Uint8Array): void {
      if (!stdinOpen) return;
      try {
        proc.stdin.write(data);
        const flushed = proc.stdin.flush();
        if (flushed instanceof Promise) flushed.catch(() => {});
      } catch {
        // The child closed its stdin: writes are dropped, as on a closed socket.
      }
    },
    closeStdin(): void {
      if (!stdinOpen) return;
      stdinOpen = false;
      try {
        const ended = proc.stdin.end();
        if (ended instanceof Promise) ended.catch(() => {});
      } catch {
        // Already closed by the child.
      }
    },
    kill(signal: string): void {
      proc.kill(signal);
    },
  };
}

async function resolve(hostname: string): Promise<ResolvedAddress[]> {
  try {
    const found = await nodeDns().promises.lookup(hostname, { all: true, verbatim: true });
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } catch (error) {
    throw normalizeError(error);
  }
}

function onSignal(signal: string, handler: () => void): () => void {
  const listener = (): void => handler();
  process().on(signal, listener);
  return () => void process().off(signal, listener);
}

function runInWorker(moduleURL: string, exportName: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(new URL("./_bun_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const finish = (): void => worker.terminate();
    worker.onmessage = (event: MessageEvent) => {
      finish();
      const reply = event.data as
        | { ok: true; value: unknown }
        | { ok: false; error: { name: string; message: string; stack: string } };
      if (reply.ok) {
        resolvePromise(reply.value);
        return;
      }
      const error = new Error(reply.error.message);
      error.name = reply.error.name;
      error.stack = reply.error.stack;
      reject(error);
    };
    worker.onerror = (event: ErrorEvent) => {
      finish();
      event.preventDefault();
      reject(event.error instanceof Error ? event.error : new Error(event.message));
    };
    worker.postMessage({ moduleURL, exportName, args });
  });
}

/** Starts the SQLite worker as a Web Worker. */
const spawnSQLiteWorker: SpawnSQLiteWorker = (url, handlers) => {
  const worker = new Worker(url.href, { type: "module" });
  worker.onmessage = (event: MessageEvent): void => handlers.message(event.data);
  worker.onerror = (event: ErrorEvent): void => {
    event.preventDefault();
    handlers.error(event.error instanceof Error ? event.error : new Error(event.message));
  };
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
    ref: () => (worker as unknown as { ref?(): void }).ref?.(),
    unref: () => (worker as unknown as { unref?(): void }).unref?.(),
  };
};

/**
 * Creates a Bun runtime adapter. Cheap: it starts nothing.
 *
 * @example
 * ```ts
 * import { createRuntime } from "@tw/core/runtimes/bun";
 * import { Reactor } from "@tw/core";
 * const reactor = new Reactor(createRuntime()); // a reactor on Bun's own API, explicitly
 * console.log(reactor.runtime.name); // "bun"
 * ```
 */
export function createRuntime(): Runtime {
  return {
    name: "bun",
    // Bun's node:crypto is synchronous BoringSSL: faster per SSH packet than its WebCrypto.
    ciphers: nodeCiphers,
    compression: nodeCompression,
    ...nodeFileSystem,
    ...nodeProcess,
    openStdin: nodeStdin,
    openStream: (path: string) => bunOpenStream(bunApi(), path),
    async listen(options: ListenOptions): Promise<Listener> {
      // Bun.listen cannot adopt a listening socket: node:net's listen({ fd }) can.
      if (options.fd !== undefined) {
        return await (await import("./node.ts")).runtime.listen(options);
      }
      return await bunListen(bunApi(), options);
    },
    async connect(options: ConnectOptions): Promise<Socket> {
      return await bunConnect(bunApi(), options);
    },
    async bindDatagram(options: DatagramOptions): Promise<DatagramSocket> {
      return await bindDatagram(bunApi(), options);
    },
    spawn(options: SpawnOptions): ChildProcess {
      return spawn(bunApi(), options);
    },
    resolve,
    onSignal,
    runInWorker,
    openSQLite: (options) => openSQLite(options, spawnSQLiteWorker),
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

/** The Bun runtime adapter. */
export const runtime: Runtime = createRuntime();
// On JavaScriptCore a fresh small buffer is cheaper than a view on a slab.
setBytePooling(false);
