/**
 * The server side of SASL PLAIN (IRCv3 `sasl`, RFC 4616) for `IRCUser`.
 * Private: used by `IRCUser`.
 * @module
 */

/** The most bytes of base64 a client may send for one SASL exchange. */
export const MAX_SASL_BYTES = 4096;

/** What a finished PLAIN exchange gives. */
export interface PlainResponse {
  /** The authorization identity (empty, or the same as `authcid`). */
  authzid: string;
  /** The account. */
  authcid: string;
  /** The password. */
  passwd: string;
}

/** The result of one AUTHENTICATE line. */
export type SaslStep =
  | { kind: "continue" }
  | { kind: "challenge" }
  | { kind: "done"; response: PlainResponse }
  | { kind: "abort" }
  | { kind: "badMechanism" }
  | { kind: "tooLong" }
  | { kind: "fail" };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes a PLAIN message (`authzid NUL authcid NUL passwd`), or null when malformed. */
export function decodePlain(base64: string): PlainResponse | null {
  let bytes: Uint8Array;
  try {
    const binary = atob(base64);
    bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return null;
  }
  const parts = text.split("\0");
  if (parts.length !== 3 || parts[1] === "") return null;
  const [authzid, authcid, passwd] = parts;
  if (authzid !== "" && authzid !== authcid) return null;
  return { authzid, authcid, passwd };
}

/** One SASL exchange: mechanism, then 400-byte chunks of base64. */
export class SaslExchange {
  #mechanism: string | null = null;
  #buffer = "";

  /** True while an exchange is under way. */
  get active(): boolean {
    return this.#mechanism !== null;
  }

  /** Takes the parameter of an AUTHENTICATE line. */
  step(param: string): SaslStep {
    if (param === "*") {
      this.reset();
      return { kind: "abort" };
    }
    if (this.#mechanism === null) {
      if (param.toUpperCase() !== "PLAIN") return { kind: "badMechanism" };
      this.#mechanism = "PLAIN";
      return { kind: "challenge" };
    }
    if (param !== "+") this.#buffer += param;
    if (this.#buffer.length > MAX_SASL_BYTES) {
      this.reset();
      return { kind: "tooLong" };
    }
    if (param.length === 400) return { kind: "continue" };
    const response = decodePlain(this.#buffer);
    this.reset();
    return response === null ? { kind: "fail" } : { kind: "done", response };
  }

  /** Forgets the exchange. */
  reset(): void {
    this.#mechanism = null;
    this.#buffer = "";
  }
}
