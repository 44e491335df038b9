/**
 * Twisted's `twisted.words.xish.domish`: `Element` (a namespaced element tree
 * for streaming XML), its serializer (`toXml`), and `elementStream()`, our
 * bounded streaming parser that builds an element per stanza.
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * const root = new domish.Element(["myns", "root"]);
 * root.addElement("child", null, "test");
 * console.log(root.toXml()); // "<root xmlns='myns'><child>test</child></root>"
 * ```
 * @module
 */
export {
  type AttributeKey,
  Element,
  escapeToXml,
  type Node,
  NS_XML,
  type QName,
  SerializedXML,
  type ToXmlOptions,
  unescapeFromXml,
} from "./_element.ts";
export { ElementStream, elementStream } from "./_element_stream.ts";
export { ParserError, type ParserLimits, type XmlCondition } from "./_parser.ts";
