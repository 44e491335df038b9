/**
 * Flattening (`twisted.web._flatten`): a template tree to UTF-8 bytes,
 * escaped by context as Twisted escapes it.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import { CDATA, CharRef, Comment, type Flattenable, Slot, Tag, voidElements } from "./_stan.ts";

const te = new TextEncoder();

/**
 * Something that renders itself (Twisted's `IRenderable`): `Element` is
 * one. `render(request)` gives the tree; `lookupRenderMethod(name)` the
 * method a `render` attribute inside that tree names.
 */
export interface IRenderable {
  /** The tree to render. */
  render(request: unknown): Flattenable;
  /** The render method called `name`. */
  lookupRenderMethod(name: string): (request: unknown, tag: Tag) => Flattenable;
}

/**
 * Flattening failed (Twisted's `FlattenerError`): `cause` is why
 * (`UnfilledSlot`, `UnsupportedType`, `MissingRenderMethod`, ... or the
 * render method's own error), `roots` the path of values to it.
 *
 * @example
 * ```ts
 * import { FlattenerError, flattenString, slot } from "@tw/core/web/template";
 * await flattenString(null, slot("missing")).then(
 *   () => {},
 *   (e) => console.log(e instanceof FlattenerError, e.cause.name), // true UnfilledSlot
 * );
 * ```
 */
export class FlattenerError extends Error {
  /** The values being flattened, outermost first. */
  readonly roots: readonly Flattenable[];

  /** Wraps `cause`. */
  constructor(cause: unknown, roots: readonly Flattenable[]) {
    super(`Exception while flattening: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = "FlattenerError";
    this.roots = roots;
  }
}

/**
 * A slot nothing filled and that has no default (Twisted's `UnfilledSlot`).
 *
 * @example
 * ```ts
 * import { UnfilledSlot } from "@tw/core/web/template";
 * console.log(new UnfilledSlot("title").message); // "title"
 * ```
 */
export class UnfilledSlot extends Error {
  /** Makes the error. */
  constructor(name: string) {
    super(name);
    this.name = "UnfilledSlot";
  }
}

/**
 * A value templates cannot render (Twisted's `UnsupportedType`).
 *
 * @example
 * ```ts
 * import { UnsupportedType } from "@tw/core/web/template";
 * console.log(new UnsupportedType(Symbol("x")).name); // "UnsupportedType"
 * ```
 */
export class UnsupportedType extends Error {
  /** Makes the error. */
  constructor(value: unknown) {
    super(`Unsupported type: ${typeof value === "symbol" ? value.toString() : String(value)}`);
    this.name = "UnsupportedType";
  }
}

const escapeContent = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const escapeAttribute = (text: string): string => escapeContent(text).replaceAll('"', "&quot;");
const asText = (value: Uint8Array | string): string =>
  typeof value === "string" ? value : new TextDecoder().decode(value);

function isRenderable(value: unknown): value is IRenderable {
  return typeof (value as IRenderable | null)?.render === "function" &&
    typeof (value as IRenderable).lookupRenderMethod === "function";
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/** Flattens `root` into text pieces through `out` (escaping by `escape`). */
async function flattenInto(
  request: unknown,
  root: Flattenable,
  out: (text: string) => void,
  slots: (Record<string, Flattenable> | null)[],
  renderer: IRenderable | null,
  escape: (text: string) => string,
  path: Flattenable[],
): Promise<void> {
  path.push(root);
  const go = (value: Flattenable, e = escape, o = out, r = renderer) =>
    flattenInto(request, value, o, slots, r, e, path);
  if (typeof root === "string" || root instanceof Uint8Array) out(escape(asText(root)));
  else if (typeof root === "number" || typeof root === "bigint") out(escape(String(root)));
  else if (root instanceof Slot) {
    let value: Flattenable = undefined;
    let found = false;
    for (let i = slots.length - 1; i >= 0 && !found; i--) {
      const frame = slots[i];
      if (frame !== null && Object.hasOwn(frame, root.name)) {
        value = frame[root.name];
        found = true;
      }
    }
    if (!found) {
      if (root.default === undefined) throw new UnfilledSlot(root.name);
      value = root.default;
    }
    await go(value);
  } else if (root instanceof CDATA) {
    out(`<![CDATA[${root.data.replaceAll("]]>", "]]]]><![CDATA[>")}]]>`);
  } else if (root instanceof Comment) {
    let data = root.data.replaceAll("--", "- - ").replaceAll(">", "&gt;");
    if (data.endsWith("-")) data += " ";
    out(`<!--${data}-->`);
  } else if (root instanceof CharRef) out(`&#${root.ordinal};`);
  else if (root instanceof Tag) {
    slots.push(root.slotData);
    try {
      await flattenTag(request, root, out, renderer, go);
    } finally {
      slots.pop();
    }
  } else if (Array.isArray(root)) {
    for (const item of root) await go(item);
  } else if (isThenable(root)) await go(await root);
  else if (isRenderable(root)) await go(root.render(request), escape, out, root);
  else throw new UnsupportedType(root);
  path.pop();
}

async function flattenTag(
  request: unknown,
  tag: Tag,
  out: (text: string) => void,
  renderer: IRenderable | null,
  go: (
    value: Flattenable,
    escape?: (text: string) => string,
    out?: (text: string) => void,
  ) => Promise<void>,
): Promise<void> {
  if (tag.render !== null) {
    if (renderer === null) {
      throw new Error(
        `Tag wants to be rendered by method "${tag.render}" but is not contained in any ` +
          "IRenderable",
      );
    }
    const copy = tag.clone(false);
    copy.render = null;
    await go(renderer.lookupRenderMethod(tag.render)(request, copy));
    return;
  }
  if (!tag.tagName) {
    await go(tag.children);
    return;
  }
  out(`<${tag.tagName}`);
  for (const [name, value] of Object.entries(tag.attributes)) {
    out(` ${name}="`);
    // Text in an attribute is escaped once, on the way out, as Twisted does.
    await go(value, (text) => text, (text) => out(escapeAttribute(text)));
    out('"');
  }
  if (tag.children.length > 0 || !voidElements.has(tag.tagName)) {
    out(">");
    await go(tag.children, escapeContent);
    out(`</${tag.tagName}>`);
  } else out(" />");
}

/**
 * Writes `root` as UTF-8 through `write` (Twisted's `flatten`); the
 * Deferred fires when done, or fails with a `FlattenerError`. Deferreds
 * and Promises may be anywhere in the tree.
 *
 * @example
 * ```ts
 * import { flatten, tags } from "@tw/core/web/template";
 * const parts: Uint8Array[] = [];
 * await flatten(null, tags.em("hi"), (b) => parts.push(b));
 * console.log(parts.length > 0); // true
 * ```
 */
export function flatten(
  request: unknown,
  root: Flattenable,
  write: (data: Uint8Array) => void,
): Deferred<void> {
  const path: Flattenable[] = [];
  const run = async () => {
    try {
      await flattenInto(
        request,
        root,
        (text) => write(te.encode(text)),
        [],
        null,
        escapeContent,
        path,
      );
    } catch (e) {
      throw new FlattenerError(e, [...path]);
    }
  };
  return Deferred.fromPromise(run());
}

/**
 * Flattens `root` to one UTF-8 byte string (Twisted's `flattenString`).
 *
 * @example
 * ```ts
 * import { flattenString, tags } from "@tw/core/web/template";
 * const bytes = await flattenString(null, tags.p("a < b"));
 * console.log(new TextDecoder().decode(bytes)); // <p>a &lt; b</p>
 * ```
 */
export function flattenString(request: unknown, root: Flattenable): Deferred<Uint8Array> {
  const parts: string[] = [];
  const path: Flattenable[] = [];
  const run = async (): Promise<Uint8Array> => {
    try {
      await flattenInto(request, root, (text) => parts.push(text), [], null, escapeContent, path);
    } catch (e) {
      throw new FlattenerError(e, [...path]);
    }
    return te.encode(parts.join(""));
  };
  return Deferred.fromPromise(run());
}
