/**
 * Secondary zones (twisted.names.secondary): `SecondaryAuthority`, a zone
 * copied from its primary by zone transfer and kept fresh by the SOA's
 * timers and NOTIFY, and `SecondaryAuthorityService`, which runs several.
 * Private to src/names; `secondary.ts` is the public face.
 *
 * @module
 */
import { Service } from "../../application/_service.ts";
import { CancelledError, Deferred, fail } from "../../internet/defer.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IDelayedCall, IReactorTime } from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import { ResolverChain } from "../client/_chain.ts";
import { Resolver, type ResolverReactor } from "../client/_resolver.ts";
import type { IResolver, LookupResult } from "../common.ts";
import { DomainError, ResolverError, ZoneUnavailableError } from "../error.ts";
import { ANY, IN, SOA } from "../wire/_constants.ts";
import type { RRHeader } from "../wire/_message.ts";
import { Name } from "../wire/_name.ts";
import type { Record_SOA } from "../wire/_records.ts";
import { addressBytes, sameAddress } from "./_acl.ts";
import { FileAuthority, type FileAuthorityOptions, type ZoneItem } from "./_authority.ts";
import { compareSerials } from "./_ixfr.ts";
import { nameKey } from "./_zone.ts";

const log = new Logger("tw.names");

/** Where the primary is: an IP address (port 53, or the `port` option), or `[address, port]`. */
export type PrimaryAddress = string | readonly [host: string, port: number];

/**
 * What a refresh did: `"transferred"` a newer zone, found the zone
 * `"current"`, or `"failed"` (logged; retried after the SOA's retry time).
 */
export type RefreshResult = "transferred" | "current" | "failed";

/** What a secondary asks its primary through: the SOA, and the zone transfer (AXFR). */
export type SecondaryResolver = Pick<IResolver, "lookupAuthority" | "lookupZone">;

/** Options of `SecondaryAuthority` (and of each zone of a `SecondaryAuthorityService`). */
export interface SecondaryAuthorityOptions extends FileAuthorityOptions {
  /** The primary's port, when `primary` is an address alone. @default 53 */
  port?: number;
  /**
   * The reactor for the timers and, unless `resolver` is given, the SOA
   * queries (UDP) and transfers (TCP). @default getReactor()
   */
  reactor?: IReactorTime;
  /**
   * What asks the primary: `lookupAuthority` for its SOA, `lookupZone` for
   * the transfer. @default a client `Resolver` asking the primary alone
   */
  resolver?: SecondaryResolver;
  /** Seconds a zone transfer may take. @default 60 */
  transferTimeout?: number;
  /**
   * Seconds before trying again when no transfer has succeeded yet (there is
   * no SOA retry time to follow): doubled after each failure, up to an hour.
   * @default 10
   */
  firstRetry?: number;
  /** Called after each transfer that installed a new version of the zone. @default none */
  onUpdate?: (authority: SecondaryAuthority) => void;
}

const WEEK = 7 * 24 * 3600;
/** nsd's bounds on the SOA timers (max-refresh-time, max-retry-time); BIND's on expire. */
const MAX_REFRESH = 4 * WEEK, MAX_RETRY = 2 * WEEK, MAX_EXPIRE = 24 * WEEK;
/** The SOA query's retry sequence, seconds. */
const SOA_TIMEOUTS = [2, 4, 8];

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

function parsePrimary(primary: PrimaryAddress, port: number | undefined): [string, number] {
  let [host, at] = typeof primary === "string" ? [primary, port ?? 53] : primary;
  if (typeof host !== "string" || addressBytes(host) === null) {
    throw new TypeError(`The primary must be an IP address, not ${JSON.stringify(host)}`);
  }
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (!Number.isInteger(at) || at < 1 || at > 65535) {
    throw new RangeError(`Bad port for the primary ${host}: ${at}`);
  }
  return [host, at];
}

function describe(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * A secondary zone (Twisted's `secondary.SecondaryAuthority`): an
 * authority answering, as `FileAuthority` does, from the zone it transferred
 * (AXFR, RFC 5936) from its primary.
 *
 * `start()` transfers the zone, then follows its SOA's timers (RFC 1034
 * s4.3.5; Twisted transfers every hour and ignores them): every `refresh`
 * seconds it asks the primary's SOA and transfers only when the serial is
 * newer (RFC 1982 arithmetic); after a failure it tries again after `retry`
 * seconds; `expire` seconds after the last successful refresh the zone
 * expires and every query in it gets SERVFAIL (a `ZoneUnavailableError`,
 * as nsd and BIND answer) until a refresh succeeds. Before the first
 * transfer, queries in the zone get SERVFAIL too (Twisted lets the chain go
 * on), and failures are retried after `firstRetry` seconds, doubling. A
 * NOTIFY (RFC 1996) from the primary refreshes at once
 * (`DNSServerFactory` calls `notifyReceived`); one from elsewhere is refused.
 * Each transfer also keeps the differences from the last version, so the
 * zone can be served by IXFR in turn.
 *
 * @example
 * ```ts
 * import { DNSServerFactory, SecondaryAuthority } from "@tw/core/names";
 *
 * const zone = new SecondaryAuthority(["192.0.2.53", 53], "example.com");
 * const factory = new DNSServerFactory({ authorities: [zone] });
 * zone.start(); // transfers, then refreshes as the SOA says; NOTIFY to factory refreshes too
 * // ... serve factory over UDP and TCP, then:
 * zone.stop();
 * ```
 */
export class SecondaryAuthority extends FileAuthority {
  /** The primary's IP address (Twisted's `primary`). */
  readonly primary: string;
  /** The primary's port (Twisted's `_port`). */
  readonly port: number;
  /** The zone's name (Twisted's `domain`), without the final dot. */
  readonly domain: string;
  readonly #reactor: IReactorTime;
  readonly #resolver: SecondaryResolver;
  readonly #transferTimeout: number;
  readonly #firstRetry: number;
  readonly #onUpdate: ((authority: SecondaryAuthority) => void) | undefined;
  #running = false;
  #busy = false;
  #expired = false;
  #changes = 0;
  #failures = 0;
  #lastRefresh: number | null = null;
  #timer: IDelayedCall | null = null;
  #expireTimer: IDelayedCall | null = null;
  #pending: Deferred<unknown> | null = null;
  #waiters: Deferred<RefreshResult>[] = [];
  #later: Deferred<RefreshResult>[] = [];
  #again: boolean | null = null;

  /**
   * Makes the authority for `domain`, copied from `primary`; it holds no
   * zone until `start()` (or `refresh()`) transfers one.
   * @throws TypeError when `primary` is no IP address; RangeError for a bad port
   */
  constructor(primary: PrimaryAddress, domain: string, options: SecondaryAuthorityOptions = {}) {
    super(undefined, options);
    [this.primary, this.port] = parsePrimary(primary, options.port);
    this.domain = new Name(domain).name;
    this.#reactor = options.reactor ?? getReactor();
    this.#transferTimeout = options.transferTimeout ?? 60;
    this.#firstRetry = options.firstRetry ?? 10;
    this.#onUpdate = options.onUpdate;
    if (options.resolver !== undefined) this.#resolver = options.resolver;
    else {
      const reactor = this.#reactor as Partial<ResolverReactor>;
      if (typeof reactor.listenUDP !== "function" || typeof reactor.connectTCP !== "function") {
        throw new TypeError("A SecondaryAuthority needs a reactor with UDP and TCP, or a resolver");
      }
      this.#resolver = new Resolver({
        servers: [[this.primary, this.port]],
        reactor: reactor as ResolverReactor,
        timeout: SOA_TIMEOUTS,
      });
    }
  }

  /**
   * The authority for `domain` copied from `serverAddress` (Twisted's
   * `fromServerAddressAndDomain`).
   *
   * @example
   * ```ts
   * import { SecondaryAuthority } from "@tw/core/names";
   *
   * const zone = SecondaryAuthority.fromServerAddressAndDomain(["192.0.2.53", 5353], "example.com");
   * console.log(zone.primary, zone.port, zone.domain); // 192.0.2.53 5353 example.com
   * ```
   */
  static fromServerAddressAndDomain(
    serverAddress: readonly [host: string, port: number],
    domain: string,
    options: SecondaryAuthorityOptions = {},
  ): SecondaryAuthority {
    return new SecondaryAuthority(serverAddress, domain, options);
  }

  /** Changes with every zone installed, and when the zone expires or comes back. */
  override get generation(): number {
    return super.generation + this.#changes;
  }

  /** True while the zone is expired: its queries get SERVFAIL. */
  get expired(): boolean {
    return this.#expired;
  }

  /** True while a refresh or transfer runs (Twisted's `transferring`). */
  get transferring(): boolean {
    return this.#busy;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Starts keeping the zone: refreshes now (a transfer when there is no zone
   * yet), then as the SOA's timers say. The expiry counts from the last
   * successful refresh, also across a `stop()`.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const soa = this.soa?.[1];
    if (soa !== undefined && this.#lastRefresh !== null) {
      const left = this.#expireDelay(soa) - (this.#reactor.seconds() - this.#lastRefresh);
      if (left <= 0) this.#expire();
      else this.#expireTimer = this.#reactor.callLater(left, () => this.#expire());
    }
    if (!this.#busy) this.#run(false);
  }

  /** Stops the timers and any refresh under way; the zone stays and goes on answering. */
  stop(): void {
    this.#running = false;
    this.#cancelTimers();
    const pending = this.#pending;
    this.#pending = null;
    pending?.cancel();
  }

  /**
   * Refreshes now (RFC 1034 s4.3.5): asks the primary's SOA and transfers
   * the zone when its serial is newer than ours (at once when we hold
   * none). Fires with what it did, never fails (a failure is logged). A
   * refresh asked while one runs runs again after it (RFC 1996 s4.4).
   */
  refresh(): Deferred<RefreshResult> {
    return this.#request(false);
  }

  /**
   * Transfers the zone now, whatever the serials (Twisted's `transfer`).
   * Fires once done; a failure is logged.
   */
  transfer(): Deferred<void> {
    return this.#request(true).addCallback(() => undefined);
  }

  /**
   * A NOTIFY for the zone came from `host` (RFC 1996 s3.10): refreshes when
   * `host` is the primary and returns true; returns false otherwise (the
   * server then refuses it).
   */
  notifyReceived(host: string | null): boolean {
    if (host === null || !sameAddress(host, this.primary)) return false;
    log.info("NOTIFY for {zone} from its primary {primary}: refreshing", {
      zone: this.domain,
      primary: this.primary,
    });
    this.refresh();
    return true;
  }

  /** Answers from the zone once transferred and while not expired. */
  protected override doLookup(name: string, cls: number, type: number): Deferred<LookupResult> {
    const problem = this.#unavailable(name, cls);
    return problem === null ? super.doLookup(name, cls, type) : fail(problem);
  }

  /** IXFR (see `FileAuthority`), once transferred and while not expired. */
  override lookupIncrementalZone(name: string, serial: number): Deferred<LookupResult> {
    const problem = this.#unavailable(name, IN);
    return problem === null ? super.lookupIncrementalZone(name, serial) : fail(problem);
  }

  #unavailable(name: string, cls: number): Error | null {
    if ((cls !== IN && cls !== ANY) || !new Name(name).isSubdomainOf(this.domain)) {
      return new DomainError(`${name || "."}: not in the zone ${this.domain || "."}`);
    }
    const from = describe(this.primary, this.port);
    if (this.soa === null) {
      return new ZoneUnavailableError(`${this.domain}: not transferred from ${from} yet`);
    }
    if (this.#expired) {
      return new ZoneUnavailableError(`${this.domain}: expired, no refresh from ${from}`);
    }
    return null;
  }

  #request(force: boolean): Deferred<RefreshResult> {
    const waiter = new Deferred<RefreshResult>();
    if (this.#busy) {
      this.#later.push(waiter);
      this.#again = (this.#again ?? false) || force;
      return waiter;
    }
    this.#waiters.push(waiter);
    this.#run(force);
    return waiter;
  }

  #run(force: boolean): void {
    this.#busy = true;
    if (this.#timer?.active()) this.#timer.cancel();
    this.#timer = null;
    const ours = this.soa?.[1].serial ?? null;
    let step: Deferred<RefreshResult>;
    if (force || ours === null) step = this.#axfr(null);
    else {
      const asked = this.#resolver.lookupAuthority(this.domain);
      this.#pending = asked;
      step = asked.addCallback((result) => {
        const serial = this.#serialIn(result);
        if (!(compareSerials(serial, ours) > 0)) return "current";
        return this.#axfr(ours);
      });
    }
    step.addCallbacks(
      (result) => this.#done(result, null),
      (failure: Failure) => this.#done("failed", failure),
    );
  }

  #serialIn([answers]: LookupResult): number {
    const key = nameKey(new Name(this.domain));
    const rr = answers.find((rr) => rr.type === SOA && nameKey(rr.name) === key);
    if (rr?.payload == null) {
      throw new ResolverError(
        `${describe(this.primary, this.port)} gave no SOA record for ${this.domain}`,
      );
    }
    return (rr.payload as Record_SOA).serial;
  }

  #axfr(ours: number | null): Deferred<RefreshResult> {
    const transfer = this.#resolver.lookupZone(this.domain, this.#transferTimeout);
    this.#pending = transfer;
    return transfer.addCallback(([records]): RefreshResult => {
      this.#install(records, ours);
      return "transferred";
    });
  }

  #install(records: RRHeader[], ours: number | null): void {
    const from = describe(this.primary, this.port);
    const first = records[0];
    const key = nameKey(new Name(this.domain));
    if (first?.type !== SOA || first.payload === null || nameKey(first.name) !== key) {
      throw new ResolverError(
        `The zone transfer of ${this.domain} from ${from} does not start with its SOA`,
      );
    }
    const serial = (first.payload as Record_SOA).serial;
    if (ours !== null && !(compareSerials(serial, ours) > 0)) {
      throw new ResolverError(
        `The zone transfer of ${this.domain} from ${from} has serial ${serial}, not newer than ${ours}`,
      );
    }
    const last = records.length > 1 && records.at(-1)!.type === SOA
      ? records.length - 1
      : undefined;
    const items: ZoneItem[] = [];
    for (const rr of records.slice(0, last)) {
      if (rr.cls !== IN || rr.payload === null) continue;
      rr.payload.ttl = rr.ttl; // as the transfer gave it (Twisted's decoder does the same)
      items.push([rr.name, rr.payload]);
    }
    this.loadZone(items);
    log.info("Transferred zone {zone} (serial {serial}, {count} records) from {primary}", {
      zone: this.domain,
      serial,
      count: items.length,
      primary: from,
    });
    try {
      this.#onUpdate?.(this);
    } catch (error) {
      log.failure("The onUpdate callback of zone {zone} failed", error, "error", {
        zone: this.domain,
      });
    }
  }

  #done(result: RefreshResult, failure: Failure | null): void {
    this.#busy = false;
    this.#pending = null;
    const soa = this.soa?.[1] ?? null;
    if (result === "failed") {
      this.#failures++;
      if (failure !== null && failure.check(CancelledError) === null) {
        log.warn("Refresh of zone {zone} from {primary} failed: {error}", {
          zone: this.domain,
          primary: describe(this.primary, this.port),
          error: failure.getErrorMessage(),
        });
      }
    } else {
      this.#failures = 0;
      this.#lastRefresh = this.#reactor.seconds();
      if (this.#expireTimer?.active()) this.#expireTimer.cancel();
      this.#expireTimer = null;
      if (this.#running && soa !== null) {
        this.#expireTimer = this.#reactor.callLater(this.#expireDelay(soa), () => this.#expire());
      }
      if (this.#expired) {
        this.#expired = false;
        this.#changes++;
        log.info("Zone {zone} is fresh again: answering", { zone: this.domain });
      }
    }
    if (this.#running) {
      const delay = result === "failed" ? this.#retryDelay(soa) : this.#refreshDelay(soa!);
      this.#timer = this.#reactor.callLater(delay, () => {
        this.#timer = null;
        if (!this.#busy) this.#run(false);
      });
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    if (this.#again !== null) {
      const force = this.#again;
      this.#again = null;
      this.#waiters = this.#later;
      this.#later = [];
      this.#run(force);
    }
    for (const waiter of waiters) waiter.callback(result);
  }

  #refreshDelay(soa: Record_SOA): number {
    return clamp(soa.refresh, 1, MAX_REFRESH);
  }

  #retryDelay(soa: Record_SOA | null): number {
    if (soa !== null) return clamp(soa.retry, 1, MAX_RETRY);
    return Math.min(this.#firstRetry * 2 ** Math.min(this.#failures - 1, 20), 3600);
  }

  #expireDelay(soa: Record_SOA): number {
    const floor = this.#refreshDelay(soa) + this.#retryDelay(soa);
    return clamp(soa.expire, floor, Math.max(floor, MAX_EXPIRE));
  }

  #expire(): void {
    this.#expireTimer = null;
    if (this.#expired) return;
    this.#expired = true;
    this.#changes++;
    log.warn("Zone {zone} expired: no refresh from {primary}; answering SERVFAIL", {
      zone: this.domain,
      primary: describe(this.primary, this.port),
    });
  }

  #cancelTimers(): void {
    for (const timer of [this.#timer, this.#expireTimer]) {
      if (timer?.active()) timer.cancel();
    }
    this.#timer = null;
    this.#expireTimer = null;
  }
}

/**
 * A service keeping secondary zones from one primary (Twisted's
 * `secondary.SecondaryAuthorityService`): starting it starts each zone's
 * refreshes (one second apart, as Twisted), stopping it stops them. Serve
 * `domains` (each a `SecondaryAuthority`) from a `DNSServerFactory`, or
 * `getAuthority()`, the chain of them.
 *
 * @example
 * ```ts
 * import { DNSServerFactory, SecondaryAuthorityService } from "@tw/core/names";
 *
 * const service = SecondaryAuthorityService.fromServerAddressAndDomains(
 *   ["192.0.2.53", 53],
 *   ["example.com", "example.net"],
 * );
 * const factory = new DNSServerFactory({ authorities: service.domains });
 * console.log(service.domains.map((zone) => zone.domain)); // [ "example.com", "example.net" ]
 * // service.setServiceParent(application): started and stopped with it
 * ```
 */
export class SecondaryAuthorityService extends Service {
  /** The primary's IP address. */
  readonly primary: string;
  /** The primary's port. */
  readonly port: number;
  /** A secondary zone per domain. */
  readonly domains: SecondaryAuthority[];
  readonly #reactor: IReactorTime;
  #calls: IDelayedCall[] = [];

  /**
   * Makes the zones, each with `options`.
   * @throws TypeError when `primary` is no IP address
   */
  constructor(
    primary: PrimaryAddress,
    domains: Iterable<string>,
    options: SecondaryAuthorityOptions = {},
  ) {
    super();
    [this.primary, this.port] = parsePrimary(primary, options.port);
    this.#reactor = options.reactor ?? getReactor();
    this.domains = [...domains].map((domain) => {
      return new SecondaryAuthority([this.primary, this.port], domain, options);
    });
  }

  /**
   * The service for `domains` copied from `serverAddress` (Twisted's
   * `fromServerAddressAndDomains`).
   *
   * @example
   * ```ts
   * import { SecondaryAuthorityService } from "@tw/core/names";
   *
   * const service = SecondaryAuthorityService.fromServerAddressAndDomains(
   *   ["192.0.2.53", 5353],
   *   ["example.com"],
   * );
   * console.log(service.primary, service.port); // 192.0.2.53 5353
   * ```
   */
  static fromServerAddressAndDomains(
    serverAddress: readonly [host: string, port: number],
    domains: Iterable<string>,
    options: SecondaryAuthorityOptions = {},
  ): SecondaryAuthorityService {
    return new SecondaryAuthorityService(serverAddress, domains, options);
  }

  /** The zones as one resolver (Twisted's `getAuthority`, a `ResolverChain`). */
  getAuthority(): ResolverChain {
    return new ResolverChain(this.domains);
  }

  /** Starts each zone, one second after the one before. */
  override startService(): void {
    super.startService();
    this.domains.forEach((zone, i) => {
      if (i === 0) zone.start();
      else this.#calls.push(this.#reactor.callLater(i, () => zone.start()));
    });
  }

  /** Stops each zone. */
  override stopService(): void {
    super.stopService();
    for (const call of this.#calls.splice(0)) if (call.active()) call.cancel();
    for (const zone of this.domains) zone.stop();
  }
}
