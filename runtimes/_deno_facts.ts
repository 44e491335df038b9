/**
 * The process part of the Deno adapter, over the Deno namespace: the node
 * compatibility layer (node:process) costs Deno about 20 ms to load, which a
 * program should not pay at start-up for `cwd()`. What Deno lacks (signal 0 to
 * probe a process) goes through node's `process`, loaded then.
 *
 * @module
 */
import type { RuntimeProcess } from "../src/internet/socket.ts";

const encoder = new TextEncoder();

function writeAll(out: { writeSync(p: Uint8Array): number }, data: Uint8Array | string): void {
  let bytes = typeof data === "string" ? encoder.encode(data) : data;
  while (bytes.byteLength > 0) bytes = bytes.subarray(out.writeSync(bytes));
}

/** Node's `process`, for what the Deno namespace has no call for. */
function nodeProcess(): { kill(pid: number, signal: number): void } {
  return (globalThis as unknown as { process: { kill(pid: number, signal: number): void } })
    .process;
}

/** `RuntimeProcess` on Deno. */
export const denoProcess: RuntimeProcess = {
  pid: (): number => Deno.pid,
  processAlive(pid: number): boolean {
    try {
      nodeProcess().kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: it exists but belongs to someone else.
      return (error as { code?: string }).code === "EPERM";
    }
  },
  cwd: (): string => Deno.cwd(),
  chdir: (path: string): void => Deno.chdir(path),
  umask: (mask: number): number => Deno.umask(mask),
  writeStdout(data: Uint8Array | string): void {
    writeAll(Deno.stdout, data);
  },
  writeStderr(data: Uint8Array | string): void {
    writeAll(Deno.stderr, data);
  },
  selfCommand: (): string[] => [Deno.execPath(), "run", ...permissionFlags(), Deno.mainModule],
};

const PERMISSIONS = ["read", "write", "net", "env", "run", "sys", "ffi", "import"] as const;

/**
 * The `--allow-*` flags for what this process may do everywhere (`-A` when
 * everything): a worker gets no more than its parent. A permission granted for
 * some paths or hosts only is not passed on.
 */
function permissionFlags(): string[] {
  const granted = PERMISSIONS.filter((name) => {
    try {
      return Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state === "granted";
    } catch {
      return false;
    }
  });
  return granted.length === PERMISSIONS.length ? ["-A"] : granted.map((name) => `--allow-${name}`);
}
