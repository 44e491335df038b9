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

/**
 * Base class for connection failures (`twisted.internet.error.ConnectError`).
 *
 * @example
 * ```ts
 * import { Factory, Protocol, reactor } from "@tw/core";
 * import { TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { ConnectError } from "@tw/core/error";
 *
 * const endpoint = new TCP4ClientEndpoint(reactor, "127.0.0.1", 1, { timeout: 5 });
 * await endpoint.connect(Factory.forProtocol(Protocol)).addErrback((f) => {
 *   f.trap(ConnectError); // refused, timed out, DNS failure...: all are ConnectErrors
 *   console.log(f.value.name); // "ConnectionRefusedError"
 *   return null;
 * });
 * ```
 */
export class ConnectError extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "An error occurred while connecting", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}

/**
 * The peer refused the connection (ECONNREFUSED).
 *
 * @example
 * ```ts
 * import { Factory, Protocol, reactor } from "@tw/core";
 * import { TCP4ClientEndpoint } from "@tw/core/endpoints";
 * import { ConnectionRefusedError } from "@tw/core/error";
 *
 * const endpoint = new TCP4ClientEndpoint(reactor, "127.0.0.1", 1); // nothing listens there
 * try {
 *   await endpoint.connect(Factory.forProtocol(Protocol));
 * } catch (e) {
 *   console.log(e instanceof ConnectionRefusedError); // true
 * }
 * ```
 */
export class ConnectionRefusedError extends ConnectError {
  /** Creates the error with an optional detail message. */
  constructor(message = "Connection was refused by other side", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionRefusedError";
  }
}

/**
 * A host name could not be resolved.
 *
 * @example
 * ```ts
 * import { DNSLookupError } from "@tw/core/error";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * const reactor = new MemoryReactor(); // `reactor` from "@tw/core" asks the system resolver
 * reactor.resolve("nowhere.invalid").addErrback((f) => {
 *   f.trap(DNSLookupError);
 *   console.log("no such host"); // no such host
 *   return [];
 * });
 * ```
 */
export class DNSLookupError extends ConnectError {
  /** Creates the error with an optional detail message. */
  constructor(message = "DNS lookup failed", options?: ErrorOptions) {
    super(message, options);
    this.name = "DNSLookupError";
  }
}

/**
 * A connection attempt or an operation took longer than allowed.
 *
 * @example
 * ```ts
 * import { Deferred } from "@tw/core/defer";
 * import { TimeoutError } from "@tw/core/error";
 * import { Clock } from "@tw/core/task";
 *
 * const clock = new Clock();
 * const reply = new Deferred<string>().addTimeout(5, clock);
 * reply.addErrback((f) => {
 *   f.trap(TimeoutError);
 *   console.log(f.getErrorMessage()); // "Deferred timed out after 5 seconds"
 * });
 * clock.advance(5);
 * ```
 */
export class TimeoutError extends ConnectError {
  /** Creates the error with an optional detail message. */
  constructor(message = "User timeout caused connection failure", options?: ErrorOptions) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/**
 * The connection was closed cleanly: the normal end of a connection.
 *
 * @example
 * ```ts
 * import { Deferred, StreamTransport } from "@tw/core";
 * import { ConnectionDone } from "@tw/core/error";
 * import { AccumulatingProtocol, socketPair } from "@tw/core/testing";
 *
 * const [a, b] = socketPair();
 * const server = new AccumulatingProtocol();
 * server.closedDeferred = new Deferred();
 * new StreamTransport(a).attach(server);
 * const client = new StreamTransport(b);
 * client.attach(new AccumulatingProtocol());
 * client.loseConnection();
 * await server.closedDeferred;
 * console.log(server.closedReason?.check(ConnectionDone) !== null); // true
 * ```
 */
export class ConnectionDone extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Connection was closed cleanly", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionDone";
  }
}

/**
 * The connection was lost in a non-clean fashion (reset, aborted, failed).
 *
 * @example
 * ```ts
 * import { Deferred, StreamTransport } from "@tw/core";
 * import { ConnectionDone, ConnectionLost } from "@tw/core/error";
 * import { AccumulatingProtocol, socketPair } from "@tw/core/testing";
 *
 * const [a, b] = socketPair();
 * const server = new AccumulatingProtocol();
 * server.closedDeferred = new Deferred();
 * new StreamTransport(a).attach(server);
 * const client = new StreamTransport(b);
 * client.attach(new AccumulatingProtocol());
 * client.abortConnection(); // the server sees a reset
 * await server.closedDeferred;
 * const reason = server.closedReason!;
 * console.log(reason.check(ConnectionDone, ConnectionLost) === ConnectionLost); // true
 * ```
 */
export class ConnectionLost extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Connection to the other side was lost", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionLost";
  }
}

/**
 * The connection was aborted by this side (`abortConnection`).
 *
 * @example
 * ```ts
 * import { Deferred, StreamTransport } from "@tw/core";
 * import { ConnectionAborted } from "@tw/core/error";
 * import { AccumulatingProtocol, socketPair } from "@tw/core/testing";
 *
 * const [a] = socketPair();
 * const protocol = new AccumulatingProtocol();
 * protocol.closedDeferred = new Deferred();
 * const transport = new StreamTransport(a);
 * transport.attach(protocol);
 * transport.abortConnection();
 * await protocol.closedDeferred;
 * console.log(protocol.closedReason?.value instanceof ConnectionAborted); // true
 * ```
 */
export class ConnectionAborted extends ConnectionLost {
  /** Creates the error with an optional detail message. */
  constructor(message = "Connection was aborted locally", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionAborted";
  }
}

/**
 * An attempt to connect was aborted by the user (`IConnector.stopConnecting`).
 *
 * @example
 * ```ts
 * import { ClientFactory, Failure, type IConnector, Protocol, reactor } from "@tw/core";
 * import { UserError } from "@tw/core/error";
 *
 * class Client extends ClientFactory {
 *   override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
 *     console.log(reason.check(UserError) !== null); // true
 *   }
 * }
 * const connector = reactor.connectTCP("192.0.2.1", 80, Client.forProtocol(Protocol));
 * connector.stopConnecting();
 * ```
 */
export class UserError extends ConnectError {
  /** Creates the error with an optional detail message. */
  constructor(message = "User aborted connection", options?: ErrorOptions) {
    super(message, options);
    this.name = "UserError";
  }
}

/**
 * A port could not be bound; the message names the address and the cause.
 *
 * @example
 * ```ts
 * import { Factory, type IPv4Address, Protocol, reactor } from "@tw/core";
 * import { TCP4ServerEndpoint } from "@tw/core/endpoints";
 * import { CannotListenError } from "@tw/core/error";
 *
 * const factory = Factory.forProtocol(Protocol);
 * const options = { interface: "127.0.0.1" };
 * const first = await new TCP4ServerEndpoint(reactor, 0, options).listen(factory);
 * const { port } = first.getHost() as IPv4Address;
 * try {
 *   await new TCP4ServerEndpoint(reactor, port, options).listen(factory); // the port is taken
 * } catch (e) {
 *   // "Cannot listen on 127.0.0.1:<port>: address in use"
 *   if (e instanceof CannotListenError) console.log(e.port === port, e.message);
 * }
 * await first.stopListening();
 * ```
 */
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

/**
 * `reactor.stop()` was called while the reactor was not running.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { ReactorNotRunning } from "@tw/core/error";
 *
 * try {
 *   reactor.stop(); // run() was never called
 * } catch (e) {
 *   console.log(e instanceof ReactorNotRunning); // true
 * }
 * ```
 */
export class ReactorNotRunning extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Cannot stop a reactor that is not running") {
    super(message);
    this.name = "ReactorNotRunning";
  }
}

/**
 * `reactor.run()` was called while the reactor was already running.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { ReactorAlreadyRunning } from "@tw/core/error";
 *
 * reactor.callWhenRunning(() => {
 *   try {
 *     reactor.run();
 *   } catch (e) {
 *     console.log(e instanceof ReactorAlreadyRunning); // true
 *   }
 *   reactor.stop();
 * });
 * await reactor.run();
 * ```
 */
export class ReactorAlreadyRunning extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Cannot run a reactor that is already running") {
    super(message);
    this.name = "ReactorAlreadyRunning";
  }
}

/**
 * A delayed call was cancelled, reset or delayed after it had run.
 *
 * @example
 * ```ts
 * import { Clock } from "@tw/core/task";
 * import { AlreadyCalled } from "@tw/core/error";
 *
 * const clock = new Clock();
 * const call = clock.callLater(1, () => {});
 * clock.advance(1);
 * try {
 *   call.cancel();
 * } catch (e) {
 *   console.log(e instanceof AlreadyCalled); // true
 * }
 * ```
 */
export class AlreadyCalled extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Tried to change a delayed call that has already been called") {
    super(message);
    this.name = "AlreadyCalled";
  }
}

/**
 * A delayed call was cancelled, reset or delayed after it had been cancelled.
 *
 * @example
 * ```ts
 * import { Clock } from "@tw/core/task";
 * import { AlreadyCancelled } from "@tw/core/error";
 *
 * const clock = new Clock();
 * const call = clock.callLater(1, () => {});
 * call.cancel();
 * try {
 *   call.reset(5);
 * } catch (e) {
 *   console.log(e instanceof AlreadyCancelled); // true
 * }
 * ```
 */
export class AlreadyCancelled extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "Tried to change a delayed call that has already been cancelled") {
    super(message);
    this.name = "AlreadyCancelled";
  }
}

/**
 * A process ended with exit code 0.
 *
 * @example
 * ```ts
 * import { Deferred, type Failure, ProcessProtocol, reactor } from "@tw/core";
 * import { ProcessDone } from "@tw/core/error";
 *
 * const ended = new Deferred<Error>();
 * class Run extends ProcessProtocol {
 *   override processEnded(reason: Failure): void {
 *     ended.callback(reason.value);
 *   }
 * }
 * reactor.spawnProcess(new Run(), "true", ["true"]);
 * console.log((await ended) instanceof ProcessDone); // true
 * ```
 */
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

/**
 * A process ended with a non-zero exit code or was killed by a signal.
 *
 * @example
 * ```ts
 * import { Deferred, type Failure, ProcessProtocol, reactor } from "@tw/core";
 * import { ProcessTerminated } from "@tw/core/error";
 *
 * const ended = new Deferred<Error>();
 * class Run extends ProcessProtocol {
 *   override processEnded(reason: Failure): void {
 *     ended.callback(reason.value);
 *   }
 * }
 * reactor.spawnProcess(new Run(), "sh", ["sh", "-c", "exit 3"]);
 * const error = await ended;
 * if (error instanceof ProcessTerminated) console.log(error.exitCode, error.signal); // 3 null
 * ```
 */
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

/**
 * Something went wrong in the process itself (it could not be started).
 *
 * @example
 * ```ts
 * import { Deferred, ProcessProtocol, reactor } from "@tw/core";
 * import { ProcessExitedAlready } from "@tw/core/error";
 *
 * const ended = new Deferred<void>();
 * class Run extends ProcessProtocol {
 *   override processEnded(): void {
 *     ended.callback(undefined);
 *   }
 * }
 * const transport = reactor.spawnProcess(new Run(), "true", ["true"]);
 * await ended;
 * try {
 *   transport.signalProcess("TERM");
 * } catch (e) {
 *   console.log(e instanceof ProcessExitedAlready); // true
 * }
 * ```
 */
export class ProcessExitedAlready extends Error {
  /** Creates the error with an optional detail message. */
  constructor(message = "The process has already exited") {
    super(message);
    this.name = "ProcessExitedAlready";
  }
}

/**
 * An operation is not supported by the runtime adapter in use.
 *
 * @example
 * ```ts
 * import { ProcessProtocol, reactor } from "@tw/core";
 * import { NotSupportedError } from "@tw/core/error";
 *
 * try {
 *   reactor.spawnProcess(new ProcessProtocol(), "sh", ["sh"], { usePTY: true });
 * } catch (e) {
 *   console.log(e instanceof NotSupportedError); // true
 * }
 * ```
 */
export class NotSupportedError extends Error {
  /** Creates the error naming the runtime and the missing feature. */
  constructor(runtime: string, feature: string, hint?: string) {
    super(`${feature} is not supported on ${runtime}${hint ? `: ${hint}` : ""}`);
    this.name = "NotSupportedError";
  }
}
