/**
 * Name-based virtual hosting (`twisted.web.vhost`).
 *
 * @example
 * ```ts
 * import { NameVirtualHost, Resource } from "@tw/core/web";
 * const vhost = new NameVirtualHost();
 * vhost.addHost("example.com", new Resource());
 * console.log(vhost.hosts.size); // 1
 * ```
 * @module
 */
import { type IResource, NoResource, type RenderResult, Resource } from "./resource.ts";
import type { Request } from "./server.ts";

/**
 * Dispatches to a resource chosen by the Host header (`NameVirtualHost`).
 *
 * @example
 * ```ts
 * import { Data, NameVirtualHost, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const vhost = new NameVirtualHost();
 * vhost.addHost("blog.example.com", new Data("the blog", "text/plain"));
 * vhost.addHost("shop.example.com", new Data("the shop", "text/plain"));
 * vhost.default = new Data("elsewhere", "text/plain");
 * const handle = siteAsFetchHandler(new Site(vhost, { clock: new Clock() }));
 * const res = await handle(new Request("http://shop.example.com:8080/"));
 * console.log(await res.text()); // "the shop"
 * ```
 */
export class NameVirtualHost extends Resource {
  /** Resources by lower-case host name (no port). */
  readonly hosts: Map<string, IResource> = new Map();
  /** The resource for unknown hosts; null gives 404. @default null */
  default: IResource | null = null;

  /** Serves `resource` for requests to `name`. */
  addHost(name: string, resource: IResource): void {
    this.hosts.set(name.toLowerCase(), resource);
  }

  /** Stops serving `name`. */
  removeHost(name: string): void {
    this.hosts.delete(name.toLowerCase());
  }

  /**
   * The resource for the request's host (Twisted's `_getResourceForRequest`):
   * the one added for its host name, else `default`, else a 404 page.
   * Override it to choose hosts another way (wildcards, aliases).
   */
  getResourceForRequest(request: Request): IResource {
    const host = request.getRequestHostname().toLowerCase();
    return this.hosts.get(host) ?? this.default ??
      new NoResource("host " + host + " not in vhost map");
  }

  /** Renders the host's resource. */
  override render(request: Request): RenderResult {
    return this.getResourceForRequest(request).render(request);
  }

  /** The host's child; a leaf host resource gets the segment back in `postpath`. */
  override getChild(path: string, request: Request): IResource {
    const resource = this.getResourceForRequest(request);
    if (resource.isLeaf) {
      request.postpath.unshift(request.prepath.pop()!);
      return resource;
    }
    return resource.getChildWithDefault(path, request);
  }
}
