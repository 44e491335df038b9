/**
 * Twisted's `twisted.words.protocols.jabber.sasl`: SASL authentication of
 * an initiating stream (`SASLInitiatingInitializer`), picking SCRAM-SHA-256,
 * then SCRAM-SHA-1, then PLAIN only over TLS (Twisted picks DIGEST-MD5, then
 * PLAIN even in clear).
 *
 * @example
 * ```ts
 * import { sasl } from "@tw/core/words/jabber";
 * console.log(new TextDecoder().decode(sasl.fromBase64("aGk="))); // "hi"
 * ```
 * @module
 */
import { Element } from "../xish/_element.ts";
import type { Failure } from "../../internet/failure.ts";
import {
  Anonymous,
  type ISASLMechanism,
  Plain,
  ScramSHA1,
  ScramSHA256,
} from "./sasl_mechanisms.ts";
import {
  BaseFeatureInitiatingInitializer,
  featureKey,
  Reset,
  STREAM_END_EVENT,
  type XmlStream,
} from "./xmlstream.ts";
import type { JID } from "./jid.ts";

/** The SASL namespace. */
export const NS_XMPP_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
const Q_CHALLENGE = `/challenge[@xmlns='${NS_XMPP_SASL}']`;
const Q_SUCCESS = `/success[@xmlns='${NS_XMPP_SASL}']`;
const Q_FAILURE = `/failure[@xmlns='${NS_XMPP_SASL}']`;

/**
 * A SASL failure (Twisted's `SASLError`).
 *
 * @example
 * ```ts
 * import { sasl } from "@tw/core/words/jabber";
 * console.log(new sasl.SASLAuthError("not-authorized") instanceof sasl.SASLError); // true
 * ```
 */
export class SASLError extends Error {
  /**
   * Makes the error.
   * @param message why
   */
  constructor(message = "SASL error") {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * No offered mechanism is acceptable (Twisted's `SASLNoAcceptableMechanism`).
 *
 * @example
 * ```ts
 * import { sasl } from "@tw/core/words/jabber";
 * console.log(new sasl.SASLNoAcceptableMechanism().name); // "SASLNoAcceptableMechanism"
 * ```
 */
export class SASLNoAcceptableMechanism extends SASLError {
  /**
   * Makes the error.
   * @param message why
   */
  constructor(message = "No acceptable SASL mechanism") {
    super(message);
  }
}

/**
 * The server refused the credentials, with its condition (Twisted's `SASLAuthError`).
 *
 * @example
 * ```ts
 * import { sasl } from "@tw/core/words/jabber";
 * console.log(new sasl.SASLAuthError("not-authorized").condition); // "not-authorized"
 * ```
 */
export class SASLAuthError extends SASLError {
  /** The `<failure/>` condition, such as `not-authorized`. */
  readonly condition: string | null;
  /**
   * Makes the error.
   * @param condition the server's condition
   */
  constructor(condition: string | null = null) {
    super(`SASLAuthError with condition '${condition}'`);
    this.condition = condition;
  }
}

/**
 * A challenge was not valid base64 (Twisted's `SASLIncorrectEncodingError`).
 *
 * @example
 * ```ts
 * import { sasl } from "@tw/core/words/jabber";
 * console.log(new sasl.SASLIncorrectEncodingError() instanceof sasl.SASLError); // true
 * ```
 */
export class SASLIncorrectEncodingError extends SASLError {}

/**
 * Decodes strict base64 (`fromBase64`); "=" alone is empty.
 *
 * @example
 * ```ts
 * import { sasl } from "@tw/core/words/jabber";
 * try {
 *   sasl.fromBase64("not base64!");
 * } catch (e) {
 *   console.log(e instanceof sasl.SASLIncorrectEncodingError); // true
 * }
 * ```
 */
export function fromBase64(s: string): Uint8Array {
  const text = s.trim() === "=" ? "" : s.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new SASLIncorrectEncodingError();
  }
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(data: Uint8Array): string {
  let s = "";
  for (const b of data) s += String.fromCharCode(b);
  return btoa(s);
}

/**
 * The mechanism names the peer offered (`get_mechanisms`).
 *
 * @example
 * ```ts
 * import { sasl, xmlstream } from "@tw/core/words/jabber";
 * const xs = new xmlstream.XmlStream(new xmlstream.ConnectAuthenticator("example.com"));
 * console.log(sasl.getMechanisms(xs)); // []
 * ```
 */
export function getMechanisms(xs: XmlStream): string[] {
  const feature = xs.features.get(featureKey(NS_XMPP_SASL, "mechanisms"));
  if (!feature) return [];
  return [...feature.elements()].filter((e) => e.name === "mechanism").map((e) => String(e).trim());
}

/** What the SASL initializer needs of the authenticator. */
interface Credentials {
  jid: JID;
  password: string | null;
}

/**
 * SASL authentication (Twisted's `SASLInitiatingInitializer`): picks a
 * mechanism, runs the exchange, checks SCRAM's server signature, restarts
 * the stream on success and fails with `SASLAuthError` otherwise.
 *
 * @example
 * ```ts
 * import { client, jid, sasl, xmlstream } from "@tw/core/words/jabber";
 * const a = new client.XMPPAuthenticator(new jid.JID("juliet@example.com"), "secret");
 * const xs = new xmlstream.XmlStream(a);
 * console.log(xs.initializers.some((i) => i instanceof sasl.SASLInitiatingInitializer)); // true
 * ```
 */
export class SASLInitiatingInitializer extends BaseFeatureInitiatingInitializer {
  /** The SASL feature. */
  override feature: [string, string] = [NS_XMPP_SASL, "mechanisms"];
  /** The mechanism chosen by `setMechanism`. */
  mechanism: ISASLMechanism | null = null;
  /** Allow PLAIN on a connection without TLS. @default false */
  allowPlainWithoutTLS = false;

  /** Picks the mechanism: SCRAM-SHA-256, SCRAM-SHA-1, PLAIN over TLS; ANONYMOUS without a user. */
  setMechanism(): void {
    const auth = this.xmlstream.authenticator as unknown as Credentials;
    const jid = auth.jid;
    const password = auth.password ?? "";
    const offered = getMechanisms(this.xmlstream);
    const secure = this.xmlstream.secure ||
      (this.xmlstream.transport as { secure?: boolean }).secure === true;
    if (jid.user !== null) {
      if (offered.includes("SCRAM-SHA-256")) this.mechanism = new ScramSHA256(jid.user, password);
      else if (offered.includes("SCRAM-SHA-1")) this.mechanism = new ScramSHA1(jid.user, password);
      else if (offered.includes("PLAIN") && (secure || this.allowPlainWithoutTLS)) {
        this.mechanism = new Plain(null, jid.user, password);
      } else throw new SASLNoAcceptableMechanism(`No acceptable SASL mechanism in ${offered}`);
    } else if (offered.includes("ANONYMOUS")) this.mechanism = new Anonymous();
    else throw new SASLNoAcceptableMechanism();
  }

  /** Runs the exchange; resolves with `Reset` once the stream restarted. */
  override start(): Promise<unknown> {
    this.setMechanism();
    const xs = this.xmlstream;
    const mechanism = this.mechanism!;
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (error: unknown) => {
        if (done) return;
        done = true;
        xs.removeObserver(Q_CHALLENGE, onChallenge);
        xs.removeObserver(Q_SUCCESS, onSuccess);
        xs.removeObserver(Q_FAILURE, onFailure);
        xs.removeObserver(STREAM_END_EVENT, onEnd);
        if (error === null) resolve(Reset);
        else reject(error);
      };
      const fail = (error: unknown) => {
        finish(error);
        xs.transport.loseConnection();
      };
      const onChallenge = (element: Element) => {
        (async () => {
          const response = await mechanism.getResponse(fromBase64(String(element)));
          if (done) return;
          const r = new Element([NS_XMPP_SASL, "response"]);
          if (response.length) r.addContent(toBase64(response));
          xs.send(r);
        })().catch(fail);
      };
      const onSuccess = (element: Element) => {
        (async () => {
          if (mechanism.checkSuccess) {
            const text = String(element).trim();
            const ok = await mechanism.checkSuccess(text ? fromBase64(text) : null);
            if (!ok) throw new SASLAuthError("server-signature-mismatch");
          }
          if (done) return;
          xs.reset();
          xs.sendHeader();
          finish(null);
        })().catch(fail);
      };
      const onFailure = (element: Element) => {
        finish(new SASLAuthError(element.firstChildElement()?.name ?? null));
      };
      const onEnd = (reason: Failure) => finish(reason.value);
      xs.addObserver(Q_CHALLENGE, onChallenge);
      xs.addObserver(Q_SUCCESS, onSuccess);
      xs.addObserver(Q_FAILURE, onFailure);
      xs.addObserver(STREAM_END_EVENT, onEnd);
      (async () => {
        const initial = await mechanism.getInitialResponse();
        const auth = new Element([NS_XMPP_SASL, "auth"]);
        auth.setAttribute("mechanism", mechanism.name);
        if (initial !== null) auth.addContent(toBase64(initial) || "=");
        xs.send(auth);
      })().catch(fail);
    });
  }
}
