/**
 * Twisted's `twisted.words.xish.xmlstream`: `XmlStream`, a protocol that
 * parses an XML stream into elements and dispatches them to observers, the
 * bootstraps of its factories (`BootstrapMixin`, `XmlStreamFactoryMixin`,
 * `XmlStreamFactory`) and the stream events.
 *
 * @example
 * ```ts
 * import { domish, xmlstream } from "@tw/core/words/xish";
 * import { StringTransport } from "@tw/core/testing";
 * const xs = new xmlstream.XmlStream();
 * xs.addObserver("/message", (m: domish.Element) => xs.send(`<ack>${String(m.child("body"))}</ack>`));
 * const transport = new StringTransport();
 * xs.makeConnection(transport);
 * xs.dataReceived(new TextEncoder().encode("<stream><message><body>hi</body></message>"));
 * console.log(transport.valueText()); // "<ack>hi</ack>"
 * ```
 * @module
 */
import { Protocol, ReconnectingClientFactory } from "../../internet/protocol.ts";
import { Failure } from "../../internet/failure.ts";
import type { Address } from "../../internet/address.ts";
import { Element } from "./_element.ts";
import { ElementStream } from "./_element_stream.ts";
import { ParserError, type ParserLimits } from "./_parser.ts";
import { EventDispatcher, type Observer } from "./utility.ts";
import type { XPathQuery } from "./xpath.ts";

/** Dispatched with the stream when the connection is made. */
export const STREAM_CONNECTED_EVENT = "//event/stream/connected";
/** Dispatched with the stream when the peer's root element starts. */
export const STREAM_START_EVENT = "//event/stream/start";
/** Dispatched with the reason (a Failure) when the connection is lost. */
export const STREAM_END_EVENT = "//event/stream/end";
/** Dispatched with a Failure when the stream fails (bad XML, a stream error). */
export const STREAM_ERROR_EVENT = "//event/stream/error";

const enc = new TextEncoder();

/** Options of `XmlStream`. */
export interface XmlStreamOptions {
  /** Parser limits. @default depth 100, 1,000 attributes, stanzas of 1 MiB */
  limits?: ParserLimits;
}

/**
 * An XML stream protocol (Twisted's `xish.xmlstream.XmlStream`): bytes in
 * become `DocumentStart`/element/`DocumentEnd` events; each stanza is
 * dispatched to the observers whose XPath query matches it. Bad XML or a
 * broken limit dispatches `STREAM_ERROR_EVENT` and closes the connection.
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/xish";
 * import { StringTransport } from "@tw/core/testing";
 * const xs = new xmlstream.XmlStream({ limits: { maxDepth: 10 } });
 * const seen: string[] = [];
 * xs.addObserver(xmlstream.STREAM_START_EVENT, () => seen.push("start"));
 * xs.addObserver("/presence", () => seen.push("presence"));
 * xs.makeConnection(new StringTransport());
 * xs.dataReceived(new TextEncoder().encode("<stream><presence/>"));
 * console.log(seen); // ["start", "presence"]
 * ```
 */
export class XmlStream extends Protocol {
  /** The element stream parsing the peer's bytes (null when disconnected). */
  stream: ElementStream | null = null;
  /** Called with every chunk received (for logging). */
  rawDataInFn: ((data: Uint8Array) => void) | null = null;
  /** Called with every chunk sent (for logging). */
  rawDataOutFn: ((data: Uint8Array) => void) | null = null;
  /** Parser limits for each new element stream. */
  limits: ParserLimits;
  readonly #dispatcher = new EventDispatcher();

  /**
   * Makes a stream.
   * @param options parser limits
   */
  constructor(options: XmlStreamOptions = {}) {
    super();
    this.limits = options.limits ?? {};
  }

  /** Registers an observer (see `EventDispatcher.addObserver`). */
  addObserver(event: string | XPathQuery, observerfn: Observer, priority = 0): void {
    this.#dispatcher.addObserver(event, observerfn, priority);
  }

  /** Registers a one-time observer (see `EventDispatcher.addOnetimeObserver`). */
  addOnetimeObserver(event: string | XPathQuery, observerfn: Observer, priority = 0): void {
    this.#dispatcher.addOnetimeObserver(event, observerfn, priority);
  }

  /** Removes an observer (see `EventDispatcher.removeObserver`). */
  removeObserver(event: string | XPathQuery, observerfn: Observer): void {
    this.#dispatcher.removeObserver(event, observerfn);
  }

  /** Dispatches an event (see `EventDispatcher.dispatch`). */
  dispatch(obj: unknown, event?: string | null): boolean {
    return this.#dispatcher.dispatch(obj, event);
  }

  /** Starts a fresh element stream (`_initializeStream`); the old one stops reading. */
  initializeStream(): void {
    this.stream?.stop();
    const stream = new ElementStream(this.limits);
    stream.DocumentStartEvent = (root) => this.onDocumentStart(root);
    stream.ElementEvent = (el) => this.onElement(el);
    stream.DocumentEndEvent = () => this.onDocumentEnd();
    this.stream = stream;
  }

  /** Sets up the parser and dispatches `STREAM_CONNECTED_EVENT`. */
  override connectionMade(): void {
    this.initializeStream();
    this.dispatch(this, STREAM_CONNECTED_EVENT);
  }

  /** Parses `data`; what a stream reset left unread goes to the new stream. */
  override dataReceived(data: Uint8Array): void {
    this.rawDataInFn?.(data);
    let rest = data;
    while (rest.length > 0 && this.stream !== null) {
      const stream = this.stream;
      let used: number;
      try {
        used = stream.parse(rest);
      } catch (e) {
        if (!(e instanceof ParserError)) throw e;
        this.stream = null;
        this.onParserError(e);
        return;
      }
      if (this.stream === stream) return;
      rest = rest.subarray(used);
    }
  }

  /** Bad XML or a broken limit: dispatches `STREAM_ERROR_EVENT`, closes the connection. */
  onParserError(error: ParserError): void {
    this.dispatch(new Failure(error), STREAM_ERROR_EVENT);
    this.transport.loseConnection();
  }

  /** Dispatches `STREAM_END_EVENT` with the reason. */
  override connectionLost(reason: Failure): void {
    this.dispatch(reason, STREAM_END_EVENT);
    this.stream?.stop();
    this.stream = null;
  }

  /** The peer's root element started: dispatches `STREAM_START_EVENT`. */
  onDocumentStart(_rootElement: Element): void {
    this.dispatch(this, STREAM_START_EVENT);
  }

  /** A stanza arrived: dispatches it to the XPath observers. */
  onElement(element: Element): void {
    this.dispatch(element);
  }

  /** The peer closed its root element: closes the connection. */
  onDocumentEnd(): void {
    this.transport.loseConnection();
  }

  /** Sends an element (serialized), a string or bytes. */
  send(obj: Element | string | Uint8Array): void {
    const data = obj instanceof Element
      ? enc.encode(obj.toXml())
      : typeof obj === "string"
      ? enc.encode(obj)
      : obj;
    this.rawDataOutFn?.(data);
    this.transport.write(data);
  }
}

/** What bootstraps are installed on: anything with `addObserver`. */
export interface IObservable {
  /** Registers an observer. */
  addObserver(event: string | XPathQuery, observerfn: Observer, priority?: number): void;
}

/**
 * Observers to install on every stream a factory builds (Twisted's
 * `BootstrapMixin`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/xish";
 * const b = new xmlstream.BootstrapMixin();
 * b.addBootstrap(xmlstream.STREAM_CONNECTED_EVENT, () => console.log("connected"));
 * const xs = new xmlstream.XmlStream();
 * b.installBootstraps(xs);
 * ```
 */
export class BootstrapMixin {
  /** The `[event, observer]` pairs. */
  bootstraps: [string, Observer][] = [];

  /** Installs every bootstrap on `dispatcher`. */
  installBootstraps(dispatcher: IObservable): void {
    for (const [event, fn] of this.bootstraps) dispatcher.addObserver(event, fn);
  }

  /** Adds a bootstrap. */
  addBootstrap(event: string, fn: Observer): void {
    this.bootstraps.push([event, fn]);
  }

  /** Removes a bootstrap. */
  removeBootstrap(event: string, fn: Observer): void {
    this.bootstraps = this.bootstraps.filter(([e, f]) => e !== event || f !== fn);
  }
}

/**
 * A reconnecting client factory of XML streams with bootstraps (Twisted's
 * `xish.xmlstream.XmlStreamFactory`, which mixes in `XmlStreamFactoryMixin`):
 * `buildStream()` makes each stream; the bootstraps are installed on it.
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/xish";
 * const factory = new xmlstream.XmlStreamFactory();
 * factory.addBootstrap(xmlstream.STREAM_START_EVENT, () => console.log("started"));
 * factory.maxRetries = 3;
 * ```
 */
export class XmlStreamFactory extends ReconnectingClientFactory {
  /** The `[event, observer]` pairs installed on each stream. */
  bootstraps: [string, Observer][] = [];

  /** Makes a new stream; override for another kind. */
  buildStream(): XmlStream {
    return new XmlStream();
  }

  /** Resets the back-off, builds a stream and installs the bootstraps. */
  override buildProtocol(_addr: Address): XmlStream {
    this.resetDelay();
    const xs = this.buildStream();
    xs.factory = this;
    this.installBootstraps(xs);
    return xs;
  }

  /** Installs every bootstrap on `dispatcher`. */
  installBootstraps(dispatcher: IObservable): void {
    BootstrapMixin.prototype.installBootstraps.call(this, dispatcher);
  }

  /** Adds a bootstrap. */
  addBootstrap(event: string, fn: Observer): void {
    BootstrapMixin.prototype.addBootstrap.call(this, event, fn);
  }

  /** Removes a bootstrap. */
  removeBootstrap(event: string, fn: Observer): void {
    BootstrapMixin.prototype.removeBootstrap.call(this, event, fn);
  }
}
