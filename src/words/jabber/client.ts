/**
 * Twisted's `twisted.words.protocols.jabber.client`: an XMPP client stream
 * (`XMPPClientFactory`, `XMPPAuthenticator`) that runs STARTTLS (required and
 * verified), SASL, resource binding and, when the server still wants it, a
 * session (`BindInitializer`, `SessionInitializer`).
 *
 * @example
 * ```ts
 * import { client, jid, xmlstream } from "@tw/core/words/jabber";
 * import type { domish } from "@tw/core/words/xish";
 *
 * const me = new jid.JID("juliet@example.com/balcony");
 * const factory = client.XMPPClientFactory(me, "secret", {
 *   configurationForTLS: { ca: "-----BEGIN CERTIFICATE-----..." },
 * });
 * factory.addBootstrap(xmlstream.STREAM_AUTHD_EVENT, (xs: xmlstream.XmlStream) => {
 *   xs.addObserver("/message", (m: domish.Element) => console.log(String(m.child("body"))));
 *   xs.send("<presence/>");
 * });
 * // reactor.connectTCP("example.com", 5222, factory);
 * ```
 * @module
 */
import type { TlsOptions } from "../../internet/socket.ts";
import { StreamError } from "./error.ts";
import { JID } from "./jid.ts";
import { SASLInitiatingInitializer } from "./sasl.ts";
import {
  BaseFeatureInitiatingInitializer,
  ConnectAuthenticator,
  type IInitiatingInitializer,
  IQ,
  TLSInitiatingInitializer,
  type XmlStream,
  XmlStreamFactory,
} from "./xmlstream.ts";
import type { Element } from "../xish/_element.ts";

/** The resource binding namespace. */
export const NS_XMPP_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
/** The session namespace. */
export const NS_XMPP_SESSION = "urn:ietf:params:xml:ns:xmpp-session";

/**
 * Fails a stream older than XMPP 1.0 (Twisted's `CheckVersionInitializer`).
 *
 * @example
 * ```ts
 * import { client, xmlstream } from "@tw/core/words/jabber";
 * const xs = new xmlstream.XmlStream(new xmlstream.ConnectAuthenticator("example.com"));
 * xs.version = [0, 0];
 * try {
 *   new client.CheckVersionInitializer(xs).initialize();
 * } catch (e) {
 *   console.log((e as Error).name); // "StreamError"
 * }
 * ```
 */
export class CheckVersionInitializer implements IInitiatingInitializer {
  /** The stream. */
  xmlstream: XmlStream;
  /**
   * Makes the initializer.
   * @param xs the stream
   */
  constructor(xs: XmlStream) {
    this.xmlstream = xs;
  }
  /** Throws `StreamError("unsupported-version")` below 1.0. */
  initialize(): null {
    if (this.xmlstream.version[0] < 1) throw new StreamError("unsupported-version");
    return null;
  }
}

/** What the client initializers need of the authenticator. */
interface HasJID {
  jid: JID;
}

/**
 * Binds a resource (Twisted's `BindInitializer`): asks for the JID's
 * resource (or lets the server pick one) and sets the authenticator's `jid`
 * to the full JID the server bound.
 *
 * @example
 * ```ts
 * import { client } from "@tw/core/words/jabber";
 * console.log(client.NS_XMPP_BIND); // "urn:ietf:params:xml:ns:xmpp-bind"
 * ```
 */
export class BindInitializer extends BaseFeatureInitiatingInitializer {
  /** The bind feature. */
  override feature: [string, string] = [NS_XMPP_BIND, "bind"];

  /** Sends the bind request. */
  override async start(): Promise<void> {
    const auth = this.xmlstream.authenticator as unknown as HasJID;
    const iq = new IQ(this.xmlstream, "set");
    const bind = iq.addElement([NS_XMPP_BIND, "bind"]);
    if (auth.jid.resource) bind.addElement("resource", null, auth.jid.resource);
    this.onBind(await iq.send());
  }

  /** Takes the bound JID from the result. */
  onBind(iq: Element): void {
    const bound = iq.child("bind")?.child("jid");
    if (bound) (this.xmlstream.authenticator as unknown as HasJID).jid = new JID(String(bound));
  }
}

/**
 * Starts a session (Twisted's `SessionInitializer`), skipped when the server
 * marks it `<optional/>` (RFC 6121 dropped it).
 *
 * @example
 * ```ts
 * import { client } from "@tw/core/words/jabber";
 * console.log(client.NS_XMPP_SESSION); // "urn:ietf:params:xml:ns:xmpp-session"
 * ```
 */
export class SessionInitializer extends BaseFeatureInitiatingInitializer {
  /** The session feature. */
  override feature: [string, string] = [NS_XMPP_SESSION, "session"];

  /** Sends the session request unless optional. */
  override async start(): Promise<void> {
    const offered = this.xmlstream.features.get(`{${NS_XMPP_SESSION}}session`);
    if (offered?.child("optional")) return;
    const iq = new IQ(this.xmlstream, "set");
    iq.addElement([NS_XMPP_SESSION, "session"]);
    await iq.send();
  }
}

/** Options of `XMPPClientFactory` and `XMPPAuthenticator`. */
export interface XMPPClientOptions {
  /** TLS options for STARTTLS (a CA, the server name); default: the system's CAs and the JID's domain. */
  configurationForTLS?: TlsOptions | null;
  /** Require STARTTLS. @default true */
  requireTLS?: boolean;
}

/**
 * The client authenticator (Twisted's `XMPPAuthenticator`): version check,
 * STARTTLS, SASL, bind, session. `jid` becomes the bound full JID.
 *
 * @example
 * ```ts
 * import { client, jid } from "@tw/core/words/jabber";
 * const a = new client.XMPPAuthenticator(new jid.JID("juliet@example.com"), "secret");
 * console.log(a.namespace, a.otherHost); // "jabber:client" "example.com"
 * ```
 */
export class XMPPAuthenticator extends ConnectAuthenticator {
  /** The client namespace. */
  override namespace: string | null = "jabber:client";
  /** The client's JID; the full JID once bound. */
  jid: JID;
  /** The password. */
  password: string;
  /** The STARTTLS options. */
  configurationForTLS: TlsOptions | null;
  /** Require STARTTLS. */
  requireTLS: boolean;

  /**
   * Makes the authenticator.
   * @param jid the client's JID
   * @param password the password
   * @param options TLS options
   */
  constructor(jid: JID, password: string, options: XMPPClientOptions = {}) {
    super(jid.host);
    this.jid = jid;
    this.password = password;
    this.configurationForTLS = options.configurationForTLS ?? null;
    this.requireTLS = options.requireTLS ?? true;
  }

  /** Sets the stream's initializers. */
  override associateWithStream(xs: XmlStream): void {
    super.associateWithStream(xs);
    xs.initializers = [
      new CheckVersionInitializer(xs),
      new TLSInitiatingInitializer(xs, this.requireTLS, this.configurationForTLS),
      new SASLInitiatingInitializer(xs, true),
      new BindInitializer(xs, true),
      new SessionInitializer(xs, false),
    ];
  }
}

/**
 * A reconnecting factory of authenticated client streams (Twisted's
 * `XMPPClientFactory`); add bootstraps for `STREAM_AUTHD_EVENT` and
 * `INIT_FAILED_EVENT`.
 *
 * @example
 * ```ts
 * import { client, jid } from "@tw/core/words/jabber";
 * const factory = client.XMPPClientFactory(new jid.JID("juliet@example.com"), "secret");
 * factory.maxRetries = 0;
 * ```
 */
export function XMPPClientFactory(
  jid: JID,
  password: string,
  options: XMPPClientOptions = {},
): XmlStreamFactory {
  return new XmlStreamFactory(new XMPPAuthenticator(jid, password, options));
}
