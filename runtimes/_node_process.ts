// The process part of the node and Bun adapters, over Node's `process` (Deno
// has its own, over the Deno namespace: see _deno_facts.ts). The global, not
// node:process: its module namespace costs Node start-up.
import type { RuntimeProcess } from "../src/internet/socket.ts";
import { nodeGlobalProcess as process } from "./_node_lazy.ts";

/** The process part of a runtime adapter, over Node's `process`. */
export const nodeProcess: RuntimeProcess = {
  pid: (): number => process().pid,
  processAlive(pid: number): boolean {
    try {
      process().kill(pid, 0);
      return true;
    } catch (error) {
      // EPERM: it exists but belongs to someone else.
      return (error as { code?: string }).code === "EPERM";
    }
  },
  cwd: (): string => process().cwd(),
  chdir: (path: string): void => process().chdir(path),
  umask: (mask: number): number => process().umask(mask),
  writeStdout(data: Uint8Array | string): void {
    process().stdout.write(data);
  },
  writeStderr(data: Uint8Array | string): void {
    process().stderr.write(data);
  },
  selfCommand: (): string[] => [process().execPath, ...process().execArgv, process().argv[1]],
};
