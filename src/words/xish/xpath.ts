/**
 * Twisted's `twisted.words.xish.xpath`: the XPath subset observers are
 * registered with. Paths of `/name` (a child) and `//name` (any depth), `*`,
 * predicates `[@attr]`, `[@attr="v"]`, `[@attr!='v']`, `[@xmlns='uri']` (the
 * element's namespace), `[text()='v']`, `[not(...)]`, `[2]` (a child's
 * position), joined with `and` / `or` and parentheses.
 *
 * @example
 * ```ts
 * import { domish, xpath } from "@tw/core/words/xish";
 * const iq = new domish.Element(["jabber:client", "iq"]);
 * iq.setAttribute("type", "get");
 * iq.addElement(["jabber:iq:version", "query"]);
 * console.log(xpath.matches("/iq[@type='get']/query[@xmlns='jabber:iq:version']", iq)); // true
 * ```
 * @module
 */
import type { Element, Node } from "./_element.ts";

type Value = string | Node | boolean | null | undefined;

interface Expr {
  value(elem: Element): Value;
}

function truthy(v: Value): boolean {
  return v !== null && v !== undefined && v !== "" && v !== false;
}

class Literal implements Expr {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  value(): Value {
    return this.text;
  }
}
class IndexValue implements Expr {
  readonly index: number;
  constructor(index: string) {
    this.index = Number(index) - 1;
  }
  value(elem: Element): Value {
    return elem.children.at(this.index);
  }
}
class AttribValue implements Expr {
  readonly attribname: string;
  constructor(attribname: string) {
    this.attribname = attribname;
  }
  value(elem: Element): Value {
    if (this.attribname === "xmlns") return elem.uri;
    return elem.attributes[this.attribname] ?? null;
  }
}
class CompareValue implements Expr {
  readonly lhs: Expr;
  readonly op: string;
  readonly rhs: Expr;
  constructor(lhs: Expr, op: string, rhs: Expr) {
    this.lhs = lhs;
    this.op = op;
    this.rhs = rhs;
  }
  value(elem: Element): Value {
    const equal = this.lhs.value(elem) === this.rhs.value(elem);
    return this.op === "=" ? equal : !equal;
  }
}
class BooleanValue implements Expr {
  readonly lhs: Expr;
  readonly op: string;
  readonly rhs: Expr;
  constructor(lhs: Expr, op: string, rhs: Expr) {
    this.lhs = lhs;
    this.op = op;
    this.rhs = rhs;
  }
  value(elem: Element): Value {
    const l = this.lhs.value(elem);
    if (this.op === "and") return truthy(l) ? this.rhs.value(elem) : l;
    return truthy(l) ? l : this.rhs.value(elem);
  }
}
class NotFunction implements Expr {
  readonly base: Expr;
  constructor(base: Expr) {
    this.base = base;
  }
  value(elem: Element): Value {
    return !truthy(this.base.value(elem));
  }
}
class TextFunction implements Expr {
  value(elem: Element): Value {
    return String(elem);
  }
}

class Location {
  predicates: Expr[] = [];
  elementName: string | null = null;
  childLocation: Location | null = null;
  readonly any: boolean;
  constructor(any: boolean) {
    this.any = any;
  }

  #matchesPredicates(elem: Element): boolean {
    if (!this.any && this.elementName !== null && this.elementName !== elem.name) return false;
    return this.predicates.every((p) => truthy(p.value(elem)));
  }

  #childMatches(elem: Element): boolean {
    if (this.childLocation === null) return true;
    for (const c of elem.elements()) if (this.childLocation.matches(c)) return true;
    return false;
  }

  #isRootMatch(elem: Element): boolean {
    return (this.elementName === null || this.elementName === elem.name) &&
      this.#matchesPredicates(elem) && this.#childMatches(elem);
  }

  matches(elem: Element): boolean {
    if (!this.any) return this.#matchesPredicates(elem) && this.#childMatches(elem);
    if (this.#isRootMatch(elem)) return true;
    for (const c of elem.elements()) if (this.matches(c)) return true;
    return false;
  }

  queryForNodes(elem: Element, out: Element[]): void {
    if (this.any) {
      if (this.#isRootMatch(elem)) out.push(elem);
      for (const c of elem.elements()) this.queryForNodes(c, out);
      return;
    }
    if (!this.#matchesPredicates(elem)) return;
    if (this.childLocation) {
      for (const c of elem.elements()) this.childLocation.queryForNodes(c, out);
    } else out.push(elem);
  }

  queryForStringList(elem: Element, out: string[]): void {
    const texts = (e: Element) => {
      for (const c of e.children) if (typeof c === "string") out.push(c);
    };
    if (this.any) {
      if (this.#isRootMatch(elem)) texts(elem);
      for (const c of elem.elements()) this.queryForStringList(c, out);
      return;
    }
    if (!this.#matchesPredicates(elem)) return;
    if (this.childLocation) {
      for (const c of elem.elements()) this.childLocation.queryForStringList(c, out);
    } else texts(elem);
  }

  queryForString(elem: Element, out: string[]): void {
    if (this.any) throw new Error("queryForString is not implemented for any location");
    if (!this.#matchesPredicates(elem)) return;
    if (this.childLocation) {
      for (const c of elem.elements()) this.childLocation.queryForString(c, out);
    } else out.push(String(elem));
  }
}

/** Parses Twisted's XPath grammar (`xpathparser.g`) by recursive descent. */
class Parser {
  #i = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }

  #fail(what: string): never {
    throw new SyntaxError(`Bad XPath query ${JSON.stringify(this.text)} at ${this.#i}: ${what}`);
  }
  #ws(): void {
    while (/\s/.test(this.text[this.#i] ?? "")) this.#i++;
  }
  #peek(s: string): boolean {
    this.#ws();
    return this.text.startsWith(s, this.#i);
  }
  #eat(s: string): void {
    if (!this.#peek(s)) this.#fail(`expected ${s}`);
    this.#i += s.length;
  }
  #match(re: RegExp): string | null {
    this.#ws();
    re.lastIndex = this.#i;
    const m = re.exec(this.text);
    if (!m) return null;
    this.#i += m[0].length;
    return m[0];
  }

  xpath(): Location {
    const result = this.#path();
    let current = result;
    for (;;) {
      this.#ws();
      if (this.#i >= this.text.length) return result;
      current.childLocation = this.#path();
      current = current.childLocation;
    }
  }

  #path(): Location {
    let loc: Location;
    if (this.#peek("//")) {
      this.#i += 2;
      loc = new Location(true);
    } else {
      this.#eat("/");
      loc = new Location(false);
    }
    if (this.#peek("*")) this.#i++;
    else {
      const id = this.#match(/[a-zA-Z][a-zA-Z0-9_-]*/y);
      if (id === null) this.#fail("expected an element name or *");
      loc.elementName = id;
    }
    while (this.#peek("[")) {
      this.#i++;
      const index = this.#match(/[0-9]+/y);
      loc.predicates.push(index !== null ? new IndexValue(index) : this.#expr());
      this.#eat("]");
    }
    return loc;
  }

  #expr(): Expr {
    let e = this.#factor();
    for (;;) {
      const op = this.#match(/(and|or)\b/y);
      if (op === null) return e;
      e = new BooleanValue(e, op, this.#factor());
    }
  }

  #factor(): Expr {
    if (this.#peek("(")) {
      this.#i++;
      const e = this.#expr();
      this.#eat(")");
      return e;
    }
    let t = this.#value();
    const cmp = this.#match(/!=|=/y);
    if (cmp !== null) t = new CompareValue(t, cmp, this.#value());
    return t;
  }

  #value(): Expr {
    if (this.#peek("@")) {
      this.#i++;
      const id = this.#match(/[a-zA-Z][a-zA-Z0-9_-]*/y);
      if (id === null) this.#fail("expected an attribute name");
      return new AttribValue(id);
    }
    const str = this.#match(/"[^"]*"|'[^']*'/y);
    if (str !== null) return new Literal(str.slice(1, -1));
    const fname = this.#match(/[a-zA-Z][a-zA-Z0-9_]*/y);
    if (fname === null) this.#fail("expected a value");
    this.#eat("(");
    const args: Expr[] = [];
    if (!this.#peek(")")) {
      args.push(this.#value());
      while (this.#peek(",")) {
        this.#i++;
        args.push(this.#value());
      }
    }
    this.#eat(")");
    if (fname === "not" && args.length === 1) return new NotFunction(args[0]);
    if (fname === "text" && args.length === 0) return new TextFunction();
    return this.#fail(`unknown function ${fname}()`);
  }
}

/**
 * A compiled query (Twisted's `XPathQuery`).
 *
 * @example
 * ```ts
 * import { domish, xpath } from "@tw/core/words/xish";
 * const q = new xpath.XPathQuery("/message/body");
 * const m = new domish.Element([null, "message"]);
 * m.addElement("body", null, "hello");
 * console.log(q.matches(m), q.queryForString(m)); // true "hello"
 * ```
 */
export class XPathQuery {
  /** The query's text. */
  readonly queryStr: string;
  readonly #base: Location;

  /**
   * Compiles `queryStr`.
   * @throws SyntaxError when it is not in the grammar
   */
  constructor(queryStr: string) {
    this.queryStr = queryStr;
    this.#base = new Parser(queryStr).xpath();
  }

  /** True when `elem` matches. */
  matches(elem: Element): boolean {
    return this.#base.matches(elem);
  }

  /** The text of the matched elements, joined. */
  queryForString(elem: Element): string {
    const out: string[] = [];
    this.#base.queryForString(elem, out);
    return out.join("");
  }

  /** The matched elements, or null when none. */
  queryForNodes(elem: Element): Element[] | null {
    const out: Element[] = [];
    this.#base.queryForNodes(elem, out);
    return out.length ? out : null;
  }

  /** The text children of the matched elements, or null when none. */
  queryForStringList(elem: Element): string[] | null {
    const out: string[] = [];
    this.#base.queryForStringList(elem, out);
    return out.length ? out : null;
  }
}

const interned = new Map<string, XPathQuery>();
const MAX_INTERNED = 10_000;

/**
 * The compiled query for `queryString`, cached (`internQuery`).
 *
 * @example
 * ```ts
 * import { xpath } from "@tw/core/words/xish";
 * console.log(xpath.internQuery("/iq") === xpath.internQuery("/iq")); // true
 * ```
 */
export function internQuery(queryString: string): XPathQuery {
  let q = interned.get(queryString);
  if (q === undefined) {
    q = new XPathQuery(queryString);
    if (interned.size >= MAX_INTERNED) interned.clear();
    interned.set(queryString, q);
  }
  return q;
}

/**
 * True when `elem` matches the query (`xpath.matches`).
 *
 * @example
 * ```ts
 * import { domish, xpath } from "@tw/core/words/xish";
 * console.log(xpath.matches("/presence", new domish.Element([null, "presence"]))); // true
 * ```
 */
export function matches(xpathstr: string, elem: Element): boolean {
  return internQuery(xpathstr).matches(elem);
}

/**
 * The text children of the matches, or null (`queryForStringList`).
 *
 * @example
 * ```ts
 * import { domish, xpath } from "@tw/core/words/xish";
 * const m = new domish.Element([null, "m"]);
 * m.addElement("b", null, "x");
 * console.log(xpath.queryForStringList("/m/b", m)); // ["x"]
 * ```
 */
export function queryForStringList(xpathstr: string, elem: Element): string[] | null {
  return internQuery(xpathstr).queryForStringList(elem);
}

/**
 * The text of the matches, joined (`queryForString`).
 *
 * @example
 * ```ts
 * import { domish, xpath } from "@tw/core/words/xish";
 * const m = new domish.Element([null, "m"]);
 * m.addElement("b", null, "x");
 * console.log(xpath.queryForString("/m/b", m)); // "x"
 * ```
 */
export function queryForString(xpathstr: string, elem: Element): string {
  return internQuery(xpathstr).queryForString(elem);
}

/**
 * The matched elements, or null (`queryForNodes`).
 *
 * @example
 * ```ts
 * import { domish, xpath } from "@tw/core/words/xish";
 * const m = new domish.Element([null, "m"]);
 * m.addElement("b");
 * console.log(xpath.queryForNodes("//b", m)?.length); // 1
 * ```
 */
export function queryForNodes(xpathstr: string, elem: Element): Element[] | null {
  return internQuery(xpathstr).queryForNodes(elem);
}
