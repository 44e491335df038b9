/**
 * DNS over UDP and TCP as protocols (Twisted's `DNSDatagramProtocol` and
 * `DNSProtocol`): both send queries and match replies, and hand every other
 * message to a controller (a resolver or a server factory).
 *
 * A reply counts only when it comes from the address asked, carries the
 * query's id and repeats its question (RFC 5452 s9.1; Twisted checks the id
 * alone, so a forged reply wins the race).
 *
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import type { IReactorTime } from "../internet/interfaces.ts";
import { type DatagramAddress, DatagramProtocol, Protocol } from "../internet/protocol.ts";
import type { Failure } from "../internet/failure.ts";
import { ConnectionDone } from "../internet/error.ts";
import { Logger } from "../logger/mod.ts";
import { DNSFormatError, DNSQueryTimeoutError } from "./error.ts";
import { Message, type Query } from "./wire/_message.ts";

const log = new Logger("tw.names");

/** What a DNS protocol hands the messages it does not match to a query of its own. */
export interface IDNSController {
  /** A message arrived (`address` is the sender for UDP, undefined for TCP). */
  messageReceived(
    message: Message,
    protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): void;
  /** Bytes that are no DNS message arrived; a server answers FORMERR when it can. */
  malformedReceived?(
    bytes: Uint8Array,
    error: DNSFormatError,
    protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): void;
  /**
   * The reply for a UDP query before it is decoded, or null to go on: a
   * server's kept reply for these exact bytes (sent with the id patched),
   * or a rate limiter's verdict (empty bytes: send nothing).
   */
  cachedReply?(datagram: Uint8Array, address: DatagramAddress): Uint8Array | null;
  /** A TCP connection was made (servers count them). */
  connectionMade?(protocol: DNSProtocol): void;
  /** A TCP connection was lost. */
  connectionLost?(protocol: DNSProtocol): void;
}

/** How one query is sent. */
export interface DNSQueryOptions {
  /** Seconds to wait for the reply. @default 10 */
  timeout?: number;
  /** The id; a random one (crypto.getRandomValues) when omitted. @default random */
  id?: number;
  /** Ask for recursion (RD). @default true */
  recDes?: boolean;
  /** The EDNS version to send, or null for none. @default 0 */
  ednsVersion?: number | null;
  /** The UDP size advertised with EDNS (RFC 9715's 1232 fits every path). @default 1232 */
  maxSize?: number;
  /** Set DNSSEC OK. @default false */
  dnssecOK?: boolean;
  /** Set checking disabled. @default false */
  checkingDisabled?: boolean;
}

/** The options both protocols take. */
export interface DNSProtocolOptions {
  /** The reactor for timeouts. */
  reactor: IReactorTime;
}

interface Pending {
  deferred: Deferred<Message>;
  queries: Query[];
  address: DatagramAddress | null;
  timer: { cancel(): void; active(): boolean };
}

const idBuffer = new Uint16Array(1);

/** A random 16-bit query id from the platform's CSPRNG. */
export function randomId(): number {
  crypto.getRandomValues(idBuffer);
  return idBuffer[0];
}

function sameQuestion(a: Query[], b: Query[]): boolean {
  return a.length === b.length && a.every((q, i) => q.equals(b[i]));
}

/** The message a query sends. */
export function queryMessage(id: number, queries: Query[], options: DNSQueryOptions): Message {
  const edns = options.ednsVersion === undefined ? 0 : options.ednsVersion;
  return new Message({
    id,
    recDes: options.recDes ?? true,
    queries,
    ednsVersion: edns,
    maxSize: options.maxSize ?? 1232,
    dnssecOK: options.dnssecOK ?? false,
    checkingDisabled: options.checkingDisabled ?? false,
  });
}

/** A protocol that can send DNS messages: what a controller answers through. */
export interface IDNSMessageWriter {
  /** Sends a message (to `address` over UDP). */
  writeMessage(message: Message, address?: DatagramAddress): void;
}

/**
 * The queries a protocol awaits replies to (Twisted's `DNSMixin`): ids,
 * timeouts, and the reply checks.
 */
class QueryTracker {
  readonly live: Map<number, Pending> = new Map();
  readonly #reactor: IReactorTime;
  readonly #writer: IDNSMessageWriter;

  /** Creates it from its fields (see the class). */
  constructor(reactor: IReactorTime, writer: IDNSMessageWriter) {
    this.#reactor = reactor;
    this.#writer = writer;
  }

  pickID(): number {
    for (;;) {
      const id = randomId();
      if (!this.live.has(id)) return id;
    }
  }

  send(
    queries: Query[],
    address: DatagramAddress | null,
    options: DNSQueryOptions,
  ): Deferred<Message> {
    const id = options.id ?? this.pickID();
    const deferred = new Deferred<Message>(() => void this.#forget(id));
    const timer = this.#reactor.callLater(options.timeout ?? 10, () => {
      this.#forget(id);
      deferred.errback(new DNSQueryTimeoutError(id));
    });
    this.live.set(id, { deferred, queries, address, timer });
    try {
      this.#writer.writeMessage(queryMessage(id, queries, options), address ?? undefined);
    } catch (error) {
      this.#forget(id);
      deferred.errback(error);
    }
    return deferred;
  }

  #forget(id: number): Pending | undefined {
    const pending = this.live.get(id);
    if (!pending) return undefined;
    this.live.delete(id);
    if (pending.timer.active()) pending.timer.cancel();
    return pending;
  }

  /** True if `message` was a reply to a live query (and fired it, when it passed the checks). */
  claim(message: Message, address?: DatagramAddress): boolean {
    if (!message.answer) return false;
    const pending = this.live.get(message.id);
    if (!pending) return true; // a late or unasked reply: nothing to do
    const from = pending.address;
    if (from && address && (from[0] !== address[0] || from[1] !== address[1])) {
      log.debug("Reply {id} from an address not asked: dropped", { id: message.id });
      return true;
    }
    if (message.queries.length === 0) {
      // RFC 5452: a reply repeats the question; only an error reply may omit it.
      if (message.rCode === 0) {
        log.debug("Reply {id} without its question: dropped", { id: message.id });
        return true;
      }
    } else if (!sameQuestion(pending.queries, message.queries)) {
      log.debug("Reply {id} to another question: dropped", { id: message.id });
      return true;
    }
    this.#forget(message.id);
    pending.deferred.callback(message);
    return true;
  }

  failAll(reason: unknown): void {
    for (const id of [...this.live.keys()]) this.#forget(id)?.deferred.errback(reason);
  }
}

/** Decodes bytes, or hands them to the controller as malformed (returns null). */
function decode(
  bytes: Uint8Array,
  controller: IDNSController,
  protocol: DNSDatagramProtocol | DNSProtocol,
  address?: DatagramAddress,
): Message | null {
  try {
    return Message.fromStr(bytes);
  } catch (error) {
    if (!(error instanceof DNSFormatError)) throw error;
    controller.malformedReceived?.(bytes, error, protocol, address);
    return null;
  }
}

/**
 * DNS over UDP (Twisted's `DNSDatagramProtocol`): `query(address, queries)`
 * sends and matches the reply; other messages go to the controller.
 *
 * @example
 * ```ts
 * import { DNSDatagramProtocol, Message, Query } from "@tw/core/names";
 * import { Clock, FakeDatagramTransport } from "@tw/core/testing";
 *
 * const clock = new Clock();
 * const proto = new DNSDatagramProtocol({ messageReceived() {} }, { reactor: clock });
 * const transport = new FakeDatagramTransport();
 * proto.makeConnection(transport);
 * const reply = proto.query(["192.0.2.53", 53], [new Query("example.com")]);
 * const [bytes, to] = transport.written[0];
 * const asked = Message.fromStr(bytes);
 * const answer = new Message({ id: asked.id, answer: true, queries: asked.queries });
 * proto.datagramReceived(answer.toStr(), to as [string, number]);
 * console.log((await reply).answer); // true
 * ```
 */
export class DNSDatagramProtocol extends DatagramProtocol implements IDNSMessageWriter {
  /** Who gets the messages that are not replies to our queries. */
  readonly controller: IDNSController;
  readonly #tracker: QueryTracker;
  #current: Uint8Array | null = null;
  /** No log line per port: resolvers open one per query. */
  override noisy: boolean = false;

  /** Creates the protocol; messages it does not match go to `controller`. */
  constructor(controller: IDNSController, options: DNSProtocolOptions) {
    super();
    this.controller = controller;
    this.#tracker = new QueryTracker(options.reactor, this);
  }

  /** Queries awaiting a reply, by id (Twisted's `liveMessages`). */
  get liveMessages(): ReadonlyMap<number, unknown> {
    return this.#tracker.live;
  }

  /** A free id for a new query. */
  pickID(): number {
    return this.#tracker.pickID();
  }

  /** The port stopped: pending queries fail. */
  override stopProtocol(): void {
    this.#tracker.failAll(new ConnectionDone("The DNS port stopped"));
  }

  /** A datagram arrived. */
  override datagramReceived(data: Uint8Array, addr: DatagramAddress): void {
    const cached = this.controller.cachedReply?.(data, addr);
    if (cached) {
      if (cached.length === 0) return;
      const reply = cached.slice();
      reply[0] = data[0];
      reply[1] = data[1];
      this.transport?.write(reply, addr);
      return;
    }
    const message = decode(data, this.controller, this, addr);
    if (message && !this.#tracker.claim(message, addr)) {
      this.#current = data;
      try {
        this.controller.messageReceived(message, this, addr);
      } finally {
        this.#current = null;
      }
    }
  }

  /** The bytes of the datagram being handed to the controller, while it is (else null). */
  get currentDatagram(): Uint8Array | null {
    return this.#current;
  }

  /** Sends `message` to `address` (cut to 65535 bytes, TC set, if longer). */
  writeMessage(message: Message, address?: DatagramAddress): void {
    if (!this.transport) throw new Error("The DNS protocol is not listening");
    this.transport.write(message.toStr(0xffff), address);
  }

  /**
   * Sends a query to `address`; fires with the reply or fails with
   * `DNSQueryTimeoutError` after `timeout` seconds.
   */
  query(
    address: DatagramAddress,
    queries: Query[],
    options: DNSQueryOptions = {},
  ): Deferred<Message> {
    return this.#tracker.send(queries, address, options);
  }
}

/** How long a query over TCP waits for its reply, seconds. */
const DEFAULT_TCP_MESSAGE_TIMEOUT = 10;

/**
 * DNS over TCP (Twisted's `DNSProtocol`): messages framed by a two-byte
 * length, reassembled from chunks of any size (one byte included).
 *
 * @example
 * ```ts
 * import { DNSProtocol, Message, Query } from "@tw/core/names";
 * import { Clock, StringTransport } from "@tw/core/testing";
 *
 * const proto = new DNSProtocol({ messageReceived() {} }, { reactor: new Clock() });
 * const transport = new StringTransport();
 * proto.makeConnection(transport);
 * const reply = proto.query([new Query("example.com")]);
 * const asked = Message.fromStr(transport.value().subarray(2));
 * const bytes = new Message({ id: asked.id, answer: true, queries: asked.queries }).toStr();
 * for (const b of [bytes.length >> 8, bytes.length & 0xff, ...bytes]) proto.dataReceived(Uint8Array.of(b));
 * console.log((await reply).id === asked.id); // true
 * ```
 */
export class DNSProtocol extends Protocol implements IDNSMessageWriter {
  /** Who gets the messages that are not replies to our queries. */
  readonly controller: IDNSController;
  readonly #tracker: QueryTracker;
  #buffer: Uint8Array = new Uint8Array(0);

  /** Creates the protocol; messages it does not match go to `controller`. */
  constructor(controller: IDNSController, options: DNSProtocolOptions) {
    super();
    this.controller = controller;
    this.#tracker = new QueryTracker(options.reactor, this);
  }

  /** Queries awaiting a reply, by id (Twisted's `liveMessages`). */
  get liveMessages(): ReadonlyMap<number, unknown> {
    return this.#tracker.live;
  }

  /** A free id for a new query. */
  pickID(): number {
    return this.#tracker.pickID();
  }

  /** Tells the controller. */
  override connectionMade(): void {
    this.controller.connectionMade?.(this);
  }

  /** Fails pending queries and tells the controller. */
  override connectionLost(reason: Failure): void {
    this.connected = false;
    this.#tracker.failAll(reason.value);
    this.controller.connectionLost?.(this);
  }

  /** Reassembles length-prefixed messages; a zero length closes the connection. */
  override dataReceived(data: Uint8Array): void {
    let buffer = this.#buffer.length === 0 ? data : concat(this.#buffer, data);
    while (buffer.length >= 2) {
      const length = (buffer[0] << 8) | buffer[1];
      if (length === 0) {
        this.#buffer = new Uint8Array(0);
        this.transport.loseConnection();
        return;
      }
      if (buffer.length < 2 + length) break;
      const message = decode(buffer.subarray(2, 2 + length), this.controller, this);
      buffer = buffer.subarray(2 + length);
      if (message && !this.#tracker.claim(message)) this.controller.messageReceived(message, this);
      if (!this.connected) return;
    }
    this.#buffer = buffer.length === 0 ? new Uint8Array(0) : buffer.slice();
  }

  /** Bytes of a message still being reassembled. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  /** Sends a message with its length prefix (cut to 65535 bytes, TC set, if longer). */
  writeMessage(message: Message): void {
    const bytes = message.toStr(0xffff);
    const framed = new Uint8Array(bytes.length + 2);
    framed[0] = bytes.length >> 8;
    framed[1] = bytes.length & 0xff;
    framed.set(bytes, 2);
    this.transport.write(framed);
  }

  /** Sends a query on this connection; fires with the reply. */
  query(queries: Query[], options: DNSQueryOptions = {}): Deferred<Message> {
    return this.#tracker.send(queries, null, { timeout: DEFAULT_TCP_MESSAGE_TIMEOUT, ...options });
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
