// Files and process facts over node:fs and node:process, which Deno and Bun
// implement too: one implementation of `RuntimeFileSystem` and
// `RuntimeProcess` (in _node_process.ts) for the adapters (none of this is a hot path).
// node:fs is imported on first use: on Deno, loading the node compatibility
// layer costs about 20 ms of start-up, which a program that never reads a
// file should not pay. (The Deno adapter has its own process part.)
import type { Stats } from "node:fs";

type FsPromises = typeof import("node:fs").promises;
let fsPromises: Promise<FsPromises> | undefined;
const nodeFs = (): Promise<FsPromises> =>
  fsPromises ??= import("node:fs").then((module) => module.promises);
import type { FileHandle, FileInfo, RuntimeFileSystem } from "../src/internet/socket.ts";

function info(stats: Stats): FileInfo {
  return {
    isFile: stats.isFile(),
    isDirectory: stats.isDirectory(),
    isSymlink: stats.isSymbolicLink(),
    size: Number(stats.size),
    mtime: stats.mtime ?? null,
    mode: typeof stats.mode === "number" ? stats.mode : null,
  };
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
    const fs = await nodeFs();
    if (!options.sync) {
      await fs.writeFile(path, data, { mode: options.mode, flag: options.exclusive ? "wx" : "w" });
      return;
    }
    const handle = await fs.open(path, options.exclusive ? "wx" : "w", options.mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
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
};
