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

/** A resource that redirects every request to one URL (`Redirect`). */
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
