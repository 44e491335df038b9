/**
 * MIME types by file extension for static files (Twisted's `loadMimeTypes`,
 * without reading the system's mime.types: a compact table of the types a
 * web site serves, and the content encodings Twisted maps).
 *
 * @module
 */

// Text types carry a charset: a static site's text files are UTF-8 nearly
// always, and without it browsers guess (Latin-1 for text/plain).
const UTF8 = "; charset=utf-8";

/** Extension (lower case, with the dot) -> Content-Type value. */
export const MIME_TYPES: Readonly<Record<string, string>> = Object.freeze({
  ".html": "text/html" + UTF8,
  ".htm": "text/html" + UTF8,
  ".xhtml": "application/xhtml+xml",
  ".css": "text/css" + UTF8,
  ".js": "text/javascript" + UTF8,
  ".mjs": "text/javascript" + UTF8,
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".txt": "text/plain" + UTF8,
  ".text": "text/plain" + UTF8,
  ".md": "text/markdown" + UTF8,
  ".csv": "text/csv" + UTF8,
  ".xml": "application/xml",
  ".rss": "application/rss+xml",
  ".atom": "application/atom+xml",
  ".ts": "text/plain" + UTF8,
  ".py": "text/plain" + UTF8,
  ".c": "text/plain" + UTF8,
  ".h": "text/plain" + UTF8,
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".svg": "image/svg+xml",
  ".ico": "image/vnd.microsoft.icon",
  ".bmp": "image/bmp",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
  ".oga": "audio/ogg",
  ".wav": "audio/wav",
  ".flac": "audio/flac",
  ".m4a": "audio/mp4",
  ".mp4": "video/mp4",
  ".m4v": "video/mp4",
  ".webm": "video/webm",
  ".ogv": "video/ogg",
  ".mov": "video/quicktime",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".tar": "application/x-tar",
  ".gz": "application/gzip",
  ".tgz": "application/gzip",
  ".bz2": "application/x-bzip2",
  ".xz": "application/x-xz",
  ".7z": "application/x-7z-compressed",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
  ".exe": "application/octet-stream",
  ".iso": "application/octet-stream",
  ".doc": "application/msword",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".xls": "application/vnd.ms-excel",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".ppt": "application/vnd.ms-powerpoint",
  ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  ".odt": "application/vnd.oasis.opendocument.text",
  ".epub": "application/epub+zip",
  ".rtf": "application/rtf",
});

/** Extension -> Content-Encoding, as Twisted's `File.contentEncodings`. */
export const CONTENT_ENCODINGS: Readonly<Record<string, string>> = Object.freeze({
  ".gz": "gzip",
  ".bz2": "bzip2",
});

/** The extension of a file name, lower case with its dot ("" when none). */
export function extension(name: string): string {
  const dot = name.lastIndexOf(".");
  // A leading dot names a hidden file, not an extension.
  return dot <= 0 ? "" : name.slice(dot).toLowerCase();
}

/**
 * The Content-Type and Content-Encoding of a file name (Twisted's
 * `getTypeAndEncoding`): `archive.tar.gz` is `application/x-tar` with
 * encoding `gzip`. Unknown types get `defaultType`.
 *
 * @example
 * ```ts
 * import { CONTENT_ENCODINGS, getTypeAndEncoding, MIME_TYPES } from "@tw/core/web";
 * const found = getTypeAndEncoding("notes.tar.gz", MIME_TYPES, CONTENT_ENCODINGS, "text/plain");
 * console.log(found); // { type: "application/x-tar", encoding: "gzip" }
 * ```
 */
export function getTypeAndEncoding(
  name: string,
  types: Readonly<Record<string, string>>,
  encodings: Readonly<Record<string, string>>,
  defaultType: string,
): { type: string; encoding: string | null } {
  let ext = extension(name);
  let encoding: string | null = null;
  const enc = encodings[ext];
  if (enc !== undefined) {
    encoding = enc;
    const base = name.slice(0, name.length - ext.length);
    ext = extension(base);
  }
  const type = types[ext];
  return { type: type ?? defaultType, encoding };
}
