/**
 * One wording for every runtime's network errors. Deno says "Connection
 * refused (os error 111)", Bun "Failed to connect", Node "connect
 * ECONNREFUSED 127.0.0.1:N": the adapters agree on Node's `code` names, and
 * these helpers turn a code into Twisted's error class with one message that
 * names the address and the cause. The runtime's own error stays as `cause`.
 *
 * @module
 */
import { ConnectError, ConnectionRefusedError, DNSLookupError, TimeoutError } from "./error.ts";

/** What each error code means, in the words of our messages. */
const CAUSES: Record<string, string> = {
  EADDRINUSE: "address in use",
  EADDRNOTAVAIL: "address not available",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  ECONNABORTED: "connection aborted",
  EPIPE: "connection closed by peer",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOENT: "no such file or directory",
  ENOTFOUND: "name not found",
  EAI_AGAIN: "temporary failure in name resolution",
};

/** Deno's error names for the same failures (its node-compat layer sets no code). */
const CODES_BY_NAME: Record<string, string> = {
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  PermissionDenied: "EACCES",
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNABORTED",
  TimedOut: "ETIMEDOUT",
  NotFound: "ENOENT",
};

/** The error's Node-style code (from `code`, or Deno's error name), if any. */
export function errorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (typeof code === "string" && code !== "") return code;
  return typeof name === "string" ? CODES_BY_NAME[name] : undefined;
}

/** The cause of a failure in a few words: the meaning of its code, else its message. */
export function causeText(cause: unknown): string {
  if (cause === undefined || cause === null) return "unknown error";
  const code = errorCode(cause);
  if (code !== undefined && CAUSES[code] !== undefined) return CAUSES[code];
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * A failed connect to `where` ("host:port" or a socket path) as Twisted's class
 * for it: `ConnectionRefusedError`, `TimeoutError`, `DNSLookupError` or
 * `ConnectError`, with the message `Cannot connect to WHERE: CAUSE`. A
 * `ConnectError` (ours) is returned as it is.
 */
export function connectErrorFor(where: string, cause: unknown): ConnectError {
  if (cause instanceof ConnectError) return cause;
  const code = errorCode(cause);
  const message = `Cannot connect to ${where}: ${causeText(cause)}`;
  if (code === "ECONNREFUSED") return new ConnectionRefusedError(message, { cause });
  if (code === "ETIMEDOUT" || code === "ERR_TLS_HANDSHAKE_TIMEOUT") {
    return new TimeoutError(message, { cause });
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return dnsLookupErrorFor(where, cause);
  return new ConnectError(message, { cause });
}

/**
 * A failed lookup of `host` as a `DNSLookupError` with the message `DNS lookup
 * failed: HOST: CAUSE`; one that already is a `DNSLookupError` is kept.
 */
export function dnsLookupErrorFor(host: string, cause: unknown): DNSLookupError {
  if (cause instanceof DNSLookupError) return cause;
  return new DNSLookupError(`DNS lookup failed: ${host}: ${causeText(cause)}`, { cause });
}

/**
 * Checks a port number given to a listen (0 picks a free port) or a connect
 * call, throwing `RangeError` at the call rather than failing later.
 */
export function checkPort(port: number, forListening: boolean): void {
  const low = forListening ? 0 : 1;
  if (!Number.isInteger(port) || port < low || port > 65535) {
    throw new RangeError(`Invalid port: ${port} (expected an integer from ${low} to 65535)`);
  }
}
