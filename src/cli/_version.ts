/**
 * The package version `tw --version` prints (kept equal to deno.json's by a test).
 * @module
 */

/** The @tw/core version. */
export const VERSION = "0.1.0";
