/**
 * Twisted's `twisted.words.protocols.jabber.xmlstream`: the XMPP stream
 * (`XmlStream`: stream headers, features, stream errors), its
 * authenticators and initializers (`ConnectAuthenticator`,
 * `ListenAuthenticator`, `TLSInitiatingInitializer`), factories, `IQ` with
 * response tracking, and the handler framework (`XMPPHandler`,
 * `StreamManager`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * import { StringTransport } from "@tw/core/testing";
 * const xs = new xmlstream.XmlStream(new xmlstream.ConnectAuthenticator("example.com"));
 * const transport = new StringTransport();
 * xs.makeConnection(transport);
 * console.log(transport.valueText().startsWith("<stream:stream xmlns:stream=")); // true
 * ```
 * @module
 */
import type { Deferred } from "../../internet/defer.ts";
import { Failure } from "../../internet/failure.ts";
import { ServerFactory } from "../../internet/protocol.ts";
import type { Address } from "../../internet/address.ts";
import type { IReactorTime } from "../../internet/interfaces.ts";
import { Element } from "../xish/_element.ts";
import type { ParserError } from "../xish/_parser.ts";
import type { Observer } from "../xish/utility.ts";
import {
  BootstrapMixin,
  STREAM_CONNECTED_EVENT,
  STREAM_END_EVENT,
  STREAM_ERROR_EVENT,
  STREAM_START_EVENT,
  XmlStream as BaseXmlStream,
  XmlStreamFactory as BaseXmlStreamFactory,
  type XmlStreamOptions,
} from "../xish/xmlstream.ts";
import { exceptionFromStreamError, StreamError } from "./error.ts";
import type { JID } from "./jid.ts";
import type { Authenticator } from "./_authenticators.ts";
import type { IInitiatingInitializer } from "./_stream_consts.ts";
import { compareVersion, NS_STREAMS } from "./_stream_consts.ts";

export { STREAM_CONNECTED_EVENT, STREAM_END_EVENT, STREAM_ERROR_EVENT, STREAM_START_EVENT };
export {
  featureKey,
  hashPassword,
  type IInitiatingInitializer,
  INIT_FAILED_EVENT,
  NS_STREAMS,
  NS_XMPP_TLS,
  Reset,
  STREAM_AUTHD_EVENT,
} from "./_stream_consts.ts";
export {
  Authenticator,
  BaseFeatureInitiatingInitializer,
  ConnectAuthenticator,
  FeatureNotAdvertized,
  ListenAuthenticator,
  TLSError,
  TLSFailed,
  TLSInitiatingInitializer,
  TLSNotSupported,
  TLSRequired,
} from "./_authenticators.ts";
export { IQ, TimeoutError, toResponse, upgradeWithIQResponseTracker } from "./_iq.ts";
export { StreamManager, XMPPHandler, XMPPHandlerCollection } from "./_handlers.ts";

/**
 * An XMPP stream (Twisted's `jabber.xmlstream.XmlStream`): the stream
 * header, features, stream errors (sent on bad XML with the parser's
 * condition), and the authenticator that sets it up. Stanzas are limited to
 * 16 MiB when initiating, 1 MiB when accepting (`limits` overrides).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * import { StringTransport } from "@tw/core/testing";
 * const xs = new xmlstream.XmlStream(new xmlstream.ListenAuthenticator());
 * const transport = new StringTransport();
 * xs.makeConnection(transport);
 * xs.dataReceived(new TextEncoder().encode("<!DOCTYPE x>"));
 * console.log(transport.valueText().includes("<restricted-xml "), transport.disconnecting); // true true
 * ```
 */
export class XmlStream extends BaseXmlStream {
  /** The stream version, lowered to the peer's. */
  version: [number, number] = [1, 0];
  /** The stream's default namespace. */
  namespace = "invalid";
  /** This side's JID. */
  thisEntity: JID | null = null;
  /** The other side's JID. */
  otherEntity: JID | null = null;
  /** The stream id. */
  sid: string | null = null;
  /** True on the side that opened the connection. */
  initiating = true;
  /** Namespace URI -> prefix for serializing. */
  prefixes: Record<string, string> = { [NS_STREAMS]: "stream" };
  /** The authenticator. */
  authenticator: Authenticator;
  /** The steps run after the features arrive. */
  initializers: IInitiatingInitializer[] = [];
  /** The features the peer offered, keyed `{uri}name`. */
  features: Map<string, Element> = new Map();
  /** True once TLS is up. */
  secure = false;
  /** Outstanding IQ requests by id (see `upgradeWithIQResponseTracker`). */
  iqDeferreds: Map<string, Deferred<Element>> | null = null;
  /** Seconds before an IQ without its own timeout fails; null for never. */
  iqDefaultTimeout: number | null = null;
  /** The clock for IQ timeouts. */
  clock: IReactorTime | null = null;
  #headerSent = false;

  /**
   * Makes the stream.
   * @param authenticator what sets the stream up
   * @param options parser limits
   */
  constructor(authenticator: Authenticator, options: XmlStreamOptions = {}) {
    super(options);
    this.authenticator = authenticator;
    authenticator.associateWithStream(this);
    this.limits = {
      ...this.limits,
      maxStanzaSize: this.limits.maxStanzaSize ?? (this.initiating ? 16 << 20 : 1 << 20),
    };
  }

  /** Starts a fresh parser and forgets that the header was sent (after TLS or SASL). */
  reset(): void {
    this.#headerSent = false;
    this.initializeStream();
  }

  /** The peer sent `<stream:error/>`: dispatches it, closes. */
  onStreamError(errelem: Element): void {
    this.dispatch(new Failure(exceptionFromStreamError(errelem)), STREAM_ERROR_EVENT);
    this.transport.loseConnection();
  }

  /** Bad XML or a broken limit: a stream error with the parser's condition, then close. */
  override onParserError(error: ParserError): void {
    this.dispatch(new Failure(error), STREAM_ERROR_EVENT);
    this.sendStreamError(new StreamError(error.condition, error.message));
  }

  /** Sends the stream header. */
  sendHeader(): void {
    const localPrefixes: Record<string, string> = {};
    for (const [uri, prefix] of Object.entries(this.prefixes)) {
      if (uri !== NS_STREAMS) localPrefixes[prefix] = uri;
    }
    const root = new Element([NS_STREAMS, "stream"], this.namespace, null, localPrefixes);
    if (this.otherEntity) root.setAttribute("to", this.otherEntity.userhost());
    if (this.thisEntity) root.setAttribute("from", this.thisEntity.userhost());
    if (!this.initiating && this.sid) root.setAttribute("id", this.sid);
    if (compareVersion(this.version, [1, 0]) >= 0) {
      root.setAttribute("version", this.version.join("."));
    }
    this.send(root.toXml({ prefixes: this.prefixes, closeElement: false }));
    this.#headerSent = true;
  }

  /** Sends the stream's end tag. */
  sendFooter(): void {
    this.send("</stream:stream>");
  }

  /** Sends a stream error (with a header first when none was sent), then closes. */
  sendStreamError(streamError: StreamError): void {
    if (!this.#headerSent && !this.initiating) this.sendHeader();
    if (this.#headerSent) {
      this.send(streamError.getElement());
      this.sendFooter();
    }
    this.transport.loseConnection();
  }

  /** Sends an element in the stream's namespace, or text or bytes as they are. */
  override send(obj: Element | string | Uint8Array): void {
    if (obj instanceof Element) {
      obj = obj.toXml({
        prefixes: this.prefixes,
        defaultUri: this.namespace,
        prefixesInScope: Object.values(this.prefixes),
      });
    }
    super.send(obj);
  }

  /** Tells the authenticator. */
  override connectionMade(): void {
    super.connectionMade();
    this.authenticator.connectionMade();
  }

  /** Watches for `<stream:error/>` and hands the header to the authenticator. */
  override onDocumentStart(rootElement: Element): void {
    super.onDocumentStart(rootElement);
    this.addOnetimeObserver(
      `/error[@xmlns='${NS_STREAMS}']`,
      (e: Element) => this.onStreamError(e),
    );
    this.authenticator.streamStarted(rootElement);
  }
}

/**
 * A reconnecting client factory of XMPP streams sharing one authenticator
 * (Twisted's `jabber.xmlstream.XmlStreamFactory`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * const factory = new xmlstream.XmlStreamFactory(new xmlstream.ConnectAuthenticator("example.com"));
 * factory.addBootstrap(xmlstream.STREAM_AUTHD_EVENT, () => console.log("ready"));
 * factory.maxRetries = 0;
 * ```
 */
export class XmlStreamFactory extends BaseXmlStreamFactory {
  /** The authenticator each stream gets. */
  authenticator: Authenticator;

  /**
   * Makes the factory.
   * @param authenticator the authenticator for the streams
   */
  constructor(authenticator: Authenticator) {
    super();
    this.authenticator = authenticator;
  }

  /** A new `XmlStream` with the authenticator. */
  override buildStream(): XmlStream {
    return new XmlStream(this.authenticator);
  }

  /** Builds a stream (see the base class). */
  override buildProtocol(addr: Address): XmlStream {
    return super.buildProtocol(addr) as XmlStream;
  }
}

/**
 * A server factory of XMPP streams, a fresh authenticator each (Twisted's
 * `XmlStreamServerFactory`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * const factory = new xmlstream.XmlStreamServerFactory(() => new xmlstream.ListenAuthenticator());
 * factory.addBootstrap(xmlstream.STREAM_START_EVENT, () => {});
 * ```
 */
export class XmlStreamServerFactory extends ServerFactory {
  /** Makes each connection's authenticator. */
  authenticatorFactory: () => Authenticator;
  /** The `[event, observer]` pairs installed on each stream. */
  bootstraps: [string, Observer][] = [];

  /**
   * Makes the factory.
   * @param authenticatorFactory makes each connection's authenticator
   */
  constructor(authenticatorFactory: () => Authenticator) {
    super();
    this.authenticatorFactory = authenticatorFactory;
  }

  /** A stream with a fresh authenticator and the bootstraps installed. */
  override buildProtocol(_addr: Address): XmlStream {
    const xs = new XmlStream(this.authenticatorFactory());
    xs.factory = this;
    this.installBootstraps(xs);
    return xs;
  }

  /** Installs the bootstraps on `dispatcher`. */
  installBootstraps(dispatcher: XmlStream): void {
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
