/**
 * Error code normalisation for the node adapter: every rejection carries
 * `error.code` with Node's names, whatever node-compat layer produced it.
 *
 * @module
 */

/** getaddrinfo failures that mean "this name does not resolve". */
const NOT_FOUND = new Set(["EAI_NONAME", "EAI_NODATA", "EAI_FAIL", "EAI_AGAIN", "ENODATA"]);

/** Names some node-compat layers use in place of errno codes. */
const BY_NAME: Record<string, string> = {
  AddrInUse: "EADDRINUSE",
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  BrokenPipe: "EPIPE",
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
  TimedOut: "ETIMEDOUT",
};

/** Returns `error` as an Error whose `code` uses Node's names (mutating it where it can). */
export function normalizeError(error: unknown): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  const withCode = e as Error & { code?: unknown };
  const code = withCode.code;
  let wanted: string | undefined;
  if (typeof code === "string" && NOT_FOUND.has(code)) wanted = "ENOTFOUND";
  else if (typeof code !== "string" && BY_NAME[e.name]) wanted = BY_NAME[e.name];
  if (wanted !== undefined) {
    try {
      withCode.code = wanted;
    } catch {
      // A frozen error: wrap it.
      const wrapped = new Error(e.message, { cause: e }) as Error & { code?: string };
      wrapped.code = wanted;
      return wrapped;
    }
  }
  return e;
}
