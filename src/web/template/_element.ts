/**
 * Elements and their loaders (`twisted.web._element`, `template`):
 * `Element`, `renderer`, `XMLString`, `XMLFile`, `TagLoader`, and
 * `renderElement`.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import { type Flattenable, Tag } from "./_stan.ts";
import { flatten, type IRenderable } from "./_flatten.ts";
import { parseTemplate } from "./_xml.ts";
import { NOT_DONE_YET } from "../resource.ts";

const log = new Logger("tw.web.template");

/** A render method: given the request and the tag that names it, returns what renders there. */
export type RenderMethod = (request: unknown, tag: Tag) => Flattenable;

const RENDERERS = new WeakSet<RenderMethod>();

/**
 * Marks a function as a render method of an `Element` (Twisted's
 * `@renderer`): `name = renderer((request, tag) => ...)` as a field, so
 * `t:render="name"` in the template may call it. TypeScript decorators
 * are not used: Node's type stripping runs none.
 *
 * @example
 * ```ts
 * import { Element, renderer, XMLString } from "@tw/core/web/template";
 * class Greeting extends Element {
 *   override loader = new XMLString(
 *     '<p xmlns:t="http://twistedmatrix.com/ns/twisted.web.template/0.1" t:render="name" />',
 *   );
 *   name = renderer((_request, tag) => tag.call("Alice"));
 * }
 * console.log(typeof new Greeting().lookupRenderMethod("name")); // "function"
 * ```
 */
export function renderer(method: RenderMethod): RenderMethod {
  RENDERERS.add(method);
  return method;
}

/**
 * The render method named `name` is missing or not marked with
 * `renderer` (Twisted's `MissingRenderMethod`).
 *
 * @example
 * ```ts
 * import { Element, MissingRenderMethod } from "@tw/core/web/template";
 * try {
 *   new Element().lookupRenderMethod("nope");
 * } catch (e) {
 *   console.log(e instanceof MissingRenderMethod); // true
 * }
 * ```
 */
export class MissingRenderMethod extends Error {
  /** Makes the error. */
  constructor(element: object, name: string) {
    super(`${element.constructor.name} has no render method named ${name}`);
    this.name = "MissingRenderMethod";
  }
}

/**
 * An element was rendered without a loader (Twisted's
 * `MissingTemplateLoader`).
 *
 * @example
 * ```ts
 * import { Element, MissingTemplateLoader } from "@tw/core/web/template";
 * try {
 *   new Element().render(null);
 * } catch (e) {
 *   console.log(e instanceof MissingTemplateLoader); // true
 * }
 * ```
 */
export class MissingTemplateLoader extends Error {
  /** Makes the error. */
  constructor(element: object) {
    super(`${element.constructor.name} has no template loader`);
    this.name = "MissingTemplateLoader";
  }
}

/** Something that gives a template tree (Twisted's `ITemplateLoader`). */
export interface ITemplateLoader {
  /** The tree, fresh for each call (or a Deferred or Promise of it). */
  load(): Flattenable[] | PromiseLike<Flattenable[]>;
}

const cloneAll = (nodes: Flattenable[]): Flattenable[] =>
  nodes.map((n) => n instanceof Tag ? n.clone(true) : n);

/**
 * A template from a string of XML (Twisted's `XMLString`), read once;
 * each `load()` gives a fresh copy. Badly formed XML throws
 * `TemplateSyntaxError`.
 *
 * @example
 * ```ts
 * import { flattenString, XMLString } from "@tw/core/web/template";
 * const loader = new XMLString("<p>one &amp; two</p>");
 * console.log(new TextDecoder().decode(await flattenString(null, loader.load()))); // <p>one &amp; two</p>
 * ```
 */
export class XMLString implements ITemplateLoader {
  readonly #text: string;
  #tree: Flattenable[] | null = null;

  /** Keeps the XML (parsed at the first `load`). */
  constructor(xml: string | Uint8Array) {
    this.#text = typeof xml === "string" ? xml : new TextDecoder().decode(xml);
  }

  /** A fresh copy of the tree. */
  load(): Flattenable[] {
    this.#tree ??= parseTemplate(this.#text);
    return cloneAll(this.#tree);
  }
}

/**
 * A template read from a file through the runtime (Twisted's `XMLFile`);
 * `load()` gives a Deferred of a fresh tree (the file is read once).
 *
 * @example
 * ```ts
 * import { XMLFile } from "@tw/core/web/template";
 * const loader = new XMLFile("templates/page.xml");
 * console.log(typeof loader.load); // "function"
 * ```
 */
export class XMLFile implements ITemplateLoader {
  /** The file's path. */
  readonly path: string;
  #tree: Promise<Flattenable[]> | null = null;

  /** Reads `path` when first loaded. */
  constructor(path: string) {
    this.path = path;
  }

  /** A Deferred of a fresh copy of the tree. */
  load(): Deferred<Flattenable[]> {
    this.#tree ??= getReactor().runtime.readFile(this.path).then((bytes) =>
      parseTemplate(new TextDecoder().decode(bytes))
    );
    return Deferred.fromPromise(this.#tree.then(cloneAll));
  }
}

/**
 * A template that is already a tag (Twisted's `TagLoader`).
 *
 * @example
 * ```ts
 * import { TagLoader, tags } from "@tw/core/web/template";
 * console.log(new TagLoader(tags.p("hi")).load().length); // 1
 * ```
 */
export class TagLoader implements ITemplateLoader {
  readonly #tag: Tag;
  /** Loads `tag` (a copy each time). */
  constructor(tag: Tag) {
    this.#tag = tag;
  }
  /** A fresh copy of the tag. */
  load(): Flattenable[] {
    return [this.#tag.clone(true)];
  }
}

/**
 * A renderable piece of a page (Twisted's `Element`): its `loader` gives
 * the template, its `renderer` fields fill the `t:render` places.
 *
 * @example
 * ```ts
 * import { Element, flattenString, renderer, tags, TagLoader } from "@tw/core/web/template";
 * class Clock extends Element {
 *   override loader = new TagLoader(tags.span({ render: "now" }));
 *   now = renderer((_request, tag) => tag.call("12:00"));
 * }
 * console.log(new TextDecoder().decode(await flattenString(null, new Clock()))); // <span>12:00</span>
 * ```
 */
export class Element implements IRenderable {
  /** Gives the template; required before rendering. */
  loader: ITemplateLoader | null = null;

  /** Makes the element, optionally with its loader. */
  constructor(loader: ITemplateLoader | null = null) {
    if (loader !== null) this.loader = loader;
  }

  /** The `renderer`-marked method called `name`, bound to this element. */
  lookupRenderMethod(name: string): RenderMethod {
    const method = (this as unknown as Record<string, unknown>)[name];
    if (typeof method !== "function" || !RENDERERS.has(method as RenderMethod)) {
      throw new MissingRenderMethod(this, name);
    }
    return (method as RenderMethod).bind(this);
  }

  /** The loaded template. */
  render(_request: unknown): Flattenable {
    if (this.loader === null) throw new MissingTemplateLoader(this);
    return this.loader.load();
  }
}

/** What `renderElement` needs of a request (our `Request` has it). */
export interface TemplateRequest {
  /** Sets a response header. */
  setHeader(name: string, value: string): void;
  /** Writes body bytes. */
  write(data: Uint8Array): void;
  /** Ends the response. */
  finish(): void;
}

/** Options for `renderElement`. */
export interface RenderElementOptions {
  /**
   * Written first, with a newline; null for none.
   * @default "<!DOCTYPE html>"
   */
  doctype?: string | null;
}

/**
 * Renders `element` as the response to `request` (Twisted's
 * `renderElement`) and finishes it; returns `NOT_DONE_YET`'s value for a
 * resource to return. An error while rendering is logged and ends the
 * page with a short notice; the request is always finished.
 *
 * @example
 * ```ts
 * import { type Request, Resource } from "@tw/core/web";
 * import { Element, renderElement, TagLoader, tags } from "@tw/core/web/template";
 * class Page extends Resource {
 *   render_GET(request: Request): symbol {
 *     return renderElement(request, new Element(new TagLoader(tags.h1("Hello"))));
 *   }
 * }
 * console.log(new Page() instanceof Resource); // true
 * ```
 */
export function renderElement(
  request: TemplateRequest,
  element: Flattenable,
  options: RenderElementOptions = {},
): typeof NOT_DONE_YET {
  const doctype = options.doctype === undefined ? "<!DOCTYPE html>" : options.doctype;
  request.setHeader("content-type", "text/html; charset=utf-8");
  if (doctype !== null) request.write(new TextEncoder().encode(`${doctype}\n`));
  flatten(request, element, (data) => request.write(data)).then(
    () => request.finish(),
    (e) => {
      log.failure("An error occurred while rendering the response", e, "error");
      request.write(
        new TextEncoder().encode(
          '<div style="font-size:800%;background-color:#FFF;color:#F00">' +
            "An error occurred while rendering the response.</div>",
        ),
      );
      request.finish();
    },
  );
  return NOT_DONE_YET;
}
