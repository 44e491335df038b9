/**
 * The document tree of templates (`twisted.web._stan`): tags, slots,
 * comments, CDATA sections and character references.
 * Private: re-exported by `mod.ts`.
 * @module
 */

/**
 * Anything a template renders: text, a `Tag`, a `slot`, a `Comment`,
 * `CDATA`, a `CharRef`, a number, an array of these, a renderable
 * (`Element`), or a Deferred or Promise of one.
 */
export type Flattenable = unknown;

/**
 * A place in a template filled later by `tag.fillSlots({ name: value })`
 * (Twisted's `slot`); `default` renders when nothing fills it.
 *
 * @example
 * ```ts
 * import { flattenString, slot, tags } from "@tw/core/web/template";
 * const page = tags.p(slot("who")).fillSlots({ who: "Alice" });
 * console.log(new TextDecoder().decode(await flattenString(null, page))); // <p>Alice</p>
 * ```
 */
export class Slot {
  /** The slot's name. */
  readonly name: string;
  /** What renders when the slot is not filled (undefined: an error). */
  readonly default: Flattenable;
  /** Children given in a template (unused when rendering, as in Twisted). */
  readonly children: Flattenable[] = [];

  /** Makes the slot. */
  constructor(name: string, options: { default?: Flattenable } = {}) {
    this.name = name;
    this.default = options.default;
  }
}

/**
 * Makes a `Slot` (Twisted's `slot(name, default=...)`).
 *
 * @example
 * ```ts
 * import { slot } from "@tw/core/web/template";
 * console.log(slot("title", { default: "Untitled" }).name); // "title"
 * ```
 */
export function slot(name: string, options: { default?: Flattenable } = {}): Slot {
  return new Slot(name, options);
}

/**
 * An XML comment (Twisted's `Comment`); `--` in it is written `- - `.
 *
 * @example
 * ```ts
 * import { Comment, flattenString } from "@tw/core/web/template";
 * console.log(new TextDecoder().decode(await flattenString(null, new Comment("note")))); // <!--note-->
 * ```
 */
export class Comment {
  /** The text. */
  readonly data: string;
  /** Makes the comment. */
  constructor(data: string) {
    this.data = data;
  }
}

/**
 * A CDATA section (Twisted's `CDATA`).
 *
 * @example
 * ```ts
 * import { CDATA, flattenString } from "@tw/core/web/template";
 * console.log(new TextDecoder().decode(await flattenString(null, new CDATA("a<b")))); // <![CDATA[a<b]]>
 * ```
 */
export class CDATA {
  /** The text. */
  readonly data: string;
  /** Makes the section. */
  constructor(data: string) {
    this.data = data;
  }
}

/**
 * A character reference, `&#N;` (Twisted's `CharRef`).
 *
 * @example
 * ```ts
 * import { CharRef, flattenString } from "@tw/core/web/template";
 * console.log(new TextDecoder().decode(await flattenString(null, new CharRef(9731)))); // &#9731;
 * ```
 */
export class CharRef {
  /** The code point. */
  readonly ordinal: number;
  /** Makes the reference. */
  constructor(ordinal: number) {
    this.ordinal = ordinal;
  }
}

function cloneValue(value: Flattenable, deep: boolean): Flattenable {
  if (value instanceof Tag) return value.clone(deep);
  if (Array.isArray(value)) return value.map((v) => cloneValue(v, deep));
  return value;
}

/**
 * An element (Twisted's `Tag`): `call(...items)` is Python's `tag(...)`,
 * where a plain object adds attributes (`render` names a render method; a
 * trailing `_` is dropped, so `class_` is `class`) and anything else is a
 * child. A tag with the empty name renders only its children.
 *
 * @example
 * ```ts
 * import { flattenString, Tag } from "@tw/core/web/template";
 * const a = new Tag("a").call({ href: "/x?a=1&b=2" }, "link");
 * console.log(new TextDecoder().decode(await flattenString(null, a)));
 * // <a href="/x?a=1&amp;b=2">link</a>
 * ```
 */
export class Tag {
  /** The element name ("" for a transparent tag). */
  tagName: string;
  /** The attributes, in order. */
  attributes: Record<string, Flattenable>;
  /** The children. */
  children: Flattenable[];
  /** The render method's name, or null. */
  render: string | null;
  /** The slots filled at this tag, or null. */
  slotData: Record<string, Flattenable> | null = null;

  /** Makes the tag. */
  constructor(
    tagName: string,
    options: {
      attributes?: Record<string, Flattenable>;
      children?: Flattenable[];
      render?: string | null;
    } = {},
  ) {
    this.tagName = tagName;
    this.attributes = { ...options.attributes };
    this.children = [...(options.children ?? [])];
    this.render = options.render ?? null;
  }

  /** Adds children and attributes (plain objects); returns this tag. */
  call(...items: Flattenable[]): this {
    for (const item of items) {
      const proto = typeof item === "object" && item !== null ? Object.getPrototypeOf(item) : 0;
      if (proto !== Object.prototype && proto !== null) {
        this.children.push(item);
        continue;
      }
      for (let [key, value] of Object.entries(item as Record<string, Flattenable>)) {
        if (key.endsWith("_")) key = key.slice(0, -1);
        if (key !== "render") this.attributes[key] = value;
        else if (typeof value === "string") this.render = value;
        else throw new TypeError(`Value for "render" attribute must be a string, got ${value}`);
      }
    }
    return this;
  }

  /** Fills slots for this tag and what is inside it; returns this tag. */
  fillSlots(slots: Record<string, Flattenable>): this {
    this.slotData = { ...this.slotData, ...slots };
    return this;
  }

  /** A copy; `deep` copies the tags among the children too. */
  clone(deep = true): Tag {
    const copy = new Tag(this.tagName, {
      attributes: Object.fromEntries(
        Object.entries(this.attributes).map(([k, v]) => [k, cloneValue(v, true)]),
      ),
      children: deep ? this.children.map((c) => cloneValue(c, true)) : this.children,
      render: this.render,
    });
    if (this.slotData) {
      copy.slotData = Object.fromEntries(
        Object.entries(this.slotData).map(([k, v]) => [k, cloneValue(v, true)]),
      );
    }
    return copy;
  }

  /** Removes the children; returns this tag. */
  clear(): this {
    this.children = [];
    return this;
  }
}

/** The elements written `<br />` when empty (Twisted's `voidElements`). */
export const voidElements: ReadonlySet<string> = new Set([
  "img",
  "br",
  "hr",
  "base",
  "meta",
  "link",
  "param",
  "area",
  "input",
  "col",
  "basefont",
  "isindex",
  "frame",
  "command",
  "embed",
  "keygen",
  "source",
  "track",
  "wbs",
]);

/** Makes a new `Tag` of one name: `tags.p({ class: "x" }, "text")`. */
export type TagFactory = (...items: Flattenable[]) => Tag;

/**
 * Tag makers by element name (Twisted's `tags`): `tags.div(...)` is
 * `new Tag("div").call(...)`, for any name.
 *
 * @example
 * ```ts
 * import { flattenString, tags } from "@tw/core/web/template";
 * const list = tags.ul({ class_: "menu" }, tags.li("one"), tags.li("two"));
 * console.log(new TextDecoder().decode(await flattenString(null, list)));
 * // <ul class="menu"><li>one</li><li>two</li></ul>
 * ```
 */
export const tags: Readonly<Record<string, TagFactory>> = new Proxy({}, {
  get: (_target, name) =>
    typeof name === "string"
      ? (...items: Flattenable[]) => new Tag(name).call(...items)
      : undefined,
});
