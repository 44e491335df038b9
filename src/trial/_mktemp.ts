/**
 * trial's `mktemp` for the runners JavaScript has: a fresh path under a
 * temporary directory that belongs to the current test and is removed, with
 * everything in it, by a cleanup after the test (`addCleanup`).
 *
 * @module
 */
import { getReactor } from "../internet/reactor.ts";
import type { RuntimeFileSystem, RuntimeNetwork } from "../internet/socket.ts";
import { addCleanup } from "./_cleanups.ts";

/** What `mktemp` needs of a runtime: files, and the environment for the temporary directory. */
export type MktempRuntime =
  & Pick<RuntimeFileSystem, "mkdir" | "remove">
  & Pick<RuntimeNetwork, "env">;

/** Options of {@link mktemp}. */
export interface MktempOptions {
  /** The runtime that makes and removes the directory. @default {getReactor().runtime} */
  runtime?: MktempRuntime;
}

let current: { dir: Promise<string>; count: number } | undefined;

/** The system's directory for temporary files: TMPDIR, TMP or TEMP, else /tmp. */
function tempRoot(runtime: MktempRuntime): string {
  const root = runtime.env("TMPDIR") || runtime.env("TMP") || runtime.env("TEMP") || "/tmp";
  return root.replace(/[\\/]+$/, "") || "/";
}

async function makeTestDirectory(runtime: MktempRuntime): Promise<string> {
  const id = crypto.randomUUID().slice(0, 13);
  const dir = `${tempRoot(runtime)}/tw-trial-${id}`;
  await runtime.mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Returns a path that does not exist yet, in a directory made for the current
 * test (trial's `mktemp`): each call gives another name in the same
 * directory, which a cleanup removes after the test with all it holds. The
 * test may create a file or a directory there. Needs `trackCleanups` in the
 * test file, or a `TestCase` (which runs the cleanups itself).
 *
 * @param options the runtime to use
 * @returns the absolute path
 * @example
 * ```ts
 * import { afterEach } from "node:test";
 * import { reactor } from "@tw/core";
 * import { mktemp, trackCleanups } from "@tw/core/trial";
 * trackCleanups({ afterEach });
 * // in a test:
 * const path = await mktemp();
 * await reactor.runtime.writeFile(path, "data"); // gone after the test
 * ```
 */
export async function mktemp(options: MktempOptions = {}): Promise<string> {
  const runtime = options.runtime ?? getReactor().runtime;
  if (current === undefined) {
    const made = { dir: makeTestDirectory(runtime), count: 0 };
    current = made;
    addCleanup(async () => {
      if (current === made) current = undefined;
      let dir: string;
      try {
        dir = await made.dir;
      } catch {
        return; // Never made: nothing to remove.
      }
      await runtime.remove(dir, { recursive: true });
    });
  }
  const made = current;
  made.count += 1;
  const dir = await made.dir;
  return `${dir}/temp-${made.count}`;
}
