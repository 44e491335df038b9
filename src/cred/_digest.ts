/**
 * HTTP Digest authentication (RFC 7616) without HTTP: challenges, response
 * parsing and the credentials it yields (`twisted.cred.credentials`'s
 * `DigestCredentialFactory` and `DigestedCredentials`). `@tw/core/web`'s
 * guard wraps it around requests.
 * @module
 */
import type { IReactorTime } from "../internet/interfaces.ts";
import { getReactor } from "../internet/reactor.ts";
import { LoginFailed } from "./_errors.ts";
import { type InterfaceName, interfaceName, IUsernameHashedPassword } from "./_interfaces.ts";
import { md5, toHex } from "./_md5.ts";
import { fromBase64, timingSafeEqualStrings, toBase64 } from "./_hash.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The digest algorithms offered: MD5 (RFC 2617 clients) or SHA-256 (RFC 7616). */
export type DigestAlgorithm = "md5" | "sha-256";

/** Credentials that can be checked against a digest of `username:realm:password` (`IUsernameDigestHash`). */
export interface IUsernameDigestHash {
  /** The username. */
  readonly username: string;
  /** True when `digestHash` (hex `H(username:realm:password)`) matches the client's response. */
  checkHash(digestHash: string): Promise<boolean>;
}

/** The credential interface of `DigestedCredentials` beyond `IUsernameHashedPassword`. */
export const IUsernameDigestHash: InterfaceName<IUsernameDigestHash> = interfaceName(
  "IUsernameDigestHash",
);

async function hashHex(algorithm: string, text: string): Promise<string> {
  const base = algorithm.replace(/-sess$/, "");
  if (base === "md5") return toHex(md5(enc.encode(text)));
  if (base === "sha-256") {
    return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(text))));
  }
  throw new LoginFailed(`Unsupported digest algorithm: ${algorithm}`);
}

/**
 * Parses the parameters of a Digest `Authorization` header: `key=token` or
 * `key="quoted \"string\""`, separated by commas. Keys are lowercased.
 * @throws {LoginFailed} for malformed input
 * @example
 * ```ts
 * import { parseDigestParams } from "@tw/core/cred";
 * const params = parseDigestParams('Username="alice", nc=00000001, uri="/index.html"');
 * console.log(params.get("username"), params.get("nc")); // "alice 00000001"
 * ```
 */
export function parseDigestParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const skip = (): void => {
    while (i < text.length && /[\s,]/.test(text[i])) i++;
  };
  skip();
  while (i < text.length) {
    const keyMatch = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*/.exec(text.slice(i));
    if (keyMatch === null) throw new LoginFailed("Invalid digest response: bad parameter");
    const key = keyMatch[1].toLowerCase();
    i += keyMatch[0].length;
    let value = "";
    if (text[i] === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i++];
      }
      if (text[i] !== '"') throw new LoginFailed("Invalid digest response: unterminated string");
      i++;
    } else {
      const tokenMatch = /^[^\s,]*/.exec(text.slice(i))!;
      value = tokenMatch[0];
      i += value.length;
    }
    out.set(key, value);
    skip();
  }
  return out;
}

/**
 * What a Digest response proves (`DigestedCredentials`): check it with the
 * plaintext password (`checkPassword`) or with the stored
 * `H(username:realm:password)` (`checkHash`).
 *
 * @example
 * ```ts
 * import { DigestedCredentials } from "@tw/core/cred";
 * // RFC 2617's example: user Mufasa, password "Circle Of Life".
 * const creds = new DigestedCredentials("Mufasa", "GET", "testrealm@host.com", new Map([
 *   ["nonce", "dcd98b7102dd2f0e8b11d0f600bfb0c093"], ["uri", "/dir/index.html"],
 *   ["qop", "auth"], ["nc", "00000001"], ["cnonce", "0a4f113b"],
 *   ["response", "6629fae49393a05397450978507c4ef1"],
 * ]));
 * console.log(await creds.checkPassword("Circle Of Life")); // true
 * ```
 */
export class DigestedCredentials implements IUsernameDigestHash {
  /** Provides `IUsernameHashedPassword` and `IUsernameDigestHash`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [
    IUsernameHashedPassword,
    IUsernameDigestHash,
  ];
  /** The username. */
  readonly username: string;
  /** The request method. */
  readonly method: string;
  /** The realm. */
  readonly realm: string;
  /** The response's parameters (lowercase keys). */
  readonly fields: ReadonlyMap<string, string>;

  /**
   * Makes the credentials (normally done by `DigestCredentialFactory.decode`).
   * @param username the username
   * @param method the request method
   * @param realm the realm
   * @param fields the response's parameters
   */
  constructor(
    username: string,
    method: string,
    realm: string,
    fields: ReadonlyMap<string, string>,
  ) {
    this.username = username;
    this.method = method;
    this.realm = realm;
    this.fields = fields;
  }

  /** True when the response was made with `password`. */
  async checkPassword(password: string): Promise<boolean> {
    const algorithm = (this.fields.get("algorithm") ?? "md5").toLowerCase();
    return this.checkHash(await hashHex(algorithm, `${this.username}:${this.realm}:${password}`));
  }

  /** True when the response was made with the password whose `H(user:realm:password)` is `digestHash`. */
  async checkHash(digestHash: string): Promise<boolean> {
    const f = this.fields;
    const algorithm = (f.get("algorithm") ?? "md5").toLowerCase();
    const nonce = f.get("nonce") ?? "";
    const cnonce = f.get("cnonce") ?? "";
    const nc = f.get("nc") ?? "";
    const qop = f.get("qop");
    let ha1 = digestHash.toLowerCase();
    if (algorithm.endsWith("-sess")) ha1 = await hashHex(algorithm, `${ha1}:${nonce}:${cnonce}`);
    const ha2 = await hashHex(algorithm, `${this.method}:${f.get("uri") ?? ""}`);
    const expected = qop === undefined
      ? await hashHex(algorithm, `${ha1}:${nonce}:${ha2}`)
      : await hashHex(algorithm, `${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    return timingSafeEqualStrings(expected, (f.get("response") ?? "").toLowerCase());
  }
}

/** Options of `DigestCredentialFactory`. */
export interface DigestCredentialFactoryOptions {
  /** The clock that dates challenges. @default the reactor */
  clock?: IReactorTime;
  /** How long a challenge (its nonce and opaque) stays valid, in seconds. @default 900 */
  challengeLifetime?: number;
}

/**
 * Issues Digest challenges and decodes responses (Twisted's cred
 * `DigestCredentialFactory`). The nonce is random; the opaque binds the
 * nonce, the client's address and the time with an HMAC-SHA-256 under a
 * per-factory random key, so responses to expired, forged or another
 * client's challenges are refused without keeping state.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { DigestCredentialFactory } from "@tw/core/cred";
 * const factory = new DigestCredentialFactory("sha-256", "example.org", {
 *   clock: reactor,
 *   challengeLifetime: 300,
 * });
 * const challenge = await factory.getChallenge("192.0.2.1");
 * console.log(challenge.realm, challenge.algorithm, challenge.qop); // "example.org SHA-256 auth"
 * // Send `WWW-Authenticate: Digest realm="...", nonce="...", ...`; then, for the reply:
 * // const creds = await factory.decode(authorizationAfterDigest, "GET", "192.0.2.1");
 * ```
 */
export class DigestCredentialFactory {
  /** The algorithm offered and required. */
  readonly algorithm: DigestAlgorithm;
  /** The realm. */
  readonly realm: string;
  /** Seconds a challenge stays valid. */
  readonly challengeLifetime: number;
  #clock: IReactorTime | undefined;
  #key: Promise<CryptoKey>;

  /**
   * Makes the factory.
   * @param algorithm "md5" or "sha-256"
   * @param realm the protection space's name shown to users
   * @param options clock and challenge lifetime
   */
  constructor(
    algorithm: DigestAlgorithm,
    realm: string,
    options: DigestCredentialFactoryOptions = {},
  ) {
    const lower = algorithm.toLowerCase();
    if (lower !== "md5" && lower !== "sha-256") {
      throw new RangeError(`Unsupported digest algorithm: ${algorithm} (expected md5 or sha-256)`);
    }
    this.algorithm = lower;
    this.realm = realm;
    this.challengeLifetime = options.challengeLifetime ?? 900;
    this.#clock = options.clock;
    this.#key = crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]) as Promise<CryptoKey>;
  }

  get #now(): number {
    return (this.#clock ??= getReactor()).seconds();
  }

  async #mac(text: string): Promise<string> {
    const signature = await crypto.subtle.sign("HMAC", await this.#key, enc.encode(text));
    return toHex(new Uint8Array(signature));
  }

  /**
   * A new challenge's parameters: realm, qop, algorithm, nonce, opaque.
   * @param clientAddress the client's IP (binds the challenge to it)
   */
  async getChallenge(clientAddress: string): Promise<Record<string, string>> {
    const nonce = toHex(crypto.getRandomValues(new Uint8Array(16)));
    const opaque = await this.#opaque(nonce, clientAddress, Math.floor(this.#now));
    return {
      realm: this.realm,
      qop: "auth",
      algorithm: this.algorithm === "md5" ? "MD5" : "SHA-256",
      nonce,
      opaque,
    };
  }

  async #opaque(nonce: string, clientAddress: string, when: number): Promise<string> {
    const key = `${nonce},${clientAddress},${when}`;
    return `${await this.#mac(key)}-${toBase64(enc.encode(key))}`;
  }

  /**
   * Checks a response's parameters against the challenge it answers and
   * returns the credentials to give the portal.
   * @param response the `Authorization` value after "Digest "
   * @param method the request method
   * @param clientAddress the client's IP
   * @throws {LoginFailed} for a malformed, stale, foreign or downgraded response
   */
  async decode(
    response: string,
    method: string,
    clientAddress: string,
  ): Promise<DigestedCredentials> {
    const fields = parseDigestParams(response);
    const username = fields.get("username");
    if (username === undefined) throw new LoginFailed("Invalid response, no username given");
    const opaque = fields.get("opaque");
    if (opaque === undefined) throw new LoginFailed("Invalid response, no opaque given");
    const nonce = fields.get("nonce");
    if (nonce === undefined) throw new LoginFailed("Invalid response, no nonce given");
    await this.#verifyOpaque(opaque, nonce, clientAddress);
    if ((fields.get("realm") ?? "") !== this.realm) throw new LoginFailed("Wrong realm");
    const algorithm = (fields.get("algorithm") ?? "md5").toLowerCase();
    if (algorithm.replace(/-sess$/, "") !== this.algorithm) {
      throw new LoginFailed(`Wrong digest algorithm: ${algorithm}`);
    }
    const qop = fields.get("qop");
    if (qop !== undefined && qop !== "auth") throw new LoginFailed(`Unsupported qop: ${qop}`);
    if (qop !== undefined && (!fields.has("nc") || !fields.has("cnonce"))) {
      throw new LoginFailed("Invalid response, qop without nc and cnonce");
    }
    return new DigestedCredentials(username, method, this.realm, fields);
  }

  async #verifyOpaque(opaque: string, nonce: string, clientAddress: string): Promise<void> {
    const dash = opaque.indexOf("-");
    if (dash < 0) throw new LoginFailed("Invalid response, invalid opaque value");
    let key: string;
    try {
      key = dec.decode(fromBase64(opaque.slice(dash + 1)));
    } catch {
      throw new LoginFailed("Invalid response, invalid opaque value");
    }
    if (!timingSafeEqualStrings(await this.#mac(key), opaque.slice(0, dash))) {
      throw new LoginFailed("Invalid response, invalid opaque value");
    }
    const parts = key.split(",");
    if (parts.length !== 3) throw new LoginFailed("Invalid response, invalid opaque value");
    const [opaqueNonce, opaqueClient, when] = parts;
    if (opaqueNonce !== nonce) throw new LoginFailed("Invalid response, incompatible opaque/nonce");
    if (opaqueClient !== clientAddress) {
      throw new LoginFailed("Invalid response, incompatible opaque/client");
    }
    const age = this.#now - Number(when);
    if (!(age >= 0 && age <= this.challengeLifetime)) {
      throw new LoginFailed("Invalid response, incompatible opaque/nonce too old");
    }
  }
}
