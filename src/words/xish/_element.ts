/**
 * Twisted's `domish.Element` and its serializer: a namespaced element tree
 * built for streaming XML (a `null` URI inherits the namespace of whatever
 * the element is sent inside). Private: re-exported by `domish.ts`.
 * @module
 */

/** A qualified name: `[namespace URI or null, local name]`. */
export type QName = [uri: string | null, name: string];

/** An attribute key: a plain name, or `[uri, name]` for a namespaced attribute. */
export type AttributeKey = string | [uri: string | null, name: string];

/** A child of an element: an element, text, or pre-serialized XML. */
export type Node = Element | string | SerializedXML;

/** The namespace of the `xml:` prefix. */
export const NS_XML = "http://www.w3.org/XML/1998/namespace";

const G_PREFIXES: Record<string, string> = { [NS_XML]: "xml" };

/**
 * Pre-serialized XML kept as a child (Twisted's `SerializedXML`), written as is.
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * const el = new domish.Element([null, "x"]);
 * el.addRawXml("<y/>");
 * console.log(el.children[0] instanceof domish.SerializedXML, el.toXml()); // true "<x><y/></x>"
 * ```
 */
export class SerializedXML {
  /** The XML text. */
  readonly xml: string;
  /**
   * Wraps `xml`.
   * @param xml already serialized XML
   */
  constructor(xml: string) {
    this.xml = xml;
  }
  /** The XML text. */
  toString(): string {
    return this.xml;
  }
}

/**
 * Escapes text for XML (`escapeToXml`); `isattrib` also escapes quotes.
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * console.log(domish.escapeToXml("a<b & 'c'", true)); // "a&lt;b &amp; &apos;c&apos;"
 * ```
 */
export function escapeToXml(text: string, isattrib = false): string {
  let out = text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  if (isattrib) out = out.replaceAll("'", "&apos;").replaceAll('"', "&quot;");
  return out;
}

/**
 * Undoes `escapeToXml` (`unescapeFromXml`).
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * console.log(domish.unescapeFromXml("a&lt;b&amp;c")); // "a<b&c"
 * ```
 */
export function unescapeFromXml(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&apos;", "'")
    .replaceAll("&quot;", '"').replaceAll("&amp;", "&");
}

/** The key a namespaced attribute is stored under in `attributes` (Clark notation). */
export function attributeKey(key: AttributeKey): string {
  if (typeof key === "string") return key;
  return key[0] ? `{${key[0]}}${key[1]}` : key[1];
}

function splitKey(key: string): [string | null, string] {
  if (key.startsWith("{")) {
    const end = key.indexOf("}");
    if (end > 0) return [key.slice(1, end), key.slice(end + 1)];
  }
  return [null, key];
}

/** Options of `Element.toXml`, Twisted's keyword arguments. */
export interface ToXmlOptions {
  /** Namespace URI -> prefix suggestions. */
  prefixes?: Record<string, string>;
  /** False writes the start tag only (a stream header). @default true */
  closeElement?: boolean;
  /** The default namespace already in effect where this is written. @default "" */
  defaultUri?: string;
  /** Prefixes the surrounding document already declared. */
  prefixesInScope?: string[];
}

let idCounter = 0;

/**
 * An XML element with namespaces (Twisted's `domish.Element`). `uri` is its
 * namespace (`null`: inherited from where it is sent), `defaultUri` the
 * namespace of unqualified children. Python's `el["to"]` is
 * `getAttribute`/`setAttribute`, `el.body` is `child("body")`, `str(el)`
 * is `String(el)` (the first text child).
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * const message = new domish.Element([null, "message"]);
 * message.setAttribute("to", "juliet@example.com");
 * message.addElement("body", null, "Hi!");
 * console.log(message.toXml()); // "<message to='juliet@example.com'><body>Hi!</body></message>"
 * console.log(String(message.child("body"))); // "Hi!"
 * ```
 */
export class Element {
  /** The namespace URI of the element's name, or null to inherit it. */
  uri: string | null;
  /** The local name. */
  name: string;
  /** The default namespace of unqualified children, or null to inherit it. */
  defaultUri: string | null;
  /** The attributes; a namespaced one is keyed `{uri}name`. */
  attributes: Record<string, string>;
  /** Child elements, text and raw XML, in order. */
  children: Node[] = [];
  /** The parent element, if any. */
  parent: Element | null = null;
  /** Namespace declarations on this element: prefix -> URI. */
  localPrefixes: Record<string, string>;

  /**
   * Makes an element.
   * @param qname `[uri, name]`
   * @param defaultUri the default namespace of children (default: `uri`, unless `uri` is bound to a local prefix)
   * @param attribs the attributes
   * @param localPrefixes namespace declarations, prefix -> URI
   */
  constructor(
    qname: QName,
    defaultUri: string | null = null,
    attribs: Record<string, string> | null = null,
    localPrefixes: Record<string, string> | null = null,
  ) {
    this.localPrefixes = localPrefixes ?? {};
    [this.uri, this.name] = qname;
    if (defaultUri === null && !Object.values(this.localPrefixes).includes(this.uri as string)) {
      this.defaultUri = this.uri;
    } else this.defaultUri = defaultUri;
    this.attributes = attribs ?? {};
  }

  /** The first child element named `name` (in `uri` when given), or null: Python's `el.name`. */
  child(name: string, uri?: string | null): Element | null {
    for (const n of this.children) {
      if (n instanceof Element && n.name === name && (uri === undefined || n.uri === uri)) {
        return n;
      }
    }
    return null;
  }

  /** The attribute's value, or `defaultValue` (`getAttribute`). */
  getAttribute(name: AttributeKey): string | null;
  /** The attribute's value, or `defaultValue` (`getAttribute`). */
  getAttribute<D>(name: AttributeKey, defaultValue: D): string | D;
  getAttribute<D>(name: AttributeKey, defaultValue?: D): string | D | null {
    const v = this.attributes[attributeKey(name)];
    return v ?? defaultValue ?? null;
  }

  /** Sets an attribute (Python's `el[name] = value`). */
  setAttribute(name: AttributeKey, value: string): void {
    this.attributes[attributeKey(name)] = value;
  }

  /** Removes an attribute (Python's `del el[name]`). */
  removeAttribute(name: AttributeKey): void {
    delete this.attributes[attributeKey(name)];
  }

  /** True when the attribute is set (`hasAttribute`). */
  hasAttribute(name: AttributeKey): boolean {
    return Object.hasOwn(this.attributes, attributeKey(name));
  }

  /** True when the attribute equals `value`; a missing one equals null (`compareAttribute`). */
  compareAttribute(name: AttributeKey, value: string | null): boolean {
    return (this.attributes[attributeKey(name)] ?? null) === value;
  }

  /** Swaps two attributes' values (`swapAttributeValues`). */
  swapAttributeValues(left: string, right: string): void {
    const l = this.attributes[left];
    this.attributes[left] = this.attributes[right];
    this.attributes[right] = l;
  }

  /** Adds a child; an element gets this as its parent (`addChild`). */
  addChild<N extends Node>(node: N): N {
    if (node instanceof Element) node.parent = this;
    this.children.push(node);
    return node;
  }

  /** Adds text, joined to a text last child (`addContent`). Returns the text child. */
  addContent(text: string): string {
    if (typeof text !== "string") throw new TypeError(`Expected a string, not ${typeof text}`);
    const c = this.children;
    if (c.length > 0 && typeof c[c.length - 1] === "string") c[c.length - 1] += text;
    else c.push(text);
    return c[c.length - 1] as string;
  }

  /**
   * Makes a child element and adds it (`addElement`). A plain `name` takes
   * this element's `defaultUri`; a `[uri, name]` its own.
   */
  addElement(name: string | QName, defaultUri: string | null = null, content?: string): Element {
    let child: Element;
    if (Array.isArray(name)) {
      child = new Element(name, defaultUri ?? name[0]);
    } else {
      const uri = defaultUri ?? this.defaultUri;
      child = new Element([uri, name], uri);
    }
    this.addChild(child);
    if (content) child.addContent(content);
    return child;
  }

  /** Adds pre-serialized XML as a child (`addRawXml`). */
  addRawXml(rawxmlstring: string): void {
    this.children.push(new SerializedXML(rawxmlstring));
  }

  /** Sets a unique `id` attribute, `H_<n>` (`addUniqueId`). */
  addUniqueId(): void {
    this.attributes.id = `H_${idCounter++}`;
  }

  /** The child elements; with `name`, only those named `name` in `uri` (`elements`). */
  *elements(uri?: string | null, name?: string): Generator<Element> {
    for (const n of this.children) {
      if (!(n instanceof Element)) continue;
      if (name === undefined || (n.name === name && n.uri === (uri ?? null))) yield n;
    }
  }

  /** The first child element, or null (`firstChildElement`). */
  firstChildElement(): Element | null {
    for (const n of this.children) if (n instanceof Element) return n;
    return null;
  }

  /** Serializes the element and its children (`toXml`). */
  toXml(options: ToXmlOptions = {}): string {
    const s = new ListSerializer(options.prefixes, options.prefixesInScope);
    s.serialize(this, options.closeElement ?? true, options.defaultUri ?? "");
    return s.getValue();
  }

  /** The first text child, or "" (Python's `str(el)`). */
  toString(): string {
    for (const n of this.children) if (typeof n === "string") return n;
    return "";
  }
}

/** Serializes an element tree, as Twisted's `_ListSerializer`. */
class ListSerializer {
  #out: string[] = [];
  #prefixes: Map<string, string>; // uri -> prefix
  #prefixStack: string[][];
  #counter = 0;

  constructor(prefixes?: Record<string, string>, prefixesInScope?: string[]) {
    this.#prefixes = new Map(Object.entries(prefixes ?? {}));
    for (const [u, p] of Object.entries(G_PREFIXES)) this.#prefixes.set(u, p);
    this.#prefixStack = [Object.values(G_PREFIXES), ...(prefixesInScope ? [prefixesInScope] : [])];
  }

  getValue(): string {
    return this.#out.join("");
  }

  #getPrefix(uri: string): string {
    let p = this.#prefixes.get(uri);
    if (p === undefined) {
      p = `xn${this.#counter++}`;
      this.#prefixes.set(uri, p);
    }
    return p;
  }

  #inScope(prefix: string): boolean {
    return this.#prefixStack.some((level) => level.includes(prefix));
  }

  serialize(elem: Node, closeElement = true, currentDefaultUri: string | null = ""): void {
    const write = (s: string) => this.#out.push(s);
    if (elem instanceof SerializedXML) return void write(elem.xml);
    if (typeof elem === "string") return void write(escapeToXml(elem));
    const name = elem.name;
    let uri = elem.uri;
    let defaultUri = elem.defaultUri;
    for (const [p, u] of Object.entries(elem.localPrefixes)) this.#prefixes.set(u, p);
    const top = Object.keys(elem.localPrefixes);
    this.#prefixStack.push(top);
    if (defaultUri === null) defaultUri = currentDefaultUri;
    if (uri === null) uri = defaultUri;
    let prefix: string | null = null;
    let inScope = false;
    if (uri !== defaultUri || (uri !== null && this.#prefixes.has(uri))) {
      prefix = this.#getPrefix(uri ?? "");
      inScope = this.#inScope(prefix);
    }
    if (!prefix) write(`<${name}`);
    else {
      write(`<${prefix}:${name}`);
      if (!inScope) {
        write(` xmlns:${prefix}='${escapeToXml(uri ?? "", true)}'`);
        top.push(prefix);
        inScope = true;
      }
    }
    if (defaultUri !== currentDefaultUri && (uri !== defaultUri || !prefix || !inScope)) {
      write(` xmlns='${escapeToXml(defaultUri ?? "", true)}'`);
    }
    for (const [p, u] of Object.entries(elem.localPrefixes)) {
      write(` xmlns:${p}='${escapeToXml(u, true)}'`);
    }
    for (const [k, v] of Object.entries(elem.attributes)) {
      const [attrUri, attrName] = splitKey(k);
      if (attrUri !== null) {
        const attrPrefix = this.#getPrefix(attrUri);
        if (!this.#inScope(attrPrefix)) {
          write(` xmlns:${attrPrefix}='${escapeToXml(attrUri, true)}'`);
          top.push(attrPrefix);
        }
        write(` ${attrPrefix}:${attrName}='${escapeToXml(v, true)}'`);
      } else write(` ${k}='${escapeToXml(v, true)}'`);
    }
    if (!closeElement) {
      write(">");
      return;
    }
    if (elem.children.length > 0) {
      write(">");
      for (const c of elem.children) this.serialize(c, true, defaultUri);
      write(prefix ? `</${prefix}:${name}>` : `</${name}>`);
    } else write("/>");
    this.#prefixStack.pop();
  }
}
