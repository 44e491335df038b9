/**
 * Directory listings for static files (`twisted.web.static.DirectoryLister`):
 * an HTML table of a directory's entries, directories first, each group
 * sorted, names escaped and links percent-encoded.
 *
 * @module
 */
import type { RuntimeFileSystem } from "../internet/socket.ts";
import { Resource } from "./resource.ts";
import type { Request } from "./server.ts";
import { getTypeAndEncoding } from "./_mime.ts";

/** Options of `DirectoryLister`. */
export interface DirectoryListerOptions {
  /** The file system to read the directory through. */
  fs: RuntimeFileSystem;
  /** Extension -> Content-Type, for the type column. */
  contentTypes: Readonly<Record<string, string>>;
  /** Extension -> Content-Encoding, for the encoding column. */
  contentEncodings: Readonly<Record<string, string>>;
  /** The type of files with an unknown extension. */
  defaultType: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A size for people, as Twisted's `formatFileSize`: 512B, 3K, 12M, 2G.
 *
 * @example
 * ```ts
 * import { formatFileSize } from "@tw/core/web";
 * console.log(formatFileSize(512), formatFileSize(3 * 1024)); // "512B" "3K"
 * console.log(formatFileSize(5_000_000), formatFileSize(2 ** 31)); // "4M" "2G"
 * ```
 */
export function formatFileSize(size: number): string {
  if (size < 1024) return `${size}B`;
  if (size < 1024 ** 2) return `${Math.floor(size / 1024)}K`;
  if (size < 1024 ** 3) return `${Math.floor(size / 1024 ** 2)}M`;
  return `${Math.floor(size / 1024 ** 3)}G`;
}

interface Entry {
  name: string;
  href: string;
  size: string;
  type: string;
  encoding: string;
}

/**
 * Renders the listing of one directory (`DirectoryLister`). Entries that
 * cannot be stat'ed (dangling links, races) are left out.
 *
 * @example
 * ```ts
 * import { CONTENT_ENCODINGS, DirectoryLister, MIME_TYPES } from "@tw/core/web";
 * import { Site, siteAsFetchHandler } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * import { Clock } from "@tw/core/task";
 * const lister = new DirectoryLister(".", {
 *   fs: reactor.runtime,
 *   contentTypes: MIME_TYPES,
 *   contentEncodings: CONTENT_ENCODINGS,
 *   defaultType: "application/octet-stream",
 * });
 * const handle = siteAsFetchHandler(new Site(lister, { clock: new Clock() }));
 * const page = await (await handle(new Request("http://localhost/"))).text();
 * console.log(page.includes("<title>Directory listing for /</title>")); // true
 * ```
 */
export class DirectoryLister extends Resource {
  /** The directory's path on disk. */
  readonly path: string;
  /** Always a leaf. */
  override isLeaf = true;
  #options: DirectoryListerOptions;

  /**
   * Makes the lister.
   * @param path the directory
   * @param options where to read it and how to label types
   */
  constructor(path: string, options: DirectoryListerOptions) {
    super();
    this.path = path;
    this.#options = options;
  }

  /** The HTML page. */
  async render_GET(request: Request): Promise<string> {
    const { fs, contentTypes, contentEncodings, defaultType } = this.#options;
    const names = await fs.readDir(this.path);
    const dirs: Entry[] = [];
    const files: Entry[] = [];
    const base = this.path.endsWith("/") ? this.path : this.path + "/";
    const infos = await Promise.all(
      names.map((name) => fs.stat(base + name).then((i) => i, () => null)),
    );
    for (let i = 0; i < names.length; i++) {
      const info = infos[i];
      const name = names[i];
      if (info === null) continue;
      if (info.isDirectory) {
        dirs.push({
          name: name + "/",
          href: encodeURIComponent(name) + "/",
          size: "",
          type: "[Directory]",
          encoding: "",
        });
      } else {
        const { type, encoding } = getTypeAndEncoding(
          name,
          contentTypes,
          contentEncodings,
          defaultType,
        );
        files.push({
          name,
          href: encodeURIComponent(name),
          size: formatFileSize(info.size),
          type: `[${type.split(";")[0]}]`,
          encoding: encoding === null ? "" : `[${encoding}]`,
        });
      }
    }
    let where: string;
    try {
      where = decodeURIComponent(request.path);
    } catch {
      where = request.path;
    }
    const title = escapeHtml(`Directory listing for ${where}`);
    let rows = "";
    [...dirs, ...files].forEach((e, i) => {
      rows += `<tr class="${i % 2 === 0 ? "odd" : "even"}"><td><a href="${escapeHtml(e.href)}">` +
        `${escapeHtml(e.name)}</a></td><td>${e.size}</td><td>${escapeHtml(e.type)}</td>` +
        `<td>${escapeHtml(e.encoding)}</td></tr>\n`;
    });
    request.setHeader("content-type", "text/html; charset=utf-8");
    return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title>\n` +
      `<style>th,td{text-align:left;padding:0 1em}tr.odd{background:#eee}</style></head>\n` +
      `<body><h1>${title}</h1>\n<table>\n<thead><tr><th>Filename</th><th>Size</th>` +
      `<th>Content type</th><th>Content encoding</th></tr></thead>\n<tbody>\n${rows}` +
      `</tbody></table></body></html>\n`;
  }
}
