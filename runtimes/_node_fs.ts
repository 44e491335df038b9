// Files and process facts over node:fs and node:process, which Deno and Bun
// implement too: one implementation of `RuntimeFileSystem` and
// `RuntimeProcess` (in _node_process.ts) for the adapters (none of this is a hot path
// but the durable `writeFile`, one per message a mail server takes in).
// node:fs is imported on first use: on Deno, loading the node compatibility
// layer costs about 20 ms of start-up, which a program that never reads a
// file should not pay. (The Deno adapter has its own process part.)
import type { Stats } from "node:fs";

type FsPromises = typeof import("node:fs").promises;
let fsPromises: Promise<FsPromises> | undefined;
let fsModule: Promise<typeof import("node:fs")> | undefined;
const nodeFsModule = (): Promise<typeof import("node:fs")> => fsModule ??= import("node:fs");
const nodeFs = (): Promise<FsPromises> =>
  fsPromises ??= nodeFsModule().then((module) => module.promises);
import type {
  FileHandle,
  FileInfo,
  FileSystemStats,
  OpenFileOptions,
  RandomAccessFile,
  RuntimeFileSystem,
} from "../src/internet/socket.ts";

function info(stats: Stats): FileInfo {
  return {
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isSymlink: stats.isSymbolicLink(),
    size: Number(stats.size),
    mtime: stats.mtime ?? null,
    mode: typeof stats.mode === "number" ? stats.mode : null,
    atime: stats.atime ?? null,
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    nlink: Number(stats.nlink),
  };
}

/** `open(2)` flags as node:fs takes them, from `OpenFileOptions`. */
function openFlags(fs: typeof import("node:fs"), options: OpenFileOptions): number {
  const c = fs.constants;
  let flags = options.read && options.write
    ? c.O_RDWR
    : options.write || options.append
    ? c.O_WRONLY
    : c.O_RDONLY;
  if (options.append) flags |= c.O_APPEND;
  if (options.create) flags |= c.O_CREAT;
  if (options.truncate) flags |= c.O_TRUNC;
  if (options.create && options.exclusive) flags |= c.O_EXCL;
  return flags;
}

/**
 * open, write, fsync, close as one callback chain: a durable write is the mail
 * server's hot path (one per message), and going through node:fs/promises'
 * FileHandle cost about 20 us more CPU per write on Node, 10 us on Bun.
 */
function writeAndSync(
  fs: typeof import("node:fs"),
  path: string,
  bytes: Uint8Array,
  flag: string,
  mode: number | undefined,
): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(path, flag, mode ?? 0o666, (openError, fd) => {
      if (openError) return reject(openError);
      const finish = (error: Error | null): void => {
        fs.close(fd, (closeError) => {
          const failure = error ?? closeError;
          if (failure) reject(failure);
          else resolve();
        });
      };
      const writeFrom = (offset: number): void => {
        if (offset >= bytes.byteLength) return fs.fsync(fd, finish);
        fs.write(fd, bytes, offset, bytes.byteLength - offset, null, (error, written) => {
          if (error) return finish(error);
          if (written <= 0) return finish(new Error(`write to ${path} made no progress`));
          writeFrom(offset + written);
        });
      };
      writeFrom(0);
    });
  });
}

/** The file-system part of a runtime adapter, over node:fs. */
export const nodeFileSystem: RuntimeFileSystem = {
  async readFile(path: string): Promise<Uint8Array> {
    const data = await (await nodeFs()).readFile(path);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  },
  async writeFile(
    path: string,
    data: Uint8Array | string,
    options: { mode?: number; exclusive?: boolean; sync?: boolean } = {},
  ): Promise<void> {
    if (!options.sync) {
      await (await nodeFs()).writeFile(path, data, {
        mode: options.mode,
        flag: options.exclusive ? "wx" : "w",
      });
      return;
    }
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    await writeAndSync(
      await nodeFsModule(),
      path,
      bytes,
      options.exclusive ? "wx" : "w",
      options.mode,
    );
  },
  async rename(oldPath: string, newPath: string): Promise<void> {
    await (await nodeFs()).rename(oldPath, newPath);
  },
  async mkdir(path: string, options: { mode?: number; recursive?: boolean } = {}): Promise<void> {
    await (await nodeFs()).mkdir(path, { mode: options.mode, recursive: options.recursive });
  },
  async readDir(path: string): Promise<string[]> {
    return (await (await nodeFs()).readdir(path)).sort();
  },
  async stat(path: string): Promise<FileInfo> {
    return info(await (await nodeFs()).stat(path));
  },
  async lstat(path: string): Promise<FileInfo> {
    return info(await (await nodeFs()).lstat(path));
  },
  async realPath(path: string): Promise<string> {
    return await (await nodeFs()).realpath(path);
  },
  async remove(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const fs = await nodeFs();
    if (options.recursive) await fs.rm(path, { recursive: true });
    else await fs.unlink(path);
  },
  async chmod(path: string, mode: number): Promise<void> {
    await (await nodeFs()).chmod(path, mode);
  },
  async openFile(path: string): Promise<FileHandle> {
    const handle = await (await nodeFs()).open(path, "r");
    return {
      async read(buffer: Uint8Array, position: number): Promise<number> {
        const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
        return bytesRead;
      },
      async close(): Promise<void> {
        await handle.close();
      },
    };
  },
  async open(path: string, options: OpenFileOptions): Promise<RandomAccessFile> {
    const fsModule = await import("node:fs");
    const handle = await fsModule.promises.open(
      path,
      openFlags(fsModule, options),
      options.mode ?? 0o666,
    );
    return {
      async read(buffer: Uint8Array, position: number): Promise<number> {
        const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
        return bytesRead;
      },
      async write(data: Uint8Array, position: number): Promise<number> {
        let done = 0;
        while (done < data.byteLength) {
          const { bytesWritten } = await handle.write(
            data,
            done,
            data.byteLength - done,
            position + done,
          );
          if (bytesWritten <= 0) break;
          done += bytesWritten;
        }
        return done;
      },
      async stat(): Promise<FileInfo> {
        return info(await handle.stat());
      },
      async truncate(length: number): Promise<void> {
        await handle.truncate(length);
      },
      async chmod(mode: number): Promise<void> {
        await handle.chmod(mode);
      },
      async chown(uid: number, gid: number): Promise<void> {
        await handle.chown(uid, gid);
      },
      async utimes(atime: number, mtime: number): Promise<void> {
        await handle.utimes(atime, mtime);
      },
      async sync(): Promise<void> {
        await handle.sync();
      },
      async close(): Promise<void> {
        await handle.close();
      },
    };
  },
  async rmdir(path: string): Promise<void> {
    await (await nodeFs()).rmdir(path);
  },
  async symlink(target: string, path: string): Promise<void> {
    await (await nodeFs()).symlink(target, path);
  },
  async readLink(path: string): Promise<string> {
    return await (await nodeFs()).readlink(path);
  },
  async link(existingPath: string, newPath: string): Promise<void> {
    await (await nodeFs()).link(existingPath, newPath);
  },
  async utimes(path: string, atime: number, mtime: number): Promise<void> {
    await (await nodeFs()).utimes(path, atime, mtime);
  },
  async truncate(path: string, length: number): Promise<void> {
    await (await nodeFs()).truncate(path, length);
  },
  async chown(path: string, uid: number, gid: number): Promise<void> {
    await (await nodeFs()).chown(path, uid, gid);
  },
  async statfs(path: string): Promise<FileSystemStats> {
    const stats = await (await nodeFs()).statfs(path);
    return {
      bsize: Number(stats.bsize),
      blocks: Number(stats.blocks),
      bfree: Number(stats.bfree),
      bavail: Number(stats.bavail),
      files: Number(stats.files),
      ffree: Number(stats.ffree),
    };
  },
};
