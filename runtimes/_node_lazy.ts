/**
 * Node's built-in modules that a program may never need, loaded on first use:
 * `node:tls` alone costs Node about 11 ms to load, and `net`, `fs`, `dgram`,
 * `child_process`, `dns` and `worker_threads` a few more, which a program that
 * only imports @tw/core should not pay at start-up. Loading is synchronous
 * (`process.getBuiltinModule`, or `require` where that is missing), so callers
 * stay as they are; it also skips the ES module namespace that a static
 * `import ... from "node:fs"` builds (which loads all of `fs.promises` and
 * its streams).
 *
 * @module
 */
import type * as ChildProcess from "node:child_process";
import type * as Crypto from "node:crypto";
import type * as Dgram from "node:dgram";
import type * as Dns from "node:dns";
import type * as Fs from "node:fs";
import type * as Net from "node:net";
import type * as Os from "node:os";
import type * as Tls from "node:tls";
import type * as WorkerThreads from "node:worker_threads";
import type * as Zlib from "node:zlib";

/**
 * Node's `process`: a global on Node, Deno and Bun, read without importing
 * `node:process` (whose module namespace costs Node start-up).
 */
export const nodeGlobalProcess = (): NodeJS.Process =>
  (globalThis as unknown as { process: NodeJS.Process }).process;

// process.getBuiltinModule is in Node 20.16+, Deno and Bun; older Node 20s
// take node:module's require (loaded only there). Deno is not asked: reading
// its `process` global starts its Node layer (about 17 ms).
const builtin: (name: string) => unknown = "Deno" in globalThis ||
    nodeGlobalProcess().getBuiltinModule
  ? (name) => nodeGlobalProcess().getBuiltinModule(name)
  : (await import("node:module")).createRequire(import.meta.url);

function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => loaded ??= builtin(name) as T;
}

/** `node:tls`, loaded the first time it is asked for. */
export const nodeTls: () => typeof Tls = lazy("node:tls");
/** `node:net`, loaded the first time it is asked for. */
export const nodeNet: () => typeof Net = lazy("node:net");
/** `node:fs`, loaded the first time it is asked for. */
export const nodeFs: () => typeof Fs = lazy("node:fs");
/** `node:dgram`, loaded the first time it is asked for. */
export const nodeDgram: () => typeof Dgram = lazy("node:dgram");
/** `node:child_process`, loaded the first time it is asked for. */
export const nodeChildProcess: () => typeof ChildProcess = lazy("node:child_process");
/** `node:crypto`, loaded the first time it is asked for. */
export const nodeCrypto: () => typeof Crypto = lazy("node:crypto");
/** `node:dns`, loaded the first time it is asked for. */
export const nodeDns: () => typeof Dns = lazy("node:dns");
/** `node:worker_threads`, loaded the first time it is asked for. */
export const nodeWorkerThreads: () => typeof WorkerThreads = lazy("node:worker_threads");
/** `node:os`, loaded the first time it is asked for. */
export const nodeOs: () => typeof Os = lazy("node:os");
/** `node:zlib`, loaded the first time it is asked for. */
export const nodeZlib: () => typeof Zlib = lazy("node:zlib");
