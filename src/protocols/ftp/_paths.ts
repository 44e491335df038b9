/**
 * FTP paths as segment arrays (Twisted's `toSegments`): what a shell is given,
 * already free of `.`, `..` and empty parts, so it never sees a way out of its
 * root. Also the glob matching LIST and NLST do on a path's last segment.
 * @module
 */
import { InvalidPath } from "./_errors.ts";

/**
 * Resolves `path` against the working folder `cwd` (both as the client sees
 * them) into segments. `..` above the root, and a NUL byte, throw
 * `InvalidPath`; backslashes are plain characters (a name, never a separator).
 *
 * @example
 * ```ts
 * import { toSegments } from "@tw/core/protocols/ftp";
 * console.log(toSegments(["pub"], "../incoming/./a.txt")); // ["incoming", "a.txt"]
 * console.log(toSegments(["pub"], "/etc")); // ["etc"]
 * ```
 * @param cwd the working folder, as segments
 * @param path the path a command gave
 * @returns the segments from the root
 * @throws {InvalidPath} when the path leaves the root or holds a NUL byte
 */
export function toSegments(cwd: readonly string[], path: string): string[] {
  if (path.includes("\0")) throw new InvalidPath(path);
  const segments = path.startsWith("/") ? [] : [...cwd];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (segments.length === 0) throw new InvalidPath(path);
      segments.pop();
    } else {
      segments.push(part);
    }
  }
  return segments;
}

/** Segments as the absolute path the client sees. */
export function segmentsToPath(segments: readonly string[]): string {
  return "/" + segments.join("/");
}

/** True when `name` holds a glob character (`*`, `?`, `[`). */
export function isGlob(name: string): boolean {
  return /[*?[]/.test(name);
}

/** A glob pattern (`*`, `?`, `[...]`) as a matcher of whole names. */
export function globMatcher(pattern: string): (name: string) => boolean {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) {
        source += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
      if (body.startsWith("!")) body = "^" + body.slice(1);
      source += `[${body}]`;
      i = end;
    } else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  const regex = new RegExp(`^${source}$`, "s");
  return (name) => regex.test(name);
}
