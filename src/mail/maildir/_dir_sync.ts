/**
 * Group commit for directory entries: a file renamed into `new/` is only on disk
 * once the directory itself is flushed (fsync of the directory), and one flush
 * covers every rename done before it started. A delivery that has renamed its
 * file first waits for the deliveries already writing into the same directory
 * (at most one file flush away), so that one directory flush covers them all,
 * then rides a flush that started after its rename. Private.
 * @module
 */
import type { RuntimeFileSystem } from "../../internet/socket.ts";

interface DirectoryState {
  /** Renames noted so far: a delivery's ticket is the count after its own. */
  renamed: number;
  /** The flush in progress and the renames it covers, or null. */
  running: { covers: number; done: Promise<void> } | null;
  /** The flush that starts when `running` ends, or null. */
  queued: Promise<void> | null;
  /** Deliveries between their start and their rename (or failure). */
  inFlight: Set<Promise<void>>;
}

const states = new WeakMap<RuntimeFileSystem, Map<string, DirectoryState>>();
const MAX_STATES = 1000;

/**
 * Errors saying the directory cannot be flushed here at all (a file system or
 * platform without fsync on directories, a directory that cannot be opened for
 * reading): the delivery then rests on the file's own flush.
 */
const UNSUPPORTED = new Set(["EINVAL", "ENOTSUP", "EOPNOTSUPP", "EISDIR", "EACCES", "EPERM"]);

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null
    ? (error as { code?: string }).code
    : undefined;
}

async function flushOnce(fs: RuntimeFileSystem, dir: string): Promise<void> {
  let handle;
  try {
    handle = await fs.open!(dir, { read: true });
  } catch (error) {
    if (UNSUPPORTED.has(errorCode(error) ?? "")) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!UNSUPPORTED.has(errorCode(error) ?? "")) throw error;
  } finally {
    await handle.close().catch(() => {});
  }
}

function stateOf(fs: RuntimeFileSystem, dir: string): DirectoryState {
  let byDir = states.get(fs);
  if (byDir === undefined) states.set(fs, byDir = new Map());
  let state = byDir.get(dir);
  if (state === undefined) {
    if (byDir.size >= MAX_STATES) {
      for (const [key, s] of byDir) {
        if (s.running === null && s.queued === null && s.inFlight.size === 0) byDir.delete(key);
      }
    }
    state = { renamed: 0, running: null, queued: null, inFlight: new Set() };
    byDir.set(dir, state);
  }
  return state;
}

/** Resolves when a flush of `dir` covering rename number `ticket` has ended. */
function flushCovering(
  fs: RuntimeFileSystem,
  dir: string,
  state: DirectoryState,
  ticket: number,
): Promise<void> {
  if (state.running === null) {
    const running = {
      covers: state.renamed,
      done: flushOnce(fs, dir).finally(() => {
        if (state.running === running) state.running = null;
      }),
    };
    state.running = running;
    return running.done;
  }
  if (state.running.covers >= ticket) return state.running.done;
  // The flush under way started before this rename: wait for the next one,
  // shared by everyone who asks meanwhile.
  state.queued ??= state.running.done.catch(() => {}).then(() => {
    state.queued = null;
    return flushCovering(fs, dir, state, ticket);
  });
  return state.queued;
}

/** One delivery into a directory, from before its file is written to its durable rename. */
export interface DirectoryEntry {
  /** The file was renamed into the directory: resolves once the directory is flushed. */
  committed(): Promise<void>;
  /** The delivery failed before its rename. */
  abandon(): void;
}

/**
 * Starts a delivery into `dir`; call `committed()` after the rename, or
 * `abandon()` when it failed before. On a file system without `open`,
 * `committed()` resolves at once (the file's own flush is all there is).
 * @param fs the runtime's file system
 * @param dir the directory the file is renamed into
 */
export function startEntry(fs: RuntimeFileSystem, dir: string): DirectoryEntry {
  if (typeof fs.open !== "function") {
    return { committed: () => Promise.resolve(), abandon: () => {} };
  }
  const state = stateOf(fs, dir);
  let settle!: () => void;
  const pending = new Promise<void>((resolve) => settle = resolve);
  state.inFlight.add(pending);
  const finish = (): void => {
    state.inFlight.delete(pending);
    settle();
  };
  return {
    async committed(): Promise<void> {
      const ticket = ++state.renamed;
      finish();
      // The deliveries writing now are at most one file flush from their rename:
      // waiting for them lets one directory flush cover them all.
      if (state.inFlight.size > 0) await Promise.all([...state.inFlight]);
      await flushCovering(fs, dir, state, ticket);
    },
    abandon: finish,
  };
}
