/**
 * Twisted's XMPP handler framework: `XMPPHandler` (a piece of an XMPP
 * application), `XMPPHandlerCollection` and `StreamManager`, which connects
 * handlers to the streams a factory makes and queues what they send until
 * the stream is initialized. Private: re-exported by `xmlstream.ts`.
 * @module
 */
import { Logger } from "../../logger/mod.ts";
import type { Failure } from "../../internet/failure.ts";
import type { Element } from "../xish/_element.ts";
import { STREAM_CONNECTED_EVENT, STREAM_END_EVENT } from "../xish/xmlstream.ts";
import type { Observer } from "../xish/utility.ts";
import { INIT_FAILED_EVENT, STREAM_AUTHD_EVENT } from "./_stream_consts.ts";
import type { XmlStream } from "./xmlstream.ts";

const log = new Logger("tw.words.jabber");
const dec = new TextDecoder();

/** Something handlers can send through and be added to. */
export interface IXMPPHandlerCollection {
  /** Adds a handler. */
  addHandler(handler: XMPPHandler): void;
  /** Removes a handler. */
  removeHandler(handler: XMPPHandler): void;
  /** Sends an element or text. */
  send?(obj: Element | string): void;
}

/**
 * A part of an XMPP application (Twisted's `XMPPHandler`): told when the
 * stream connects, is initialized and is lost.
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * class Echo extends xmlstream.XMPPHandler {
 *   override connectionInitialized(): void {
 *     this.xmlstream!.addObserver("/message", (m) => this.send(m));
 *   }
 * }
 * ```
 */
export class XMPPHandler {
  /** The collection this handler is in. */
  parent: IXMPPHandlerCollection | null = null;
  /** The current stream. */
  xmlstream: XmlStream | null = null;

  /** Adds this handler to `parent`. */
  setHandlerParent(parent: IXMPPHandlerCollection): void {
    this.parent = parent;
    parent.addHandler(this);
  }

  /** Removes this handler from its parent. */
  disownHandlerParent(_parent: IXMPPHandlerCollection): void {
    this.parent?.removeHandler(this);
    this.parent = null;
  }

  /** Sets the stream and calls `connectionMade`. */
  makeConnection(xs: XmlStream): void {
    this.xmlstream = xs;
    this.connectionMade();
  }

  /** The stream is connected (override). */
  connectionMade(): void {}

  /** The stream is authenticated and ready (override). */
  connectionInitialized(): void {}

  /** The stream is gone. */
  connectionLost(_reason: Failure): void {
    this.xmlstream = null;
  }

  /** Sends through the parent (queued by a `StreamManager` until initialized). */
  send(obj: Element | string): void {
    this.parent?.send?.(obj);
  }
}

/**
 * A list of handlers (Twisted's `XMPPHandlerCollection`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * const c = new xmlstream.XMPPHandlerCollection();
 * new xmlstream.XMPPHandler().setHandlerParent(c);
 * console.log(c.handlers.length); // 1
 * ```
 */
export class XMPPHandlerCollection implements IXMPPHandlerCollection {
  /** The handlers. */
  handlers: XMPPHandler[] = [];

  /** Iterates the handlers. */
  [Symbol.iterator](): Iterator<XMPPHandler> {
    return this.handlers[Symbol.iterator]();
  }

  /** Adds a handler. */
  addHandler(handler: XMPPHandler): void {
    this.handlers.push(handler);
  }

  /** Removes a handler. */
  removeHandler(handler: XMPPHandler): void {
    this.handlers = this.handlers.filter((h) => h !== handler);
  }
}

/** What a `StreamManager` needs of its factory. */
export interface IBootstrapFactory {
  /** Adds an observer to install on each stream. */
  addBootstrap(event: string, fn: Observer): void;
}

/**
 * Connects handlers to each stream a factory makes (Twisted's
 * `StreamManager`); `send` queues until the stream is initialized.
 *
 * @example
 * ```ts
 * import { client, jid, xmlstream } from "@tw/core/words/jabber";
 * const factory = client.XMPPClientFactory(new jid.JID("juliet@example.com"), "secret");
 * const manager = new xmlstream.StreamManager(factory);
 * manager.send("<presence/>"); // sent once the stream is initialized
 * ```
 */
export class StreamManager extends XMPPHandlerCollection {
  /** Log every chunk in and out. @default false */
  logTraffic = false;
  /** The current stream. */
  xmlstream: XmlStream | null = null;
  /** The factory. */
  factory: IBootstrapFactory;
  #queue: (Element | string)[] = [];
  #initialized = false;

  /**
   * Makes the manager and installs its bootstraps on `factory`.
   * @param factory the stream factory
   */
  constructor(factory: IBootstrapFactory) {
    super();
    this.factory = factory;
    factory.addBootstrap(STREAM_CONNECTED_EVENT, (xs: XmlStream) => this.#connected(xs));
    factory.addBootstrap(STREAM_AUTHD_EVENT, (xs: XmlStream) => this.#authd(xs));
    factory.addBootstrap(INIT_FAILED_EVENT, (f: Failure) => this.initializationFailed(f));
    factory.addBootstrap(STREAM_END_EVENT, (f: Failure) => this.#disconnected(f));
  }

  /** Adds a handler; connects it at once when the stream is ready. */
  override addHandler(handler: XMPPHandler): void {
    super.addHandler(handler);
    if (this.xmlstream && this.#initialized) {
      handler.makeConnection(this.xmlstream);
      handler.connectionInitialized();
    }
  }

  #connected(xs: XmlStream): void {
    if (this.logTraffic) {
      xs.rawDataInFn = (d) => log.debug("RECV: {data}", { data: dec.decode(d) });
      xs.rawDataOutFn = (d) => log.debug("SEND: {data}", { data: dec.decode(d) });
    }
    this.xmlstream = xs;
    for (const h of this) h.makeConnection(xs);
  }

  #authd(xs: XmlStream): void {
    for (const p of this.#queue) xs.send(p);
    this.#queue = [];
    this.#initialized = true;
    for (const h of this) h.connectionInitialized();
  }

  /** Initialization failed (override; the default logs it). */
  initializationFailed(reason: Failure): void {
    log.warn("XMPP stream initialization failed: {error}", { error: reason.getErrorMessage() });
  }

  #disconnected(reason: Failure): void {
    this.xmlstream = null;
    this.#initialized = false;
    for (const h of this) h.connectionLost(reason);
  }

  /** Sends now when initialized, else queues. */
  send(obj: Element | string): void {
    if (this.#initialized && this.xmlstream) this.xmlstream.send(obj);
    else this.#queue.push(obj);
  }
}
