/**
 * Stream sockets for the node adapter: TCP, TLS and Unix listeners and
 * connections over `node:net` and `node:tls`. Imported by runtimes/node.ts on
 * the first `listen` or `connect`, so that importing @tw/core loads neither
 * `node:net` (and node's streams) nor the socket code.
 *
 * @module
 */
import { handshakeTimeoutError, handshakeTimeoutMs } from "./_tls_timeout.ts";
import type * as net from "node:net";
import type * as tls from "node:tls";
import { nodeFs, nodeNet, nodeTls } from "./_node_lazy.ts";
import type {
  ConnectOptions,
  Listener,
  ListenOptions,
  Socket,
  SocketAddress,
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
import { QueuedListener } from "./_queued_listener.ts";

// ---------------------------------------------------------------------------
// Listeners

/** A `Listener` over a `net.Server` or `tls.Server`; accepted sockets queue until iterated. */
class NodeListener extends QueuedListener {
  readonly address: SocketAddress;
  #server: net.Server;

  constructor(server: net.Server, address: SocketAddress) {
    super();
    this.#server = server;
    this.address = address;
  }

  get native(): unknown {
    return this.#server;
  }

  protected closeListening(): Promise<void> {
    // server.close()'s callback waits for every accepted connection to end; the
    // listening handle itself is closed at once, which is what this promises.
    this.#server.close(() => {});
    return new Promise((resolve) => setImmediate(resolve));
  }
}

export function listenTcp(
  options: Extract<ListenOptions, { transport: "tcp" }>,
): Promise<Listener> {
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
    server = nodeNet().createServer({ allowHalfOpen: true, pauseOnConnect: true });
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

export function listenUnix(
  options: Extract<ListenOptions, { transport: "unix" }>,
): Promise<Listener> {
  const address: SocketAddress = { transport: "unix", path: options.path };
  const server = nodeNet().createServer({ allowHalfOpen: true, pauseOnConnect: true });
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
        if (options.mode !== undefined && !adopted) nodeFs().chmodSync(options.path, options.mode);
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

export function connect(options: ConnectOptions): Promise<Socket> {
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    let sock: net.Socket;
    let readyEvent: string;
    let make: () => Socket;
    if (options.transport === "unix") {
      sock = nodeNet().connect({ path: options.path, allowHalfOpen: true });
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
      sock = nodeNet().connect({
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
