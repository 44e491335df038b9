// Files and process facts over node:fs and node:process, which Deno and Bun
// implement too: one implementation of `RuntimeFileSystem` and
// `RuntimeProcess` for all three adapters (none of this is a hot path).
import { promises as fs } from "node:fs";
import type { Stats } from "node:fs";
import process from "node:process";
import type {
  FileHandle,
  FileInfo,
  RuntimeFileSystem,
  RuntimeProcess,
} from "../src/internet/socket.ts";

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
    const data = await fs.readFile(path);
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  },
  async writeFile(
    path: string,
    data: Uint8Array | string,
    options: { mode?: number } = {},
  ): Promise<void> {
    await fs.writeFile(path, data, { mode: options.mode });
  },
  async readDir(path: string): Promise<string[]> {
    return (await fs.readdir(path)).sort();
  },
  async stat(path: string): Promise<FileInfo> {
    return info(await fs.stat(path));
  },
  async lstat(path: string): Promise<FileInfo> {
    return info(await fs.lstat(path));
  },
  async realPath(path: string): Promise<string> {
    return await fs.realpath(path);
  },
  async remove(path: string): Promise<void> {
    await fs.unlink(path);
  },
  async chmod(path: string, mode: number): Promise<void> {
    await fs.chmod(path, mode);
  },
  async openFile(path: string): Promise<FileHandle> {
    const handle = await fs.open(path, "r");
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

/** The process part of a runtime adapter, over node:process. */
export const nodeProcess: RuntimeProcess = {
  pid: (): number => process.pid,
  processAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: it exists but belongs to someone else.
      return (error as { code?: string }).code === "EPERM";
    }
  },
  cwd: (): string => process.cwd(),
  chdir: (path: string): void => process.chdir(path),
  umask: (mask: number): number => process.umask(mask),
  writeStdout(data: Uint8Array | string): void {
    process.stdout.write(data);
  },
  writeStderr(data: Uint8Array | string): void {
    process.stderr.write(data);
  },
};
