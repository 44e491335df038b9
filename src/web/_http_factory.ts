/**
 * `HTTPFactory` (`twisted.web.http.HTTPFactory`): builds the channels with
 * its settings, tracks the open ones, drains them at shutdown. Re-exported by
 * `http.ts`.
 *
 * @module
 */
import { type Deferred, DeferredList } from "../internet/defer.ts";
import type { IReactorTime } from "../internet/interfaces.ts";
import { type Address, ServerFactory } from "../internet/protocol.ts";
import { getReactor, type IReactorCore, type SystemEventTriggerId } from "../internet/reactor.ts";
import { HTTPChannel, type HTTPFactoryOptions, type RequestFactory } from "./http.ts";
import { setOnClose, slot } from "./_internal.ts";
import { type ResolvedH2Options, resolveH2Options } from "./http2/_settings.ts";

/**
 * Builds `HTTPChannel`s (`twisted.web.http.HTTPFactory`) with its settings,
 * tracks the open ones, and shuts them down gracefully.
 *
 * @example
 * ```ts
 * import { HTTPFactory, HTTPRequest } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * const factory = new HTTPFactory({ timeout: 30, maxHeaders: 50 });
 * factory.requestFactory = (channel) => new HTTPRequest(channel); // 404 for everything
 * const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
 * await port.whenListening();
 * await factory.shutdown(); // graceful: requests in flight are answered first
 * await port.stopListening();
 * ```
 */
export class HTTPFactory extends ServerFactory {
  /** Idle timeout in seconds (`timeOut` of each channel). @default 60 */
  timeOut: number | null;
  /** Seconds to receive a request's head once it started. @default 60 */
  headerTimeout: number | null;
  /** Request read timeout in seconds. @default 300 */
  requestTimeout: number | null;
  /** Seconds in-flight requests get to finish at reactor shutdown. @default 10 */
  shutdownTimeout: number;
  /** Longest request line. @default 8192 */
  maxRequestLineLength: number;
  /** Largest request head. @default 16384 */
  maxHeaderSize: number;
  /** Most header lines. @default 100 */
  maxHeaders: number;
  /** Largest request body. @default 16 MiB */
  maxRequestBodySize: number;
  /** Default `Server` header. @default "tw" */
  serverName: string;
  /** HTTP/2 settings, or false for HTTP/1.1 only. */
  http2: ResolvedH2Options | false;
  /** Makes each request; `Site` sets it to its Request class. */
  requestFactory: RequestFactory | null = null;
  #clock: IReactorTime | null;
  // The open channels, each knowing its index (`[slot]`): a Set costs a
  // bridged request (a channel each) about 250 ns on Deno.
  #open: HTTPChannel[] = [];
  #forget = (channel: HTTPChannel): void => {
    const open = this.#open;
    const at = channel[slot];
    if (at < 0 || open[at] !== channel) return;
    const last = open.pop()!;
    if (last !== channel) {
      open[at] = last;
      last[slot] = at;
    }
    channel[slot] = -1;
  };
  #stopping = false;

  /**
   * Makes a factory.
   * @param options channel settings
   */
  constructor(options: HTTPFactoryOptions = {}) {
    super();
    this.noisy = false;
    this.timeOut = options.timeout === undefined ? 60 : options.timeout;
    this.headerTimeout = options.headerTimeout === undefined ? 60 : options.headerTimeout;
    this.requestTimeout = options.requestTimeout === undefined ? 300 : options.requestTimeout;
    this.shutdownTimeout = options.shutdownTimeout ?? 10;
    this.#clock = options.clock ?? null;
    this.maxRequestLineLength = options.maxRequestLineLength ?? 8192;
    this.maxHeaderSize = options.maxHeaderSize ?? 16384;
    this.maxHeaders = options.maxHeaders ?? 100;
    this.maxRequestBodySize = options.maxRequestBodySize ?? 16 * 1024 * 1024;
    this.serverName = options.serverName ?? "tw";
    this.http2 = options.http2 === false
      ? false
      : resolveH2Options(options.http2 ?? {}, this.maxHeaderSize);
  }

  /**
   * The ALPN protocols TLS ports offer for this factory
   * (`IProtocolNegotiationFactory`): "h2" first unless HTTP/2 is off.
   */
  acceptableProtocols(): string[] {
    return this.http2 === false ? ["http/1.1"] : ["h2", "http/1.1"];
  }

  /** The time source (the installed reactor unless one was given). */
  get clock(): IReactorTime {
    return this.#clock ??= getReactor();
  }

  /** Replaces the time source. */
  set clock(clock: IReactorTime) {
    this.#clock = clock;
  }

  /** A snapshot of the channels currently open. */
  get channels(): ReadonlySet<HTTPChannel> {
    return new Set(this.#open);
  }

  /** Builds a configured channel; refuses connections while shutting down. */
  override buildProtocol(_addr: Address): HTTPChannel | null {
    if (this.#stopping) return null;
    const channel = new ((this.protocol as typeof HTTPChannel | null) ?? HTTPChannel)();
    channel.factory = this;
    channel.site = this;
    channel.requestFactory = this.requestFactory;
    channel.timeOut = this.timeOut;
    channel.headerTimeout = this.headerTimeout;
    channel.requestTimeout = this.requestTimeout;
    channel.clock = this.clock;
    channel.maxRequestLineLength = this.maxRequestLineLength;
    channel.maxHeaderSize = this.maxHeaderSize;
    channel.maxHeaders = this.maxHeaders;
    channel.maxRequestBodySize = this.maxRequestBodySize;
    channel.serverName = this.serverName;
    channel.http2 = this.http2;
    channel[slot] = this.#open.length;
    this.#open.push(channel);
    channel[setOnClose](this.#forget);
    return channel;
  }

  #shutdownTrigger: { core: IReactorCore; id: SystemEventTriggerId } | null = null;

  /**
   * Called when the first port starts listening with this factory: registers
   * a "before shutdown" trigger on the reactor (the factory's clock), so that
   * SIGTERM or `reactor.stop()` drains in-flight requests (`drain()`) before
   * the reactor drops every connection. Twisted leaves this to the program;
   * a server should not lose its requests because its author did not ask.
   */
  override startFactory(): void {
    const core = this.clock as Partial<IReactorCore>;
    if (typeof core.addSystemEventTrigger !== "function") return; // a bare Clock
    const id = core.addSystemEventTrigger("before", "shutdown", () => this.drain());
    this.#shutdownTrigger = { core: core as IReactorCore, id };
  }

  /** Called when the last port stops: removes the shutdown trigger, if it has not run. */
  override stopFactory(): void {
    const trigger = this.#shutdownTrigger;
    this.#shutdownTrigger = null;
    if (trigger === null) return;
    try {
      trigger.core.removeSystemEventTrigger(trigger.id);
    } catch {
      // It already ran: the reactor is shutting down.
    }
  }

  /**
   * `shutdown()`, bounded: connections still open after `shutdownTimeout`
   * seconds are cut (never, when it is `Infinity`). Fires once every
   * connection is closed.
   */
  drain(): Deferred<void> {
    const done = this.shutdown();
    if (!Number.isFinite(this.shutdownTimeout)) return done;
    const cut = this.clock.callLater(this.shutdownTimeout, () => {
      for (const channel of this.#open.slice()) channel.transport?.abortConnection();
    });
    return done.addBoth((result) => {
      if (cut.active()) cut.cancel();
      return result;
    }) as Deferred<void>;
  }

  /**
   * Graceful shutdown of every open connection: new connections are refused,
   * requests in flight are finished, idle connections are closed. Fires once
   * all are closed. The application framework calls this when stopping.
   */
  shutdown(): Deferred<void> {
    this.stopAccepting();
    return new DeferredList(this.#open.map((c) => c.shutdown())).addCallback((): void => {});
  }

  /** Refuses new connections (`buildProtocol` returns null); open ones go on. */
  stopAccepting(): void {
    this.#stopping = true;
  }

  /** Stops refusing connections after `stopAccepting()` or `shutdown()`. */
  resumeAccepting(): void {
    this.#stopping = false;
  }
}
