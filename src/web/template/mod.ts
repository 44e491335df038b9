/**
 * `@tw/core/web/template` (`twisted.web.template`): HTML from trees of
 * tags built in code (`tags.p(...)`) or read from XML templates
 * (`XMLString`, `XMLFile`), with slots and render methods, flattened to
 * UTF-8 with Twisted's escaping; Deferreds and Promises may be anywhere in
 * the tree.
 *
 * Template directives live in the namespace
 * `http://twistedmatrix.com/ns/twisted.web.template/0.1` (usually `t:`):
 * `t:render="method"` on any element, `<t:slot name="x" default="..."/>`,
 * `<t:attr name="href">...</t:attr>` and `<t:transparent>`.
 *
 * @example
 * ```ts
 * import { Element, flattenString, renderer, XMLString } from "@tw/core/web/template";
 * class Welcome extends Element {
 *   override loader = new XMLString(
 *     `<div xmlns:t="http://twistedmatrix.com/ns/twisted.web.template/0.1" t:render="greet">
 *        Hello, <t:slot name="who" />!</div>`,
 *   );
 *   greet = renderer((_request, tag) => tag.fillSlots({ who: "Alice & Bob" }));
 * }
 * const html = new TextDecoder().decode(await flattenString(null, new Welcome()));
 * console.log(html.replace(/\s+/g, " ")); // <div> Hello, Alice &amp; Bob!</div>
 * ```
 *
 * @module
 */
export {
  CDATA,
  CharRef,
  Comment,
  type Flattenable,
  Slot,
  slot,
  Tag,
  type TagFactory,
  tags,
  voidElements,
} from "./_stan.ts";
export {
  flatten,
  FlattenerError,
  flattenString,
  type IRenderable,
  UnfilledSlot,
  UnsupportedType,
} from "./_flatten.ts";
export {
  Element,
  type ITemplateLoader,
  MissingRenderMethod,
  MissingTemplateLoader,
  renderElement,
  type RenderElementOptions,
  renderer,
  type RenderMethod,
  TagLoader,
  type TemplateRequest,
  XMLFile,
  XMLString,
} from "./_element.ts";
export { TEMPLATE_NAMESPACE, TemplateSyntaxError } from "./_xml.ts";
