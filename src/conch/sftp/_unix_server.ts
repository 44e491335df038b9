/**
 * `SFTPServerForUnixConchUser` (`twisted.conch.unix.SFTPServerForUnixConchUser`):
 * an `ISFTPServer` over the real file system, through the runtime adapter.
 * `.` is the home folder; with `root`, the client sees `root` as `/` and no
 * path, `..` or symbolic link reaches outside it.
 * @module
 */
import { getReactor } from "../../internet/reactor.ts";
import type { FileInfo, RandomAccessFile, RuntimeFileSystem } from "../../internet/socket.ts";
import {
  FX_FAILURE,
  FX_OP_UNSUPPORTED,
  FX_PERMISSION_DENIED,
  FXF_APPEND,
  FXF_CREAT,
  FXF_EXCL,
  FXF_READ,
  FXF_TRUNC,
  FXF_WRITE,
} from "./_constants.ts";
import { SFTPError } from "./_errors.ts";
import type { ISFTPDirectory, ISFTPFile, ISFTPServer, StatVFS } from "./_interfaces.ts";
import { longname } from "./_longname.ts";
import type { DirectoryEntry, SFTPAttrs } from "./_wire.ts";

/** Options of `SFTPServerForUnixConchUser`. */
export interface SFTPServerForUnixOptions {
  /** The home folder (`.`), a real path. @default root, or "/" */
  home?: string;
  /** Confine the client to this folder, shown to it as `/`. @default no confinement */
  root?: string | null;
  /** The file system. @default getReactor().runtime */
  runtime?: RuntimeFileSystem;
}

/** Attributes from what `stat` gave. */
export function attrsOf(info: FileInfo): SFTPAttrs {
  const attrs: SFTPAttrs = { size: info.size };
  if (info.uid !== undefined && info.gid !== undefined) {
    attrs.uid = info.uid;
    attrs.gid = info.gid;
  }
  if (info.mode !== null) attrs.permissions = info.mode;
  if (info.mtime !== null) {
    attrs.mtime = Math.floor(info.mtime.getTime() / 1000);
    attrs.atime = info.atime ? Math.floor(info.atime.getTime() / 1000) : attrs.mtime;
  }
  return attrs;
}

/** Collapses `.`, `..` and repeated slashes of an absolute path; `..` stops at `/`. */
export function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

function join(dir: string, name: string): string {
  return dir === "/" ? "/" + name : dir + "/" + name;
}

function split(path: string): [string, string] {
  const at = path.lastIndexOf("/");
  return [at <= 0 ? "/" : path.slice(0, at), path.slice(at + 1)];
}

const OPTIONAL_OPERATIONS = [
  "open",
  "rmdir",
  "symlink",
  "readLink",
  "link",
  "utimes",
  "truncate",
  "chown",
  "statfs",
] as const;

const denied = () => new SFTPError(FX_PERMISSION_DENIED, "Permission denied");

async function applyAttrs(
  target: {
    truncate(length: number): Promise<void>;
    chown(uid: number, gid: number): Promise<void>;
    chmod(mode: number): Promise<void>;
    utimes(atime: number, mtime: number): Promise<void>;
  },
  attrs: SFTPAttrs,
): Promise<void> {
  if (attrs.size !== undefined) await target.truncate(attrs.size);
  if (attrs.uid !== undefined && attrs.gid !== undefined) await target.chown(attrs.uid, attrs.gid);
  if (attrs.permissions !== undefined) await target.chmod(attrs.permissions & 0o7777);
  if (attrs.atime !== undefined && attrs.mtime !== undefined) {
    await target.utimes(attrs.atime, attrs.mtime);
  }
}

class UnixFile implements ISFTPFile {
  readonly #file: RandomAccessFile;
  constructor(file: RandomAccessFile) {
    this.#file = file;
  }
  async readChunk(offset: number, length: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    const count = await this.#file.read(buffer, offset);
    return buffer.subarray(0, count);
  }
  async writeChunk(offset: number, data: Uint8Array): Promise<void> {
    await this.#file.write(data, offset);
  }
  async getAttrs(): Promise<SFTPAttrs> {
    return attrsOf(await this.#file.stat());
  }
  setAttrs(attrs: SFTPAttrs): Promise<void> {
    return applyAttrs(this.#file, attrs);
  }
  sync(): Promise<void> {
    return this.#file.sync();
  }
  close(): Promise<void> {
    return this.#file.close();
  }
}

class UnixDirectory implements ISFTPDirectory {
  readonly #fs: RuntimeFileSystem;
  readonly #path: string;
  readonly #names: string[];
  constructor(fs: RuntimeFileSystem, path: string, names: string[]) {
    this.#fs = fs;
    this.#path = path;
    this.#names = [".", "..", ...names];
  }
  async read(max: number): Promise<DirectoryEntry[]> {
    const entries: DirectoryEntry[] = [];
    const now = Date.now();
    while (entries.length < max && this.#names.length > 0) {
      const name = this.#names.shift()!;
      try {
        const attrs = attrsOf(await this.#fs.lstat(join(this.#path, name)));
        entries.push([name, longname(name, attrs, now), attrs]);
      } catch {
        // Removed since the listing was read: left out.
      }
    }
    return entries;
  }
  close(): void {
    this.#names.length = 0;
  }
}

/**
 * Serves the file system as the process's user. Paths are resolved against
 * the home folder; with `root`, every path (after `..` and every symbolic
 * link) must stay inside `root`, else the request fails with
 * `FX_PERMISSION_DENIED`. (A symbolic link changed between the check and
 * the use can still race: confine untrusted users with the OS as well.)
 *
 * @example
 * ```ts
 * import { SFTPServerForUnixConchUser } from "@tw/core/conch/sftp";
 *
 * const files = new SFTPServerForUnixConchUser({ root: "/srv/files" });
 * console.log(typeof files.openFile); // "function"
 * ```
 */
export class SFTPServerForUnixConchUser implements ISFTPServer {
  readonly #root: string | null;
  readonly #home: string;
  readonly #runtime: RuntimeFileSystem | null;
  #realRoot: Promise<string> | null = null;
  #homePath: Promise<string> | null = null;

  /** A server for the home folder, confined to `root` when given. */
  constructor(options: SFTPServerForUnixOptions = {}) {
    this.#root = options.root ?? null;
    this.#home = options.home ?? options.root ?? "/";
    this.#runtime = options.runtime ?? null;
  }

  get #fs(): Required<RuntimeFileSystem> {
    const fs = this.#runtime ?? getReactor().runtime;
    for (const name of OPTIONAL_OPERATIONS) {
      if (typeof fs[name] !== "function") {
        throw new SFTPError(FX_OP_UNSUPPORTED, `The runtime has no ${name}`);
      }
    }
    return fs as Required<RuntimeFileSystem>;
  }

  #rootPath(): Promise<string> {
    this.#realRoot ??= this.#fs.realPath(this.#root!);
    return this.#realRoot;
  }

  #inside(root: string, real: string): boolean {
    return real === root || real.startsWith(root === "/" ? "/" : root + "/");
  }

  /** The client's path as an absolute virtual path (real when not confined). */
  async #virtual(path: string): Promise<string> {
    if (path.includes("\0")) throw new SFTPError(FX_FAILURE, "A path with a NUL byte");
    if (path.startsWith("/")) return normalize(path);
    return normalize((await this.#virtualHome()) + "/" + path);
  }

  /** The home folder as the client sees it (worked out once). */
  #virtualHome(): Promise<string> {
    this.#homePath ??= (async () => {
      const home = normalize(this.#home);
      if (this.#root === null) return home;
      const root = await this.#rootPath();
      const realHome = await this.#fs.realPath(home).catch(() => home);
      return this.#inside(root, realHome) ? realHome.slice(root.length) || "/" : "/";
    })();
    return this.#homePath;
  }

  async #real(virtual: string): Promise<string> {
    if (this.#root === null) return virtual;
    const root = await this.#rootPath();
    return virtual === "/" ? root : root + virtual;
  }

  /** The real path of `path`, every link followed, checked to stay inside the root. */
  async #follow(path: string): Promise<string> {
    const real = await this.#real(await this.#virtual(path));
    if (this.#root === null) return real;
    const root = await this.#rootPath();
    try {
      const resolved = await this.#fs.realPath(real);
      if (!this.#inside(root, resolved)) throw denied();
      return resolved;
    } catch (error) {
      if ((error as { code?: string }).code !== "ENOENT") throw error;
    }
    // Missing: its folder must be inside, and it must not be a dangling link.
    const [dir, name] = split(real);
    const resolvedDir = await this.#fs.realPath(dir);
    if (!this.#inside(root, resolvedDir)) throw denied();
    const target = join(resolvedDir, name);
    const exists = await this.#fs.lstat(target).then(() => true, () => false);
    if (exists) throw denied();
    return target;
  }

  /** The real path of `path` itself (a final link not followed), its folder checked. */
  async #noFollow(path: string): Promise<string> {
    const virtual = await this.#virtual(path);
    const real = await this.#real(virtual);
    if (this.#root === null || virtual === "/") return real;
    const root = await this.#rootPath();
    const [dir, name] = split(real);
    const resolvedDir = await this.#fs.realPath(dir);
    if (!this.#inside(root, resolvedDir)) throw denied();
    return join(resolvedDir, name);
  }

  /** Announces no extensions of its own (the server adds OpenSSH's). */
  gotVersion(_otherVersion: number, _extData: Record<string, Uint8Array>): Record<string, string> {
    return {};
  }

  async openFile(filename: string, flags: number, attrs: SFTPAttrs): Promise<ISFTPFile> {
    const write = (flags & (FXF_WRITE | FXF_APPEND)) !== 0;
    const read = (flags & FXF_READ) !== 0 || !write;
    const path = await this.#follow(filename);
    const file = await this.#fs.open(path, {
      read,
      write,
      append: (flags & FXF_APPEND) !== 0,
      create: (flags & FXF_CREAT) !== 0,
      truncate: (flags & FXF_TRUNC) !== 0,
      exclusive: (flags & FXF_EXCL) !== 0,
      mode: attrs.permissions !== undefined ? attrs.permissions & 0o7777 : 0o666,
    });
    return new UnixFile(file);
  }

  async removeFile(filename: string): Promise<void> {
    const path = await this.#noFollow(filename);
    const info = await this.#fs.lstat(path);
    if (info.isDirectory) throw new SFTPError(FX_FAILURE, "Is a directory");
    await this.#fs.remove(path);
  }

  async renameFile(oldpath: string, newpath: string): Promise<void> {
    const from = await this.#noFollow(oldpath);
    const to = await this.#noFollow(newpath);
    if (await this.#fs.lstat(to).then(() => true, () => false)) {
      throw new SFTPError(FX_FAILURE, "File exists");
    }
    await this.#fs.rename(from, to);
  }

  async posixRename(oldpath: string, newpath: string): Promise<void> {
    await this.#fs.rename(await this.#noFollow(oldpath), await this.#noFollow(newpath));
  }

  async makeHardLink(oldpath: string, newpath: string): Promise<void> {
    await this.#fs.link(await this.#noFollow(oldpath), await this.#noFollow(newpath));
  }

  async makeDirectory(path: string, attrs: SFTPAttrs): Promise<void> {
    const mode = attrs.permissions !== undefined ? attrs.permissions & 0o7777 : 0o777;
    await this.#fs.mkdir(await this.#noFollow(path), { mode });
  }

  async removeDirectory(path: string): Promise<void> {
    await this.#fs.rmdir(await this.#noFollow(path));
  }

  async openDirectory(path: string): Promise<ISFTPDirectory> {
    const real = await this.#follow(path);
    return new UnixDirectory(this.#fs, real, await this.#fs.readDir(real));
  }

  async getAttrs(path: string, followLinks: boolean): Promise<SFTPAttrs> {
    if (followLinks) return attrsOf(await this.#fs.stat(await this.#follow(path)));
    return attrsOf(await this.#fs.lstat(await this.#noFollow(path)));
  }

  async setAttrs(path: string, attrs: SFTPAttrs): Promise<void> {
    const real = await this.#follow(path);
    const fs = this.#fs;
    await applyAttrs({
      truncate: (length) => fs.truncate(real, length),
      chown: (uid, gid) => fs.chown(real, uid, gid),
      chmod: (mode) => fs.chmod(real, mode),
      utimes: (atime, mtime) => fs.utimes(real, atime, mtime),
    }, attrs);
  }

  async readLink(path: string): Promise<string> {
    const target = await this.#fs.readLink(await this.#noFollow(path));
    if (this.#root !== null && target.startsWith("/")) {
      const root = await this.#rootPath();
      if (this.#inside(root, target)) return target.slice(root.length) || "/";
    }
    return target;
  }

  async makeLink(linkPath: string, targetPath: string): Promise<void> {
    const link = await this.#noFollow(linkPath);
    let target = targetPath;
    if (this.#root !== null && target.startsWith("/")) {
      // An absolute target means a path inside the root: stored as its real path.
      target = await this.#real(normalize(target));
    }
    await this.#fs.symlink(target, link);
  }

  async realPath(path: string): Promise<string> {
    const virtual = await this.#virtual(path);
    const real = await this.#real(virtual);
    let resolved: string;
    try {
      resolved = await this.#fs.realPath(real);
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return virtual;
      throw error;
    }
    if (this.#root === null) return resolved;
    const root = await this.#rootPath();
    if (!this.#inside(root, resolved)) throw denied();
    return resolved.slice(root.length) || "/";
  }

  async statVFS(path: string): Promise<StatVFS> {
    const s = await this.#fs.statfs(await this.#follow(path));
    return {
      bsize: s.bsize,
      frsize: s.bsize,
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
      favail: s.ffree,
      fsid: 0,
      flag: 0,
      namemax: 255,
    };
  }

  extendedRequest(extendedName: string, _extendedData: Uint8Array): Uint8Array {
    throw new SFTPError(FX_OP_UNSUPPORTED, `Unsupported extension ${extendedName}`);
  }
}
