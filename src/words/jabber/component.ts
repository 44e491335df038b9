/**
 * Twisted's `twisted.words.protocols.jabber.component`: external components
 * (XEP-0114): the handshake on both sides (`ConnectComponentAuthenticator`,
 * `ListenComponentAuthenticator`), `componentFactory`, and the router
 * (`Router`, `XMPPComponentServerFactory`), which, beyond Twisted, answers
 * a stanza for an unknown domain with `remote-server-not-found` and closes a
 * component that sends from a domain not its own (`invalid-from`).
 *
 * @example
 * ```ts
 * import { component, xmlstream } from "@tw/core/words/jabber";
 * const factory = component.componentFactory("echo.localhost", "secret");
 * factory.addBootstrap(xmlstream.STREAM_AUTHD_EVENT, (xs: xmlstream.XmlStream) => {
 *   xs.addObserver("/message", (m) => xs.send(m));
 * });
 * // reactor.connectTCP("127.0.0.1", 5347, factory);
 * ```
 * @module
 */
import { Logger } from "../../logger/mod.ts";
import type { Failure } from "../../internet/failure.ts";
import { Element } from "../xish/_element.ts";
import { StanzaError, StreamError } from "./error.ts";
import { internJID, type JID } from "./jid.ts";
import {
  ConnectAuthenticator,
  hashPassword,
  type IInitiatingInitializer,
  ListenAuthenticator,
  STREAM_AUTHD_EVENT,
  STREAM_CONNECTED_EVENT,
  STREAM_END_EVENT,
  type XmlStream,
  XmlStreamFactory,
  XmlStreamServerFactory,
} from "./xmlstream.ts";

const log = new Logger("tw.words.jabber.component");
const dec = new TextDecoder();

/** The namespace of accepted components. */
export const NS_COMPONENT_ACCEPT = "jabber:component:accept";

/**
 * Sends the handshake and waits for the server's (Twisted's
 * `ComponentInitiatingInitializer`).
 *
 * @example
 * ```ts
 * import { component, xmlstream } from "@tw/core/words/jabber";
 * const xs = new xmlstream.XmlStream(new component.ConnectComponentAuthenticator("c.example", "s"));
 * console.log(xs.initializers[0] instanceof component.ComponentInitiatingInitializer); // true
 * ```
 */
export class ComponentInitiatingInitializer implements IInitiatingInitializer {
  /** The stream. */
  xmlstream: XmlStream;
  /**
   * Makes the initializer.
   * @param xs the stream
   */
  constructor(xs: XmlStream) {
    this.xmlstream = xs;
  }

  /** Sends `<handshake>sha1(sid + secret)</handshake>`; resolves on the server's `<handshake/>`. */
  async initialize(): Promise<void> {
    const xs = this.xmlstream;
    const auth = xs.authenticator as ConnectComponentAuthenticator;
    const digest = await hashPassword(xs.sid ?? "", auth.password);
    await new Promise<void>((resolve, reject) => {
      const onEnd = (reason: Failure) => reject(reason.value);
      xs.addOnetimeObserver(STREAM_END_EVENT, onEnd);
      xs.addOnetimeObserver("/handshake", () => {
        xs.removeObserver(STREAM_END_EVENT, onEnd);
        xs.thisEntity = xs.otherEntity;
        resolve();
      });
      const hs = new Element([xs.namespace, "handshake"]);
      hs.addContent(digest);
      xs.send(hs);
    });
  }
}

/**
 * The component side of XEP-0114 (Twisted's `ConnectComponentAuthenticator`).
 *
 * @example
 * ```ts
 * import { component } from "@tw/core/words/jabber";
 * const a = new component.ConnectComponentAuthenticator("echo.example.com", "secret");
 * console.log(a.namespace); // "jabber:component:accept"
 * ```
 */
export class ConnectComponentAuthenticator extends ConnectAuthenticator {
  /** The component namespace. */
  override namespace: string | null = NS_COMPONENT_ACCEPT;
  /** The shared secret. */
  password: string;

  /**
   * Makes the authenticator.
   * @param componentjid the component's domain
   * @param password the shared secret
   */
  constructor(componentjid: string, password: string) {
    super(componentjid);
    this.password = password;
  }

  /** Sets version 0.0 and the handshake initializer. */
  override associateWithStream(xs: XmlStream): void {
    xs.version = [0, 0];
    super.associateWithStream(xs);
    xs.initializers = [new ComponentInitiatingInitializer(xs)];
  }
}

/**
 * The server side of XEP-0114 (Twisted's `ListenComponentAuthenticator`):
 * checks the namespace and the handshake against `secret`.
 *
 * @example
 * ```ts
 * import { component, xmlstream } from "@tw/core/words/jabber";
 * const xs = new xmlstream.XmlStream(new component.ListenComponentAuthenticator("secret"));
 * console.log(xs.initiating); // false
 * ```
 */
export class ListenComponentAuthenticator extends ListenAuthenticator {
  /** The component namespace. */
  override namespace: string | null = NS_COMPONENT_ACCEPT;
  /** The shared secret. */
  secret: string;

  /**
   * Makes the authenticator.
   * @param secret the shared secret
   */
  constructor(secret: string) {
    super();
    this.secret = secret;
  }

  /** Sets version 0.0. */
  override associateWithStream(xs: XmlStream): void {
    xs.version = [0, 0];
    super.associateWithStream(xs);
  }

  /** Checks the header, answers it and waits for the handshake. */
  override streamStarted(rootElement: Element): void {
    super.streamStarted(rootElement);
    const xs = this.xmlstream!;
    if (!xs.connected || xs.transport.disconnecting) return;
    if (xs.namespace !== this.namespace) {
      xs.namespace = this.namespace!;
      xs.sendStreamError(new StreamError("invalid-namespace"));
      return;
    }
    if (!xs.thisEntity) {
      xs.sendStreamError(new StreamError("improper-addressing"));
      return;
    }
    xs.sendHeader();
    xs.addOnetimeObserver("/*", (element: Element) => this.onElement(element));
  }

  /** The first element must be the handshake. */
  onElement(element: Element): void {
    if (element.uri === this.namespace && element.name === "handshake") {
      void this.onHandshake(String(element));
    } else this.xmlstream!.sendStreamError(new StreamError("not-authorized"));
  }

  /** Checks the digest; on success answers `<handshake/>` and dispatches `STREAM_AUTHD_EVENT`. */
  async onHandshake(handshake: string): Promise<void> {
    const xs = this.xmlstream!;
    const expected = await hashPassword(xs.sid ?? "", this.secret);
    if (handshake.trim().toLowerCase() !== expected) {
      xs.sendStreamError(new StreamError("not-authorized"));
    } else {
      xs.send("<handshake/>");
      xs.dispatch(xs, STREAM_AUTHD_EVENT);
    }
  }
}

/**
 * A reconnecting factory of component streams (Twisted's `componentFactory`).
 *
 * @example
 * ```ts
 * import { component } from "@tw/core/words/jabber";
 * const factory = component.componentFactory("echo.localhost", "secret");
 * factory.maxRetries = 0;
 * ```
 */
export function componentFactory(componentid: string, password: string): XmlStreamFactory {
  return new XmlStreamFactory(new ConnectComponentAuthenticator(componentid, password));
}

/**
 * Routes stanzas between components by the domain of `to` (Twisted's
 * `Router`); the route for `null` (when set) takes the rest, otherwise a
 * stanza for an unknown domain gets `remote-server-not-found` back.
 *
 * @example
 * ```ts
 * import { component } from "@tw/core/words/jabber";
 * const router = new component.Router();
 * console.log(router.routes.size); // 0
 * ```
 */
export class Router {
  /** Domain (or null: the default) -> the stream it goes to. */
  readonly routes: Map<string | null, XmlStream> = new Map();
  readonly #observers = new Map<XmlStream, (el: Element) => void>();

  /** Routes `destination` to `xs`, and what `xs` sends through this router. */
  addRoute(destination: string | null, xs: XmlStream): void {
    this.routes.set(destination, xs);
    if (!this.#observers.has(xs)) {
      const observer = (stanza: Element) => this.routeFrom(stanza, xs, destination);
      this.#observers.set(xs, observer);
      xs.addObserver("/*", observer);
    }
  }

  /** Removes the route of `destination` to `xs`. */
  removeRoute(destination: string | null, xs: XmlStream): void {
    if (this.routes.get(destination) === xs) this.routes.delete(destination);
    const observer = this.#observers.get(xs);
    if (observer && ![...this.routes.values()].includes(xs)) {
      xs.removeObserver("/*", observer);
      this.#observers.delete(xs);
    }
  }

  /** Checks the sender's `from` domain, then routes. */
  routeFrom(stanza: Element, source: XmlStream, domain: string | null): void {
    if (domain !== null) {
      let from: JID | null = null;
      try {
        const f = stanza.getAttribute("from");
        from = f === null ? null : internJID(f);
      } catch {
        from = null;
      }
      if (from === null || from.host !== domain) {
        source.sendStreamError(new StreamError("invalid-from"));
        return;
      }
    }
    this.route(stanza, source);
  }

  /** Sends `stanza` to the stream of its `to` domain (or the default route). */
  route(stanza: Element, source?: XmlStream): void {
    let host: string | null = null;
    try {
      const to = stanza.getAttribute("to");
      host = to === null ? null : internJID(to).host;
    } catch {
      host = null;
    }
    const target = (host !== null ? this.routes.get(host) : undefined) ?? this.routes.get(null);
    if (target) {
      target.send(stanza);
      return;
    }
    if (!source || stanza.getAttribute("type") === "error") return;
    const reason = host === null ? "jid-malformed" : "remote-server-not-found";
    const reply = new StanzaError(reason).toResponse(stanza);
    reply.uri = null;
    source.send(reply);
  }
}

/**
 * Accepts components and routes between them (Twisted's
 * `XMPPComponentServerFactory`): each authenticated component gets a route
 * for its domain, removed when it disconnects.
 *
 * @example
 * ```ts
 * import { component } from "@tw/core/words/jabber";
 * import { MemoryReactor } from "@tw/core/testing";
 * const router = new component.Router();
 * const factory = new component.XMPPComponentServerFactory(router, "secret");
 * new MemoryReactor().listenTCP(5347, factory, { interface: "127.0.0.1" });
 * ```
 */
export class XMPPComponentServerFactory extends XmlStreamServerFactory {
  /** The router. */
  router: Router;
  /** The shared secret. */
  secret: string;
  /** Log traffic. @default false */
  logTraffic = false;
  /** Connections so far (numbers each one in the log). */
  serial = 0;

  /**
   * Makes the factory.
   * @param router the router
   * @param secret the shared secret components must know
   */
  constructor(router: Router, secret = "secret") {
    super(() => new ListenComponentAuthenticator(secret));
    this.router = router;
    this.secret = secret;
    this.addBootstrap(STREAM_CONNECTED_EVENT, (xs: XmlStream) => this.onConnectionMade(xs));
    this.addBootstrap(STREAM_AUTHD_EVENT, (xs: XmlStream) => this.onAuthenticated(xs));
  }

  /** Numbers the connection and logs traffic when asked. */
  onConnectionMade(xs: XmlStream): void {
    const serial = this.serial++;
    if (this.logTraffic) {
      xs.rawDataInFn = (d) => log.info("RECV ({serial}): {data}", { serial, data: dec.decode(d) });
      xs.rawDataOutFn = (d) => log.info("SEND ({serial}): {data}", { serial, data: dec.decode(d) });
    }
  }

  /** Adds the component's route, removed when it disconnects. */
  onAuthenticated(xs: XmlStream): void {
    const destination = xs.thisEntity!.host;
    const existing = this.router.routes.get(destination);
    if (existing && existing !== xs) {
      xs.sendStreamError(new StreamError("conflict"));
      return;
    }
    this.router.addRoute(destination, xs);
    xs.addObserver(STREAM_END_EVENT, () => this.onConnectionLost(destination, xs));
  }

  /** Removes the route. */
  onConnectionLost(destination: string, xs: XmlStream): void {
    this.router.removeRoute(destination, xs);
  }
}

export { buildServiceManager, Service, ServiceManager } from "./_service_manager.ts";
