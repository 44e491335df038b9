/**
 * `Listener` and `connect` over `Bun.listen` / `Bun.connect`.
 *
 * @module
 */

import { handshakeTimeoutError, handshakeTimeoutMs } from "./_tls_timeout.ts";
import type {
  ConnectOptions,
  Listener,
  ListenOptions,
  Socket,
  SocketAddress,
} from "../src/internet/socket.ts";
import type { BunApi, BunRawListener, BunRawSocket, BunSocketHandler } from "./_bun_types.ts";
import { BunSocket, type BunSocketOrigin, sharedHandler } from "./_bun_socket.ts";
import { bunTls, normalizeError } from "./_bun_tls.ts";
import { QueuedListener } from "./_queued_listener.ts";
import { nodeFs } from "./_node_lazy.ts";

/** A `Listener` yielding `BunSocket`s from a Bun listening socket. */
class BunListener extends QueuedListener {
  #raw: BunRawListener | null = null;
  #address: SocketAddress;

  constructor(address: SocketAddress) {
    super();
    this.#address = address;
  }

  /** @internal Binds the raw listener once Bun returned it. */
  _bind(raw: BunRawListener, address: SocketAddress): void {
    this.#raw = raw;
    this.#address = address;
  }

  get address(): SocketAddress {
    return this.#address;
  }

  get native(): unknown {
    return this.#raw;
  }

  protected closeListening(): Promise<void> {
    // Accepted connections stay open: they belong to their transports now.
    this.#raw?.stop(false);
    return Promise.resolve();
  }
}

/**
 * Cuts `raw` after `ms`. Its own function: a closure made inside the `open`
 * handler would make every call of it allocate a scope, TLS or not.
 */
function terminateLater(raw: BunRawSocket, ms: number): ReturnType<typeof setTimeout> {
  return setTimeout(() => raw.terminate(), ms);
}

/** `Runtime.listen` on Bun. */
export async function bunListen(bun: BunApi, options: ListenOptions): Promise<Listener> {
  const listener = new BunListener(
    options.transport === "unix"
      ? { transport: "unix", path: options.path }
      : { transport: "tcp", hostname: options.hostname ?? "0.0.0.0", port: options.port },
  );
  const unixPath = options.transport === "unix" ? options.path : undefined;
  const tls = options.transport === "tcp" && options.tls !== undefined;
  const handshakeMs = options.transport === "tcp" && options.tls !== undefined
    ? handshakeTimeoutMs(options.tls.handshakeTimeout)
    : 0;
  const handshakeTimers = new Map<BunRawSocket, ReturnType<typeof setTimeout>>();
  let origin: BunSocketOrigin | null = null;
  const handler: BunSocketHandler = {
    ...sharedHandler,
    open(raw: BunRawSocket) {
      // One origin for every connection of this listener (its address is known by now).
      if (origin === null) {
        const { hostname: host, port } = listener.address as { hostname?: string; port?: number };
        origin = { isServer: true, unixPath, tls, host, port };
      }
      const socket = new BunSocket(raw, origin);
      raw.data = socket;
      if (tls) {
        // Yielded once its handshake succeeded; a client silent too long is cut.
        if (handshakeMs > 0) handshakeTimers.set(raw, terminateLater(raw, handshakeMs));
        return;
      }
      socket._ready();
      listener.accept(socket);
    },
  };
  if (tls) {
    // Without a `handshake` callback Bun still calls `open` for a handshake
    // that failed (a refused TLS version, say): accept only on success.
    const stopTimer = (raw: BunRawSocket): void => {
      clearTimeout(handshakeTimers.get(raw));
      handshakeTimers.delete(raw);
    };
    handler.close = (raw, error) => {
      stopTimer(raw);
      sharedHandler.close!(raw, error);
    };
    handler.handshake = (raw, success) => {
      stopTimer(raw);
      const socket = raw.data;
      if (!(socket instanceof BunSocket)) return;
      if (!success) {
        raw.terminate();
        return;
      }
      socket._ready();
      listener.accept(socket);
    };
  }
  let raw: BunRawListener;
  try {
    if (options.transport === "unix") {
      raw = bun.listen({ unix: options.path, allowHalfOpen: true, socket: handler });
    } else {
      raw = bun.listen({
        hostname: options.hostname ?? "0.0.0.0",
        port: options.port,
        reusePort: options.reusePort ?? false,
        allowHalfOpen: true,
        socket: handler,
        ...(options.tls !== undefined ? { tls: bunTls(options.tls, true) } : {}),
      });
    }
  } catch (error) {
    throw normalizeError(error);
  }
  if (options.transport === "unix") {
    listener._bind(raw, { transport: "unix", path: options.path });
    if (options.mode !== undefined) {
      try {
        await nodeFs().promises.chmod(options.path, options.mode);
      } catch (error) {
        raw.stop(true);
        throw normalizeError(error);
      }
    }
  } else {
    listener._bind(raw, {
      transport: "tcp",
      hostname: raw.hostname ?? options.hostname ?? "0.0.0.0",
      port: raw.port ?? options.port,
    });
  }
  return listener;
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error
    ? reason
    : Object.assign(new Error("The connection attempt was aborted"), { name: "AbortError" });
}

/** `Runtime.connect` on Bun. */
export function bunConnect(bun: BunApi, options: ConnectOptions): Promise<Socket> {
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (options.transport === "tcp" && options.localAddress !== undefined) {
    // Bun.connect cannot bind before connecting: this one socket goes through
    // Bun's node:net, by way of the node adapter.
    return import("./node.ts").then((node) => node.createRuntime().connect(options));
  }
  const unixPath = options.transport === "unix" ? options.path : undefined;
  const tlsOptions = options.transport === "tcp" ? options.tls : undefined;
  const host = options.transport === "tcp" ? options.hostname : undefined;
  const handshakeMs = handshakeTimeoutMs(tlsOptions?.handshakeTimeout);
  let handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<Socket>((resolve, reject) => {
    let settled = false;
    let socket: BunSocket | null = null;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      reject(abortError(signal!));
      socket?.abort();
    };
    const succeed = (s: BunSocket): void => {
      signal?.removeEventListener("abort", onAbort);
      if (settled) {
        s.abort();
        return;
      }
      settled = true;
      s._ready();
      resolve(s);
    };
    const fail = (error: unknown): void => {
      signal?.removeEventListener("abort", onAbort);
      if (settled) return;
      settled = true;
      reject(normalizeError(error));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const adopt = (raw: BunRawSocket): BunSocket => {
      if (socket === null) {
        socket = new BunSocket(raw, {
          isServer: false,
          unixPath,
          tls: tlsOptions !== undefined,
          host,
          port: options.transport === "tcp" ? options.port : undefined,
        });
        raw.data = socket;
      }
      return socket;
    };
    const handler: BunSocketHandler = {
      ...sharedHandler,
      open(raw) {
        adopt(raw);
        // TCP is up: the handshake's clock starts.
        if (tlsOptions !== undefined && handshakeMs > 0) {
          handshakeTimer = setTimeout(() => {
            fail(handshakeTimeoutError(tlsOptions.handshakeTimeout));
            raw.terminate();
          }, handshakeMs);
        }
      },
      connectError(_raw, error) {
        fail(error);
      },
      close(raw, error) {
        clearTimeout(handshakeTimer);
        // A connection that closes before it is handed over is a failed connect.
        if (!settled) {
          const during = tlsOptions !== undefined ? "during TLS handshake" : "while connecting";
          fail(
            error ?? Object.assign(new Error(`Connection closed ${during}`), {
              code: "ECONNRESET",
            }),
          );
        }
        sharedHandler.close!(raw, error);
      },
    };
    if (tlsOptions !== undefined) {
      const verify = tlsOptions.verify ?? true;
      handler.handshake = (raw, success, authError) => {
        clearTimeout(handshakeTimer);
        const s = adopt(raw);
        if (!success && verify) {
          fail(authError ?? new Error("TLS handshake failed"));
          raw.terminate();
          return;
        }
        succeed(s);
      };
    }
    const connecting = options.transport === "unix"
      ? bun.connect({ unix: options.path, allowHalfOpen: true, socket: handler })
      : bun.connect({
        hostname: options.hostname,
        port: options.port,
        allowHalfOpen: true,
        socket: handler,
        ...(tlsOptions !== undefined ? { tls: bunTls(tlsOptions, false, options.hostname) } : {}),
      });
    connecting.then((raw) => {
      if (tlsOptions === undefined) succeed(adopt(raw));
    }, fail);
  });
}
