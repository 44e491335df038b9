/**
 * Twisted's `domish.elementStream()`: our bounded streaming parser with
 * namespaces resolved, building an `Element` per stanza (each child of the
 * root) and calling `DocumentStartEvent(root)`, `ElementEvent(stanza)` and
 * `DocumentEndEvent()`. Private: re-exported by `domish.ts`.
 * @module
 */
import { Element, NS_XML } from "./_element.ts";
import { ParserError, type ParserLimits, XmlStreamParser } from "./_parser.ts";

interface Scope {
  defaultUri: string;
  prefixes: Record<string, string> | null;
  parent: Scope | null;
}

/**
 * A streaming XML parser that makes elements (Twisted's `ExpatElementStream`).
 * Set the three event callbacks, then `parse(bytes)` as bytes arrive; bad
 * input throws `ParserError` (with the stream error `condition`).
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * const stream = domish.elementStream();
 * const got: string[] = [];
 * stream.DocumentStartEvent = (root) => got.push(`start ${root.name}`);
 * stream.ElementEvent = (el) => got.push(el.toXml());
 * stream.DocumentEndEvent = () => got.push("end");
 * stream.parse(new TextEncoder().encode("<s xmlns='ns'><m a='1'>hi</m></s>"));
 * console.log(got); // ["start s", "<m xmlns='ns' a='1'>hi</m>", "end"]
 * ```
 */
export class ElementStream {
  /** Called with the root element once its start tag is read. */
  DocumentStartEvent: ((root: Element) => void) | null = null;
  /** Called with each complete child of the root. */
  ElementEvent: ((element: Element) => void) | null = null;
  /** Called when the root element closes. */
  DocumentEndEvent: (() => void) | null = null;
  readonly #parser: XmlStreamParser;
  #scope: Scope = { defaultUri: "", prefixes: null, parent: null };
  #current: Element | null = null;
  #root: Element | null = null;

  /**
   * Makes a stream.
   * @param limits parser limits (depth 100, 1,000 attributes, stanzas of 1 MiB by default)
   */
  constructor(limits: ParserLimits = {}) {
    this.#parser = new XmlStreamParser({
      startElement: (name, attrs) => this.#start(name, attrs),
      endElement: () => this.#end(),
      text: (data) => this.#current?.addContent(data),
    }, limits);
  }

  /**
   * Parses the next bytes (any split); returns how many were read (all, unless `stop()` was called).
   * @throws ParserError on bad input; every later call throws it again
   */
  parse(buffer: Uint8Array): number {
    return this.#parser.feed(buffer);
  }

  /** Stops reading: what is left of the chunk being parsed stays unread (`parse` returns the count read). */
  stop(): void {
    this.#parser.halt();
  }

  #lookup(prefix: string): string {
    if (prefix === "xml") return NS_XML;
    for (let s: Scope | null = this.#scope; s; s = s.parent) {
      const uri = s.prefixes?.[prefix];
      if (uri !== undefined) return uri;
    }
    throw new ParserError(`Unbound namespace prefix ${prefix}`);
  }

  #start(qname: string, attrs: string[]): void {
    let defaultUri = this.#scope.defaultUri;
    let prefixes: Record<string, string> | null = null;
    for (let k = 0; k < attrs.length; k += 2) {
      const key = attrs[k];
      if (key === "xmlns") defaultUri = attrs[k + 1];
      else if (key.startsWith("xmlns:")) {
        const p = key.slice(6);
        if (p === "" || p === "xmlns" || attrs[k + 1] === "") {
          throw new ParserError(`Bad namespace declaration ${key}`);
        }
        (prefixes ??= {})[p] = attrs[k + 1];
      }
    }
    this.#scope = { defaultUri, prefixes, parent: this.#scope };
    const colon = qname.indexOf(":");
    let uri = defaultUri;
    let name = qname;
    if (colon >= 0) {
      uri = this.#lookup(qname.slice(0, colon));
      name = qname.slice(colon + 1);
      if (name === "" || name.includes(":")) throw new ParserError(`Bad name ${qname}`);
    }
    const attributes: Record<string, string> = {};
    for (let k = 0; k < attrs.length; k += 2) {
      const key = attrs[k];
      if (key === "xmlns" || key.startsWith("xmlns:")) continue;
      const c = key.indexOf(":");
      if (c < 0) attributes[key] = attrs[k + 1];
      else {
        const qualified = `{${this.#lookup(key.slice(0, c))}}${key.slice(c + 1)}`;
        if (Object.hasOwn(attributes, qualified)) {
          throw new ParserError(`Duplicate attribute ${key}`);
        }
        attributes[qualified] = attrs[k + 1];
      }
    }
    const e = new Element([uri, name], defaultUri, attributes, prefixes ?? {});
    if (this.#root === null) {
      this.#root = e;
      this.DocumentStartEvent?.(e);
      return;
    }
    if (this.#current !== null) {
      this.#current.children.push(e);
      e.parent = this.#current;
    }
    this.#current = e;
  }

  #end(): void {
    this.#scope = this.#scope.parent!;
    const current = this.#current;
    if (current === null) this.DocumentEndEvent?.();
    else if (current.parent === null) {
      this.#current = null;
      this.ElementEvent?.(current);
    } else this.#current = current.parent;
  }
}

/**
 * Makes an `ElementStream` (Twisted's `domish.elementStream()`).
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * const stream = domish.elementStream({ maxStanzaSize: 16 << 20 });
 * console.log(stream instanceof domish.ElementStream); // true
 * ```
 */
export function elementStream(limits: ParserLimits = {}): ElementStream {
  return new ElementStream(limits);
}
