/**
 * CTCP (Client-To-Client Protocol) framing inside PRIVMSG and NOTICE:
 * Twisted's `ctcpExtract`, `ctcpQuote`, `ctcpDequote`, `ctcpStringify`.
 * Private: re-exported by `mod.ts`.
 * @module
 */

/** The CTCP delimiter, `\x01`. */
export const X_DELIM = "\x01";
/** The CTCP quote character, a backslash. */
export const X_QUOTE = "\\";

/** One CTCP message: its tag (`ACTION`, `VERSION` ...) and data, or null. */
export type CtcpMessage = [tag: string, data: string | null];

/**
 * Quotes a CTCP message body (Twisted's `ctcpQuote`).
 *
 * @example
 * ```ts
 * import { ctcpDequote, ctcpQuote } from "@tw/core/words/irc";
 * console.log(ctcpDequote(ctcpQuote("a\x01b\\c"))); // "a\x01b\\c"
 * ```
 */
export function ctcpQuote(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\\\x01]/g, (c) => (c === X_QUOTE ? "\\\\" : "\\a"));
}

/**
 * Undoes `ctcpQuote` (Twisted's `ctcpDequote`); an unknown escape keeps
 * the escaped character.
 *
 * @example
 * ```ts
 * import { ctcpDequote } from "@tw/core/words/irc";
 * console.log(ctcpDequote("x\\ay")); // "x\x01y"
 * ```
 */
export function ctcpDequote(text: string): string {
  return text.replace(/\\(.?)/gs, (_m, c: string) => (c === "a" ? X_DELIM : c));
}

/**
 * Splits a message into its CTCP parts and its normal text (Twisted's
 * `ctcpExtract`): `\x01`-delimited runs alternate with plain text, empty
 * pieces are dropped, a missing final `\x01` is tolerated.
 *
 * @example
 * ```ts
 * import { ctcpExtract } from "@tw/core/words/irc";
 * const { extended, normal } = ctcpExtract("hi \x01ACTION waves\x01 there");
 * console.log(extended, normal); // [ [ "ACTION", "waves" ] ] [ "hi ", " there" ]
 * ```
 */
export function ctcpExtract(message: string): { extended: CtcpMessage[]; normal: string[] } {
  const pieces = message.split(X_DELIM);
  const extended: CtcpMessage[] = [];
  const normal: string[] = [];
  pieces.forEach((piece, i) => {
    if (piece === "") return;
    if (i % 2 === 0) {
      normal.push(piece);
      return;
    }
    const text = ctcpDequote(piece);
    const sp = text.indexOf(" ");
    extended.push(sp < 0 ? [text, null] : [text.slice(0, sp), text.slice(sp + 1)]);
  });
  return { extended, normal };
}

/**
 * Formats CTCP messages for a PRIVMSG or NOTICE (Twisted's `ctcpStringify`).
 *
 * @example
 * ```ts
 * import { ctcpStringify } from "@tw/core/words/irc";
 * console.log(JSON.stringify(ctcpStringify([["ACTION", "waves"], ["VERSION", null]])));
 * // "\u0001ACTION waves\u0001\u0001VERSION\u0001"
 * ```
 */
export function ctcpStringify(messages: readonly CtcpMessage[]): string {
  return messages.map(([tag, data]) => {
    const body = data ? `${tag} ${data}` : tag;
    return X_DELIM + ctcpQuote(body) + X_DELIM;
  }).join("");
}
