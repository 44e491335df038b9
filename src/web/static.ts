/**
 * Static files (`twisted.web.static`): `File` serves a file or a directory
 * tree (index files, listings, MIME types, conditional GET, byte ranges,
 * streaming with backpressure) and refuses paths that escape its root;
 * `Data` serves bytes held in memory.
 *
 * @example
 * ```ts
 * import { Data, File, Resource, Site } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 *
 * const root = new Resource();
 * root.putChild("static", new File("./public", { allowListing: false }));
 * root.putChild("robots.txt", new Data("User-agent: *\n", "text/plain"));
 * const site = new Site(root, { clock: new Clock() });
 * console.log(site.resource === root); // true
 * // reactor.listenTCP(8080, site);
 * ```
 * @module
 */
import type { FileHandle, FileInfo, RuntimeFileSystem } from "../internet/socket.ts";
import { getReactor } from "../internet/reactor.ts";
import { contentRange, datetimeToString, parseRangeHeader, stringToDatetime } from "./http.ts";
import { CACHED } from "./_http_request.ts";
import {
  ForbiddenResource,
  type IResource,
  NoResource,
  NOT_DONE_YET,
  type RenderResult,
  Resource,
} from "./resource.ts";
import type { Request } from "./server.ts";
import { redirectTo } from "./util.ts";
import { CONTENT_ENCODINGS, getTypeAndEncoding, MIME_TYPES } from "./_mime.ts";
import { DirectoryLister } from "./_static_listing.ts";
import { type BodySegment, CHUNK_SIZE, StaticProducer } from "./_static_producer.ts";

export { Redirect } from "./util.ts";
export { DirectoryLister, type DirectoryListerOptions, formatFileSize } from "./_static_listing.ts";
export { CONTENT_ENCODINGS, getTypeAndEncoding, MIME_TYPES } from "./_mime.ts";
export { CHUNK_SIZE };
export type { FileHandle, FileInfo, RuntimeFileSystem } from "../internet/socket.ts";

/** Options of `File`. */
export interface FileOptions {
  /**
   * Content-Type of files whose extension is unknown. Twisted's default is
   * text/html; ours does not let a browser run an unknown file as a page.
   * @default "application/octet-stream"
   */
  defaultType?: string;
  /**
   * Extensions tried when a name is not found (`["html"]` serves
   * `about.html` at `/about`); `"*"` tries any extension.
   * @default []
   */
  ignoredExts?: string[];
  /** Names served for a directory requested with a trailing slash. @default ["index.html", "index.htm"] */
  indexNames?: string[];
  /** List directories without an index file; when false they are 403. @default true */
  allowListing?: boolean;
  /** Extension (with its dot) -> Content-Type, over the built-in `MIME_TYPES`. @default {} */
  contentTypes?: Record<string, string>;
  /** Extension -> Content-Encoding (Twisted's: .gz is gzip, .bz2 is bzip2). @default CONTENT_ENCODINGS */
  contentEncodings?: Record<string, string>;
  /** The file system to read through. @default getReactor().runtime */
  runtime?: RuntimeFileSystem;
}

// What a tree of `File`s shares: the root (for the escape check) and settings.
interface Shared {
  root: string;
  realRoot: string | null;
  defaultType: string;
  ignoredExts: string[];
  indexNames: string[];
  allowListing: boolean;
  contentTypes: Readonly<Record<string, string>>;
  contentEncodings: Readonly<Record<string, string>>;
  runtime: RuntimeFileSystem | null;
}

interface Found {
  path: string;
  info: FileInfo;
}

const enc = new TextEncoder();

/** What `File`'s render methods resolve to. */
export type Rendered = Awaited<RenderResult>;

function errorCode(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

// Errors that mean "nothing servable here" rather than a server fault.
const NOT_FOUND = new Set(["ENOENT", "ENOTDIR", "ENAMETOOLONG", "ELOOP", "EINVAL"]);

function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : dir + "/" + name;
}

function baseName(path: string): string {
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/**
 * A path segment that may not name a child: empty, `.`, `..`, or holding a
 * separator or NUL (they arrive percent-encoded as %2F, %5C, %00).
 */
function insecureSegment(segment: string): boolean {
  return segment === "." || segment === ".." || /[/\\\0]/.test(segment);
}

function strongMatch(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim() === etag);
}

/**
 * A file or directory on disk as a resource (`twisted.web.static.File`).
 * Each path segment below it is a child `File`; a directory asked for
 * without a trailing slash redirects to it with one, and with one serves its
 * index file or a listing. Files are sent with Content-Type from their
 * extension, Content-Length, Last-Modified and ETag (so conditional requests
 * get 304 or 412), and honour Range (206, multipart/byteranges, 416). Bodies
 * are streamed 256 KiB at a time with backpressure. Paths leaving the root
 * (`..`, encoded separators, symbolic links pointing outside) are 404.
 *
 * @example
 * ```ts
 * import { File, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * // Serves the current directory: its files, and listings of its directories.
 * const site = new Site(new File(".", { indexNames: ["index.html"] }), { clock: new Clock() });
 * const handle = siteAsFetchHandler(site);
 * const res = await handle(new Request("http://localhost/"));
 * console.log(res.status, res.headers.get("content-type")); // 200 "text/html; charset=utf-8"
 * await res.body?.cancel();
 * ```
 */
export class File extends Resource {
  /** The path on disk. */
  readonly path: string;
  #shared: Shared;
  // Made by getChild(""): the directory's index (or listing), not itself.
  #index: boolean;

  /**
   * Serves `path`.
   * @param path a file or directory
   * @param options settings shared by the whole tree below it
   */
  constructor(path: string, options: FileOptions = {}) {
    super();
    this.path = path;
    this.#index = false;
    this.#shared = {
      root: path,
      realRoot: null,
      defaultType: options.defaultType ?? "application/octet-stream",
      ignoredExts: (options.ignoredExts ?? []).map((e) =>
        e === "*" || e.startsWith(".") ? e : "." + e
      ),
      indexNames: options.indexNames ?? ["index.html", "index.htm"],
      allowListing: options.allowListing ?? true,
      contentTypes: { ...MIME_TYPES, ...options.contentTypes },
      contentEncodings: options.contentEncodings ?? CONTENT_ENCODINGS,
      runtime: options.runtime ?? null,
    };
  }

  /** The child `File` for a path segment (`createSimilarFile`), same settings. */
  createSimilarFile(path: string): File {
    const child = new File(path);
    child.#shared = this.#shared;
    return child;
  }

  /**
   * The child for one segment: another `File` (checked when rendered), the
   * directory's index for the empty segment, or 404 for unsafe segments.
   */
  override getChild(path: string, _request: Request): IResource {
    if (this.#index) return new NoResource();
    if (path === "") {
      const index = this.createSimilarFile(this.path);
      index.#index = true;
      return index;
    }
    if (insecureSegment(path)) return new NoResource();
    return this.createSimilarFile(joinPath(this.path, path));
  }

  /** Serves the file, index, listing or redirect (HEAD too). */
  async render_GET(request: Request): Promise<Rendered> {
    const found = await this.#find(this.path, true);
    if (found === "forbidden") return this.#finishWith(request, new ForbiddenResource());
    if (found === null) return this.#finishWith(request, new NoResource());
    if (found.info.isDirectory) {
      if (!this.#index) return redirectTo(addSlash(request), request);
      for (const name of this.#shared.indexNames) {
        const index = await this.#find(joinPath(found.path, name), false);
        if (index !== null && index !== "forbidden" && index.info.isFile) {
          return await this.#serveFile(request, index);
        }
      }
      if (!this.#shared.allowListing) return this.#finishWith(request, new ForbiddenResource());
      return this.#finishWith(request, this.directoryListing());
    }
    if (this.#index || !found.info.isFile) return this.#finishWith(request, new NoResource());
    return await this.#serveFile(request, found);
  }

  /** HEAD: the GET headers without the body. */
  render_HEAD(request: Request): Promise<Rendered> {
    return this.render_GET(request);
  }

  /** The listing of this directory (`directoryListing`). */
  directoryListing(): DirectoryLister {
    const s = this.#shared;
    return new DirectoryLister(this.path, {
      fs: this.#fs(),
      contentTypes: s.contentTypes,
      contentEncodings: s.contentEncodings,
      defaultType: s.defaultType,
    });
  }

  #fs(): RuntimeFileSystem {
    return this.#shared.runtime ?? getReactor().runtime;
  }

  // Renders another resource (an error page, a listing) in our place.
  #finishWith(request: Request, resource: IResource): RenderResult {
    return resource.render(request);
  }

  /**
   * Finds `path` inside the root: null when missing or outside it, after
   * trying the ignored extensions when `siblings`; "forbidden" on EACCES.
   */
  async #find(path: string, siblings: boolean): Promise<Found | null | "forbidden"> {
    const fs = this.#fs();
    const first = await this.#resolve(fs, path);
    if (first !== null || !siblings) return first;
    for (const ext of this.#shared.ignoredExts) {
      if (ext === "*") {
        const slash = path.lastIndexOf("/");
        const dir = slash < 0 ? "." : path.slice(0, slash) || "/";
        const prefix = path.slice(slash + 1) + ".";
        let names: string[];
        try {
          names = await fs.readDir(dir);
        } catch {
          continue;
        }
        for (const name of names) {
          if (!name.startsWith(prefix)) continue;
          const found = await this.#resolve(fs, joinPath(dir, name));
          if (found !== null) return found;
        }
        continue;
      }
      const found = await this.#resolve(fs, path + ext);
      if (found !== null) return found;
    }
    return null;
  }

  async #resolve(fs: RuntimeFileSystem, path: string): Promise<Found | null | "forbidden"> {
    try {
      const shared = this.#shared;
      if (shared.realRoot === null) shared.realRoot = await fs.realPath(shared.root);
      const real = await fs.realPath(path);
      const root = shared.realRoot;
      const inside = real === root ||
        real.startsWith(root.endsWith("/") ? root : root + "/");
      if (!inside) return null;
      return { path: real, info: await fs.stat(real) };
    } catch (e) {
      const code = errorCode(e);
      if (code === "EACCES" || code === "EPERM") return "forbidden";
      if (code !== undefined && NOT_FOUND.has(code)) return null;
      throw e;
    }
  }

  async #serveFile(request: Request, found: Found): Promise<string | typeof NOT_DONE_YET> {
    const { info } = found;
    const s = this.#shared;
    let file: FileHandle;
    try {
      file = await this.#fs().openFile(found.path);
    } catch (e) {
      const code = errorCode(e);
      if (code === "EACCES" || code === "EPERM") {
        return this.#finishWith(request, new ForbiddenResource()) as string;
      }
      if (code !== undefined && NOT_FOUND.has(code)) {
        return this.#finishWith(request, new NoResource()) as string;
      }
      throw e;
    }
    let started = false;
    try {
      if (request.disconnected) return NOT_DONE_YET;
      const size = info.size;
      const { type, encoding } = getTypeAndEncoding(
        baseName(found.path),
        s.contentTypes,
        s.contentEncodings,
        s.defaultType,
      );
      request.setHeader("accept-ranges", "bytes");
      request.setHeader("content-type", type);
      if (encoding !== null) request.setHeader("content-encoding", encoding);

      // Validators: a strong ETag from size and modification time (what
      // nginx does), and Last-Modified. Preconditions in RFC 9110's order.
      const mtime = info.mtime === null ? null : Math.floor(info.mtime.getTime() / 1000);
      const etag = info.mtime === null
        ? null
        : `"${size.toString(16)}-${info.mtime.getTime().toString(16)}"`;
      const ifMatch = request.getHeader("if-match");
      const ifUnmodified = request.getHeader("if-unmodified-since");
      if (
        (ifMatch !== null && (etag === null || !strongMatch(ifMatch, etag))) ||
        (ifMatch === null && ifUnmodified !== null && mtime !== null &&
          (stringToDatetime(ifUnmodified) ?? Infinity) < mtime)
      ) {
        if (etag !== null) request.setHeader("etag", etag);
        request.setResponseCode(412);
        request.setHeader("content-length", 0);
        request.finish();
        return NOT_DONE_YET;
      }
      let cached = false;
      if (etag !== null) cached = request.setETag(etag) === CACHED;
      if (mtime !== null && request.setLastModified(mtime) === CACHED) cached = true;
      if (cached) {
        request.finish();
        return NOT_DONE_YET;
      }

      if (request.method === "HEAD") {
        request.setHeader("content-length", size);
        request.finish();
        return NOT_DONE_YET;
      }

      const segments = this.#ranges(request, size, type, etag, mtime);
      if (segments === null) {
        request.setResponseCode(416);
        request.setHeader("content-range", contentRange(null, size));
        request.responseHeaders.removeHeader("content-encoding");
        request.setHeader("content-length", 0);
        request.finish();
        return NOT_DONE_YET;
      }
      started = true;
      new StaticProducer(request, file, segments).start();
      return NOT_DONE_YET;
    } finally {
      if (!started) {
        file.close().catch(() => {});
      }
    }
  }

  /**
   * The body for the request's Range (status, headers set here), or the
   * whole file; null when the ranges cannot be satisfied.
   */
  #ranges(
    request: Request,
    size: number,
    type: string,
    etag: string | null,
    mtime: number | null,
  ): BodySegment[] | null {
    const whole = (): BodySegment[] => {
      request.setHeader("content-length", size);
      return size === 0 ? [] : [[0, size - 1]];
    };
    const header = request.getHeader("range");
    if (header === null || request.method !== "GET") return whole();
    const ifRange = request.getHeader("if-range");
    if (ifRange !== null) {
      const v = ifRange.trim();
      const current = v.startsWith('"') || v.startsWith("W/")
        ? etag !== null && v === etag
        : mtime !== null && v === datetimeToString(mtime);
      if (!current) return whole();
    }
    const ranges = parseRangeHeader(header, size);
    if (ranges === null) return whole();
    if (ranges === "unsatisfiable") return null;
    request.setResponseCode(206);
    if (ranges.length === 1) {
      const [first, last] = ranges[0];
      request.setHeader("content-range", contentRange(ranges[0], size));
      request.setHeader("content-length", last - first + 1);
      return [ranges[0]];
    }
    // Overlapping or many small ranges can ask for more than the file
    // (an amplification RFC 9110 14.2 lets us refuse): send it whole.
    let total = 0;
    for (const [first, last] of ranges) total += last - first + 1;
    if (total > size) {
      request.setResponseCode(200);
      return whole();
    }
    const boundary = randomBoundary();
    const segments: BodySegment[] = [];
    let length = 0;
    for (const range of ranges) {
      const head = enc.encode(
        `\r\n--${boundary}\r\nContent-Type: ${type}\r\n` +
          `Content-Range: ${contentRange(range, size)}\r\n\r\n`,
      );
      segments.push(head, range);
      length += head.length + range[1] - range[0] + 1;
    }
    const tail = enc.encode(`\r\n--${boundary}--\r\n`);
    segments.push(tail);
    length += tail.length;
    request.responseHeaders.removeHeader("content-encoding");
    request.setHeader("content-type", `multipart/byteranges; boundary=${boundary}`);
    request.setHeader("content-length", length);
    return segments;
  }
}

function randomBoundary(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The request's path with a slash added (and the query kept), never "//...". */
function addSlash(request: Request): string {
  const uri = request.uri;
  const q = uri.indexOf("?");
  let path = q < 0 ? uri : uri.slice(0, q);
  if (!path.startsWith("/")) path = request.path;
  path = path.replace(/^\/+/, "/");
  return path + "/" + (q < 0 ? "" : uri.slice(q));
}

/**
 * A resource serving bytes held in memory (`twisted.web.static.Data`), to
 * GET and HEAD, with their type and length.
 *
 * @example
 * ```ts
 * import { Data, Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const root = new Resource();
 * root.putChild("robots.txt", new Data("User-agent: *\nDisallow: /private/\n", "text/plain"));
 * const handle = siteAsFetchHandler(new Site(root, { clock: new Clock() }));
 * const res = await handle(new Request("http://localhost/robots.txt"));
 * console.log(res.headers.get("content-type"), (await res.text()).length); // "text/plain" 34
 * ```
 */
export class Data extends Resource {
  /** The bytes. */
  readonly data: Uint8Array;
  /** The Content-Type. */
  readonly type: string;
  /** Always a leaf. */
  override isLeaf = true;

  /**
   * Makes the resource.
   * @param data the body (a string is sent as UTF-8)
   * @param type its Content-Type
   */
  constructor(data: Uint8Array | string, type: string) {
    super();
    this.data = typeof data === "string" ? enc.encode(data) : data;
    this.type = type;
  }

  /** The bytes, with Content-Type (Content-Length is set by the server). */
  render_GET(request: Request): Uint8Array {
    request.setHeader("content-type", this.type);
    return this.data;
  }
}
