/**
 * The few Bun APIs the bun adapter uses, declared locally.
 *
 * Why not `/// <reference types="npm:@types/bun" />`: it type-checks, but a
 * reference in a published module pulls `@types/bun` (and its `@types/node`)
 * into the type environment of every user of `@tw/core`, Deno users included,
 * and adds Bun's globals to their programs. These declarations cover only what
 * `runtimes/bun.ts` calls and are read through `globalThis.Bun` at run time.
 *
 * @module
 */

/** TLS settings in Bun's spelling (`Bun.TLSOptions`). */
export interface BunTlsOptions {
  cert?: string;
  key?: string;
  ca?: string | string[];
  serverName?: string;
  rejectUnauthorized?: boolean;
  requestCert?: boolean;
  /** ALPN names in wire format (length-prefixed). */
  ALPNProtocols?: Uint8Array;
  /** A bitmask of OpenSSL's `SSL_OP_*` options. */
  secureOptions?: number;
}

/** A Bun TCP, TLS or Unix socket (`Bun.Socket`). */
export interface BunRawSocket {
  /** Bytes taken by the kernel (or TLS layer), -1 when closed or shut down. */
  write(data: Uint8Array): number;
  /** Sends a FIN and detaches; a TLS socket reports `close` only once the peer closes. */
  end(): void;
  /** Closes now (after the TLS close_notify); `close` is reported at once. */
  close(): void;
  /** Closes at once with SO_LINGER 0 (RST). */
  terminate(): void;
  /** Sends a FIN; reading goes on. */
  shutdown(halfClose?: boolean): void;
  pause(): void;
  resume(): void;
  setNoDelay(noDelay?: boolean): boolean;
  setKeepAlive(enable?: boolean, initialDelay?: number): boolean;
  /** `isServer` picks the TLS role (Bun 1.4; undeclared in @types/bun). */
  upgradeTLS(options: {
    isServer?: boolean;
    tls: BunTlsOptions;
    socket: BunSocketHandler;
    data?: unknown;
  }): [BunRawSocket, BunRawSocket];
  data: unknown;
  readonly readyState: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly alpnProtocol: string | false | null;
}

/** Callbacks of a Bun socket (`Bun.SocketHandler`). */
export interface BunSocketHandler {
  binaryType?: "uint8array";
  open?(socket: BunRawSocket): void;
  data?(socket: BunRawSocket, data: Uint8Array): void;
  drain?(socket: BunRawSocket): void;
  end?(socket: BunRawSocket): void;
  close?(socket: BunRawSocket, error?: Error): void;
  error?(socket: BunRawSocket, error: Error): void;
  connectError?(socket: BunRawSocket, error: Error): void;
  handshake?(socket: BunRawSocket, success: boolean, authorizationError: Error | null): void;
}

/** A Bun listening socket (`Bun.TCPSocketListener` / `UnixSocketListener`). */
export interface BunRawListener {
  stop(closeActiveConnections?: boolean): void;
  unref(): void;
  readonly port?: number;
  readonly hostname?: string;
  readonly unix?: string;
}

/** Options of `Bun.listen` and `Bun.connect`, TCP or Unix. */
export type BunSocketOptions =
  & { socket: BunSocketHandler; data?: unknown; allowHalfOpen?: boolean; tls?: BunTlsOptions }
  & ({ hostname: string; port: number; reusePort?: boolean } | { unix: string });

/** A Bun UDP socket (`Bun.udp.Socket`). */
export interface BunUdpSocket {
  readonly hostname: string;
  readonly port: number;
  readonly address: { address: string; port: number; family: string };
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
  setBroadcast(enabled: boolean): boolean;
  setMulticastTTL(ttl: number): number;
  setMulticastLoopback(enabled: boolean): boolean;
  addMembership(group: string, iface?: string): boolean;
  dropMembership(group: string, iface?: string): boolean;
}

/** Options of `Bun.udpSocket`. */
export interface BunUdpOptions {
  hostname?: string;
  port?: number;
  binaryType: "uint8array";
  socket: {
    data(socket: BunUdpSocket, data: Uint8Array, port: number, address: string): void;
    error?(socket: BunUdpSocket, error: Error): void;
  };
}

/** The writable end of a child's stdin (`Bun.FileSink`). */
export interface BunFileSink {
  write(data: Uint8Array): number;
  flush(): number | Promise<number>;
  end(): number | Promise<number>;
}

/** A child process started by `Bun.spawn` with every stdio piped. */
export interface BunSubprocess {
  readonly pid: number;
  readonly stdin: BunFileSink;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  readonly signalCode: string | number | null;
  kill(signal?: string | number): void;
}

/** The part of the `Bun` global the adapter uses. */
export interface BunApi {
  readonly version: string;
  listen(options: BunSocketOptions): BunRawListener;
  connect(options: BunSocketOptions): Promise<BunRawSocket>;
  udpSocket(options: BunUdpOptions): Promise<BunUdpSocket>;
  spawn(options: {
    cmd: string[];
    env?: Record<string, string>;
    cwd?: string;
    stdin: "pipe";
    stdout: "pipe";
    stderr: "pipe";
  }): BunSubprocess;
  /** A lazily opened file (`Bun.file`), read here as a stream. */
  file(path: string): { stream(): ReadableStream<Uint8Array> };
}

/** The `Bun` global; throws a clear error when not running on Bun. */
export function bunApi(): BunApi {
  const bun = (globalThis as { Bun?: BunApi }).Bun;
  if (bun === undefined) throw new Error("The bun adapter needs the Bun runtime");
  return bun;
}
