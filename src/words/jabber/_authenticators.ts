/**
 * Twisted's stream authenticators and initiating initializers: `Authenticator`,
 * `ConnectAuthenticator`, `ListenAuthenticator`, `BaseFeatureInitiatingInitializer`
 * and STARTTLS (`TLSInitiatingInitializer`, `TLSError` ...). Private:
 * re-exported by `xmlstream.ts`.
 * @module
 */
import { Failure } from "../../internet/failure.ts";
import type { ITransport } from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { Element } from "../xish/_element.ts";
import { StreamError } from "./error.ts";
import { internJID } from "./jid.ts";
import {
  compareVersion,
  featureKey,
  hex,
  type IInitiatingInitializer,
  INIT_FAILED_EVENT,
  NS_STREAMS,
  NS_XMPP_TLS,
  Reset,
  STREAM_AUTHD_EVENT,
} from "./_stream_consts.ts";
import type { XmlStream } from "./xmlstream.ts";

/**
 * Sets a stream up (Twisted's `Authenticator`): hears about the connection
 * and the peer's stream header.
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * const a = new xmlstream.Authenticator();
 * const xs = new xmlstream.XmlStream(a);
 * console.log(a.xmlstream === xs); // true
 * ```
 */
export class Authenticator {
  /** The stream, once associated. */
  xmlstream: XmlStream | null = null;

  /** The connection is up (override). */
  connectionMade(): void {}

  /** The peer's header arrived: settles the stream version. */
  streamStarted(rootElement: Element): void {
    const xs = this.xmlstream!;
    let version: [number, number] = [0, 0];
    const v = rootElement.getAttribute("version");
    if (v !== null) {
      const [a, b] = v.split(".").map((x) => /^\d+$/.test(x) ? Number(x) : NaN);
      if (Number.isInteger(a) && Number.isInteger(b)) version = [a, b];
    }
    if (compareVersion(version, xs.version) < 0) xs.version = version;
  }

  /** Ties this authenticator to `xmlstream`. */
  associateWithStream(xmlstream: XmlStream): void {
    this.xmlstream = xmlstream;
  }
}

/**
 * The initiating side (Twisted's `ConnectAuthenticator`): sends the header,
 * reads the features, then runs `xmlstream.initializers` in turn and
 * dispatches `STREAM_AUTHD_EVENT` (or `INIT_FAILED_EVENT`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * class Auth extends xmlstream.ConnectAuthenticator {
 *   override namespace = "jabber:client";
 * }
 * const xs = new xmlstream.XmlStream(new Auth("example.com"));
 * console.log(xs.initiating); // true
 * ```
 */
export class ConnectAuthenticator extends Authenticator {
  /** The stream's default namespace (`jabber:client`, `jabber:component:accept` ...). */
  namespace: string | null = null;
  /** The server's domain. */
  otherHost: string;

  /**
   * Makes the authenticator.
   * @param otherHost the domain connected to
   */
  constructor(otherHost: string) {
    super();
    this.otherHost = otherHost;
  }

  /** Sends the stream header. */
  override connectionMade(): void {
    const xs = this.xmlstream!;
    xs.namespace = this.namespace ?? xs.namespace;
    xs.otherEntity = internJID(this.otherHost);
    xs.sendHeader();
  }

  /** Runs the initializers in turn; `Reset` stops until the restarted stream's features. */
  initializeStream(): void {
    const xs = this.xmlstream!;
    const run = async () => {
      for (;;) {
        // Taken off first: after a Reset the restarted stream's features may come before
        // this promise settles, and must start the next initializer.
        const init = xs.initializers.shift();
        if (init === undefined) {
          xs.dispatch(xs, STREAM_AUTHD_EVENT);
          return;
        }
        const result = await init.initialize();
        if (result === Reset) return;
      }
    };
    run().catch((e) => xs.dispatch(new Failure(e), INIT_FAILED_EVENT));
  }

  /** Reads the header; from version 1.0 waits for `<stream:features/>`. */
  override streamStarted(rootElement: Element): void {
    super.streamStarted(rootElement);
    const xs = this.xmlstream!;
    xs.sid = rootElement.getAttribute("id");
    const from = rootElement.getAttribute("from");
    if (from !== null) {
      try {
        xs.otherEntity = internJID(from);
      } catch {
        xs.sendStreamError(new StreamError("invalid-from"));
        return;
      }
    }
    if (compareVersion(xs.version, [1, 0]) >= 0) {
      xs.addOnetimeObserver(`/features[@xmlns="${NS_STREAMS}"]`, (element: Element) => {
        const features = new Map<string, Element>();
        for (const f of element.elements()) features.set(featureKey(f.uri, f.name), f);
        xs.features = features;
        this.initializeStream();
      });
    } else this.initializeStream();
  }
}

/**
 * The accepting side (Twisted's `ListenAuthenticator`): reads the
 * initiator's header and picks a stream id.
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * const xs = new xmlstream.XmlStream(new xmlstream.ListenAuthenticator());
 * console.log(xs.initiating); // false
 * ```
 */
export class ListenAuthenticator extends Authenticator {
  /** The namespace expected of initiators. */
  namespace: string | null = null;

  /** Marks the stream as the accepting side. */
  override associateWithStream(xmlstream: XmlStream): void {
    super.associateWithStream(xmlstream);
    xmlstream.initiating = false;
  }

  /** Reads the header: namespace, `to`, prefixes; makes a random stream id. */
  override streamStarted(rootElement: Element): void {
    super.streamStarted(rootElement);
    const xs = this.xmlstream!;
    xs.namespace = rootElement.defaultUri ?? xs.namespace;
    const to = rootElement.getAttribute("to");
    if (to !== null) {
      try {
        xs.thisEntity = internJID(to);
      } catch {
        xs.sendStreamError(new StreamError("improper-addressing"));
        return;
      }
    }
    xs.prefixes = {};
    for (const [prefix, uri] of Object.entries(rootElement.localPrefixes)) {
      xs.prefixes[uri] = prefix;
    }
    xs.sid = hex(crypto.getRandomValues(new Uint8Array(8)));
  }
}

/**
 * A required feature was not offered (Twisted's `FeatureNotAdvertized`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * console.log(new xmlstream.FeatureNotAdvertized("bind").name); // "FeatureNotAdvertized"
 * ```
 */
export class FeatureNotAdvertized extends Error {
  /**
   * Makes the error.
   * @param message the feature
   */
  constructor(message = "Feature not advertized") {
    super(message);
    this.name = "FeatureNotAdvertized";
  }
}

/**
 * An initializer that runs when its stream feature is offered (Twisted's
 * `BaseFeatureInitiatingInitializer`); `required` fails without it.
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * class Ping extends xmlstream.BaseFeatureInitiatingInitializer {
 *   override feature: [string, string] = ["urn:xmpp:ping", "ping"];
 *   override start(): void {}
 * }
 * ```
 */
export class BaseFeatureInitiatingInitializer implements IInitiatingInitializer {
  /** The feature's `[uri, name]`. */
  feature: [string, string] | null = null;
  /** The stream. */
  xmlstream: XmlStream;
  /** Fail when the feature is not offered. */
  required: boolean;

  /**
   * Makes the initializer.
   * @param xs the stream
   * @param required fail when the feature is missing
   */
  constructor(xs: XmlStream, required = false) {
    this.xmlstream = xs;
    this.required = required;
  }

  /** Starts when the feature is offered; fails when it is required and missing. */
  initialize(): unknown {
    if (this.feature && this.xmlstream.features.has(featureKey(...this.feature))) {
      return this.start();
    }
    if (this.required) {
      throw new FeatureNotAdvertized(`Feature ${this.feature?.[1]} not advertized`);
    }
    return null;
  }

  /** Runs the step (override). */
  start(): unknown {
    return null;
  }
}

/**
 * TLS negotiation failed (Twisted's `TLSError`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * console.log(new xmlstream.TLSFailed() instanceof xmlstream.TLSError); // true
 * ```
 */
export class TLSError extends Error {
  /**
   * Makes the error.
   * @param message why
   */
  constructor(message = "TLS negotiation failed") {
    super(message);
    this.name = new.target.name;
  }
}
/**
 * The server answered STARTTLS with `<failure/>` (`TLSFailed`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * console.log(new xmlstream.TLSFailed().name); // "TLSFailed"
 * ```
 */
export class TLSFailed extends TLSError {}
/**
 * The server requires TLS and this side does not want it (`TLSRequired`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * console.log(new xmlstream.TLSRequired().name); // "TLSRequired"
 * ```
 */
export class TLSRequired extends TLSError {}
/**
 * This transport cannot start TLS (`TLSNotSupported`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * console.log(new xmlstream.TLSNotSupported().name); // "TLSNotSupported"
 * ```
 */
export class TLSNotSupported extends TLSError {}

/**
 * STARTTLS (Twisted's `TLSInitiatingInitializer`): required and verified by
 * default; `configurationForTLS` gives the TLS options (a CA, a server name).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * const xs = new xmlstream.XmlStream(new xmlstream.ConnectAuthenticator("example.com"));
 * xs.initializers.push(new xmlstream.TLSInitiatingInitializer(xs, true, { ca: "PEM ..." }));
 * ```
 */
export class TLSInitiatingInitializer extends BaseFeatureInitiatingInitializer {
  /** The STARTTLS feature. */
  override feature: [string, string] = [NS_XMPP_TLS, "starttls"];
  /** Start TLS when offered. @default true */
  wanted = true;
  /** TLS options; by default the server's name verified against the system CAs. */
  configurationForTLS: TlsOptions | null;

  /**
   * Makes the initializer.
   * @param xs the stream
   * @param required fail when the server does not offer STARTTLS
   * @param configurationForTLS the TLS options
   */
  constructor(xs: XmlStream, required = true, configurationForTLS: TlsOptions | null = null) {
    super(xs, required);
    this.configurationForTLS = configurationForTLS;
  }

  /** Sends `<starttls/>`, upgrades on `<proceed/>`, restarts the stream. */
  override start(): unknown {
    const xs = this.xmlstream;
    const transport = xs.transport as ITransport & { startTLS?: (o: TlsOptions) => void };
    if (!this.wanted) {
      const f = xs.features.get(featureKey(...this.feature));
      if (f?.child("required")) return Promise.reject(new TLSRequired());
      return null;
    }
    if (typeof transport.startTLS !== "function") {
      return this.required ? Promise.reject(new TLSNotSupported()) : null;
    }
    return new Promise((resolve, reject) => {
      const onProceed = () => {
        xs.removeObserver(`/failure[@xmlns='${NS_XMPP_TLS}']`, onFailure);
        transport.startTLS!({
          serverName: xs.otherEntity?.host,
          ...this.configurationForTLS,
        });
        xs.secure = true;
        xs.reset();
        xs.sendHeader();
        resolve(Reset);
      };
      const onFailure = () => {
        xs.removeObserver(`/proceed[@xmlns='${NS_XMPP_TLS}']`, onProceed);
        reject(new TLSFailed());
      };
      xs.addOnetimeObserver(`/proceed[@xmlns='${NS_XMPP_TLS}']`, onProceed);
      xs.addOnetimeObserver(`/failure[@xmlns='${NS_XMPP_TLS}']`, onFailure);
      xs.send(new Element([NS_XMPP_TLS, "starttls"]));
    });
  }
}
