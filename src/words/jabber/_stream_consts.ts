/**
 * The XMPP stream's constants and small helpers: events, namespaces,
 * `Reset`, `hashPassword`, `featureKey`. Private: re-exported by `xmlstream.ts`.
 * @module
 */

/** Dispatched with the stream once every initializer succeeded. */
export const STREAM_AUTHD_EVENT = "//event/stream/authd";
/** Dispatched with a Failure when an initializer failed. */
export const INIT_FAILED_EVENT = "//event/xmpp/initfailed";
/** The stream namespace. */
export const NS_STREAMS = "http://etherx.jabber.org/streams";
/** The STARTTLS namespace. */
export const NS_XMPP_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
/** What an initializer returns when it restarted the stream (Twisted's `Reset`). */
export const Reset: unique symbol = Symbol("Reset");

/** Hex of bytes. */
export const hex = (b: Uint8Array): string =>
  [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/**
 * The component handshake digest: hex SHA-1 of `sid + password`
 * (`hashPassword`; asynchronous, as WebCrypto is).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * console.log(await xmlstream.hashPassword("12345", "secret"));
 * // "99567ee91b2c7cabf607f10cb9f4a3634fa820e0"
 * ```
 */
export async function hashPassword(sid: string, password: string): Promise<string> {
  if (typeof sid !== "string") throw new TypeError("The session identifier must be a string");
  if (typeof password !== "string") throw new TypeError("The password must be a string");
  const data = new TextEncoder().encode(sid + password);
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-1", data)));
}

/**
 * The key of a feature in `XmlStream.features`: `{uri}name`.
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * console.log(xmlstream.featureKey(xmlstream.NS_XMPP_TLS, "starttls"));
 * // "{urn:ietf:params:xml:ns:xmpp-tls}starttls"
 * ```
 */
export function featureKey(uri: string | null, name: string): string {
  return `{${uri ?? ""}}${name}`;
}

/** Something run in turn once the stream's features are known (`IInitiatingInitializer`). */
export interface IInitiatingInitializer {
  /** Runs the step; may return a promise; `Reset` when it restarted the stream. */
  initialize(): unknown;
}

/** Compares two stream versions. */
export function compareVersion(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
