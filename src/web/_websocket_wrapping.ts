/**
 * Any stream protocol over WebSocket (autobahn's wrapping factories, as
 * websockify does it): the `binary` subprotocol carries bytes in binary
 * messages, `base64` in text messages. The wrapped protocol gets a transport
 * whose writes become messages, and connects when the WebSocket opens.
 *
 * @module
 */
import type { Address } from "../internet/address.ts";
import { ConnectionDone, ConnectionLost } from "../internet/error.ts";
import { Failure } from "../internet/failure.ts";
import type { ClientFactory } from "../internet/protocol.ts";
import type {
  IConnector,
  IProtocol,
  IProtocolFactory,
  IPullProducer,
  IPushProducer,
  ITransport,
} from "../internet/interfaces.ts";
import { CLOSE_INVALID_PAYLOAD, CLOSE_NORMAL, CLOSE_UNSUPPORTED_DATA } from "./_websocket_frame.ts";
import type { WebSocketProtocol } from "./_websocket_protocol.ts";
import {
  ConnectionDeny,
  type ConnectionRequest,
  WebSocketServerFactory,
  type WebSocketServerFactoryOptions,
  WebSocketServerProtocol,
} from "./_websocket_server.ts";
import {
  type ConnectionResponse,
  WebSocketClientFactory,
  type WebSocketClientFactoryOptions,
  WebSocketClientProtocol,
} from "./_websocket_client.ts";

/** The subprotocols a wrapping factory speaks, in order of preference. */
const SUBPROTOCOLS = ["binary", "base64"];

function toBase64(data: Uint8Array): string {
  let text = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return btoa(text);
}

function fromBase64(payload: Uint8Array): Uint8Array {
  const text = atob(new TextDecoder().decode(payload).replace(/\s+/g, ""));
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** The wrapped protocol's transport: bytes written become WebSocket messages. */
class MessageTransport implements ITransport {
  readonly #ws: WebSocketProtocol;
  readonly #binary: boolean;
  #disconnecting = false;

  constructor(ws: WebSocketProtocol, binary: boolean) {
    this.#ws = ws;
    this.#binary = binary;
  }

  get disconnecting(): boolean {
    return this.#disconnecting;
  }

  write(data: Uint8Array): void {
    if (this.#disconnecting || data.length === 0) return;
    if (this.#binary) this.#ws.sendMessage(data, true);
    else this.#ws.sendMessage(toBase64(data), false);
  }

  writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }

  loseConnection(): void {
    if (this.#disconnecting) return;
    this.#disconnecting = true;
    this.#ws.sendClose(CLOSE_NORMAL);
  }

  abortConnection(): void {
    this.#disconnecting = true;
    this.#ws.dropConnection(true);
  }

  getPeer(): Address {
    return this.#ws.transport.getPeer();
  }

  getHost(): Address {
    return this.#ws.transport.getHost();
  }

  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    this.#ws.registerProducer(producer, streaming);
  }

  unregisterProducer(): void {
    this.#ws.unregisterProducer();
  }

  pauseProducing(): void {
    this.#ws.pauseProducing();
  }

  resumeProducing(): void {
    this.#ws.resumeProducing();
  }

  stopProducing(): void {
    this.#ws.stopProducing();
  }
}

/** What both wrapping protocols do once the subprotocol is known. */
class Wrapped {
  readonly #ws: WebSocketProtocol;
  readonly #inner: IProtocol;
  #binary = true;
  #open = false;

  constructor(ws: WebSocketProtocol, inner: IProtocol) {
    this.#ws = ws;
    this.#inner = inner;
  }

  chose(subprotocol: string): void {
    this.#binary = subprotocol !== "base64";
  }

  open(): void {
    this.#open = true;
    this.#inner.makeConnection(new MessageTransport(this.#ws, this.#binary));
  }

  message(payload: Uint8Array, isBinary: boolean): void {
    if (isBinary !== this.#binary) {
      this.#ws.failConnection(
        CLOSE_UNSUPPORTED_DATA,
        "message payload type does not match the negotiated subprotocol",
      );
      return;
    }
    let bytes = payload;
    if (!isBinary) {
      try {
        bytes = fromBase64(payload);
      } catch {
        this.#ws.failConnection(CLOSE_INVALID_PAYLOAD, "message payload base64 decoding error");
        return;
      }
    }
    this.#inner.dataReceived(bytes);
  }

  close(wasClean: boolean, code: number, reason: string): void {
    if (!this.#open) return;
    this.#open = false;
    const error = wasClean && code === CLOSE_NORMAL
      ? new ConnectionDone()
      : new ConnectionLost(`WebSocket closed (${code}${reason ? `: ${reason}` : ""})`);
    this.#inner.connectionLost(new Failure(error));
  }
}

/**
 * The server side of a wrapped stream protocol (autobahn's
 * `WrappingWebSocketServerProtocol`); `WrappingWebSocketServerFactory` makes it.
 *
 * @example
 * ```ts
 * import { Factory, Protocol } from "@tw/core";
 * import { WebSocketResource, WrappingWebSocketServerFactory } from "@tw/core/web";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport.write(data);
 *   }
 * }
 * const factory = new WrappingWebSocketServerFactory(Factory.forProtocol(Echo));
 * const resource = new WebSocketResource(factory); // mount it in a Site
 * console.log(factory.buildProtocol({} as never)?.constructor.name); // WrappingWebSocketServerProtocol
 * ```
 */
export class WrappingWebSocketServerProtocol extends WebSocketServerProtocol {
  #wrapped: Wrapped | null = null;

  /** Attaches the stream protocol this one carries (the factory does). */
  wrap(inner: IProtocol): void {
    this.#wrapped = new Wrapped(this, inner);
  }

  /** Picks `binary` or `base64` (or the factory's own) from the client's offer; 406 otherwise. */
  override onConnect(request: ConnectionRequest): string {
    const offered = (this.factory as WrappingWebSocketServerFactory).subprotocols;
    const chosen = request.protocols.find((p) => offered.includes(p));
    if (chosen === undefined || this.#wrapped === null) {
      throw new ConnectionDeny(
        406,
        `This server only speaks the ${offered.join(", ")} subprotocols`,
      );
    }
    this.#wrapped.chose(chosen);
    return chosen;
  }

  /** Connects the wrapped protocol. */
  override onOpen(): void {
    this.#wrapped?.open();
  }

  /** Passes the bytes on. */
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    this.#wrapped?.message(payload, isBinary);
  }

  /** Tells the wrapped protocol the connection is lost. */
  override onClose(wasClean: boolean, code: number, reason: string): void {
    this.#wrapped?.close(wasClean, code, reason);
  }
}

/** Options of a wrapping factory: the WebSocket options, and one more subprotocol to accept. */
export interface WrappingWebSocketServerFactoryOptions extends WebSocketServerFactoryOptions {
  /** A subprotocol to speak besides `binary` and `base64`, carried as binary. @default none */
  subprotocol?: string;
}

/**
 * Serves any stream protocol's factory over WebSocket (autobahn's
 * `WrappingWebSocketServerFactory`): mount it with `WebSocketResource`.
 *
 * @example
 * ```ts
 * import { Factory, Protocol } from "@tw/core";
 * import { WrappingWebSocketServerFactory } from "@tw/core/web";
 *
 * const factory = new WrappingWebSocketServerFactory(Factory.forProtocol(Protocol), { subprotocol: "amp" });
 * console.log(factory.subprotocols); // ["binary", "base64", "amp"]
 * ```
 */
export class WrappingWebSocketServerFactory extends WebSocketServerFactory {
  /** The stream protocols' factory. */
  readonly wrappedFactory: IProtocolFactory;
  /** The subprotocols accepted. */
  readonly subprotocols: string[];

  /** Wraps `factory`. */
  constructor(factory: IProtocolFactory, options: WrappingWebSocketServerFactoryOptions = {}) {
    super(WrappingWebSocketServerProtocol, options);
    this.wrappedFactory = factory;
    this.subprotocols = options.subprotocol
      ? [...SUBPROTOCOLS, options.subprotocol]
      : [...SUBPROTOCOLS];
  }

  /** A WebSocket protocol carrying a protocol of the wrapped factory (null if it refuses). */
  override buildProtocol(addr: Address): WrappingWebSocketServerProtocol | null {
    const inner = this.wrappedFactory.buildProtocol(addr);
    if (inner === null) return null;
    const protocol = new WrappingWebSocketServerProtocol();
    protocol.factory = this;
    protocol.wrap(inner);
    return protocol;
  }

  /** Starts the wrapped factory too. */
  override doStart(): void {
    super.doStart();
    this.wrappedFactory.doStart();
  }

  /** Stops the wrapped factory too. */
  override doStop(): void {
    this.wrappedFactory.doStop();
    super.doStop();
  }
}

/**
 * The client side of a wrapped stream protocol (autobahn's
 * `WrappingWebSocketClientProtocol`); `WrappingWebSocketClientFactory` makes it.
 *
 * @example
 * ```ts
 * import { ClientFactory, Protocol } from "@tw/core";
 * import { WrappingWebSocketClientFactory } from "@tw/core/web";
 *
 * const factory = new WrappingWebSocketClientFactory(ClientFactory.forProtocol(Protocol), "ws://127.0.0.1:8080/ws");
 * console.log(factory.buildProtocol({} as never)?.constructor.name); // WrappingWebSocketClientProtocol
 * ```
 */
export class WrappingWebSocketClientProtocol extends WebSocketClientProtocol {
  #wrapped: Wrapped | null = null;

  /** Attaches the stream protocol this one carries (the factory does). */
  wrap(inner: IProtocol): void {
    this.#wrapped = new Wrapped(this, inner);
  }

  /** Checks the server chose `binary` or `base64`; refuses the connection otherwise. */
  override onConnect(response: ConnectionResponse): void {
    const offered = (this.factory as WrappingWebSocketClientFactory).subprotocols;
    if (response.protocol === null || !offered.includes(response.protocol)) {
      throw new Error(`The server chose no subprotocol of ${offered.join(", ")}`);
    }
    this.#wrapped?.chose(response.protocol);
  }

  /** Connects the wrapped protocol. */
  override onOpen(): void {
    this.#wrapped?.open();
  }

  /** Passes the bytes on. */
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    this.#wrapped?.message(payload, isBinary);
  }

  /** Tells the wrapped protocol the connection is lost. */
  override onClose(wasClean: boolean, code: number, reason: string): void {
    this.#wrapped?.close(wasClean, code, reason);
  }
}

/** Options of `WrappingWebSocketClientFactory`. */
export interface WrappingWebSocketClientFactoryOptions extends WebSocketClientFactoryOptions {
  /** A subprotocol to offer besides `binary` and `base64`, carried as binary. @default none */
  subprotocol?: string;
}

/**
 * Connects any stream protocol's client factory over WebSocket (autobahn's
 * `WrappingWebSocketClientFactory`): pass it to `connectWS`. The wrapped
 * factory's `clientConnectionFailed` / `clientConnectionLost` are called as
 * for a TCP connection.
 *
 * @example
 * ```ts
 * import { ClientFactory, Protocol } from "@tw/core";
 * import { WrappingWebSocketClientFactory } from "@tw/core/web";
 *
 * const factory = new WrappingWebSocketClientFactory(ClientFactory.forProtocol(Protocol), "ws://127.0.0.1:8080/amp");
 * console.log(factory.options.protocols); // ["binary", "base64"]
 * ```
 */
export class WrappingWebSocketClientFactory extends WebSocketClientFactory {
  /** The stream protocols' factory. */
  readonly wrappedFactory: IProtocolFactory;
  /** The subprotocols offered. */
  readonly subprotocols: string[];

  /** Wraps `factory`, for `url`. */
  constructor(
    factory: IProtocolFactory,
    url: string,
    options: WrappingWebSocketClientFactoryOptions = {},
  ) {
    const subprotocols = options.subprotocol
      ? [...SUBPROTOCOLS, options.subprotocol]
      : [...SUBPROTOCOLS];
    super(url, WrappingWebSocketClientProtocol, { ...options, protocols: subprotocols });
    this.wrappedFactory = factory;
    this.subprotocols = subprotocols;
  }

  /** A WebSocket protocol carrying a protocol of the wrapped factory. */
  override buildProtocol(addr: Address): WrappingWebSocketClientProtocol {
    const inner = this.wrappedFactory.buildProtocol(addr);
    if (inner === null) throw new Error("The wrapped factory refused to build a protocol");
    const protocol = new WrappingWebSocketClientProtocol();
    protocol.factory = this;
    protocol.wrap(inner);
    return protocol;
  }

  /** Starts the wrapped factory too. */
  override doStart(): void {
    super.doStart();
    this.wrappedFactory.doStart();
  }

  /** Stops the wrapped factory too. */
  override doStop(): void {
    this.wrappedFactory.doStop();
    super.doStop();
  }

  /** Tells the wrapped factory, as a TCP connector would. */
  override clientConnectionFailed(connector: IConnector, reason: Failure): void {
    (this.wrappedFactory as Partial<ClientFactory>).clientConnectionFailed?.(connector, reason);
  }

  /** Tells the wrapped factory, as a TCP connector would. */
  override clientConnectionLost(connector: IConnector, reason: Failure): void {
    (this.wrappedFactory as Partial<ClientFactory>).clientConnectionLost?.(connector, reason);
  }
}
