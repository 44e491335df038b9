/**
 * The error classes of `twisted.internet.error`: what a connection, a listener,
 * the reactor or a process reports when something ends or fails.
 *
 * @example
 * ```ts
 * import { ConnectionDone } from "@tw/core/error";
 * const reason = new ConnectionDone();
 * console.log(reason.name); // "ConnectionDone"
 * ```
 * @module
 */
import { causeText } from "./_error_causes.ts";

/** Base class for connection failures (`twisted.internet.error.ConnectError`). */
export class ConnectError extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "An error occurred while connecting", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}

/** The peer refused the connection (ECONNREFUSED). */
export class ConnectionRefusedError extends ConnectError {
  /** Creates the error with an optional detail message. */
  constructor(message = "Connection was refused by other side", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionRefusedError";
  }
}

/** A host name could not be resolved. */
export class DNSLookupError extends ConnectError {
  /** Creates the error with an optional detail message. */
  constructor(message = "DNS lookup failed", options?: ErrorOptions) {
    super(message, options);
    this.name = "DNSLookupError";
  }
}

/** A connection attempt or an operation took longer than allowed. */
export class TimeoutError extends ConnectError {
  /** Creates the error with an optional detail message. */
  constructor(message = "User timeout caused connection failure", options?: ErrorOptions) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/** The connection was closed cleanly: the normal end of a connection. */
export class ConnectionDone extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Connection was closed cleanly", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionDone";
  }
}

/** The connection was lost in a non-clean fashion (reset, aborted, failed). */
export class ConnectionLost extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Connection to the other side was lost", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionLost";
  }
}

/** The connection was aborted by this side (`abortConnection`). */
export class ConnectionAborted extends ConnectionLost {
  /** Creates the error with an optional detail message. */
  constructor(message = "Connection was aborted locally", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionAborted";
  }
}

/** An attempt to connect was aborted by the user (`IConnector.stopConnecting`). */
export class UserError extends ConnectError {
  /** Creates the error with an optional detail message. */
  constructor(message = "User aborted connection", options?: ErrorOptions) {
    super(message, options);
    this.name = "UserError";
  }
}

/** A port could not be bound; the message names the address and the cause. */
export class CannotListenError extends Error {
  /** The interface that could not be bound ("" for all). */
  readonly interface: string;
  /** The port (or Unix socket path) that could not be bound. */
  readonly port: number | string;
  /** Creates the error for an address and the underlying cause. */
  constructor(iface: string, port: number | string, cause?: unknown) {
    const where = typeof port === "number" ? `${iface || "0.0.0.0"}:${port}` : port;
    super(`Cannot listen on ${where}: ${causeText(cause)}`, { cause });
    this.name = "CannotListenError";
    this.interface = iface;
    this.port = port;
  }
}

/** `reactor.stop()` was called while the reactor was not running. */
export class ReactorNotRunning extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Cannot stop a reactor that is not running") {
    super(message);
    this.name = "ReactorNotRunning";
  }
}

/** `reactor.run()` was called while the reactor was already running. */
export class ReactorAlreadyRunning extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Cannot run a reactor that is already running") {
    super(message);
    this.name = "ReactorAlreadyRunning";
  }
}

/** A delayed call was cancelled, reset or delayed after it had run. */
export class AlreadyCalled extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Tried to change a delayed call that has already been called") {
    super(message);
    this.name = "AlreadyCalled";
  }
}

/** A delayed call was cancelled, reset or delayed after it had been cancelled. */
export class AlreadyCancelled extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Tried to change a delayed call that has already been cancelled") {
    super(message);
    this.name = "AlreadyCancelled";
  }
}

/** A process ended with exit code 0. */
export class ProcessDone extends Error {
  /** Always 0. */
  readonly exitCode: number = 0;
  /** Always null: a process that exits normally was not signalled. */
  readonly signal: string | null = null;
  /** Creates the error for a clean process exit. */
  constructor(message = "A process has ended without apparent errors") {
    super(message);
    this.name = "ProcessDone";
  }
}

/** A process ended with a non-zero exit code or was killed by a signal. */
export class ProcessTerminated extends Error {
  /** The exit code, or null when a signal ended the process. */
  readonly exitCode: number | null;
  /** The signal's name (`"SIGTERM"`), or null when the process exited. */
  readonly signal: string | null;
  /** Creates the error from an exit code or a signal. */
  constructor(exitCode: number | null, signal: string | null = null) {
    const how = signal ? `was killed by signal ${signal}` : `ended with exit code ${exitCode}`;
    super(`A process has ended with a probable error condition: process ${how}`);
    this.name = "ProcessTerminated";
    this.exitCode = exitCode;
    this.signal = signal;
  }
}

/** Something went wrong in the process itself (it could not be started). */
export class ProcessExitedAlready extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "The process has already exited") {
    super(message);
    this.name = "ProcessExitedAlready";
  }
}

/** An operation is not supported by the runtime adapter in use. */
export class NotSupportedError extends Error {
  /** Creates the error naming the runtime and the missing feature. */
  constructor(runtime: string, feature: string, hint?: string) {
    super(`${feature} is not supported on ${runtime}${hint ? `: ${hint}` : ""}`);
    this.name = "NotSupportedError";
  }
}

