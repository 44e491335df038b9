/**
 * SSHChannel: one channel of an SSH connection (`twisted.conch.ssh.channel.SSHChannel`),
 * and a transport for the protocol running in it. Writes never pass the
 * peer's window: what does not fit waits, and a registered producer is paused.
 * @module
 */
import type { Address } from "../../internet/address.ts";
import type { IPullProducer, IPushProducer, ITransport } from "../../internet/interfaces.ts";
import { Logger } from "../../logger/mod.ts";
import type { SSHConnection } from "./_connection.ts";

const log = new Logger("tw.conch.ssh");

/** How a channel is made (from `ConchUser.lookupChannel`, or by a client). */
export interface SSHChannelOptions {
  /** Our receive window. @default 2 MiB */
  localWindow?: number;
  /** The largest data packet we accept. @default 32 KiB */
  localMaxPacket?: number;
  /** The peer's window, from its CHANNEL_OPEN. */
  remoteWindow?: number;
  /** The peer's largest packet, from its CHANNEL_OPEN. */
  remoteMaxPacket?: number;
  /** Type-specific data of the open request. */
  data?: Uint8Array;
  /** The connection (a client passes it; the server's is set on open). */
  conn?: SSHConnection;
  /** The avatar that opened it (server side). */
  avatar?: unknown;
}

/**
 * A channel. Subclass it and override `channelOpen`, `dataReceived`,
 * `eofReceived`, `closed`, or `request_<name>` methods (as in Twisted).
 *
 * @example
 * ```ts
 * import { SSHChannel } from "@tw/core/conch";
 *
 * class EchoChannel extends SSHChannel {
 *   override name = "session";
 *   override dataReceived(data: Uint8Array): void {
 *     this.write(data);
 *   }
 * }
 * console.log(new EchoChannel().localWindowSize); // 2097152
 * ```
 */
export class SSHChannel implements ITransport {
  /** The channel type sent when we open it ("session"). */
  name = "session";
  /** Our window: the most the peer may send before we adjust it. */
  localWindowSize: number;
  /** What remains of our window. */
  localWindowLeft: number;
  /** The largest data packet we accept. */
  localMaxPacket: number;
  /** What remains of the peer's window. */
  remoteWindowLeft: number;
  /** The peer's largest data packet. */
  remoteMaxPacket: number;
  /** Our channel number, set when opened. */
  id: number = -1;
  /** The connection, set when opened. */
  conn: SSHConnection | null;
  /** The avatar that opened it (server side). */
  avatar: unknown;
  /** The open request's type-specific data. */
  data: Uint8Array;
  /** True after CHANNEL_CLOSE was sent. */
  localClosed = false;
  /** True after the peer's CHANNEL_CLOSE. */
  remoteClosed = false;

  #pending: { data: Uint8Array; type: number | null }[] = [];
  #pendingBytes = 0;
  #closing = false;
  #eofPending = false;
  #producer: IPushProducer | IPullProducer | null = null;
  #producerPaused = false;
  #drainWaiters: (() => void)[] = [];

  /** A channel with the given windows (a server's avatar passes the peer's). */
  constructor(options: SSHChannelOptions = {}) {
    this.localWindowSize = options.localWindow ?? 2 * 1024 * 1024;
    this.localWindowLeft = this.localWindowSize;
    this.localMaxPacket = options.localMaxPacket ?? 32 * 1024;
    this.remoteWindowLeft = options.remoteWindow ?? 0;
    this.remoteMaxPacket = options.remoteMaxPacket ?? 32 * 1024;
    this.data = options.data ?? new Uint8Array(0);
    this.conn = options.conn ?? null;
    this.avatar = options.avatar ?? null;
  }

  /** Data specific to the channel type, sent in our CHANNEL_OPEN (clients). */
  specificData(): Uint8Array {
    return new Uint8Array(0);
  }

  /** Called when the channel is open. */
  channelOpen(_specificData: Uint8Array): void {}

  /** Called when the peer refused to open it. */
  openFailed(reason: Error): void {
    log.info("SSH channel open failed: {reason}", { reason: reason.message });
  }

  /** Called with the channel's data. */
  dataReceived(_data: Uint8Array): void {}

  /** Called with extended data (stderr is type 1). */
  extReceived(_dataType: number, _data: Uint8Array): void {}

  /** Called when the peer will send no more data. */
  eofReceived(): void {}

  /** Called when the peer closes the channel; by default we close too. */
  closeReceived(): void {
    this.loseConnection();
  }

  /** Called once both sides closed the channel. */
  closed(): void {}

  /**
   * A channel request: calls `request_<name>(data)` if defined (with `-`
   * replaced by `_`). Returns true to accept.
   */
  requestReceived(requestType: string, data: Uint8Array): boolean | Promise<boolean> {
    const method = (this as unknown as Record<string, unknown>)[
      "request_" + requestType.replace(/[-@.]/g, "_")
    ];
    if (typeof method !== "function") return false;
    return (method as (data: Uint8Array) => boolean | Promise<boolean>).call(this, data);
  }

  /** The peer opened its window by `bytes`: send what waited. */
  addWindowBytes(bytes: number): void {
    this.remoteWindowLeft = Math.min(this.remoteWindowLeft + bytes, 0xffffffff);
    this.#flush();
  }

  write(data: Uint8Array): void {
    this.#send(data, null);
  }

  /** Writes extended data (`EXTENDED_DATA_STDERR` is 1). */
  writeExtended(dataType: number, data: Uint8Array): void {
    this.#send(data, dataType);
  }

  writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }

  #send(data: Uint8Array, type: number | null): void {
    if (this.#closing || this.localClosed || data.length === 0) return;
    this.#pending.push({ data, type });
    this.#pendingBytes += data.length;
    this.#flush();
  }

  /** Sends what the peer's window allows, in packets of at most its maximum size. */
  #flush(): void {
    const conn = this.conn;
    if (conn === null || this.id < 0) return;
    while (this.#pending.length > 0 && this.remoteWindowLeft > 0) {
      const head = this.#pending[0];
      const size = Math.min(head.data.length, this.remoteWindowLeft, this.remoteMaxPacket);
      const chunk = head.data.subarray(0, size);
      if (size === head.data.length) this.#pending.shift();
      else head.data = head.data.subarray(size);
      this.#pendingBytes -= size;
      this.remoteWindowLeft -= size;
      if (head.type === null) conn.sendData(this, chunk);
      else conn.sendExtendedData(this, head.type, chunk);
    }
    if (this.#pending.length > 0) {
      this.#pauseProducer();
      return;
    }
    this.#resumeProducer();
    // Resuming may have delivered output at once: then that write's flush took over.
    if (this.#pending.length > 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
    if (this.#eofPending) {
      this.#eofPending = false;
      conn.sendEOF(this);
    }
    if (this.#closing && !this.localClosed) conn.sendClose(this);
  }

  /** Bytes written and waiting for the peer's window. */
  get bufferedAmount(): number {
    return this.#pendingBytes;
  }

  /** Resolves once everything written so far went out. */
  whenDrained(): Promise<void> {
    if (this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #pauseProducer(): void {
    if (this.#producer === null || this.#producerPaused) return;
    this.#producerPaused = true;
    if ("pauseProducing" in this.#producer) this.#producer.pauseProducing();
  }

  #resumeProducer(): void {
    if (this.#producer === null || !this.#producerPaused) return;
    this.#producerPaused = false;
    this.#producer.resumeProducing();
  }

  registerProducer(producer: IPushProducer | IPullProducer, _streaming: boolean): void {
    this.#producer = producer;
    this.#producerPaused = false;
    if (this.#pending.length > 0) this.#pauseProducer();
  }

  unregisterProducer(): void {
    this.#producer = null;
  }

  /** Sends EOF once what was written has gone out (half-close: `loseWriteConnection`). */
  loseWriteConnection(): void {
    if (this.conn === null || this.localClosed) return;
    if (this.#pending.length === 0) this.conn.sendEOF(this);
    else this.#eofPending = true;
  }

  /** Closes the channel once what was written has gone out. */
  loseConnection(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.conn === null) return;
    if (this.#pending.length === 0 && !this.localClosed) this.conn.sendClose(this);
  }

  /** Closes now, dropping what waits for the window. */
  abortConnection(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#closing = true;
    if (this.conn !== null && !this.localClosed) this.conn.sendClose(this);
  }

  get disconnecting(): boolean {
    return this.#closing;
  }

  /** Stops reading: the window is not adjusted while paused. */
  pauseProducing(): void {
    this.conn?.pauseChannel(this);
  }

  resumeProducing(): void {
    this.conn?.resumeChannel(this);
  }

  stopProducing(): void {
    this.loseConnection();
  }

  getPeer(): Address {
    return this.conn?.transport.transport.getPeer() ?? { type: "SSH" } as unknown as Address;
  }

  getHost(): Address {
    return this.conn?.transport.transport.getHost() ?? { type: "SSH" } as unknown as Address;
  }

  /** A name for logs. */
  logPrefix(): string {
    return `SSHChannel ${this.name} (${this.id})`;
  }
}
