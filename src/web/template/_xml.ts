/**
 * Our XML reader for templates: elements, attributes, namespaces, text with
 * XML's five entities and character references, comments, CDATA; the XML
 * declaration, processing instructions and a DOCTYPE are dropped, as
 * Twisted's loader drops them. Produces the template tree Twisted's
 * `_ToStan` produces, with its `t:render`, `t:slot`, `t:attr` and
 * `t:transparent` directives.
 * Private: used by `_loaders.ts`.
 * @module
 */
import { CDATA, Comment, type Flattenable, Slot, Tag } from "./_stan.ts";

/** The namespace of the template directives. */
export const TEMPLATE_NAMESPACE = "http://twistedmatrix.com/ns/twisted.web.template/0.1";

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.\u00b7-\uffff]*/;

/**
 * A template that is not well-formed XML, with where.
 *
 * @example
 * ```ts
 * import { XMLString } from "@tw/core/web/template";
 * try {
 *   new XMLString("<p>unclosed").load();
 * } catch (e) {
 *   console.log((e as Error).name); // "TemplateSyntaxError"
 * }
 * ```
 */
export class TemplateSyntaxError extends Error {
  /** Makes the error. */
  constructor(message: string, text: string, at: number) {
    const line = text.slice(0, at).split("\n").length;
    super(`${message} (line ${line})`);
    this.name = "TemplateSyntaxError";
  }
}

function decodeEntities(text: string, source: string, at: number): string {
  return text.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(";")) throw new TemplateSyntaxError("bad entity reference", source, at);
    if (ref.startsWith("#")) {
      const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!Number.isInteger(code) || code < 1 || code > 0x10ffff) {
        throw new TemplateSyntaxError(`bad character reference &${ref};`, source, at);
      }
      return String.fromCodePoint(code);
    }
    const value = ENTITIES[ref];
    if (value === undefined) throw new TemplateSyntaxError(`unknown entity &${ref};`, source, at);
    return value;
  });
}

interface Open {
  node: Tag | Slot;
  qname: string;
  prefixes: Map<string, string>; // prefix ("" for the default) -> namespace
  isAttr: boolean;
}

/** Reads `text` into a template tree. */
export function parseTemplate(text: string): Flattenable[] {
  const document: Flattenable[] = [];
  const stack: Open[] = [];
  let current: Flattenable[] = document;
  let i = 0;
  const fail = (message: string): never => {
    throw new TemplateSyntaxError(message, text, i);
  };
  const scope = (): Map<string, string> =>
    stack.length ? stack[stack.length - 1].prefixes : new Map([["xml", "xml"]]);
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    if (lt !== i) {
      const end = lt < 0 ? text.length : lt;
      const chunk = text.slice(i, end);
      if (stack.length === 0 && chunk.trim() !== "") fail("text outside the root element");
      if (stack.length > 0) current.push(decodeEntities(chunk, text, i));
      i = end;
      continue;
    }
    if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      if (end < 0) fail("unterminated comment");
      const body = text.slice(i + 4, end);
      if (body.includes("--") || body.endsWith("-")) fail("-- inside a comment");
      current.push(new Comment(body));
      i = end + 3;
    } else if (text.startsWith("<![CDATA[", i)) {
      const end = text.indexOf("]]>", i + 9);
      if (end < 0) fail("unterminated CDATA section");
      current.push(new CDATA(text.slice(i + 9, end)));
      i = end + 3;
    } else if (text.startsWith("<?", i)) {
      const end = text.indexOf("?>", i + 2);
      if (end < 0) fail("unterminated processing instruction");
      i = end + 2;
    } else if (text.startsWith("<!DOCTYPE", i)) {
      let depth = 0;
      let j = i + 9;
      for (; j < text.length; j++) {
        if (text[j] === "[") depth++;
        else if (text[j] === "]") depth--;
        else if (text[j] === ">" && depth === 0) break;
      }
      if (j >= text.length) fail("unterminated DOCTYPE");
      i = j + 1;
    } else if (text.startsWith("</", i)) {
      const m = NAME.exec(text.slice(i + 2));
      const open = stack.pop();
      if (m === null || open === undefined || open.qname !== m[0]) {
        fail(`mismatched end tag </${m?.[0] ?? ""}>`);
      }
      i += 2 + m![0].length;
      while (/\s/.test(text[i] ?? "")) i++;
      if (text[i] !== ">") fail("bad end tag");
      i++;
      current = stack.length ? childrenOf(stack[stack.length - 1]) : document;
    } else {
      i = readStartTag(text, i + 1, stack, scope(), document, (c) => (current = c), () => current);
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack[stack.length - 1].qname}>`);
  return document;
}

function childrenOf(open: Open): Flattenable[] {
  return open.node.children as Flattenable[];
}

function readStartTag(
  text: string,
  at: number,
  stack: Open[],
  parentScope: Map<string, string>,
  document: Flattenable[],
  setCurrent: (children: Flattenable[]) => void,
  getCurrent: () => Flattenable[],
): number {
  const fail = (message: string): never => {
    throw new TemplateSyntaxError(message, text, at);
  };
  const m = NAME.exec(text.slice(at));
  if (m === null) fail("bad start tag");
  const qname = m![0];
  let i = at + qname.length;
  const raw: [string, string][] = [];
  for (;;) {
    const space = /^\s*/.exec(text.slice(i))![0].length;
    i += space;
    if (text.startsWith("/>", i) || text[i] === ">") break;
    if (space === 0) fail("attributes must be separated by white space");
    const name = NAME.exec(text.slice(i));
    if (name === null) fail("bad attribute name");
    i += name![0].length;
    while (/\s/.test(text[i] ?? "")) i++;
    if (text[i] !== "=") fail(`attribute ${name![0]} has no value`);
    i++;
    while (/\s/.test(text[i] ?? "")) i++;
    const quote = text[i];
    if (quote !== '"' && quote !== "'") fail("attribute values must be quoted");
    const end = text.indexOf(quote, i + 1);
    if (end < 0) fail("unterminated attribute value");
    const value = text.slice(i + 1, end);
    if (value.includes("<")) fail("< in an attribute value");
    if (raw.some(([k]) => k === name![0])) fail(`duplicate attribute ${name![0]}`);
    raw.push([name![0], decodeEntities(value, text, i).replace(/[\t\n\r]/g, " ")]);
    i = end + 1;
  }
  const selfClosing = text.startsWith("/>", i);
  i += selfClosing ? 2 : 1;

  // Namespaces declared here, and the xmlns attributes kept for the output.
  const prefixes = new Map(parentScope);
  const xmlnsAttrs: [string, string][] = [];
  for (const [name, value] of raw) {
    if (name === "xmlns" || name.startsWith("xmlns:")) {
      prefixes.set(name === "xmlns" ? "" : name.slice(6), value);
      if (value !== TEMPLATE_NAMESPACE) xmlnsAttrs.push([name, value]);
    }
  }
  const resolve = (q: string, isAttribute: boolean): [string | null, string] => {
    const colon = q.indexOf(":");
    if (colon < 0) return [isAttribute ? null : prefixes.get("") ?? null, q];
    const ns = prefixes.get(q.slice(0, colon));
    if (ns === undefined) fail(`undeclared namespace prefix in ${q}`);
    return [ns!, q.slice(colon + 1)];
  };
  const [ns, local] = resolve(qname, false);
  let render: string | null = null;
  const attributes: Record<string, Flattenable> = {};
  for (const [name, value] of raw) {
    if (name === "xmlns" || name.startsWith("xmlns:")) continue;
    const [attrNs, attrName] = resolve(name, true);
    if (attrNs === TEMPLATE_NAMESPACE) {
      if (attrName === "render") render = value;
      continue;
    }
    attributes[name] = value;
  }
  const current = getCurrent();
  let open: Open;
  if (ns === TEMPLATE_NAMESPACE && local === "slot") {
    if (!("name" in attributes)) fail("<t:slot> requires a name attribute");
    const node = new Slot(String(attributes.name), {
      default: "default" in attributes ? attributes.default : undefined,
    });
    current.push(node);
    open = { node, qname, prefixes, isAttr: false };
  } else if (ns === TEMPLATE_NAMESPACE && local === "attr") {
    const parent = stack[stack.length - 1];
    if (parent === undefined || !(parent.node instanceof Tag)) {
      fail("<t:attr> as top-level element");
    }
    if (!("name" in attributes)) fail("<t:attr> requires a name attribute");
    const node = new Tag("", { render });
    (parent.node as Tag).attributes[String(attributes.name)] = node;
    open = { node, qname, prefixes, isAttr: true };
  } else {
    for (const [k, v] of xmlnsAttrs) attributes[k] = v;
    const isTransparent = ns === TEMPLATE_NAMESPACE && local === "transparent";
    const node = new Tag(isTransparent ? "" : ns === TEMPLATE_NAMESPACE ? local : qname, {
      attributes,
      render,
    });
    current.push(node);
    open = { node, qname, prefixes, isAttr: false };
  }
  if (!selfClosing) {
    stack.push(open);
    setCurrent(childrenOf(open));
  } else setCurrent(stack.length ? childrenOf(stack[stack.length - 1]) : document);
  return i;
}
