/**
 * IRC (Twisted's `twisted.words.protocols.irc`): the client `IRCClient` a
 * bot subclasses, the server protocol `IRC`, the wire helpers (`parsemsg`,
 * `split`, `parseModes`, `ctcpExtract` ...), `ServerSupportedFeatures`,
 * the numerics, and, beyond Twisted, IRCv3 message tags, CAP 302 and SASL
 * PLAIN, SCRAM-SHA-256 and EXTERNAL in the client, flood protection and
 * byte-exact splitting.
 *
 * @example
 * ```ts
 * import { IRCClient } from "@tw/core/words/irc";
 * import { ClientFactory, reactor } from "@tw/core";
 *
 * class Bot extends IRCClient {
 *   override nickname = "tw-bot";
 *   override signedOn(): void {
 *     this.join("#tw");
 *   }
 *   override privmsg(user: string, channel: string, message: string): void {
 *     if (message.startsWith("!hello")) this.say(channel, `hello, ${user.split("!")[0]}`);
 *   }
 * }
 * const factory = ClientFactory.forProtocol(Bot);
 * // reactor.connectTCP("irc.example.net", 6667, factory);
 * console.log(typeof reactor.connectTCP, factory instanceof ClientFactory); // function true
 * ```
 * @module
 */
export { IRCClient } from "./_client.ts";
export { IRCClientCore, type MessageOptions, type ModeOptions } from "./_client_core.ts";
export type { SaslOptions } from "./_cap.ts";
export { IRC, type IRCOptions } from "./_protocol.ts";
export {
  ctcpDequote,
  ctcpExtract,
  type CtcpMessage,
  ctcpQuote,
  ctcpStringify,
  X_DELIM,
  X_QUOTE,
} from "./_ctcp.ts";
export { type ChanModes, type PrefixMap, ServerSupportedFeatures } from "./_features.ts";
export {
  byteLength,
  decodeLine,
  fitBytes,
  type FramerEvent,
  LineFramer,
  lowDequote,
  lowQuote,
  split,
} from "./_text.ts";
export {
  escapeTagValue,
  formatMessage,
  IRCBadMessage,
  IRCBadModes,
  MAX_CLIENT_TAG_BYTES,
  MAX_LINE_BYTES,
  MAX_TAG_BYTES,
  type ModeChange,
  type ParsedMessage,
  parseModes,
  parsemsg,
  parseTags,
  stringTags,
  type Tags,
  unescapeTagValue,
} from "./_wire.ts";
export * from "./_numerics.ts";
export {
  MAX_SCRAM_ITERATIONS,
  MIN_SCRAM_ITERATIONS,
  saslPrep,
  ScramSha256Client,
} from "./_scram.ts";
