/**
 * Error helpers for the Deno adapter: every rejection carries Node's `code`
 * names so the core maps errors the same way on every runtime.
 *
 * @module
 */

const CODE_BY_NAME: Record<string, string> = {
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNABORTED",
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
  NotCapable: "EACCES",
  TimedOut: "ETIMEDOUT",
  BrokenPipe: "EPIPE",
  NotConnected: "ENOTCONN",
  AlreadyExists: "EEXIST",
};

/** Returns `error` as an Error whose `code` is Node's name for the failure. */
export function normalizeError(error: unknown): Error {
  const err = error instanceof Error ? error : new Error(String(error));
  const e = err as Error & { code?: unknown };
  if (typeof e.code === "string" && e.code.startsWith("E")) return err;
  let code = CODE_BY_NAME[err.name];
  if (
    code === undefined && /failed to lookup address|Name or service not known/i.test(err.message)
  ) {
    code = "ENOTFOUND";
  }
  if (code === undefined && /os error 104|connection reset/i.test(err.message)) code = "ECONNRESET";
  if (code === undefined && /os error 32|broken pipe/i.test(err.message)) code = "EPIPE";
  if (code !== undefined) {
    try {
      e.code = code;
    } catch {
      const wrapped = new Error(err.message, { cause: err }) as Error & { code?: string };
      wrapped.name = err.name;
      wrapped.code = code;
      return wrapped;
    }
  }
  return err;
}

/**
 * Whether `error` only says the resource was closed under a pending operation,
 * which is what our own `close()` causes and so is not a failure to report.
 */
export function isClosedResource(error: unknown): boolean {
  return error instanceof Error &&
    (error.name === "BadResource" || error.name === "Interrupted");
}

/** Makes an Error with a Node `code`. */
export function codedError(message: string, code: string): Error {
  const err = new Error(message) as Error & { code: string };
  err.code = code;
  return err;
}
