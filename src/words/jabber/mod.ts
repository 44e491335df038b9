/**
 * Twisted's `twisted.words.protocols.jabber`, as namespaces named after its
 * modules: `jid`, `xmlstream`, `client`, `sasl`, `sasl_mechanisms`,
 * `component` and `error`.
 *
 * @example
 * ```ts
 * import { jid } from "@tw/core/words/jabber";
 * console.log(new jid.JID("juliet@example.com/balcony").userhost()); // "juliet@example.com"
 * ```
 * @module
 */
export * as jid from "./jid.ts";
export * as xmlstream from "./xmlstream.ts";
export * as client from "./client.ts";
export * as sasl from "./sasl.ts";
export * as sasl_mechanisms from "./sasl_mechanisms.ts";
export * as error from "./error.ts";
export * as component from "./component.ts";
