/**
 * Server-side AUTH mechanisms (RFC 4954): PLAIN, LOGIN, CRAM-MD5 as small state machines
 * that turn client responses into cred credentials. Private.
 * @module
 */
import { CramMD5Credentials } from "../../cred/_cram_md5.ts";
import { UsernamePassword } from "../../cred/_credentials.ts";
import type { ICredentials } from "../../cred/_interfaces.ts";

/** One step's outcome: send a challenge, or credentials are ready. */
export type AuthStep = { challenge: Uint8Array } | { credentials: ICredentials };

/** A server-side SASL exchange (Twisted's `IChallengeResponse`). */
export interface IChallengeResponse {
  /** The first challenge, or null when the mechanism starts with the client's response. */
  getChallenge(): Uint8Array | null;
  /** True when an initial response on the AUTH line answers the first challenge (LOGIN). */
  acceptsInitialResponse?: boolean;
  /** Takes the client's decoded response; throws `SyntaxError` when it is malformed. */
  setResponse(response: Uint8Array): AuthStep;
}

/** Makes a mechanism for one AUTH exchange; `host` names the server. */
export type Challenger = (host: string) => IChallengeResponse;

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/**
 * AUTH PLAIN (RFC 4616): `authzid NUL authcid NUL password`.
 *
 * @example
 * ```ts
 * import { plainChallenger } from "@tw/core/mail";
 * const step = plainChallenger("mx").setResponse(new TextEncoder().encode("\0alice\0pw"));
 * console.log("credentials" in step); // true
 * ```
 */
export const plainChallenger: Challenger = (): IChallengeResponse => ({
  getChallenge: () => null,
  setResponse(response: Uint8Array): AuthStep {
    const parts = dec.decode(response).split("\0");
    if (parts.length !== 3 || parts[1] === "") {
      throw new SyntaxError("PLAIN response is not authzid NUL authcid NUL password");
    }
    return { credentials: new UsernamePassword(parts[1], parts[2]) };
  },
});

/**
 * AUTH LOGIN (draft-murchison-sasl-login): username, then password.
 *
 * @example
 * ```ts
 * import { loginChallenger } from "@tw/core/mail";
 * const login = loginChallenger("mx");
 * console.log(new TextDecoder().decode(login.getChallenge()!)); // Username:
 * ```
 */
export const loginChallenger: Challenger = (): IChallengeResponse => {
  let username: string | null = null;
  return {
    acceptsInitialResponse: true,
    getChallenge: () => enc.encode("Username:"),
    setResponse(response: Uint8Array): AuthStep {
      if (username === null) {
        username = dec.decode(response);
        return { challenge: enc.encode("Password:") };
      }
      return { credentials: new UsernamePassword(username, dec.decode(response)) };
    },
  };
};

/**
 * AUTH CRAM-MD5 (RFC 2195): the challenge is `<random.time@host>`.
 *
 * @example
 * ```ts
 * import { cramMD5Challenger } from "@tw/core/mail";
 * const text = new TextDecoder().decode(cramMD5Challenger("mx.example").getChallenge()!);
 * console.log(text.endsWith("@mx.example>")); // true
 * ```
 */
export const cramMD5Challenger: Challenger = (host: string): IChallengeResponse => {
  const creds = new CramMD5Credentials(undefined, host);
  return {
    getChallenge: () => enc.encode(creds.getChallenge()),
    setResponse(response: Uint8Array): AuthStep {
      creds.setResponse(dec.decode(response));
      return { credentials: creds };
    },
  };
};

/** The mechanisms offered by default: CRAM-MD5 always, PLAIN and LOGIN only under TLS. */
export function defaultChallengers(): Record<string, Challenger> {
  return { "CRAM-MD5": cramMD5Challenger, PLAIN: plainChallenger, LOGIN: loginChallenger };
}

/** Mechanisms that send the password in clear: offered only once TLS is on. */
export const CLEARTEXT_MECHANISMS: ReadonlySet<string> = new Set(["PLAIN", "LOGIN"]);

/** Strict base64 decoding; null when `text` is not base64. */
export function decodeBase64(text: string): Uint8Array | null {
  if (text === "" || text === "=") return new Uint8Array(0);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
