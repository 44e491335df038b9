/**
 * SSHConnection: the connection protocol (RFC 4254) that multiplexes channels
 * over one transport (`twisted.conch.ssh.connection.SSHConnection`), with
 * windows enforced both ways and global and channel requests answered in order.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import { Logger } from "../../logger/mod.ts";
import { MSG, OPEN } from "./_constants.ts";
import { ConchError, type GlobalRequestResult, type IConchUser } from "./_avatar.ts";
import type { SSHChannel } from "./_channel.ts";
import { SSHService } from "./_service.ts";
import { SSHProtocolError } from "./_transport.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";

const log = new Logger("tw.conch.ssh");

/** At most this many channels open on one connection (OpenSSH allows thousands; so do we). */
const MAX_CHANNELS = 1024;
/** At most this many requests waiting for their answer. */
const MAX_PENDING_REQUESTS = 1024;

/**
 * A request the peer answered with failure.
 *
 * @example
 * ```ts
 * import { RequestFailed } from "@tw/core/conch";
 *
 * console.log(new RequestFailed("global request failed").name); // "RequestFailed"
 * ```
 */
export class RequestFailed extends Error {
  /** The error's name. */
  override name = "RequestFailed";
}

interface Waiter {
  resolve(data: Uint8Array): void;
  reject(error: Error): void;
}

/**
 * The connection service. The server starts it after login (its avatar is
 * `transport.avatar`); a client passes it to `SSHUserAuthClient`.
 *
 * @example
 * ```ts
 * import { SSHConnection } from "@tw/core/conch";
 *
 * const conn = new SSHConnection();
 * console.log(conn.name); // "ssh-connection"
 * ```
 */
export class SSHConnection extends SSHService {
  /** The service name. */
  override name = "ssh-connection";
  /** Open channels by our channel number. */
  channels: Map<number, SSHChannel> = new Map();
  #remoteIds = new Map<number, number>();
  #nextId = 0;
  #globalWaiters: Waiter[] = [];
  #channelWaiters = new Map<number, Waiter[]>();
  #opening = new Map<number, SSHChannel>();
  #paused = new Set<number>();

  /** The avatar on a server (from userauth), or null on a client. */
  get avatar(): IConchUser | null {
    return ((this.transport as unknown as { avatar?: IConchUser }).avatar) ?? null;
  }

  /** Tells the avatar its connection. */
  override serviceStarted(): void {
    const avatar = this.avatar as { conn?: unknown } | null;
    if (avatar !== null && "conn" in avatar) avatar.conn = this;
  }

  /** Closes every channel and fails pending requests. */
  override serviceStopped(_reason: Failure | null): void {
    for (const channel of [...this.channels.values(), ...this.#opening.values()]) {
      this.#forget(channel);
      try {
        channel.closed();
      } catch (e) {
        log.failure("SSH channel closed() failed", e, "error");
      }
    }
    const error = new ConchError("connection lost");
    for (const waiter of this.#globalWaiters) waiter.reject(error);
    for (const waiters of this.#channelWaiters.values()) {
      for (const waiter of waiters) waiter.reject(error);
    }
    this.#globalWaiters = [];
    this.#channelWaiters.clear();
  }

  /** Handles the connection protocol's messages. */
  override async packetReceived(messageNum: number, payload: Uint8Array): Promise<void> {
    const reader = new SSHReader(payload);
    switch (messageNum) {
      case MSG.GLOBAL_REQUEST:
        return await this.#globalRequest(reader);
      case MSG.REQUEST_SUCCESS:
      case MSG.REQUEST_FAILURE: {
        const waiter = this.#globalWaiters.shift();
        if (waiter === undefined) throw new SSHProtocolError("Unexpected global request answer");
        if (messageNum === MSG.REQUEST_SUCCESS) waiter.resolve(reader.rest().slice());
        else waiter.reject(new RequestFailed("global request failed"));
        return;
      }
      case MSG.CHANNEL_OPEN:
        return await this.#channelOpen(reader);
      case MSG.CHANNEL_OPEN_CONFIRMATION:
        return this.#openConfirmation(reader);
      case MSG.CHANNEL_OPEN_FAILURE:
        return this.#openFailure(reader);
    }
    const channel = this.#channel(reader.uint32());
    switch (messageNum) {
      case MSG.CHANNEL_WINDOW_ADJUST:
        channel.addWindowBytes(reader.uint32());
        return;
      case MSG.CHANNEL_DATA:
        return this.#data(channel, null, reader.string());
      case MSG.CHANNEL_EXTENDED_DATA: {
        const type = reader.uint32();
        return this.#data(channel, type, reader.string());
      }
      case MSG.CHANNEL_EOF:
        channel.eofReceived();
        return;
      case MSG.CHANNEL_CLOSE:
        channel.remoteClosed = true;
        channel.closeReceived();
        if (channel.localClosed) this.#closed(channel);
        return;
      case MSG.CHANNEL_REQUEST:
        return await this.#channelRequest(channel, reader);
      case MSG.CHANNEL_SUCCESS:
      case MSG.CHANNEL_FAILURE: {
        const waiter = this.#channelWaiters.get(channel.id)?.shift();
        if (waiter === undefined) throw new SSHProtocolError("Unexpected channel request answer");
        if (messageNum === MSG.CHANNEL_SUCCESS) waiter.resolve(new Uint8Array(0));
        else waiter.reject(new RequestFailed("channel request failed"));
        return;
      }
    }
    this.transport.sendUnimplemented();
  }

  #channel(id: number): SSHChannel {
    const channel = this.channels.get(id);
    if (channel === undefined) throw new SSHProtocolError(`Unknown channel ${id}`);
    return channel;
  }

  #remote(channel: SSHChannel): number {
    const remote = this.#remoteIds.get(channel.id);
    if (remote === undefined) throw new RangeError(`Channel ${channel.id} is not open`);
    return remote;
  }

  #data(channel: SSHChannel, type: number | null, data: Uint8Array): void {
    if (data.length > channel.localWindowLeft) {
      throw new SSHProtocolError(
        `Channel ${channel.id} window exceeded by ${data.length - channel.localWindowLeft} bytes`,
      );
    }
    channel.localWindowLeft -= data.length;
    const copy = data.slice();
    if (type === null) channel.dataReceived(copy);
    else channel.extReceived(type, copy);
    if (
      !channel.remoteClosed && !this.#paused.has(channel.id) &&
      channel.localWindowLeft < channel.localWindowSize / 2
    ) {
      this.adjustWindow(channel, channel.localWindowSize - channel.localWindowLeft);
    }
  }

  /** Stops opening `channel`'s window: the peer stops when it runs out. */
  pauseChannel(channel: SSHChannel): void {
    this.#paused.add(channel.id);
  }

  /** Opens `channel`'s window again. */
  resumeChannel(channel: SSHChannel): void {
    if (!this.#paused.delete(channel.id) || !this.channels.has(channel.id)) return;
    const owed = channel.localWindowSize - channel.localWindowLeft;
    if (owed > 0) this.adjustWindow(channel, owed);
  }

  async #globalRequest(reader: SSHReader): Promise<void> {
    const requestType = reader.text();
    const wantReply = reader.boolean();
    const data = reader.rest().slice();
    let result: GlobalRequestResult = false;
    try {
      result = await this.gotGlobalRequest(requestType, data);
    } catch (e) {
      log.failure(`SSH global request ${requestType} failed`, e, "error");
    }
    if (!wantReply) return;
    const [ok, answer] = Array.isArray(result) ? result : [result, new Uint8Array(0)];
    this.transport.sendMessage(
      new SSHWriter().byte(ok ? MSG.REQUEST_SUCCESS : MSG.REQUEST_FAILURE).raw(
        ok ? answer : new Uint8Array(0),
      ).bytes(),
    );
  }

  /** A global request from the peer; the server asks its avatar. */
  gotGlobalRequest(
    requestType: string,
    data: Uint8Array,
  ): GlobalRequestResult | Promise<GlobalRequestResult> {
    return this.avatar?.gotGlobalRequest(requestType, data) ?? false;
  }

  /** The channel for the peer's CHANNEL_OPEN; the server asks its avatar. */
  getChannel(
    channelType: string,
    windowSize: number,
    maxPacket: number,
    data: Uint8Array,
  ): SSHChannel | Promise<SSHChannel> {
    const avatar = this.avatar;
    if (avatar === null) {
      throw new ConchError("channels are not accepted", OPEN.UNKNOWN_CHANNEL_TYPE);
    }
    return avatar.lookupChannel(channelType, windowSize, maxPacket, data);
  }

  async #channelOpen(reader: SSHReader): Promise<void> {
    const channelType = reader.text();
    const remoteId = reader.uint32();
    const windowSize = reader.uint32();
    const maxPacket = reader.uint32();
    const data = reader.rest().slice();
    let channel: SSHChannel;
    try {
      if (this.channels.size + this.#opening.size >= MAX_CHANNELS) {
        throw new ConchError("too many channels", OPEN.RESOURCE_SHORTAGE);
      }
      if (maxPacket < 1) throw new ConchError("bad maximum packet size", OPEN.CONNECT_FAILED);
      channel = await this.getChannel(channelType, windowSize, maxPacket, data);
    } catch (e) {
      const code = e instanceof ConchError ? e.code : OPEN.CONNECT_FAILED;
      if (!(e instanceof ConchError)) log.failure("SSH channel open failed", e, "error");
      this.transport.sendMessage(
        new SSHWriter().byte(MSG.CHANNEL_OPEN_FAILURE).uint32(remoteId).uint32(code)
          .string((e as Error)?.message ?? "open failed").string("").bytes(),
      );
      return;
    }
    channel.remoteWindowLeft = windowSize;
    channel.remoteMaxPacket = maxPacket;
    channel.conn = this;
    channel.id = this.#nextId++;
    this.channels.set(channel.id, channel);
    this.#remoteIds.set(channel.id, remoteId);
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.CHANNEL_OPEN_CONFIRMATION).uint32(remoteId).uint32(channel.id)
        .uint32(channel.localWindowSize).uint32(channel.localMaxPacket)
        .raw(channel.specificData()).bytes(),
    );
    channel.channelOpen(data);
  }

  /** Opens `channel` on the peer; `channelOpen` or `openFailed` follows. */
  openChannel(channel: SSHChannel, extra: Uint8Array = channel.specificData()): void {
    channel.conn = this;
    channel.id = this.#nextId++;
    this.#opening.set(channel.id, channel);
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.CHANNEL_OPEN).string(channel.name).uint32(channel.id)
        .uint32(channel.localWindowSize).uint32(channel.localMaxPacket).raw(extra).bytes(),
    );
  }

  #openConfirmation(reader: SSHReader): void {
    const id = reader.uint32();
    const channel = this.#opening.get(id);
    if (channel === undefined) throw new SSHProtocolError(`Unexpected open confirmation ${id}`);
    this.#opening.delete(id);
    this.#remoteIds.set(id, reader.uint32());
    channel.remoteWindowLeft = reader.uint32();
    channel.remoteMaxPacket = Math.max(1, reader.uint32());
    this.channels.set(id, channel);
    channel.channelOpen(reader.rest().slice());
    channel.addWindowBytes(0);
  }

  #openFailure(reader: SSHReader): void {
    const id = reader.uint32();
    const channel = this.#opening.get(id);
    if (channel === undefined) throw new SSHProtocolError(`Unexpected open failure ${id}`);
    this.#opening.delete(id);
    const code = reader.uint32();
    const description = reader.text();
    channel.openFailed(new ConchError(description, code));
  }

  async #channelRequest(channel: SSHChannel, reader: SSHReader): Promise<void> {
    const requestType = reader.text();
    const wantReply = reader.boolean();
    const data = reader.rest().slice();
    let ok = false;
    try {
      // A synchronous answer goes out before anything the handler scheduled.
      const result = channel.requestReceived(requestType, data);
      ok = result instanceof Promise ? await result : result;
    } catch (e) {
      log.failure(`SSH channel request ${requestType} failed`, e, "error");
    }
    if (wantReply && this.#remoteIds.has(channel.id)) {
      this.transport.sendMessage(
        new SSHWriter().byte(ok ? MSG.CHANNEL_SUCCESS : MSG.CHANNEL_FAILURE)
          .uint32(this.#remote(channel)).bytes(),
      );
    }
  }

  /** Sends a channel request; with `wantReply`, resolves or rejects with the answer. */
  sendRequest(
    channel: SSHChannel,
    requestType: string,
    data: Uint8Array,
    options: { wantReply?: boolean } = {},
  ): Promise<void> {
    const wantReply = options.wantReply ?? false;
    if (channel.localClosed || !this.#remoteIds.has(channel.id)) {
      return Promise.reject(new ConchError("channel closed"));
    }
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.CHANNEL_REQUEST).uint32(this.#remote(channel))
        .string(requestType).boolean(wantReply).raw(data).bytes(),
    );
    if (!wantReply) return Promise.resolve();
    const waiters = this.#channelWaiters.get(channel.id) ?? [];
    this.#channelWaiters.set(channel.id, waiters);
    if (waiters.length >= MAX_PENDING_REQUESTS) {
      return Promise.reject(new RangeError("Too many channel requests pending"));
    }
    return new Promise((resolve, reject) => waiters.push({ resolve: () => resolve(), reject }));
  }

  /** Sends a global request; with `wantReply`, resolves with the answer's data. */
  sendGlobalRequest(
    requestType: string,
    data: Uint8Array,
    options: { wantReply?: boolean } = {},
  ): Promise<Uint8Array> {
    const wantReply = options.wantReply ?? false;
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.GLOBAL_REQUEST).string(requestType).boolean(wantReply).raw(data)
        .bytes(),
    );
    if (!wantReply) return Promise.resolve(new Uint8Array(0));
    if (this.#globalWaiters.length >= MAX_PENDING_REQUESTS) {
      return Promise.reject(new RangeError("Too many global requests pending"));
    }
    return new Promise((resolve, reject) => this.#globalWaiters.push({ resolve, reject }));
  }

  /** Opens our window for `channel` by `bytesToAdd`. */
  adjustWindow(channel: SSHChannel, bytesToAdd: number): void {
    if (channel.localClosed || bytesToAdd <= 0) return;
    channel.localWindowLeft += bytesToAdd;
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.CHANNEL_WINDOW_ADJUST).uint32(this.#remote(channel))
        .uint32(bytesToAdd).bytes(),
    );
  }

  /** Sends data on `channel` (the channel has checked the window). */
  sendData(channel: SSHChannel, data: Uint8Array): void {
    if (channel.localClosed || !this.#remoteIds.has(channel.id)) return;
    // Type, channel, length, data: sized exactly, so the message is not copied again.
    this.transport.sendMessage(
      new SSHWriter(data.length + 9).byte(MSG.CHANNEL_DATA).uint32(this.#remote(channel))
        .string(data).bytes(),
    );
  }

  /** Sends extended data on `channel`. */
  sendExtendedData(channel: SSHChannel, dataType: number, data: Uint8Array): void {
    if (channel.localClosed || !this.#remoteIds.has(channel.id)) return;
    this.transport.sendMessage(
      new SSHWriter(data.length + 13).byte(MSG.CHANNEL_EXTENDED_DATA)
        .uint32(this.#remote(channel)).uint32(dataType).string(data).bytes(),
    );
  }

  /** Sends EOF on `channel`. */
  sendEOF(channel: SSHChannel): void {
    if (channel.localClosed || !this.#remoteIds.has(channel.id)) return;
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.CHANNEL_EOF).uint32(this.#remote(channel)).bytes(),
    );
  }

  /** Sends CHANNEL_CLOSE on `channel`. */
  sendClose(channel: SSHChannel): void {
    if (channel.localClosed || !this.#remoteIds.has(channel.id)) return;
    channel.localClosed = true;
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.CHANNEL_CLOSE).uint32(this.#remote(channel)).bytes(),
    );
    if (channel.remoteClosed) this.#closed(channel);
  }

  #closed(channel: SSHChannel): void {
    this.#forget(channel);
    channel.closed();
  }

  #forget(channel: SSHChannel): void {
    this.channels.delete(channel.id);
    this.#opening.delete(channel.id);
    this.#remoteIds.delete(channel.id);
    this.#paused.delete(channel.id);
    const waiters = this.#channelWaiters.get(channel.id) ?? [];
    this.#channelWaiters.delete(channel.id);
    for (const waiter of waiters) waiter.reject(new ConchError("channel closed"));
  }
}
