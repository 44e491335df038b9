/**
 * The IRC wire codec (RFC 1459 / 2812 lines, IRCv3 message tags): parsing,
 * formatting, tag escaping, mode strings and byte-bounded framing. Knows
 * nothing of sockets. Private: re-exported by `mod.ts`.
 * @module
 */

/** The most bytes of a line without its tags, CR LF included (RFC 1459 §2.3). */
export const MAX_LINE_BYTES = 512;
/** The most bytes of a line's tag section, `@` and the space included (IRCv3). */
export const MAX_TAG_BYTES = 8191;
/** The most bytes of the tags a client may send (IRCv3 message-tags: 4094 + `@` and space). */
export const MAX_CLIENT_TAG_BYTES = 4096;

/** Message tags of a line, unescaped; a tag without a value maps to `""`. */
export type Tags = Record<string, string>;

/** A parsed line: Twisted's `(prefix, command, params)` with the tags last. */
export type ParsedMessage = [prefix: string, command: string, params: string[], tags: Tags];

/**
 * A line that is not an IRC message (Twisted's `IRCBadMessage`).
 *
 * @example
 * ```ts
 * import { IRCBadMessage, parsemsg } from "@tw/core/words/irc";
 * try {
 *   parsemsg(":prefix-only");
 * } catch (e) {
 *   console.log(e instanceof IRCBadMessage); // true
 * }
 * ```
 */
export class IRCBadMessage extends Error {
  /**
   * Makes the error.
   * @param message what is wrong with the line
   */
  constructor(message: string) {
    super(message);
    this.name = "IRCBadMessage";
  }
}

/**
 * A mode string that cannot be parsed (Twisted's `IRCBadModes`).
 *
 * @example
 * ```ts
 * import { IRCBadModes, parseModes } from "@tw/core/words/irc";
 * try {
 *   parseModes("+", []);
 * } catch (e) {
 *   console.log(e instanceof IRCBadModes); // true
 * }
 * ```
 */
export class IRCBadModes extends Error {
  /**
   * Makes the error.
   * @param message what is wrong with the modes
   */
  constructor(message: string) {
    super(message);
    this.name = "IRCBadModes";
  }
}

const TAG_UNESCAPE: Record<string, string> = { ":": ";", s: " ", "\\": "\\", r: "\r", n: "\n" };

/**
 * Unescapes an IRCv3 tag value: `\:` `\s` `\\` `\r` `\n`; any other escaped
 * character stands for itself and a final lone backslash is dropped.
 *
 * @example
 * ```ts
 * import { unescapeTagValue } from "@tw/core/words/irc";
 * console.log(unescapeTagValue("a\\sb\\:c")); // "a b;c"
 * ```
 */
export function unescapeTagValue(value: string): string {
  if (!value.includes("\\")) return value;
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    i++;
    if (i >= value.length) break;
    out += TAG_UNESCAPE[value[i]] ?? value[i];
  }
  return out;
}

/**
 * Escapes an IRCv3 tag value (Twisted's `IRC._escapeTagValue`).
 *
 * @example
 * ```ts
 * import { escapeTagValue } from "@tw/core/words/irc";
 * console.log(escapeTagValue("a b;c")); // "a\\sb\\:c"
 * ```
 */
export function escapeTagValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll(";", "\\:").replaceAll(" ", "\\s")
    .replaceAll("\r", "\\r").replaceAll("\n", "\\n");
}

const TAG_NAME = /^\+?([A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;

/**
 * Parses a tag section (without the `@`) into unescaped tags. Later
 * duplicates win; empty entries are skipped.
 *
 * @example
 * ```ts
 * import { parseTags } from "@tw/core/words/irc";
 * console.log(parseTags("time=2020-01-01T00:00:00Z;+draft/x")); // { time: "2020-01-01T00:00:00Z", "+draft/x": "" }
 * ```
 */
export function parseTags(section: string): Tags {
  const tags: Tags = {};
  for (const item of section.split(";")) {
    if (item === "") continue;
    const eq = item.indexOf("=");
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === "" || key === "__proto__") continue;
    tags[key] = eq < 0 ? "" : unescapeTagValue(item.slice(eq + 1));
  }
  return tags;
}

/**
 * Formats tags as a tag section (without the `@`); a tag with an empty
 * value is sent bare. Throws `TypeError` for an invalid tag name.
 *
 * @example
 * ```ts
 * import { stringTags } from "@tw/core/words/irc";
 * console.log(stringTags({ "+example.com/x": "a b", solo: "" })); // "+example.com/x=a\\sb;solo"
 * ```
 */
export function stringTags(tags: Tags): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(tags)) {
    if (!TAG_NAME.test(key)) throw new TypeError(`Invalid tag name: ${JSON.stringify(key)}`);
    parts.push(value === "" || value == null ? key : `${key}=${escapeTagValue(String(value))}`);
  }
  return parts.join(";");
}

/**
 * Splits an IRC line into `[prefix, command, params, tags]` (Twisted's
 * `parsemsg`, which returns the first three; the IRCv3 tags come last). The
 * prefix is `""` when absent; the command is returned as sent (servers
 * upper-case it). Spaces between parameters may repeat. Throws
 * `IRCBadMessage` for a line with no command.
 *
 * @example
 * ```ts
 * import { parsemsg } from "@tw/core/words/irc";
 * const [prefix, command, params, tags] = parsemsg(
 *   "@time=2020-01-01T00:00:00.000Z :nick!u@h PRIVMSG #chan :hello there",
 * );
 * console.log(prefix, command, params, tags.time); // nick!u@h PRIVMSG [ "#chan", "hello there" ] 2020-01-01T00:00:00.000Z
 * ```
 */
export function parsemsg(line: string): ParsedMessage {
  let rest = line;
  let tags: Tags = {};
  let prefix = "";
  if (rest.startsWith("@")) {
    const sp = rest.indexOf(" ");
    if (sp < 0) throw new IRCBadMessage("Empty line: tags only");
    tags = parseTags(rest.slice(1, sp));
    rest = rest.slice(sp + 1).replace(/^ +/, "");
  }
  if (rest.startsWith(":")) {
    const sp = rest.indexOf(" ");
    if (sp < 0) throw new IRCBadMessage("Empty line: prefix only");
    prefix = rest.slice(1, sp);
    rest = rest.slice(sp + 1);
  }
  let trailing: string | null = null;
  const colon = rest.startsWith(":") ? 0 : rest.indexOf(" :");
  if (colon >= 0) {
    trailing = rest.slice(colon === 0 ? 1 : colon + 2);
    rest = rest.slice(0, colon);
  }
  const params = rest.split(" ").filter((p) => p !== "");
  if (trailing !== null) params.push(trailing);
  const command = params.shift();
  if (
    command === undefined || command === "" || (trailing !== null && params.length === 0 &&
      rest.trim() === "")
  ) {
    throw new IRCBadMessage(`Empty line: no command in ${JSON.stringify(line.slice(0, 80))}`);
  }
  return [prefix, command, params, tags];
}

const FORBIDDEN = /[\r\n\0]/;

/**
 * Formats a message line without CR LF: `@tags :prefix COMMAND params...`.
 * The parameters are joined as given (Twisted's `sendCommand`: the caller
 * adds `:` before a trailing parameter). Throws `TypeError` for a bad
 * command or a CR, LF or NUL anywhere.
 *
 * @example
 * ```ts
 * import { formatMessage } from "@tw/core/words/irc";
 * console.log(formatMessage("PRIVMSG", ["#chan", ":hi all"], { prefix: "nick!u@h", tags: { a: "1" } }));
 * // "@a=1 :nick!u@h PRIVMSG #chan :hi all"
 * ```
 */
export function formatMessage(
  command: string,
  params: readonly string[],
  options: { prefix?: string | null; tags?: Tags | null } = {},
): string {
  if (!command) throw new TypeError("IRC message requires a command");
  if (command.includes(" ") || command.startsWith(":") || FORBIDDEN.test(command)) {
    throw new TypeError(`Invalid command: ${JSON.stringify(command)}`);
  }
  let line = [command, ...params].join(" ");
  if (options.prefix) line = `:${options.prefix} ${line}`;
  if (options.tags && Object.keys(options.tags).length > 0) {
    line = `@${stringTags(options.tags)} ${line}`;
  }
  if (FORBIDDEN.test(line)) {
    throw new TypeError("An IRC line cannot hold CR, LF or NUL");
  }
  return line;
}

/** Mode changes: `[mode, param]` pairs, `param` null for a mode without one. */
export type ModeChange = [mode: string, param: string | null];

/**
 * Parses a mode string into the modes added and removed (Twisted's
 * `parseModes`); `paramModes` lists the modes taking a parameter when
 * added and when removed. Throws `IRCBadModes`.
 *
 * @example
 * ```ts
 * import { parseModes } from "@tw/core/words/irc";
 * const [added, removed] = parseModes("+ob-l", ["alice", "*!*@bad"], ["ob", "ob"]);
 * console.log(added, removed); // [ [ "o", "alice" ], [ "b", "*!*@bad" ] ] [ [ "l", null ] ]
 * ```
 */
export function parseModes(
  modes: string,
  params: readonly string[],
  paramModes: readonly [string, string] = ["", ""],
): [added: ModeChange[], removed: ModeChange[]] {
  if (modes.length === 0) throw new IRCBadModes("Empty mode string");
  if (modes[0] !== "+" && modes[0] !== "-") {
    throw new IRCBadModes(`Malformed modes string: ${JSON.stringify(modes)}`);
  }
  const rest = [...params];
  const changes: [ModeChange[], ModeChange[]] = [[], []];
  let direction = 0;
  let count = -1;
  for (const ch of modes) {
    if (ch === "+" || ch === "-") {
      if (count === 0) throw new IRCBadModes(`Empty mode sequence: ${JSON.stringify(modes)}`);
      direction = ch === "+" ? 0 : 1;
      count = 0;
      continue;
    }
    let param: string | null = null;
    if (paramModes[direction].includes(ch)) {
      const next = rest.shift();
      if (next === undefined) throw new IRCBadModes(`Not enough parameters: ${ch}`);
      param = next;
    }
    changes[direction].push([ch, param]);
    count++;
  }
  if (rest.length > 0) {
    throw new IRCBadModes(`Too many parameters: ${JSON.stringify(modes)} ${rest.join(" ")}`);
  }
  if (count === 0) throw new IRCBadModes(`Empty mode sequence: ${JSON.stringify(modes)}`);
  return changes;
}
