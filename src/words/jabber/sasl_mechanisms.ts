/**
 * Twisted's `twisted.words.protocols.jabber.sasl_mechanisms`, with SCRAM:
 * `Plain`, `Anonymous`, `DigestMD5` (RFC 2831, historic: never picked by
 * `SASLInitiatingInitializer`), `ScramSHA1` and `ScramSHA256` (RFC 5802 /
 * 7677: SASLprep, PBKDF2 through WebCrypto, the server's signature checked),
 * and `saslprep` (RFC 4013).
 *
 * @example
 * ```ts
 * import { sasl_mechanisms } from "@tw/core/words/jabber";
 * const m = new sasl_mechanisms.Plain(null, "juliet", "secret");
 * console.log(new TextDecoder().decode(m.getInitialResponse())); // "\u0000juliet\u0000secret"
 * ```
 * @module
 */

import { md5 } from "../../cred/_md5.ts";
import { encodeBase64, ScramClient, ScramError, type ScramHash } from "../../cred/_scram.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/** A SASL mechanism, client side (Twisted's `ISASLMechanism`). */
export interface ISASLMechanism {
  /** The mechanism's IANA name. */
  readonly name: string;
  /** The initial response, or null when the mechanism has none. */
  getInitialResponse(): Uint8Array | null | Promise<Uint8Array | null>;
  /** The response to a server challenge. */
  getResponse(challenge: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * Checks the additional data of `<success/>` (SCRAM's server signature);
   * false fails the authentication. Absent: success is taken as is.
   */
  checkSuccess?(data: Uint8Array | null): boolean | Promise<boolean>;
}

/**
 * PLAIN (RFC 4616; Twisted's `Plain`): `authzid NUL authcid NUL password`.
 *
 * @example
 * ```ts
 * import { sasl_mechanisms } from "@tw/core/words/jabber";
 * console.log(new sasl_mechanisms.Plain(null, "user", "pencil").name); // "PLAIN"
 * ```
 */
export class Plain implements ISASLMechanism {
  /** The mechanism's name. */
  readonly name = "PLAIN";
  /** The identity to act as, or null. */
  authzid: string | null;
  /** The user name. */
  authcid: string;
  /** The password. */
  password: string;

  /**
   * Makes the mechanism.
   * @param authzid the identity to act as, or null
   * @param authcid the user name
   * @param password the password
   */
  constructor(authzid: string | null, authcid: string, password: string) {
    this.authzid = authzid;
    this.authcid = authcid;
    this.password = password;
  }

  /** The credentials. */
  getInitialResponse(): Uint8Array {
    return enc.encode(`${this.authzid ?? ""}\0${this.authcid}\0${this.password}`);
  }

  /** PLAIN has no challenges: an empty response. */
  getResponse(_challenge: Uint8Array): Uint8Array {
    return new Uint8Array();
  }
}

/**
 * ANONYMOUS (RFC 4505; Twisted's `Anonymous`).
 *
 * @example
 * ```ts
 * import { sasl_mechanisms } from "@tw/core/words/jabber";
 * console.log(new sasl_mechanisms.Anonymous().getInitialResponse()); // null
 * ```
 */
export class Anonymous implements ISASLMechanism {
  /** The mechanism's name. */
  readonly name = "ANONYMOUS";
  /** No initial response. */
  getInitialResponse(): null {
    return null;
  }
  /** An empty response. */
  getResponse(_challenge: Uint8Array): Uint8Array {
    return new Uint8Array();
  }
}

const hexOf = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

function concat(...parts: (Uint8Array | string)[]): Uint8Array {
  const bytes = parts.map((p) => typeof p === "string" ? enc.encode(p) : p);
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Options of `DigestMD5`. */
export interface DigestMD5Options {
  /** The client nonce (tests); by default 16 random bytes, hex. */
  cnonce?: string;
}

/**
 * DIGEST-MD5 (RFC 2831; Twisted's `DigestMD5`), client side, `qop=auth`.
 * Historic (RFC 6331): provided for old servers, never chosen automatically.
 *
 * @example
 * ```ts
 * import { sasl_mechanisms } from "@tw/core/words/jabber";
 * const m = new sasl_mechanisms.DigestMD5("xmpp", "example.com", null, "juliet", "secret");
 * console.log(m.name, m.getInitialResponse()); // "DIGEST-MD5" null
 * ```
 */
export class DigestMD5 implements ISASLMechanism {
  /** The mechanism's name. */
  readonly name = "DIGEST-MD5";
  /** `type/host[/serv-name]`. */
  readonly digestUri: string;
  /** The realm used when the server names none. */
  readonly defaultRealm: string;
  /** The user name. */
  username: string;
  /** The password. */
  password: string;
  readonly #cnonce: string | undefined;

  /**
   * Makes the mechanism.
   * @param digestUriType the service, `xmpp`
   * @param host the server's domain
   * @param servName the service name, or null
   * @param username the user name
   * @param password the password
   * @param options a fixed client nonce
   */
  constructor(
    digestUriType: string,
    host: string,
    servName: string | null,
    username: string,
    password: string,
    options: DigestMD5Options = {},
  ) {
    this.digestUri = `${digestUriType}/${host}${servName ? `/${servName}` : ""}`;
    this.defaultRealm = host;
    this.username = username;
    this.password = password;
    this.#cnonce = options.cnonce;
  }

  /** No initial response. */
  getInitialResponse(): null {
    return null;
  }

  /** The digest response to the server's challenge; empty after `rspauth`. */
  getResponse(challenge: Uint8Array): Uint8Array {
    const d = DigestMD5.parse(dec.decode(challenge));
    if (d.has("rspauth")) return new Uint8Array();
    const nonce = d.get("nonce");
    if (nonce === undefined) throw new RangeError("DIGEST-MD5 challenge without a nonce");
    const realm = d.get("realm") ?? this.defaultRealm;
    const cnonce = this.#cnonce ?? hexOf(crypto.getRandomValues(new Uint8Array(16)));
    const nc = "00000001";
    const qop = "auth";
    const a1 = concat(
      md5(enc.encode(`${this.username}:${realm}:${this.password}`)),
      `:${nonce}:${cnonce}`,
    );
    const a2 = `AUTHENTICATE:${this.digestUri}`;
    const response = hexOf(md5(enc.encode(
      `${hexOf(md5(a1))}:${nonce}:${nc}:${cnonce}:${qop}:${hexOf(md5(enc.encode(a2)))}`,
    )));
    const q = (v: string) => `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
    return enc.encode(
      `username=${q(this.username)},realm=${q(realm)},nonce=${q(nonce)},cnonce=${q(cnonce)},` +
        `nc=${nc},qop=${qop},digest-uri=${q(this.digestUri)},response=${response},charset=utf-8`,
    );
  }

  /** Parses `key=value,key="quoted"` directives. */
  static parse(text: string): Map<string, string> {
    const out = new Map<string, string>();
    const re = /\s*([a-zA-Z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(?:,|$)/y;
    let m: RegExpExecArray | null;
    while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
      out.set(m[1].toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3].trim());
    }
    return out;
  }
}

/** SASLprep (RFC 4013), under Twisted's name; see `saslPrep` in `@tw/core/cred`. */
export { saslPrep as saslprep } from "../../cred/_scram.ts";

/** Options of the SCRAM mechanisms. */
export interface ScramOptions {
  /** The client nonce (tests); by default 24 random bytes, base64. */
  nonce?: string;
  /** Most PBKDF2 iterations accepted from a server. @default 600000 */
  maxIterations?: number;
  /** The authorization identity, or null. */
  authzid?: string | null;
}

/**
 * SCRAM (RFC 5802) over `hash` as a SASL mechanism, client side: the shared
 * SCRAM client of `src/cred`; see `ScramSHA1` and `ScramSHA256`.
 */
class Scram implements ISASLMechanism {
  readonly name: string;
  readonly #scram: ScramClient;

  constructor(
    name: string,
    hash: ScramHash,
    username: string,
    password: string,
    options: ScramOptions,
  ) {
    this.name = name;
    this.#scram = new ScramClient(username, password, {
      hash,
      nonce: options.nonce ?? encodeBase64(crypto.getRandomValues(new Uint8Array(24))),
      authzid: options.authzid,
      maxIterations: options.maxIterations ?? 600_000,
    });
  }

  getInitialResponse(): Uint8Array {
    return enc.encode(this.#scram.clientFirst());
  }

  async getResponse(challenge: Uint8Array): Promise<Uint8Array> {
    if (this.#scram.awaitingServerFinal) {
      // Server-final sent as a challenge: check it, answer empty.
      if (!this.checkSuccess(challenge)) throw new ScramError("SCRAM server signature mismatch");
      return new Uint8Array();
    }
    return enc.encode(await this.#scram.clientFinal(text(challenge)));
  }

  checkSuccess(data: Uint8Array | null): boolean {
    if (data === null || data.length === 0) return false;
    try {
      return this.#scram.verifyServerFinal(text(data));
    } catch {
      return false;
    }
  }
}

/** A SCRAM message as text; invalid UTF-8 is a malformed message. */
function text(data: Uint8Array): string {
  try {
    return dec.decode(data);
  } catch {
    throw new ScramError("SCRAM message is not UTF-8");
  }
}

/**
 * SCRAM-SHA-1 (RFC 5802).
 *
 * @example
 * ```ts
 * import { sasl_mechanisms } from "@tw/core/words/jabber";
 * const m = new sasl_mechanisms.ScramSHA1("user", "pencil", { nonce: "fyko+d2lbbFgONRv9qkxdawL" });
 * console.log(new TextDecoder().decode(m.getInitialResponse())); // "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
 * ```
 */
export class ScramSHA1 extends Scram {
  /**
   * Makes the mechanism.
   * @param username the user name
   * @param password the password
   * @param options a fixed nonce, the iteration limit
   */
  constructor(username: string, password: string, options: ScramOptions = {}) {
    super("SCRAM-SHA-1", "SHA-1", username, password, options);
  }
}

/**
 * SCRAM-SHA-256 (RFC 7677).
 *
 * @example
 * ```ts
 * import { sasl_mechanisms } from "@tw/core/words/jabber";
 * console.log(new sasl_mechanisms.ScramSHA256("user", "pencil").name); // "SCRAM-SHA-256"
 * ```
 */
export class ScramSHA256 extends Scram {
  /**
   * Makes the mechanism.
   * @param username the user name
   * @param password the password
   * @param options a fixed nonce, the iteration limit
   */
  constructor(username: string, password: string, options: ScramOptions = {}) {
    super("SCRAM-SHA-256", "SHA-256", username, password, options);
  }
}
