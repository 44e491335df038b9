/**
 * Web utilities (`twisted.web.util`): redirects.
 *
 * @example
 * ```ts
 * import { Redirect } from "@tw/core/web";
 * const r = new Redirect("https://example.com/");
 * console.log(r.url, r.isLeaf); // "https://example.com/" true
 * ```
 * @module
 */
import { type IResource, type RenderResult, Resource } from "./resource.ts";
import type { Request } from "./server.ts";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Redirects `request` to `url` (302 with Location) and returns a small HTML
 * page linking there, to return from a render method (`redirectTo`).
 *
 * @example
 * ```ts
 * import { redirectTo, Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import type { Request } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * class Login extends Resource {
 *   override isLeaf = true;
 *   render_POST(request: Request): Uint8Array {
 *     return redirectTo("/home", request);
 *   }
 * }
 * const handle = siteAsFetchHandler(new Site(new Login(), { clock: new Clock() }));
 * const res = await handle(new globalThis.Request("http://localhost/", { method: "POST" }));
 * console.log(res.status, res.headers.get("location")); // 302 "/home"
 * ```
 */
export function redirectTo(url: string, request: Request): Uint8Array {
  request.redirect(url);
  request.setHeader("content-type", "text/html; charset=utf-8");
  const u = escapeHtml(url);
  return new TextEncoder().encode(
    `<!DOCTYPE html>\n<html><head><meta http-equiv="refresh" content="0;URL=${u}"></head>` +
      `<body><a href="${u}">click here</a></body></html>\n`,
  );
}

/**
 * A resource that redirects every request to one URL (`Redirect`).
 *
 * @example
 * ```ts
 * import { Redirect, Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const root = new Resource();
 * root.putChild("old", new Redirect("/new"));
 * const handle = siteAsFetchHandler(new Site(root, { clock: new Clock() }));
 * const res = await handle(new Request("http://localhost/old/page"));
 * console.log(res.status, res.headers.get("location")); // 302 "/new"
 * ```
 */
export class Redirect extends Resource {
  /** The target. */
  url: string;
  /** Always a leaf: every path redirects. */
  override isLeaf = true;

  /**
   * Makes the redirect.
   * @param url the target
   */
  constructor(url: string) {
    super();
    this.url = url;
  }

  /** Redirects, whatever the method. */
  override render(request: Request): RenderResult {
    return redirectTo(this.url, request);
  }

  /** Itself. */
  override getChild(_path: string, _request: Request): IResource {
    return this;
  }
}
