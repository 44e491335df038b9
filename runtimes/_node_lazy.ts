/**
 * Node's built-in modules that a program may never need, loaded on first use:
 * `node:tls` alone costs Node about 11 ms to load, and `dgram`, `child_process`,
 * `dns` and `worker_threads` a few more, which a TCP server should not pay at
 * start-up. `require` is synchronous, so callers stay as they are.
 *
 * @module
 */
import { createRequire } from "node:module";
import type * as ChildProcess from "node:child_process";
import type * as Crypto from "node:crypto";
import type * as Dgram from "node:dgram";
import type * as Dns from "node:dns";
import type * as Tls from "node:tls";
import type * as WorkerThreads from "node:worker_threads";
import type * as Zlib from "node:zlib";

const require = createRequire(import.meta.url);

function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => loaded ??= require(name) as T;
}

/** `node:tls`, loaded the first time it is asked for. */
export const nodeTls: () => typeof Tls = lazy("node:tls");
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
/** `node:zlib`, loaded the first time it is asked for. */
export const nodeZlib: () => typeof Zlib = lazy("node:zlib");
