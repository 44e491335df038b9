/**
 * The stub resolver (Twisted's `client.Resolver`): asks the name servers of
 * a resolv.conf and of its `servers` option over UDP, with Twisted's retry
 * sequence, and over TCP when a reply is truncated; or, with `tls`, its
 * `servers` over DNS over TLS (_dot.ts), or with `url` a DNS over HTTPS
 * server (_doh.ts), with the same sequence.
 *
 * @module
 */
import { Deferred, fail, succeed } from "../../internet/defer.ts";
import { Failure } from "../../internet/failure.ts";
import type {
  IListeningPort,
  IReactorNetwork,
  IReactorSSL,
  IReactorTCP,
  IReactorTime,
  IReactorUDP,
} from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import type { DatagramAddress } from "../../internet/protocol.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import { DNSDatagramProtocol, type DNSProtocol, type IDNSController } from "../_protocols.ts";
import { type LookupResult, type LookupTimeout, ResolverBase } from "../common.ts";
import { DNSQueryTimeoutError, ResolverError } from "../error.ts";
import { AXFR, EFORMAT, OK } from "../wire/_constants.ts";
import { type Message, Query } from "../wire/_message.ts";
import { lowerName } from "../wire/_name.ts";
import { DNS_PORT, isIPv4Literal, isIPv6Literal, parseResolvConf } from "./_resolv_conf.ts";
import { exceptionForCode } from "../common.ts";
import { queryTCP, transferZone, ZONE_DEFAULTS } from "./_tcp.ts";
import { DEFAULT_READ_INTERVAL, type FileReader, WatchedFile } from "./_watched_file.ts";
import { DoTClient, type IQueryExchange } from "./_dot.ts";
import { DoHClient } from "./_doh.ts";

const log = new Logger("tw.names.client");

/**
 * What the client resolver needs of a reactor: UDP, TCP, time, and files for
 * resolv.conf; TLS (`connectSSL`) for DNS over TLS, and a whole network
 * reactor (`IReactorNetwork`) for DNS over HTTPS.
 */
export interface ResolverReactor
  extends IReactorTime, IReactorUDP, IReactorTCP, Partial<IReactorSSL> {
  /** The runtime, for reading resolv.conf (`readFile`, `stat`); needed only with `resolv`. */
  readonly runtime?: FileReader;
}

/** Options of the client {@link Resolver}. */
export interface ResolverOptions {
  /** A resolv.conf(5) to take name servers from; read again when it changes. @default none */
  resolv?: string | null;
  /** Name servers as `[address, port]` (IP literals), asked before resolv.conf's. @default [] */
  servers?: readonly (readonly [string, number])[];
  /**
   * Twisted's retry sequence, seconds: each timeout is tried on every server
   * in turn before the next one. @default [1, 3, 11, 45]
   */
  timeout?: readonly number[];
  /** The reactor for sockets, timers and files. @default getReactor() */
  reactor?: ResolverReactor;
  /** Seconds between checks of resolv.conf's mtime (Twisted checks every 60). @default 5 */
  resolvReadInterval?: number;
  /** The UDP payload size advertised with EDNS (RFC 9715's 1232 fits every path). @default 1232 */
  maxSize?: number;
  /** The most records `lookupZone` accepts. @default 100000 */
  maxZoneRecords?: number;
  /** The most bytes `lookupZone` reads. @default 33554432 (32 MiB) */
  maxZoneBytes?: number;
  /** Ask for recursion (RD); an iterative resolver (`root.Resolver`) asks without. @default true */
  recDes?: boolean;
  /**
   * DNS over TLS (RFC 7858) with these settings: each of `servers` (give
   * port 853, DoT's) is asked over one persistent TLS connection, its
   * certificate verified against `ca` (or the system's roots) and
   * `serverName` (default: the server's address) unless `verify` is false.
   * Not with `resolv` (its servers speak plain DNS). With `url`: the
   * settings of its https connections.
   * @default none: plain DNS over UDP and TCP
   */
  tls?: TlsOptions;
  /**
   * DNS over HTTPS (RFC 8484): the URL (`https://host/dns-query`) each query
   * is POSTed to, instead of `servers` and `resolv`.
   * @default none
   */
  url?: string;
  /** Seconds an unused DNS over TLS connection (or a pooled DoH one) stays open. @default 20 */
  idleTimeout?: number;
}

/** The server resolv.conf implies when it names none (glibc's and Twisted's default). */
const LOCAL_SERVER: [string, number] = ["127.0.0.1", DNS_PORT];

/** Twisted's default retry sequence. */
export const DEFAULT_TIMEOUT: readonly number[] = Object.freeze([1, 3, 11, 45]);

const RCODE_NAMES = new Map<number, string>([
  [1, "FORMERR"],
  [2, "SERVFAIL"],
  [3, "NXDOMAIN"],
  [4, "NOTIMP"],
  [5, "REFUSED"],
]);

function checkServer(server: readonly [string, number]): [string, number] {
  const [host, port] = server;
  if (typeof host !== "string" || (!isIPv4Literal(host) && !isIPv6Literal(host))) {
    throw new TypeError(`A name server must be an IP address, not ${JSON.stringify(host)}`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Bad port for the name server ${host}: ${port}`);
  }
  return [host, port];
}

function checkTimeouts(timeouts: readonly number[]): readonly number[] {
  if (timeouts.length === 0) throw new RangeError("The timeout sequence is empty");
  for (const t of timeouts) {
    if (!(t > 0) || !Number.isFinite(t)) throw new RangeError(`Bad timeout: ${t}`);
  }
  return Object.freeze([...timeouts]);
}

function describe(queries: Query[]): string {
  return queries.map((q) => q.toString()).join(", ");
}

/** A server asked: `[address, port]`, or a DNS over HTTPS URL. */
type Target = [string, number] | string;

function describeServer(target: Target): string {
  if (typeof target === "string") return target;
  const [host, port] = target;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The result of a response (Twisted's `filterAnswers`, without the TCP
 * retry): its three sections, or the error for its response code, with the
 * response as `response`.
 */
export function filterAnswers(message: Message): LookupResult {
  if (message.rCode !== OK) {
    const ErrorClass = exceptionForCode(message.rCode);
    const code = RCODE_NAMES.get(message.rCode) ?? `response code ${message.rCode}`;
    const asked = message.queries.length > 0 ? describe(message.queries) : "DNS query";
    throw new ErrorClass(`${asked}: ${code}`, { response: message });
  }
  return [message.answers, message.authority, message.additional];
}

interface InFlight {
  network: Deferred<LookupResult> | null;
  waiters: Set<Deferred<LookupResult>>;
  done: boolean;
}

/**
 * A DNS client resolver (Twisted's `client.Resolver`): asks its `servers`,
 * then those of the resolv.conf `resolv`, following Twisted's retry sequence
 * (each timeout of `timeout`, on every server in turn; then
 * `DNSQueryTimeoutError`).
 *
 * Each attempt goes over UDP from a fresh port with a random id, with EDNS
 * version 0 and a 1232-byte payload size; only a reply from the server asked,
 * with the query's id and question, counts. A truncated reply is asked again
 * over TCP of the same server; a FORMERR reply is asked again once without
 * EDNS. Concurrent lookups of the same question share one query (the first
 * one's timeouts apply; each sharer may cancel alone, and the query stops
 * when all have). Error response codes fail as `exceptionForCode` says
 * (`DNSNameError` for NXDOMAIN ...), with the response as `response`.
 * `cancel()` on a lookup's Deferred (or `d.cancelOn(signal)`) closes its
 * sockets and timers. The search list is not applied to names (as in
 * Twisted): `domain` and `search` are only read.
 *
 * `lookupZone(name, timeout = 10)` transfers a zone (AXFR) over TCP from the
 * first server, reading message after message until the closing SOA, within
 * `maxZoneRecords` and `maxZoneBytes`; a timeout sequence counts as its sum.
 * With `tls` it goes over TLS (XoT, RFC 9103); with `url` it fails.
 *
 * resolv.conf is read through `reactor.runtime` on the first lookup and read
 * again, when its mtime or size changed, at most every `resolvReadInterval`
 * seconds. A resolv.conf without `nameserver` lines (or a missing one) means
 * 127.0.0.1, as for the C library and Twisted.
 *
 * With `tls`, DNS over TLS (RFC 7858): each server gets one persistent TLS
 * connection, made on the first query, made again after it closes, closed
 * after `idleTimeout` seconds without queries; queries are pipelined on it
 * and replies matched by id and question. The certificate is verified (the
 * name: `tls.serverName`, else the server's address) unless `tls.verify` is
 * false. With `url`, DNS over HTTPS (RFC 8484): each query is POSTed as
 * `application/dns-message` with id 0 over the web client's HTTP/1.1, whose
 * pool keeps connections for reuse; a status other than 200 fails with a
 * `ResolverError` naming it. Both send EDNS as over UDP, follow the same
 * retry sequence (a failed connection or handshake, or one that closed,
 * moves on to the next attempt at once; when the last fails so, the lookup
 * fails with a `ResolverError` whose `cause` says why), never fall back to
 * UDP, and take a truncated reply as it is. `close()` closes the connections
 * they keep. A DoH URL naming a host is resolved by the reactor's resolver:
 * do not install a resolver that depends on itself.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { client } from "@tw/core/names";
 *
 * const resolver = new client.Resolver({ resolv: "/etc/resolv.conf", reactor });
 * const [answers] = await resolver.lookupMailExchange("example.com");
 * for (const rr of answers) console.log(rr.toString()); // example.com. 300 IN MX 0 .
 *
 * const pending = resolver.lookupAddress("example.org", [2, 5]);
 * pending.cancelOn(AbortSignal.timeout(1000)); // or pending.cancel(): closes its socket and timers
 * ```
 *
 * @example DNS over TLS and DNS over HTTPS
 * ```ts
 * import { reactor } from "@tw/core";
 * import { client } from "@tw/core/names";
 *
 * const ca = "-----BEGIN CERTIFICATE-----\n..."; // the PEM of the servers' CA, or omit: the system's
 * const dot = new client.Resolver({ servers: [["192.0.2.53", 853]], tls: { ca }, reactor });
 * const doh = new client.Resolver({ url: "https://192.0.2.53/dns-query", tls: { ca }, reactor });
 * const lookUp = async () => {
 *   const [[viaTLS], [viaHTTPS]] = await Promise.all([
 *     dot.lookupAddress("example.com"),
 *     doh.lookupAddress("example.com"),
 *   ]);
 *   console.log(String(viaTLS), String(viaHTTPS));
 *   await Promise.all([dot.close(), doh.close()]); // the kept connections
 * };
 * console.log(typeof lookUp); // "function"
 * ```
 */
export class Resolver extends ResolverBase implements IDNSController {
  /** The servers given to the constructor, asked first. */
  readonly servers: [string, number][];
  /** The servers read from resolv.conf (Twisted's `dynServers`). */
  dynServers: [string, number][] = [];
  /** The retry sequence, seconds. */
  timeout: readonly number[];
  /** The resolv.conf path, or null. */
  readonly resolv: string | null;
  /** resolv.conf's `domain`, or null. */
  domain: string | null = null;
  /** resolv.conf's `search` list, or null. */
  search: string[] | null = null;
  /** The DNS over HTTPS URL, or null. */
  readonly url: string | null;
  readonly #reactor: ResolverReactor;
  /** DoT or DoH, or null for plain DNS. */
  readonly #secure: IQueryExchange | null;
  readonly #tls: TlsOptions | null;
  readonly #resolvFile: WatchedFile | null;
  readonly #maxSize: number;
  readonly #recDes: boolean;
  readonly #zone: { maxRecords: number; maxBytes: number };
  readonly #waiting = new Map<string, InFlight>();
  #configLoaded = false;

  /**
   * Makes a resolver.
   * @throws {ResolverError} when there is neither a server nor a resolv.conf (nor a `url`)
   * @throws {TypeError} for a bad `url`, `url` with servers or resolv.conf, `tls` with
   *   resolv.conf, or a reactor without TLS for `tls` or `url`
   */
  constructor(options: ResolverOptions = {}) {
    super();
    this.servers = (options.servers ?? []).map(checkServer);
    this.resolv = options.resolv ?? null;
    this.url = options.url ?? null;
    if (this.servers.length === 0 && !this.resolv && this.url === null) {
      throw new ResolverError("No name servers: give servers or a resolv.conf");
    }
    this.timeout = checkTimeouts(options.timeout ?? DEFAULT_TIMEOUT);
    this.#reactor = options.reactor ?? getReactor();
    this.#tls = options.tls ?? null;
    this.#secure = this.#secureExchange(options);
    this.#maxSize = options.maxSize ?? 1232;
    this.#recDes = options.recDes ?? true;
    this.#zone = {
      maxRecords: options.maxZoneRecords ?? ZONE_DEFAULTS.maxRecords,
      maxBytes: options.maxZoneBytes ?? ZONE_DEFAULTS.maxBytes,
    };
    this.#resolvFile = this.resolv
      ? new WatchedFile(
        this.resolv,
        this.#reactor,
        options.resolvReadInterval ?? DEFAULT_READ_INTERVAL,
      )
      : null;
  }

  /** The DoT or DoH client the options ask for, or null. */
  #secureExchange(options: ResolverOptions): IQueryExchange | null {
    const reactor = this.#reactor;
    const idleTimeout = options.idleTimeout;
    if (idleTimeout !== undefined && !(idleTimeout > 0)) {
      throw new RangeError(`Bad idle timeout: ${idleTimeout}`);
    }
    if (this.url === null && options.tls === undefined) return null;
    if (typeof reactor.connectSSL !== "function") {
      throw new TypeError("DNS over TLS or HTTPS needs a reactor with connectSSL");
    }
    if (this.url !== null) {
      if (this.servers.length > 0 || this.resolv) {
        throw new TypeError("Give url (DNS over HTTPS) or servers and resolv.conf, not both");
      }
      return new DoHClient(this.url, reactor as unknown as IReactorNetwork, {
        tls: options.tls,
        idleTimeout,
      });
    }
    if (this.resolv) {
      throw new TypeError(
        "DNS over TLS asks the servers given: resolv.conf's name servers speak plain DNS",
      );
    }
    return new DoTClient(reactor as ResolverReactor & IReactorSSL, options.tls!, { idleTimeout });
  }

  /**
   * Closes the connections DNS over TLS and DNS over HTTPS keep open (a
   * query after this opens new ones); fires once they are closed. Nothing
   * to do for plain DNS, whose sockets live as long as their query.
   */
  close(): Deferred<void> {
    return this.#secure?.close() ?? succeed(undefined);
  }

  /**
   * Reads resolv.conf now if it changed (Twisted's `maybeParseConfig`);
   * lookups do this by themselves, at most every `resolvReadInterval` seconds.
   * Fails with `ResolverError` when the file cannot be read (a missing file
   * counts as an empty one).
   */
  maybeParseConfig(): Deferred<void> {
    return this.#ensureConfig(true);
  }

  #ensureConfig(force: boolean): Deferred<void> {
    const file = this.#resolvFile;
    if (file === null) return succeed(undefined);
    return file.check(force).addCallbacks(
      (state): void => {
        if (state.changed || !this.#configLoaded) this.#applyConfig(state.text);
      },
      (failure: Failure): void => {
        const error = new ResolverError(
          `Cannot read ${file.path}: ${failure.getErrorMessage()}`,
          { cause: failure.value },
        );
        if (!this.#configLoaded) throw error;
        log.warn("{message}; the name servers read before stay", { message: error.message });
      },
    );
  }

  #applyConfig(text: string | null): void {
    if (this.#configLoaded) log.info("{path} changed, reparsing", { path: this.resolv });
    const conf = parseResolvConf(text ?? "");
    this.dynServers = conf.servers.length > 0 ? conf.servers : [[...LOCAL_SERVER]];
    this.domain = conf.domain;
    this.search = conf.search;
    this.#configLoaded = true;
  }

  /** Every server, in the order asked: `servers`, then resolv.conf's. */
  #allServers(): [string, number][] {
    return [...this.servers, ...this.dynServers];
  }

  /** What the sequence asks: the servers, or the DoH URL. */
  #targets(): Target[] {
    return this.url !== null ? [this.url] : this.#allServers();
  }

  #timeouts(timeout: LookupTimeout | undefined): readonly number[] {
    if (timeout === undefined) return this.timeout;
    if (typeof timeout === "number") return checkTimeouts([timeout]);
    return timeout.length === 0 ? this.timeout : checkTimeouts(timeout);
  }

  /** The controller's hook: a message that answers no query of ours. */
  messageReceived(
    message: Message,
    _protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): void {
    log.debug("Unexpected message {id} from {address}", {
      id: message.id,
      address: address ? describeServer(address) : "TCP",
    });
  }

  /**
   * Asks `queries` over UDP with the retry sequence (Twisted's `queryUDP`);
   * fires with the first reply, truncated or not, or fails with
   * `DNSQueryTimeoutError`. A FORMERR reply is asked again without EDNS.
   * With `tls` or `url`, over DNS over TLS or HTTPS instead.
   */
  queryUDP(queries: Query[], timeout?: LookupTimeout): Deferred<Message> {
    let timeouts: readonly number[];
    try {
      timeouts = this.#timeouts(timeout);
    } catch (error) {
      return fail(error);
    }
    return this.#ensureConfig(false).addCallback(() => this.#sequence(queries, timeouts, false));
  }

  /**
   * Asks `queries` over TCP of the first server (Twisted's `queryTCP`); fires
   * with the reply. The connection closes after it. With `tls` or `url`, once
   * over DNS over TLS or HTTPS instead (on the connection kept).
   */
  queryTCP(queries: Query[], timeout = 10): Deferred<Message> {
    return this.#ensureConfig(false).addCallback(() => {
      const target = this.#targets()[0];
      if (target === undefined) throw new ResolverError("No name servers to ask");
      if (this.#secure !== null) {
        return this.#secure.query(target, queries, {
          timeout,
          ednsVersion: 0,
          maxSize: this.#maxSize,
          recDes: this.#recDes,
        });
      }
      const server = target as [string, number];
      return queryTCP(this.#reactor, server, queries, {
        timeout,
        ednsVersion: 0,
        maxSize: this.#maxSize,
        recDes: this.#recDes,
      });
    });
  }

  #sequence(queries: Query[], timeouts: readonly number[], followTC: boolean): Deferred<Message> {
    const servers = this.#targets();
    if (servers.length === 0) return fail(new ResolverError("No name servers to ask"));
    const attempts = timeouts.flatMap((t) => servers.map((s) => [s, t] as const));
    const secure = this.#secure;
    let next = 0;
    const attempt = (): Deferred<Message> => {
      const [server, timeout] = attempts[next++];
      return this.#exchange(server, queries, timeout, followTC).addErrback(
        (failure: Failure): Deferred<Message> => {
          const timedOut = failure.check(DNSQueryTimeoutError) !== null;
          if (!timedOut && !secure?.retryable(failure.value)) throw failure;
          if (!timedOut) {
            log.debug("No reply from {server}: {error}", {
              server: describeServer(server),
              error: failure.getErrorMessage(),
            });
          }
          if (next < attempts.length) return attempt();
          const asked = `${describe(queries)} from ${servers.map(describeServer).join(", ")}`;
          if (!timedOut) {
            throw new ResolverError(`No reply to ${asked}: ${failure.getErrorMessage()}`, {
              cause: failure.value,
            });
          }
          const id = (failure.value as DNSQueryTimeoutError).id;
          throw new DNSQueryTimeoutError(
            id,
            `No reply to ${asked} (timeouts ${timeouts.join(", ")} s)`,
          );
        },
      );
    };
    return attempt();
  }

  /**
   * One server, one timeout: UDP, again without EDNS after FORMERR, TCP after
   * TC; or DoT or DoH, again without EDNS after FORMERR.
   */
  #exchange(
    target: Target,
    queries: Query[],
    timeout: number,
    followTC: boolean,
  ): Deferred<Message> {
    const secure = this.#secure;
    if (secure !== null) {
      const ask = (ednsVersion: number | null) =>
        secure.query(target, queries, {
          timeout,
          ednsVersion,
          maxSize: this.#maxSize,
          recDes: this.#recDes,
        });
      return ask(0).addCallback((message): Message | Deferred<Message> => {
        if (message.rCode !== EFORMAT) return message;
        log.debug("FORMERR from {server}: asking again without EDNS", {
          server: describeServer(target),
        });
        return ask(null);
      });
    }
    const server = target as [string, number];
    const overTCP = (edns: number | null) => (message: Message): Message | Deferred<Message> => {
      if (!followTC || !message.trunc) return message;
      log.debug("Truncated reply from {server}: asking over TCP", {
        server: describeServer(server),
      });
      return queryTCP(this.#reactor, server, queries, {
        ednsVersion: edns,
        maxSize: this.#maxSize,
        recDes: this.#recDes,
      });
    };
    return this.#udp(server, queries, timeout, 0).addCallback(
      (message): Message | Deferred<Message> => {
        if (message.rCode !== EFORMAT) return overTCP(0)(message);
        log.debug("FORMERR from {server}: asking again without EDNS", {
          server: describeServer(server),
        });
        return this.#udp(server, queries, timeout, null).addCallback(overTCP(null));
      },
    );
  }

  /** One UDP query from a fresh port, closed when the query ends. */
  #udp(
    server: [string, number],
    queries: Query[],
    timeout: number,
    ednsVersion: number | null,
  ): Deferred<Message> {
    const protocol = new DNSDatagramProtocol(this, { reactor: this.#reactor });
    let port: IListeningPort;
    try {
      const iface = isIPv6Literal(server[0]) ? "::" : "0.0.0.0";
      port = this.#reactor.listenUDP(0, protocol, { interface: iface });
    } catch (error) {
      return fail(error);
    }
    let stopped = false;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      port.stopListening();
    };
    const ready: Deferred<unknown> = port.whenListening ? port.whenListening() : succeed(port);
    return ready
      .addCallback(() =>
        protocol.query(server, queries, {
          timeout,
          ednsVersion,
          maxSize: this.#maxSize,
          recDes: this.#recDes,
        })
      )
      .addBoth((result: Message | Failure): Message => {
        stop();
        if (result instanceof Failure) throw result;
        return result;
      });
  }

  /**
   * Looks `name` up (Twisted's `_lookup`): one query in flight per question;
   * AXFR goes to `lookupZone`'s transfer.
   */
  protected doLookup(
    name: string,
    cls: number,
    type: number,
    timeout?: LookupTimeout,
  ): Deferred<LookupResult> {
    if (type === AXFR) return this.#transfer(name, timeout);
    let timeouts: readonly number[];
    try {
      timeouts = this.#timeouts(timeout);
    } catch (error) {
      return fail(error);
    }
    const key = `${lowerName(name)}\0${type}\0${cls}`;
    let flight = this.#waiting.get(key);
    if (flight === undefined) {
      flight = { network: null, waiters: new Set(), done: false };
      this.#waiting.set(key, flight);
    }
    const shared = flight;
    const waiter: Deferred<LookupResult> = new Deferred<LookupResult>(() => {
      shared.waiters.delete(waiter);
      if (shared.waiters.size === 0 && shared.network !== null && !shared.done) {
        if (this.#waiting.get(key) === shared) this.#waiting.delete(key);
        shared.network.cancel();
      }
    });
    shared.waiters.add(waiter);
    if (shared.network === null) {
      const query = new Query(name, type, cls);
      shared.network = this.#ensureConfig(false)
        .addCallback(() => this.#sequence([query], timeouts, true))
        .addCallback(filterAnswers);
      shared.network.addBoth((result: LookupResult | Failure): null => {
        shared.done = true;
        if (this.#waiting.get(key) === shared) this.#waiting.delete(key);
        for (const d of [...shared.waiters]) {
          shared.waiters.delete(d);
          if (Array.isArray(result)) d.callback([[...result[0]], [...result[1]], [...result[2]]]);
          else d.errback(result);
        }
        return null;
      });
    }
    return waiter;
  }

  /** A zone transfer from the first server. */
  #transfer(name: string, timeout: LookupTimeout | undefined): Deferred<LookupResult> {
    const seconds = timeout === undefined
      ? ZONE_DEFAULTS.timeout
      : typeof timeout === "number"
      ? timeout
      : timeout.reduce((a, b) => a + b, 0) || ZONE_DEFAULTS.timeout;
    return this.#ensureConfig(false)
      .addCallback(() => {
        if (this.url !== null) {
          throw new ResolverError("Zone transfers are not defined over DNS over HTTPS");
        }
        const server = this.#allServers()[0];
        if (server === undefined) throw new ResolverError("No name servers to ask");
        // With tls: over TLS (XoT, RFC 9103), on a connection of its own.
        const tls = this.#tls === null ? {} : { tls: this.#tls };
        return transferZone(this.#reactor, server, name, {
          timeout: seconds,
          ...this.#zone,
          ...tls,
        });
      })
      .addCallback((records): LookupResult => [records, [], []]);
  }
}
