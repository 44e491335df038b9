/**
 * `FTPShell` and `FTPAnonymousShell` (Twisted's names): an `IFTPShell` over a
 * folder of the real file system, through the runtime's file API. A shell
 * never leaves its root: paths arrive as segments (no `..`), and every path is
 * resolved with `realPath` and checked to lie inside the root's real path, so
 * a symbolic link pointing out of it gets 550 (the same check
 * `SFTPServerForUnixConchUser` makes for a confined SFTP user).
 * @module
 */
import { getReactor } from "../../internet/reactor.ts";
import type { FileInfo, RuntimeFileSystem } from "../../internet/socket.ts";
import {
  AnonUserDeniedError,
  errnoToFTPError,
  FileNotFoundError,
  IsADirectoryError,
  IsNotADirectoryError,
  PermissionDeniedError,
} from "./_errors.ts";
import { FileReader, FileWriter } from "./_file_io.ts";
import type {
  FTPFileStat,
  IFTPShell,
  IReadFile,
  IWriteFile,
  OpenForReadingOptions,
  OpenForWritingOptions,
} from "./_interfaces.ts";
import { segmentsToPath } from "./_paths.ts";

/** Options of `FTPShell` and `FTPAnonymousShell`. */
export interface FTPShellOptions {
  /** The file system. @default getReactor().runtime */
  runtime?: RuntimeFileSystem;
}

function statOf(info: FileInfo, symlink = false): FTPFileStat {
  return {
    size: info.size,
    directory: info.isDirectory,
    symlink,
    permissions: info.mode ?? (info.isDirectory ? 0o40755 : 0o100644),
    hardlinks: info.nlink ?? 1,
    modified: info.mtime,
    owner: info.uid === undefined ? "0" : String(info.uid),
    group: info.gid === undefined ? "0" : String(info.gid),
  };
}

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/**
 * A read-only shell over the folder `root` (Twisted's `FTPAnonymousShell`):
 * every change is refused with `AnonUserDeniedError` (550).
 *
 * @example
 * ```ts
 * import { FTPAnonymousShell } from "@tw/core/protocols/ftp";
 * const shell = new FTPAnonymousShell("/srv/ftp");
 * console.log(shell.writable); // false
 * ```
 */
export class FTPAnonymousShell implements IFTPShell {
  /** The folder shown as `/`. */
  readonly filesystemRoot: string;
  readonly #runtime: RuntimeFileSystem | null;
  #realRoot: Promise<string> | null = null;

  /**
   * Makes a shell.
   * @param root the folder shown as `/`
   * @param options the file system
   */
  constructor(root: string, options: FTPShellOptions = {}) {
    this.filesystemRoot = root;
    this.#runtime = options.runtime ?? null;
  }

  /** False: every change is refused. */
  get writable(): boolean {
    return false;
  }

  /** The file system in use. */
  protected get fs(): RuntimeFileSystem {
    return this.#runtime ?? getReactor().runtime;
  }

  #root(): Promise<string> {
    this.#realRoot ??= this.fs.realPath(this.filesystemRoot);
    this.#realRoot.catch(() => {
      this.#realRoot = null;
    });
    return this.#realRoot;
  }

  #inside(root: string, real: string): boolean {
    return real === root || real.startsWith(root === "/" ? "/" : root + "/");
  }

  /**
   * The real path of `path`, every link followed and checked to stay inside
   * the root; a missing final name is allowed when its folder is inside.
   */
  protected async resolve(path: readonly string[]): Promise<string> {
    const shown = segmentsToPath(path);
    for (const segment of path) {
      if (segment.includes("\0") || segment.includes("/") || segment === "..") {
        throw new PermissionDeniedError(shown);
      }
    }
    const root = await this.#root().catch((e) => {
      throw errnoToFTPError(e, "/");
    });
    const real = path.length === 0 ? root : `${root === "/" ? "" : root}/${path.join("/")}`;
    try {
      const resolved = await this.fs.realPath(real);
      if (!this.#inside(root, resolved)) throw new PermissionDeniedError(shown);
      return resolved;
    } catch (error) {
      if (codeOf(error) !== "ENOENT") throw errnoToFTPError(error, shown);
    }
    const parent = await this.resolveParent(path);
    const target = `${parent === "/" ? "" : parent}/${path[path.length - 1]}`;
    // A dangling symbolic link: where it points is not ours to create.
    if (await this.fs.lstat(target).then(() => true, () => false)) {
      throw new PermissionDeniedError(shown);
    }
    return target;
  }

  /** The real path of the folder holding `path` (checked), for changes to the name itself. */
  protected async resolveParent(path: readonly string[]): Promise<string> {
    if (path.length === 0) throw new PermissionDeniedError("/");
    try {
      return await this.resolve(path.slice(0, -1));
    } catch (error) {
      if (error instanceof FileNotFoundError) throw new FileNotFoundError(segmentsToPath(path));
      throw error;
    }
  }

  /** The real path of `path` itself, a final symbolic link not followed. */
  protected async resolveName(path: readonly string[]): Promise<string> {
    const parent = await this.resolveParent(path);
    return `${parent === "/" ? "" : parent}/${path[path.length - 1]}`;
  }

  /** Refused: `AnonUserDeniedError`. */
  makeDirectory(_path: readonly string[]): Promise<void> {
    return Promise.reject(new AnonUserDeniedError());
  }

  /** Refused: `AnonUserDeniedError`. */
  removeDirectory(_path: readonly string[]): Promise<void> {
    return Promise.reject(new AnonUserDeniedError());
  }

  /** Refused: `AnonUserDeniedError`. */
  removeFile(_path: readonly string[]): Promise<void> {
    return Promise.reject(new AnonUserDeniedError());
  }

  /** Refused: `AnonUserDeniedError`. */
  rename(_fromPath: readonly string[], _toPath: readonly string[]): Promise<void> {
    return Promise.reject(new AnonUserDeniedError());
  }

  /** Refused: `AnonUserDeniedError`. */
  openForWriting(_path: readonly string[], _options?: OpenForWritingOptions): Promise<IWriteFile> {
    return Promise.reject(new AnonUserDeniedError());
  }

  /** Refused: `AnonUserDeniedError`. */
  chmod(_path: readonly string[], _mode: number): Promise<void> {
    return Promise.reject(new AnonUserDeniedError());
  }

  /** Resolves when `path` is a folder inside the root that can be listed. */
  async access(path: readonly string[]): Promise<void> {
    const shown = segmentsToPath(path);
    const real = await this.resolve(path);
    const info = await this.fs.stat(real).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
    if (!info.isDirectory) throw new IsNotADirectoryError(shown);
    await this.fs.readDir(real).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
  }

  /** Facts about `path` (a link inside the root is followed). */
  async stat(path: readonly string[]): Promise<FTPFileStat> {
    const shown = segmentsToPath(path);
    const real = await this.resolve(path);
    return statOf(
      await this.fs.stat(real).catch((e) => {
        throw errnoToFTPError(e, shown);
      }),
    );
  }

  /**
   * The folder's entries, sorted. A symbolic link to something inside the
   * root shows what it points to; one pointing outside shows as a link.
   */
  async list(path: readonly string[]): Promise<[string, FTPFileStat][]> {
    const shown = segmentsToPath(path);
    const real = await this.resolve(path);
    const names = await this.fs.readDir(real).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
    const entries: [string, FTPFileStat][] = [];
    for (const name of [...names].sort()) {
      try {
        const info = await this.fs.lstat(`${real === "/" ? "" : real}/${name}`);
        if (!info.isSymlink) {
          entries.push([name, statOf(info)]);
          continue;
        }
        try {
          const target = await this.resolve([...path, name]);
          entries.push([name, statOf(await this.fs.stat(target))]);
        } catch {
          entries.push([name, statOf(info, true)]);
        }
      } catch {
        // Removed while listing: left out.
      }
    }
    return entries;
  }

  /** Opens a file for a download, from `offset`. */
  async openForReading(
    path: readonly string[],
    options: OpenForReadingOptions = {},
  ): Promise<IReadFile> {
    const shown = segmentsToPath(path);
    const real = await this.resolve(path);
    const info = await this.fs.stat(real).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
    if (info.isDirectory) throw new IsADirectoryError(shown);
    const file = await this.fs.openFile(real).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
    return new FileReader(file, options.offset ?? 0);
  }
}

/**
 * A user's shell over the folder `root` (Twisted's `FTPShell`): reads and
 * changes files, folders and permissions inside it.
 *
 * @example
 * ```ts
 * import { FTPShell } from "@tw/core/protocols/ftp";
 * const shell = new FTPShell("/home/alice");
 * console.log(shell.writable); // true
 * ```
 */
export class FTPShell extends FTPAnonymousShell {
  /** True: changes are allowed. */
  override get writable(): boolean {
    return true;
  }

  #need<K extends "open" | "rmdir">(name: K): NonNullable<RuntimeFileSystem[K]> {
    const fs = this.fs;
    const op = fs[name];
    if (typeof op !== "function") throw new PermissionDeniedError(`the runtime has no ${name}`);
    return op.bind(fs) as NonNullable<RuntimeFileSystem[K]>;
  }

  /** Creates a folder. */
  override async makeDirectory(path: readonly string[]): Promise<void> {
    const real = await this.resolveName(path);
    await this.fs.mkdir(real).catch((e) => {
      throw errnoToFTPError(e, segmentsToPath(path));
    });
  }

  /** Removes an empty folder. */
  override async removeDirectory(path: readonly string[]): Promise<void> {
    const shown = segmentsToPath(path);
    const real = await this.resolveName(path);
    const info = await this.fs.lstat(real).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
    if (!info.isDirectory) throw new IsNotADirectoryError(shown);
    await this.#need("rmdir")(real).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
  }

  /** Removes a file (or a symbolic link itself). */
  override async removeFile(path: readonly string[]): Promise<void> {
    const shown = segmentsToPath(path);
    const real = await this.resolveName(path);
    const info = await this.fs.lstat(real).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
    if (info.isDirectory) throw new IsADirectoryError(shown);
    await this.fs.remove(real).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
  }

  /** Renames a file or folder (replacing a file at `toPath`). */
  override async rename(fromPath: readonly string[], toPath: readonly string[]): Promise<void> {
    const from = await this.resolveName(fromPath);
    const to = await this.resolveName(toPath);
    await this.fs.lstat(from).catch((e) => {
      throw errnoToFTPError(e, segmentsToPath(fromPath));
    });
    await this.fs.rename(from, to).catch((e) => {
      throw errnoToFTPError(e, segmentsToPath(toPath));
    });
  }

  /** Changes the permission bits. */
  override async chmod(path: readonly string[], mode: number): Promise<void> {
    const real = await this.resolve(path);
    await this.fs.chmod(real, mode & 0o7777).catch((e) => {
      throw errnoToFTPError(e, segmentsToPath(path));
    });
  }

  /**
   * Opens a file for an upload: created or cut to 0 bytes; with `offset`,
   * cut there and written from there; with `append`, written at its end.
   */
  override async openForWriting(
    path: readonly string[],
    options: OpenForWritingOptions = {},
  ): Promise<IWriteFile> {
    const shown = segmentsToPath(path);
    const real = await this.resolve(path);
    const info = await this.fs.stat(real).catch(() => null);
    if (info?.isDirectory) throw new IsADirectoryError(shown);
    const offset = options.offset ?? 0;
    const file = await this.#need("open")(real, {
      write: true,
      create: true,
      truncate: offset === 0 && !options.append,
      mode: 0o666,
    }).catch((e) => {
      throw errnoToFTPError(e, shown);
    });
    try {
      const size = (await file.stat()).size;
      let position = 0;
      if (options.append) position = size;
      else if (offset > 0) {
        if (offset > size) {
          throw new PermissionDeniedError(`${shown}: restart offset ${offset} is past the end`);
        }
        await file.truncate(offset);
        position = offset;
      }
      return new FileWriter(file, position);
    } catch (error) {
      await file.close().catch(() => {});
      throw errnoToFTPError(error, shown);
    }
  }
}
