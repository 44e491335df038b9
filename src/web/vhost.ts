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

/** Dispatches to a resource chosen by the Host header (`NameVirtualHost`). */
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

  /** The resource for the request's host. */
  _getResourceForRequest(request: Request): IResource {
    const host = request.getRequestHostname().toLowerCase();
    return this.hosts.get(host) ?? this.default ??
      new NoResource("host " + host + " not in vhost map");
  }

  /** Renders the host's resource. */
  override render(request: Request): RenderResult {
    return this._getResourceForRequest(request).render(request);
  }

  /** The host's child; a leaf host resource gets the segment back in `postpath`. */
  override getChild(path: string, request: Request): IResource {
    const resource = this._getResourceForRequest(request);
    if (resource.isLeaf) {
      request.postpath.unshift(request.prepath.pop()!);
      return resource;
    }
    return resource.getChildWithDefault(path, request);
  }
}
