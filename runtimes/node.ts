/**
 * The node adapter: the `Runtime` contract over `node:net`, `node:tls`,
 * `node:dgram`, `node:child_process`, `node:dns` and `node:worker_threads`.
 * It is Node's own adapter, and also runs on Deno and Bun through their node
 * compatibility (`TW_RUNTIME=node`).
 *
 * Sockets offer both Web Streams and a fast path fed by node's `'data'` events.
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
import { handshakeTimeoutError, handshakeTimeoutMs } from "./_tls_timeout.ts";
import * as net from "node:net";
import type * as tls from "node:tls";
import { openSQLite, type SpawnSQLiteWorker } from "./_sqlite.ts";
import { nodeChildProcess, nodeDgram, nodeDns, nodeTls, nodeWorkerThreads } from "./_node_lazy.ts";
import type * as dgram from "node:dgram";
import type * as childProcess from "node:child_process";

import { chmodSync } from "node:fs";
import process from "node:process";

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
  SocketAddress,
  SpawnOptions,
} from "../src/internet/socket.ts";
import {
  clientServerName,
  type Ends,
  NodeSocket,
  nodeTlsOptions,
  tcpEnds,
  tlsInfoOf,
} from "./_node_socket.ts";
import { normalizeError } from "./_node_errors.ts";

export type * from "../src/internet/socket.ts";
import { nodeCiphers } from "./_node_ciphers.ts";
import { nodeCompression } from "./_node_zlib.ts";
import { nodeFileSystem } from "./_node_fs.ts";
import { nodeProcess } from "./_node_process.ts";
import { nodeOpenStream, nodeStdin } from "./_node_stream.ts";
import { detectRuntime } from "./_detect.ts";
import { setBytePooling } from "../src/internet/_bytes.ts";

// ---------------------------------------------------------------------------
// Listeners

/** A `Listener` over a `net.Server` or `tls.Server`; accepted sockets queue until iterated. */
class NodeListener implements Listener {
  readonly address: SocketAddress;
  #server: net.Server;
  #queue: Socket[] = [];
  #waiters: ((result: IteratorResult<Socket>) => void)[] = [];
  #onSocket: ((socket: Socket) => void) | null = null;
  #closed = false;

  constructor(server: net.Server, address: SocketAddress) {
    this.#server = server;
    this.address = address;
  }

  /** Hands an accepted socket to the next waiting iterator, or queues it. */
  accept(socket: Socket): void {
    if (this.#closed) {
      socket.abort();
      return;
    }
    if (this.#onSocket !== null) return this.#onSocket(socket);
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ value: socket, done: false });
    else this.#queue.push(socket);
  }

  /** See `Listener.acceptEach`. */
  acceptEach(onSocket: (socket: Socket) => void): void {
    this.#onSocket = onSocket;
    for (const socket of this.#queue.splice(0)) onSocket(socket);
  }

  get native(): unknown {
    return this.#server;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true });
    for (const s of this.#queue.splice(0)) s.abort();
    // server.close()'s callback waits for every accepted connection to end; the
    // listening handle itself is closed at once, which is what this promises.
    this.#server.close(() => {});
    return new Promise((resolve) => setImmediate(resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<Socket> {
    return {
      next: (): Promise<IteratorResult<Socket>> => {
        const socket = this.#queue.shift();
        if (socket) return Promise.resolve({ value: socket, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      return: async (): Promise<IteratorResult<Socket>> => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }
}

function listenTcp(options: Extract<ListenOptions, { transport: "tcp" }>): Promise<Listener> {
  const hostname = options.hostname ?? "0.0.0.0";
  let listener: NodeListener | null = null;
  const pending: Socket[] = [];
  const deliver = (socket: Socket): void => {
    if (listener) listener.accept(socket);
    else pending.push(socket);
  };
  let server: net.Server;
  if (options.tls) {
    server = nodeTls().createServer({
      ...nodeTlsOptions(options.tls, true),
      allowHalfOpen: true,
      // Node's own timer: a client silent that long is cut (ERR_TLS_HANDSHAKE_TIMEOUT).
      handshakeTimeout: handshakeTimeoutMs(options.tls.handshakeTimeout),
    });
    server.on("secureConnection", (sock: tls.TLSSocket) => {
      deliver(new NodeSocket(sock, tcpEnds(sock), tlsInfoOf(sock), true));
    });
    // A client that fails its handshake (or times out) is its own problem, not
    // the listener's; with a listener attached, Node leaves closing it to us.
    server.on("tlsClientError", (_error, socket) => socket.destroy());
  } else {
    server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    server.on("connection", (sock: net.Socket) => {
      deliver(new NodeSocket(sock, tcpEnds(sock), null, true));
    });
  }
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(normalizeError(error)));
    const where = options.fd !== undefined ? { fd: options.fd } : {
      host: hostname,
      port: options.port,
      backlog: options.backlog ?? 511,
      reusePort: options.reusePort ?? false,
    };
    server.listen(where, () => {
      server.removeAllListeners("error");
      server.on("error", () => {});
      const bound = server.address() as net.AddressInfo;
      listener = new NodeListener(server, {
        transport: "tcp",
        hostname: bound.address,
        port: bound.port,
      });
      for (const s of pending.splice(0)) listener.accept(s);
      resolve(listener);
    });
  });
}

function listenUnix(options: Extract<ListenOptions, { transport: "unix" }>): Promise<Listener> {
  const address: SocketAddress = { transport: "unix", path: options.path };
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  const listener = new NodeListener(server, address);
  server.on("connection", (sock: net.Socket) => {
    const ends: Ends = { local: address, remote: { transport: "unix", path: "" } };
    listener.accept(new NodeSocket(sock, ends, null, false));
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(normalizeError(error)));
    const adopted = options.fd !== undefined;
    const where = adopted
      ? { fd: options.fd! }
      : { path: options.path, backlog: options.backlog ?? 511 };
    server.listen(where, () => {
      server.removeAllListeners("error");
      server.on("error", () => {});
      // An adopted socket's path is the one it was bound to.
      if (adopted) address.path = String(server.address() ?? "");
      try {
        if (options.mode !== undefined && !adopted) chmodSync(options.path, options.mode);
      } catch (error) {
        server.close();
        reject(normalizeError(error));
        return;
      }
      resolve(listener);
    });
  });
}

// ---------------------------------------------------------------------------
// Connecting

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error
    ? reason
    : new DOMException("The connection was aborted", "AbortError");
}

function connect(options: ConnectOptions): Promise<Socket> {
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    let sock: net.Socket;
    let readyEvent: string;
    let make: () => Socket;
    if (options.transport === "unix") {
      sock = net.connect({ path: options.path, allowHalfOpen: true });
      readyEvent = "connect";
      const ends: Ends = {
        local: { transport: "unix", path: "" },
        remote: { transport: "unix", path: options.path },
      };
      make = () => new NodeSocket(sock, ends, null, false);
    } else if (options.tls) {
      const tlsOptions:
        & tls.ConnectionOptions
        & net.TcpSocketConnectOpts
        & net.SocketConstructorOpts = {
          ...nodeTlsOptions(options.tls, false),
          host: options.hostname,
          port: options.port,
          servername: clientServerName(options.tls, options.hostname),
          localAddress: options.localAddress?.hostname,
          localPort: options.localAddress?.port,
          allowHalfOpen: true,
          // Checks the name given as serverName (or the host connected to), IPs included.
          checkServerIdentity: (_host, cert) =>
            nodeTls().checkServerIdentity(options.tls?.serverName ?? options.hostname, cert),
        };
      const tlsSock = nodeTls().connect(tlsOptions);
      sock = tlsSock;
      readyEvent = "secureConnect";
      // The handshake's clock starts once TCP is connected.
      const seconds = options.tls.handshakeTimeout;
      const ms = handshakeTimeoutMs(seconds);
      if (ms > 0) {
        tlsSock.once("connect", () => {
          const timer = setTimeout(() => {
            tlsSock.destroy();
            reject(handshakeTimeoutError(seconds));
          }, ms);
          const stop = (): void => clearTimeout(timer);
          tlsSock.once("secureConnect", stop);
          tlsSock.once("close", stop);
        });
      }
      make = () => new NodeSocket(tlsSock, tcpEnds(tlsSock), tlsInfoOf(tlsSock), true);
    } else {
      sock = net.connect({
        host: options.hostname,
        port: options.port,
        localAddress: options.localAddress?.hostname,
        localPort: options.localAddress?.port,
        allowHalfOpen: true,
      });
      readyEvent = "connect";
      make = () => new NodeSocket(sock, tcpEnds(sock), null, true);
    }
    const onAbort = (): void => {
      sock.destroy();
      reject(abortError(signal!));
    };
    const onError = (error: Error): void => {
      signal?.removeEventListener("abort", onAbort);
      sock.destroy();
      reject(normalizeError(error));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    sock.once("error", onError);
    sock.once(readyEvent, () => {
      signal?.removeEventListener("abort", onAbort);
      sock.off("error", onError);
      resolve(make());
    });
  });
}

// ---------------------------------------------------------------------------
// UDP

/** Datagrams kept between the bind and `start` (beyond that, UDP may drop them anyway). */
const MAX_EARLY_DATAGRAMS = 256;

type DatagramHandler = Parameters<DatagramSocket["start"]>[0];

/** A `DatagramSocket` over a `dgram.Socket`. */
class NodeDatagramSocket implements DatagramSocket {
  readonly address: SocketAddress;
  #sock: dgram.Socket;
  #handler: DatagramHandler | null = null;
  #early: [Uint8Array, string, number][] = [];

  constructor(sock: dgram.Socket) {
    this.#sock = sock;
    const bound = sock.address();
    this.address = { transport: "udp", hostname: bound.address, port: bound.port };
    sock.on("error", (error) => this.#handler?.onError(normalizeError(error)));
    sock.on("message", (msg: Uint8Array, rinfo: dgram.RemoteInfo) => {
      const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      if (this.#handler) this.#handler.onMessage(data, rinfo.address, rinfo.port);
      else if (this.#early.length < MAX_EARLY_DATAGRAMS) {
        this.#early.push([data, rinfo.address, rinfo.port]);
      }
    });
  }

  get native(): unknown {
    return this.#sock;
  }

  send(data: Uint8Array, hostname: string, port: number): void {
    // No callback: a failed send is an "error" event, handled above. A callback
    // per datagram costs Node a completion request each (~15% of a DNS server's time).
    this.#sock.send(data, port, hostname);
  }

  start(handler: DatagramHandler): void {
    this.#handler = handler;
    for (const [data, hostname, port] of this.#early.splice(0)) {
      handler.onMessage(data, hostname, port);
    }
  }

  joinMulticast(group: string, iface?: string): void {
    this.#sock.addMembership(group, iface);
  }

  leaveMulticast(group: string, iface?: string): void {
    this.#sock.dropMembership(group, iface);
  }

  setMulticastTTL(ttl: number): void {
    this.#sock.setMulticastTTL(ttl);
  }

  setMulticastLoopback(enabled: boolean): void {
    this.#sock.setMulticastLoopback(enabled);
  }

  setBroadcast(enabled: boolean): void {
    this.#sock.setBroadcast(enabled);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.#sock.close(() => resolve());
      } catch {
        resolve(); // Already closed.
      }
    });
  }
}

function bindDatagram(options: DatagramOptions): Promise<DatagramSocket> {
  const hostname = options.hostname ?? "0.0.0.0";
  const sock = nodeDgram().createSocket({
    type: net.isIPv6(hostname) ? "udp6" : "udp4",
    reuseAddr: options.reuseAddress ?? false,
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      sock.close();
      reject(normalizeError(error));
    };
    sock.once("error", onError);
    sock.bind({ address: hostname, port: options.port }, () => {
      sock.off("error", onError);
      resolve(new NodeDatagramSocket(sock));
    });
  });
}

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
    env: options.env ?? process.env,
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
  process.on(signal as NodeJS.Signals, listener);
  return () => {
    process.off(signal as NodeJS.Signals, listener);
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
    ...nodeFileSystem,
    ...nodeProcess,
    openStdin: nodeStdin,
    openStream: nodeOpenStream,
    listen(options: ListenOptions): Promise<Listener> {
      return options.transport === "unix" ? listenUnix(options) : listenTcp(options);
    },
    connect,
    bindDatagram,
    spawn,
    resolve,
    onSignal,
    runInWorker,
    openSQLite: (options) => openSQLite(options, spawnSQLiteWorker),
    env(name: string): string | undefined {
      return process.env[name];
    },
    args(): string[] {
      return process.argv.slice(2);
    },
    exit(code: number): never {
      process.exit(code);
    },
  };
}

/** The node adapter, ready to use. */
export const runtime: Runtime = createRuntime();
// This adapter also runs on Bun (TW_RUNTIME=node), where slabs do not pay.
setBytePooling(detectRuntime() !== "bun");
