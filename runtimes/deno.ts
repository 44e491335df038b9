/**
 * The Deno runtime adapter: the core's `Runtime` over `Deno.listen`,
 * `Deno.connect`, `Deno.listenTls` / `connectTls` / `startTls`, `Deno.Command`,
 * signals and Web Workers, with node:tls, node:net and node:dgram where Deno's
 * own API stops: server-side STARTTLS, client certificate checks, a client
 * `ca` that replaces the trusted roots (Deno's `caCerts` only add to them),
 * `verify: false`, a TLS 1.3 floor, binding before connecting, and UDP
 * without `--unstable-net`.
 *
 * Sockets read through a `read()` loop with adaptive, receiver-owned buffers
 * and offer a fast path (`socket.fastPath`) as well as Web Streams.
 *
 * @example
 * ```ts ignore
 * import { runtime } from "@tw/core/runtimes/deno";
 * const listener = await runtime.listen({ transport: "tcp", hostname: "127.0.0.1", port: 0 });
 * console.log(listener.address);
 * await listener.close();
 * ```
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
import { DenoRaw, type RawConn } from "./_deno_raw.ts";
import { DenoSocket } from "./_deno_socket.ts";
import { DenoListener } from "./_deno_listener.ts";
import {
  connectTlsNative,
  nativeClientCapable,
  nativeHandshake,
  nativeServerCapable,
  nodeTlsClient,
  nodeTlsServer,
} from "./_deno_tls.ts";
import { bindDatagram } from "./_deno_udp.ts";
import { connectNetBound } from "./_deno_node_raw.ts";
import { spawnProcess } from "./_deno_process.ts";
import { codedError, normalizeError } from "./_deno_errors.ts";

export type * from "../src/internet/socket.ts";
import { nodeFileSystem } from "./_node_fs.ts";
import { nodeCompression } from "./_node_zlib.ts";
import { denoProcess } from "./_deno_facts.ts";
import { denoOpenStream, denoStdin } from "./_deno_stream.ts";
import { openSQLite, type SpawnSQLiteWorker } from "./_sqlite.ts";

async function listen(options: ListenOptions): Promise<Listener> {
  await Promise.resolve();
  // Deno.listen cannot adopt a listening socket, and its reusePort needs
  // --unstable-net: node:net's listen does both, on Deno too.
  if (options.fd !== undefined || (options.transport === "tcp" && options.reusePort)) {
    return await (await import("./node.ts")).runtime.listen(options);
  }
  if (options.transport === "unix") {
    let listener: Deno.UnixListener;
    try {
      listener = Deno.listen({ transport: "unix", path: options.path });
    } catch (e) {
      throw normalizeError(e);
    }
    if (options.mode !== undefined) {
      try {
        await Deno.chmod(options.path, options.mode);
      } catch (e) {
        listener.close();
        throw normalizeError(e);
      }
    }
    return new DenoListener(listener, null);
  }
  const hostname = options.hostname ?? "0.0.0.0";
  const tls = options.tls;
  try {
    if (tls === undefined) {
      return new DenoListener(
        Deno.listen({ hostname, port: options.port, tcpBacklog: options.backlog }),
        null,
      );
    }
    if (!tls.cert || !tls.key) throw new TypeError("A TLS listener needs a cert and a key");
    if (nativeServerCapable(tls)) {
      const listener = Deno.listenTls({
        hostname,
        port: options.port,
        tcpBacklog: options.backlog,
        cert: tls.cert,
        key: tls.key,
        alpnProtocols: tls.alpnProtocols,
      });
      return new DenoListener(
        listener,
        (conn) => nativeHandshake(conn as Deno.TlsConn, tls.handshakeTimeout),
      );
    }
    // Client certificates and a TLS 1.3 floor: node:tls over plain connections.
    const listener = Deno.listen({ hostname, port: options.port, tcpBacklog: options.backlog });
    return new DenoListener(
      listener,
      (conn) => nodeTlsServer({ raw: new DenoRaw(conn), prefix: [], pending: null }, tls),
    );
  } catch (e) {
    if (e instanceof TypeError) throw e;
    throw normalizeError(e);
  }
}

async function connect(options: ConnectOptions): Promise<Socket> {
  options.signal?.throwIfAborted();
  const attempt = connectRaw(options);
  const raw = options.signal ? await abortable(attempt, options.signal) : await attempt;
  return new DenoSocket(raw);
}

async function connectRaw(options: ConnectOptions): Promise<RawConn> {
  try {
    if (options.transport === "unix") {
      return new DenoRaw(await Deno.connect({ transport: "unix", path: options.path }));
    }
    const { hostname, port, tls } = options;
    if (options.localAddress !== undefined) {
      // Deno.connect cannot bind first: node:net does, for this one socket.
      const bound = await connectNetBound(hostname, port, options.localAddress);
      if (tls === undefined) return bound;
      try {
        return await nodeTlsClient(
          { raw: bound, prefix: [], pending: null },
          tls,
          tls.serverName ?? hostname,
        );
      } catch (e) {
        bound.abort();
        throw e;
      }
    }
    if (tls === undefined) return new DenoRaw(await Deno.connect({ hostname, port }));
    if (nativeClientCapable(tls, hostname)) return await connectTlsNative(hostname, port, tls);
    const plain = new DenoRaw(await Deno.connect({ hostname, port }));
    try {
      return await nodeTlsClient(
        { raw: plain, prefix: [], pending: null },
        tls,
        tls.serverName ?? hostname,
      );
    } catch (e) {
      plain.close();
      throw e;
    }
  } catch (e) {
    throw normalizeError(e);
  }
}

/** Races `attempt` against `signal`, closing a connection that arrives too late. */
function abortable(attempt: Promise<RawConn>, signal: AbortSignal): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      const reason = signal.reason instanceof Error
        ? signal.reason
        : codedError("The connection attempt was aborted", "ABORT_ERR");
      reject(reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    attempt.then((raw) => {
      signal.removeEventListener("abort", onAbort);
      if (aborted) raw.abort();
      else resolve(raw);
    }, (e) => {
      signal.removeEventListener("abort", onAbort);
      if (!aborted) reject(e);
    });
  });
}

async function resolve(hostname: string): Promise<ResolvedAddress[]> {
  const { lookup } = await import("node:dns/promises");
  try {
    const found = await lookup(hostname, { all: true, verbatim: true });
    if (found.length === 0) throw codedError(`No address for ${hostname}`, "ENOTFOUND");
    return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } catch (e) {
    const err = normalizeError(e) as Error & { code?: string };
    // getaddrinfo's "no data" and "temporary failure" mean the same to callers.
    if (err.code === "ENODATA" || err.code === "EAI_AGAIN" || err.code === "EAI_NONAME") {
      err.code = "ENOTFOUND";
    }
    throw err;
  }
}

function onSignal(signal: string, handler: () => void): () => void {
  const sig = signal as Deno.Signal;
  Deno.addSignalListener(sig, handler);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    Deno.removeSignalListener(sig, handler);
  };
}

function runInWorker(moduleURL: string, exportName: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./_deno_worker.ts", import.meta.url), { type: "module" });
    const done = (): void => worker.terminate();
    worker.onmessage = (event: MessageEvent): void => {
      done();
      const data = event.data as
        | { ok: true; value: unknown }
        | { ok: false; error: { name: string; message: string; stack?: string } };
      if (data.ok) {
        resolve(data.value);
      } else {
        const err = new Error(data.error.message);
        err.name = data.error.name;
        if (data.error.stack) err.stack = data.error.stack;
        reject(err);
      }
    };
    worker.onerror = (event: ErrorEvent): void => {
      event.preventDefault();
      done();
      reject(event.error instanceof Error ? event.error : new Error(event.message));
    };
    worker.postMessage({ moduleURL, exportName, args });
  });
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    // No --allow-env: the variable is as good as unset.
    return undefined;
  }
}

/** Starts the SQLite worker as a Web Worker. */
const spawnSQLiteWorker: SpawnSQLiteWorker = (url, handlers) => {
  const worker = new Worker(url, { type: "module" });
  worker.onmessage = (event: MessageEvent): void => handlers.message(event.data);
  worker.onerror = (event: ErrorEvent): void => {
    event.preventDefault();
    handlers.error(event.error instanceof Error ? event.error : new Error(event.message));
  };
  return {
    post: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
  };
};

/**
 * Creates a Deno runtime adapter. Cheap: it starts nothing until used.
 *
 * @example
 * ```ts
 * import { createRuntime } from "@tw/core/runtimes/deno";
 * import { Reactor } from "@tw/core";
 * const reactor = new Reactor(createRuntime()); // a reactor on Deno's own API, explicitly
 * console.log(reactor.runtime.name); // "deno"
 * ```
 */
export function createRuntime(): Runtime {
  return {
    name: "deno",
    compression: nodeCompression,
    ...nodeFileSystem,
    ...denoProcess,
    openStdin: denoStdin,
    openStream: denoOpenStream,
    listen,
    connect,
    bindDatagram: (options: DatagramOptions): Promise<DatagramSocket> => bindDatagram(options),
    spawn: (options: SpawnOptions): ChildProcess => spawnProcess(options),
    resolve,
    onSignal,
    runInWorker,
    openSQLite: (options) => openSQLite(options, spawnSQLiteWorker),
    env,
    args: (): string[] => [...Deno.args],
    exit: (code: number): never => Deno.exit(code),
  };
}

/** The Deno runtime adapter. */
export const runtime: Runtime = createRuntime();
