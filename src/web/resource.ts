/**
 * Resources (`twisted.web.resource`): a tree of objects, each rendering the
 * requests addressed to it with `render_GET`, `render_POST`, ...
 *
 * @example
 * ```ts
 * import { Resource } from "@tw/core/web";
 * class Hello extends Resource {
 *   override isLeaf = true;
 *   render_GET(): string {
 *     return "hello";
 *   }
 * }
 * const root = new Resource();
 * root.putChild("hello", new Hello());
 * console.log(root.children.has("hello")); // true
 * ```
 * @module
 */
import type { Request } from "./server.ts";
import { type InterfaceName, interfaceName } from "../cred/mod.ts";

/** Returned by a render method that will finish the request later. */
export const NOT_DONE_YET: unique symbol = Symbol("NOT_DONE_YET");

/** What a render method returns: a body, `NOT_DONE_YET`, or a promise of either. */
export type RenderResult =
  | string
  | Uint8Array
  | typeof NOT_DONE_YET
  | PromiseLike<string | Uint8Array | typeof NOT_DONE_YET | void | undefined | null>;

/**
 * The interface name of resources, as a value: what web realms are asked for
 * (`HTTPAuthSessionWrapper` logs in asking for `IResource`).
 */
export const IResource: InterfaceName<IResource> = interfaceName("IResource");

/** The interface of resources (`IResource`). */
export interface IResource {
  /** When true, traversal stops here and the rest of the path is left in `postpath`. */
  isLeaf: boolean;
  /** The child for one path segment. */
  getChildWithDefault(path: string, request: Request): IResource;
  /** Adds a static child. */
  putChild(path: string, child: IResource): void;
  /** Renders the request. */
  render(request: Request): RenderResult;
}

/**
 * Thrown by `render` for a method the resource has no `render_*` for (answered 405).
 *
 * @example
 * ```ts
 * import { Request, Resource, UnsupportedMethod } from "@tw/core/web";
 * class ReadOnly extends Resource {
 *   render_GET(): string {
 *     return "data";
 *   }
 * }
 * const request = new Request(null);
 * request.method = "DELETE";
 * try {
 *   new ReadOnly().render(request);
 * } catch (e) {
 *   if (e instanceof UnsupportedMethod) console.log(e.allowedMethods);
 *   // ["GET", "HEAD", "OPTIONS"]
 * }
 * // Under a Site the client gets 405 Method Not Allowed, with that Allow header.
 * ```
 */
export class UnsupportedMethod extends Error {
  /** The methods the resource does support. */
  readonly allowedMethods: string[];
  /**
   * Makes the error.
   * @param allowedMethods the supported methods, for the Allow header
   */
  constructor(allowedMethods: string[]) {
    super(`Method not allowed; allowed: ${allowedMethods.join(", ")}`);
    this.name = "UnsupportedMethod";
    this.allowedMethods = allowedMethods;
  }
}

// Allowed methods per class, computed once.
const allowedCache = new WeakMap<object, string[]>();

/**
 * The methods an object renders: each `render_X` it has (own or inherited),
 * plus HEAD when it has GET, plus OPTIONS (`_computeAllowedMethods`).
 *
 * @example
 * ```ts
 * import { computeAllowedMethods, Resource } from "@tw/core/web";
 * class Form extends Resource {
 *   render_GET(): string {
 *     return "<form method=post>...</form>";
 *   }
 *   render_POST(): string {
 *     return "thanks";
 *   }
 * }
 * console.log(computeAllowedMethods(new Form())); // ["GET", "HEAD", "OPTIONS", "POST"]
 * ```
 */
export function computeAllowedMethods(resource: object): string[] {
  const proto = Object.getPrototypeOf(resource);
  const cached = allowedCache.get(proto);
  if (cached !== undefined && !hasOwnRender(resource)) return cached;
  const found = new Set<string>();
  for (let o: object | null = resource; o !== null && o !== Object.prototype;) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (
        key.startsWith("render_") &&
        typeof (resource as Record<string, unknown>)[key] === "function"
      ) {
        found.add(key.slice(7));
      }
    }
    o = Object.getPrototypeOf(o);
  }
  if (found.has("GET")) found.add("HEAD");
  found.add("OPTIONS");
  const out = [...found].sort();
  if (!hasOwnRender(resource)) allowedCache.set(proto, out);
  return out;
}

function hasOwnRender(resource: object): boolean {
  return Object.getOwnPropertyNames(resource).some((k) => k.startsWith("render_"));
}

/**
 * The base resource (`twisted.web.resource.Resource`). Subclass it and add
 * `render_GET(request)`, `render_POST(request)`, ... methods, each returning
 * a string (sent as UTF-8), bytes, `NOT_DONE_YET`, or a promise (an async
 * method): the request is finished when it settles.
 *
 * @example
 * ```ts
 * import { Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import type { Request } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * class Hello extends Resource {
 *   override isLeaf = true;
 *   render_GET(request: Request): string {
 *     return `Hello, ${request.args.name?.[0] ?? "world"}!`;
 *   }
 * }
 * const root = new Resource();
 * root.putChild("hello", new Hello());
 * const handle = siteAsFetchHandler(new Site(root, { clock: new Clock() }));
 * const res = await handle(new globalThis.Request("http://localhost/hello?name=you"));
 * console.log(res.status, await res.text()); // 200 "Hello, you!"
 * ```
 */
export class Resource implements IResource {
  /** When true, traversal stops here. @default false */
  isLeaf = false;
  /** Static children, by path segment. */
  readonly children: Map<string, IResource> = new Map();
  /** The methods this resource accepts; computed from its `render_*` methods when null. */
  allowedMethods: string[] | null = null;

  /** Adds `child` under the path segment `path` (no slashes). */
  putChild(path: string, child: IResource): void {
    this.children.set(path, child);
  }

  /** Names of the static children. */
  listStaticNames(): string[] {
    return [...this.children.keys()];
  }

  /** The static child `path`, or null. */
  getStaticEntity(path: string): IResource | null {
    return this.children.get(path) ?? null;
  }

  /** A dynamic child for `path` (override); the default is a 404 `NoResource`. */
  getChild(_path: string, _request: Request): IResource {
    return new NoResource("No such child resource.");
  }

  /** The static child `path`, else `getChild(path, request)`. */
  getChildWithDefault(path: string, request: Request): IResource {
    const child = this.children.get(path);
    return child !== undefined ? child : this.getChild(path, request);
  }

  /**
   * Dispatches to `render_<METHOD>`; HEAD falls back to `render_GET`, OPTIONS
   * answers 204 with `Allow`.
   * @throws {UnsupportedMethod} for any other method without a render method
   */
  render(request: Request): RenderResult {
    const self = this as unknown as Record<string, unknown>;
    let fn = self[renderName(request.method)];
    if (typeof fn !== "function" && request.method === "HEAD") fn = self.render_GET;
    if (typeof fn === "function") return fn.call(this, request) as RenderResult;
    const allowed = this.allowedMethods ?? computeAllowedMethods(this);
    if (request.method === "OPTIONS") {
      request.setResponseCode(204);
      request.setHeader("allow", allowed.join(", "));
      return "";
    }
    throw new UnsupportedMethod(allowed);
  }
}

// "GET" -> "render_GET", made once per method rather than per request.
const renderNames = new Map<string, string>();

function renderName(method: string): string {
  let name = renderNames.get(method);
  if (name === undefined) {
    name = "render_" + method;
    if (renderNames.size < 100) renderNames.set(method, name);
  }
  return name;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * An error page for every request to it (`ErrorPage`).
 *
 * @example
 * ```ts
 * import { ErrorPage, Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const root = new Resource();
 * root.putChild("old", new ErrorPage(410, "Gone", "This page was removed."));
 * const handle = siteAsFetchHandler(new Site(root, { clock: new Clock() }));
 * const res = await handle(new Request("http://localhost/old/any/path"));
 * console.log(res.status, res.headers.get("content-type")); // 410 "text/html; charset=utf-8"
 * ```
 */
export class ErrorPage extends Resource {
  /** The status. */
  code: number;
  /** A short title. */
  brief: string;
  /** The longer explanation. */
  detail: string;

  /**
   * Makes the page.
   * @param status the response status
   * @param brief a short title
   * @param detail the explanation
   */
  constructor(status: number, brief: string, detail: string) {
    super();
    this.code = status;
    this.brief = brief;
    this.detail = detail;
  }

  /** Sets the status and returns the HTML page, whatever the method. */
  override render(request: Request): RenderResult {
    request.setResponseCode(this.code);
    request.setHeader("content-type", "text/html; charset=utf-8");
    const b = escapeHtml(this.brief);
    return `<!DOCTYPE html>\n<html><head><title>${this.code} - ${b}</title></head>` +
      `<body><h1>${b}</h1><p>${escapeHtml(this.detail)}</p></body></html>\n`;
  }

  /** Itself: the error covers the whole subtree. */
  override getChild(_path: string, _request: Request): IResource {
    return this;
  }
}

/**
 * A 404 page (`NoResource`).
 *
 * @example
 * ```ts
 * import { type IResource, NoResource, Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * class Users extends Resource {
 *   override getChild(name: string): IResource {
 *     return name === "ann" ? new Resource() : new NoResource(`No user named ${name}`);
 *   }
 * }
 * const handle = siteAsFetchHandler(new Site(new Users(), { clock: new Clock() }));
 * const res = await handle(new Request("http://localhost/bob"));
 * console.log(res.status); // 404
 * ```
 */
export class NoResource extends ErrorPage {
  /**
   * Makes the page.
   * @param message the explanation
   */
  constructor(message = "Sorry. No luck finding that resource.") {
    super(404, "No Such Resource", message);
  }
}

/**
 * A 403 page (`ForbiddenResource`).
 *
 * @example
 * ```ts
 * import { ForbiddenResource, Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const root = new Resource();
 * root.putChild("admin", new ForbiddenResource("Not from here."));
 * const handle = siteAsFetchHandler(new Site(root, { clock: new Clock() }));
 * const res = await handle(new Request("http://localhost/admin/users"));
 * console.log(res.status); // 403
 * ```
 */
export class ForbiddenResource extends ErrorPage {
  /**
   * Makes the page.
   * @param message the explanation
   */
  constructor(message = "Sorry, resource is forbidden.") {
    super(403, "Forbidden Resource", message);
  }
}

/**
 * Walks the tree from `resource` along `request.postpath`, moving each
 * segment to `request.prepath`, until a leaf or the end (`getChildForRequest`).
 *
 * @example
 * ```ts
 * import { getChildForRequest, Request, Resource } from "@tw/core/web";
 * const root = new Resource();
 * const docs = new Resource();
 * docs.isLeaf = true;
 * root.putChild("docs", docs);
 * const request = new Request(null);
 * request.postpath = ["docs", "intro"];
 * console.log(getChildForRequest(root, request) === docs); // true
 * console.log(request.prepath, request.postpath); // ["docs"] ["intro"]
 * ```
 */
export function getChildForRequest(resource: IResource, request: Request): IResource {
  while (request.postpath.length > 0 && !resource.isLeaf) {
    const segment = request.postpath.shift()!;
    request.prepath.push(segment);
    resource = resource.getChildWithDefault(segment, request);
  }
  return resource;
}
