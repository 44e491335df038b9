/**
 * Twisted's `twisted.words.xish`, as namespaces named after its modules:
 * `domish` (elements, serializer, our bounded streaming parser), `xpath`
 * (the query subset), `utility` (`EventDispatcher`) and `xmlstream`
 * (`XmlStream`, factories, events).
 *
 * @example
 * ```ts
 * import { domish, xpath } from "@tw/core/words/xish";
 * const presence = new domish.Element(["jabber:client", "presence"]);
 * presence.addElement("show", null, "away");
 * console.log(xpath.queryForString("/presence/show", presence)); // "away"
 * ```
 * @module
 */
export * as domish from "./domish.ts";
export * as xpath from "./xpath.ts";
export * as utility from "./utility.ts";
export * as xmlstream from "./xmlstream.ts";
