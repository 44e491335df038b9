/**
 * `node:tls`, loaded on first use: it costs Node about 11 ms to load, which a
 * program that never speaks TLS should not pay at start-up.
 *
 * @module
 */
import { createRequire } from "node:module";
import type * as Tls from "node:tls";

const require = createRequire(import.meta.url);
let loaded: typeof Tls | undefined;

/** The `node:tls` module, loaded the first time it is asked for. */
export function nodeTls(): typeof Tls {
  return loaded ??= require("node:tls") as typeof Tls;
}
