/**
 * The client's TCP exchanges: one query over TCP (after a truncated UDP
 * reply), and a zone transfer (AXFR), which reads message after message until
 * the closing SOA. Each opens its own connection and closes it when done.
 *
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import type { Failure } from "../../internet/failure.ts";
import type {
  IConnector,
  IReactorSSL,
  IReactorTCP,
  IReactorTime,
} from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import type { Address } from "../../internet/address.ts";
import { ClientFactory, Protocol } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import { DNSProtocol, type DNSQueryOptions, randomId } from "../_protocols.ts";
import { exceptionForCode } from "../common.ts";
import { DNSFormatError, DNSQueryTimeoutError, ResolverError } from "../error.ts";
import { AXFR, IN, SOA } from "../wire/_constants.ts";
import { Message, Query, type RRHeader } from "../wire/_message.ts";

const log = new Logger("tw.names.client");

/** A reactor that connects over TCP and keeps time. */
export type IReactorTCPTime = IReactorTCP & IReactorTime;

/** How long a query over TCP may take, seconds (Twisted's `queryTCP` default). */
export const DEFAULT_TCP_TIMEOUT = 10;

/**
 * One query over TCP (Twisted's `queryTCP`): connects to `server`, sends the
 * query, fires with the reply and closes the connection. Cancelling aborts
 * the connection (or the attempt).
 */
export function queryTCP(
  reactor: IReactorTCPTime,
  server: [string, number],
  queries: Query[],
  options: DNSQueryOptions = {},
): Deferred<Message> {
  const factory = new TCPQueryFactory(reactor, queries, options);
  const timeout = options.timeout ?? DEFAULT_TCP_TIMEOUT;
  try {
    factory.connector = reactor.connectTCP(server[0], server[1], factory, { timeout });
  } catch (error) {
    factory.deferred.errback(error);
  }
  return factory.deferred;
}

class TCPQueryFactory extends ClientFactory {
  override noisy = false;
  readonly deferred: Deferred<Message>;
  connector: IConnector | null = null;
  readonly #reactor: IReactorTime;
  readonly #queries: Query[];
  readonly #options: DNSQueryOptions;
  #protocol: DNSProtocol | null = null;
  #done = false;

  constructor(reactor: IReactorTime, queries: Query[], options: DNSQueryOptions) {
    super();
    this.#reactor = reactor;
    this.#queries = queries;
    this.#options = options;
    this.deferred = new Deferred<Message>(() => this.#cancel());
  }

  override buildProtocol(_addr: Address): DNSProtocol {
    const controller = {
      messageReceived: (message: Message): void => {
        log.debug("Unexpected message {id} over TCP", { id: message.id });
      },
      connectionMade: (protocol: DNSProtocol): void => this.#connected(protocol),
    };
    const protocol = new DNSProtocol(controller, { reactor: this.#reactor });
    protocol.factory = this;
    this.#protocol = protocol;
    return protocol;
  }

  #connected(protocol: DNSProtocol): void {
    if (this.#done) {
      protocol.transport.abortConnection();
      return;
    }
    const options = { timeout: DEFAULT_TCP_TIMEOUT, ...this.#options };
    protocol.query(this.#queries, options).addBoth((result) => {
      protocol.transport.loseConnection();
      this.#finish(result);
      return null;
    });
  }

  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    this.#finish(reason);
  }

  #finish(result: Message | Failure): void {
    if (this.#done) return;
    this.#done = true;
    this.deferred.callback(result);
  }

  #cancel(): void {
    this.#done = true;
    const protocol = this.#protocol;
    if (protocol?.connected) protocol.transport.abortConnection();
    else if (protocol === null) this.connector?.disconnect();
  }
}

/** The bounds of a zone transfer. */
export interface ZoneTransferOptions {
  /** Seconds the whole transfer may take. @default 10 */
  timeout?: number;
  /** The most records accepted (both SOAs included). @default 100000 */
  maxRecords?: number;
  /** The most bytes accepted, framing included. @default 33554432 (32 MiB) */
  maxBytes?: number;
}

/** A zone transfer's options, with TLS settings to transfer over TLS (XoT, RFC 9103). */
export interface ZoneTransferTLSOptions extends ZoneTransferOptions {
  /** Connect with TLS (the reactor needs `connectSSL`). @default none: plain TCP */
  tls?: TlsOptions;
}

/** Default bounds of a zone transfer. */
export const ZONE_DEFAULTS: Required<ZoneTransferOptions> = {
  timeout: 10,
  maxRecords: 100_000,
  maxBytes: 32 * 1024 * 1024,
};

/**
 * A zone transfer (AXFR, RFC 5936) from `server` over TCP (Twisted's
 * `lookupZone` with its `AXFRController`): fires with every record, from the
 * opening SOA to the closing one. Fails with the error for the response code
 * the server answers with, `DNSQueryTimeoutError` after `timeout`,
 * `ResolverError` when a bound is passed or the connection ends early, and
 * `DNSFormatError` for a malformed stream.
 */
export function transferZone(
  reactor: IReactorTCPTime & Partial<IReactorSSL>,
  server: [string, number],
  name: string,
  options: ZoneTransferTLSOptions = {},
): Deferred<RRHeader[]> {
  const { tls, ...bounds } = options;
  const factory = new ZoneTransferFactory(reactor, name, { ...ZONE_DEFAULTS, ...bounds });
  const timeout = factory.options.timeout;
  try {
    if (tls === undefined) {
      factory.connector = reactor.connectTCP(server[0], server[1], factory, { timeout });
    } else if (reactor.connectSSL === undefined) {
      throw new TypeError("A zone transfer over TLS needs a reactor with connectSSL");
    } else {
      factory.connector = reactor.connectSSL(server[0], server[1], factory, tls, { timeout });
    }
  } catch (error) {
    factory.finish(error as Error);
  }
  return factory.deferred;
}

class ZoneTransferFactory extends ClientFactory {
  override noisy = false;
  readonly deferred: Deferred<RRHeader[]>;
  connector: IConnector | null = null;
  readonly name: string;
  readonly id: number = randomId();
  readonly options: Required<ZoneTransferOptions>;
  #protocol: AXFRProtocol | null = null;
  #timer: { cancel(): void; active(): boolean };
  #done = false;

  constructor(reactor: IReactorTime, name: string, options: Required<ZoneTransferOptions>) {
    super();
    this.name = name;
    this.options = options;
    this.deferred = new Deferred<RRHeader[]>(() => this.#stop(null));
    this.#timer = reactor.callLater(options.timeout, () => {
      this.#stop(
        new DNSQueryTimeoutError(
          this.id,
          `Zone transfer of ${name} timed out after ${options.timeout} seconds`,
        ),
      );
    });
  }

  override buildProtocol(_addr: Address): AXFRProtocol {
    const protocol = new AXFRProtocol(this);
    protocol.factory = this;
    this.#protocol = protocol;
    return protocol;
  }

  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    this.#stop(reason.value);
  }

  /** The transfer ended: with its records, an error, or (cancelled) nothing. */
  finish(result: RRHeader[] | Error | null): void {
    if (this.#done) return;
    if (Array.isArray(result)) {
      this.#done = true;
      if (this.#timer.active()) this.#timer.cancel();
      this.#protocol?.transport.loseConnection();
      this.deferred.callback(result);
    } else {
      this.#stop(result);
    }
  }

  #stop(error: Error | null): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer.active()) this.#timer.cancel();
    const protocol = this.#protocol;
    if (protocol?.connected) protocol.transport.abortConnection();
    else if (protocol === null) this.connector?.disconnect();
    if (error !== null) this.deferred.errback(error);
  }
}

/** Reads the length-framed messages of one zone transfer. */
class AXFRProtocol extends Protocol {
  readonly #owner: ZoneTransferFactory;
  #buffer: Uint8Array = new Uint8Array(0);
  #bytes = 0;
  #records: RRHeader[] = [];
  #ended = false;

  constructor(owner: ZoneTransferFactory) {
    super();
    this.#owner = owner;
  }

  override connectionMade(): void {
    // dig sets recursion desired to 0 for AXFR; so did Twisted.
    const query = new Message({
      id: this.#owner.id,
      recDes: false,
      queries: [new Query(this.#owner.name, AXFR, IN)],
    }).toStr();
    const framed = new Uint8Array(query.length + 2);
    framed[0] = query.length >> 8;
    framed[1] = query.length & 0xff;
    framed.set(query, 2);
    this.transport.write(framed);
  }

  override dataReceived(data: Uint8Array): void {
    if (this.#ended) return;
    const { maxBytes } = this.#owner.options;
    this.#bytes += data.length;
    if (this.#bytes > maxBytes) {
      return this.#end(
        new ResolverError(`Zone transfer of ${this.#owner.name} passed ${maxBytes} bytes`),
      );
    }
    let buffer = this.#buffer.length === 0 ? data : concat(this.#buffer, data);
    while (buffer.length >= 2 && !this.#ended) {
      const length = (buffer[0] << 8) | buffer[1];
      if (buffer.length < 2 + length) break;
      this.#message(buffer.subarray(2, 2 + length));
      buffer = buffer.subarray(2 + length);
    }
    this.#buffer = buffer.length === 0 ? new Uint8Array(0) : buffer.slice();
  }

  #message(bytes: Uint8Array): void {
    const owner = this.#owner;
    let message: Message;
    try {
      message = Message.fromStr(bytes);
    } catch (error) {
      return this.#end(error as Error);
    }
    if (!message.answer || message.id !== owner.id) {
      return this.#end(
        new DNSFormatError(`Zone transfer of ${owner.name}: message ${message.id} is no reply`),
      );
    }
    if (message.rCode !== 0) {
      const ErrorClass = exceptionForCode(message.rCode);
      return this.#end(
        new ErrorClass(
          `Zone transfer of ${owner.name} failed with response code ${message.rCode}`,
          {
            response: message,
          },
        ),
      );
    }
    for (const rr of message.answers) {
      if (this.#records.length === 0 && rr.type !== SOA) {
        return this.#end(
          new DNSFormatError(`Zone transfer of ${owner.name} does not start with an SOA`),
        );
      }
      this.#records.push(rr);
      if (this.#records.length > owner.options.maxRecords) {
        return this.#end(
          new ResolverError(
            `Zone transfer of ${owner.name} passed ${owner.options.maxRecords} records`,
          ),
        );
      }
      if (rr.type === SOA && this.#records.length > 1) return this.#end(this.#records);
    }
  }

  #end(result: RRHeader[] | Error): void {
    this.#ended = true;
    this.#buffer = new Uint8Array(0);
    this.#owner.finish(result);
  }

  override connectionLost(reason: Failure): void {
    this.connected = false;
    if (this.#ended) return;
    this.#ended = true;
    this.#owner.finish(
      new ResolverError(
        `Zone transfer of ${this.#owner.name} ended before its closing SOA (${this.#records.length} records)`,
        { cause: reason.value },
      ),
    );
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
