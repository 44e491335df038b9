/**
 * An in-memory caching resolver (twisted.names.cache), with TTLs that count
 * down, negative caching (RFC 2308) and a bound on its size.
 *
 * @module
 */
import { type Deferred, fail, succeed } from "../../internet/defer.ts";
import type { IReactorTime } from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import { type LookupResult, ResolverBase } from "../common.ts";
import { DNSNameError, DomainError } from "../error.ts";
import { ALL_RECORDS, ENAME, SOA } from "../wire/_constants.ts";
import { Message, Query, RRHeader } from "../wire/_message.ts";
import { lowerName } from "../wire/_name.ts";
import type { Record_SOA } from "../wire/_records.ts";

/** Options of {@link CacheResolver}. */
export interface CacheResolverOptions {
  /** The clock TTLs count down on. @default getReactor() */
  reactor?: IReactorTime;
  /**
   * Entries to start with, as Twisted's `cache` argument: each query with
   * `[cacheTime, payload]` (cacheTime in the clock's seconds). @default none
   */
  cache?: Iterable<readonly [Query, readonly [number, LookupResult]]>;
  /** The most entries held; adding one more evicts the oldest. @default 10000 */
  maxEntries?: number;
}

interface Entry {
  /** When it was cached, in the clock's seconds. */
  when: number;
  /** Seconds it lives. */
  lifetime: number;
  payload: LookupResult;
  /** A cached NXDOMAIN: lookups fail with `DNSNameError`. */
  nameError: boolean;
}

/** The key of a question; `name` is a Name's text (no trailing dot). */
function keyOf(name: string, type: number, cls: number): string {
  return `${lowerName(name)}\0${type}\0${cls}`;
}

/** The negative-answer lifetime of RFC 2308 s5: min(SOA TTL, SOA MINIMUM), or null without SOA. */
function negativeLifetime(authority: readonly RRHeader[]): number | null {
  let best: number | null = null;
  for (const rr of authority) {
    if (rr.type !== SOA || rr.payload === null) continue;
    const lifetime = Math.min(rr.ttl, (rr.payload as Record_SOA).minimum);
    best = best === null ? lifetime : Math.min(best, lifetime);
  }
  return best;
}

/**
 * A resolver that answers from memory what it was given with `cacheResult`
 * (Twisted's `cache.CacheResolver`). A `ResolverChain` fills the caches it
 * holds with the answers of the resolvers after them, as `createResolver`'s
 * chain does.
 *
 * - TTLs count down: an answer comes back with each TTL less the whole
 *   seconds it spent in the cache, and the entry is dropped (when next looked
 *   up) once its smallest TTL has passed.
 * - Negative answers are kept as RFC 2308 says, for min(SOA TTL, SOA
 *   MINIMUM): NODATA (no answers, an SOA in authority) from `cacheResult`,
 *   NXDOMAIN from `cacheNameError`; a cached NXDOMAIN fails with
 *   `DNSNameError`. Negative answers without an SOA are not kept.
 * - It holds at most `maxEntries`; one more evicts the oldest.
 *
 * A question not in the cache fails with `DomainError`, so a chain moves on.
 * ANY questions are never answered from the cache (as in Twisted).
 *
 * @example
 * ```ts
 * import { cache, Query, Record_A, RRHeader } from "@tw/core/names";
 * import { Clock } from "@tw/core/testing";
 *
 * const clock = new Clock();
 * const resolver = new cache.CacheResolver({ reactor: clock });
 * const rr = new RRHeader({ name: "example.com", ttl: 60, payload: new Record_A("192.0.2.1") });
 * resolver.cacheResult(new Query("example.com"), [[rr], [], []]);
 * clock.advance(15);
 * const [answers] = await resolver.lookupAddress("example.com");
 * console.log(answers[0].ttl); // 45
 * ```
 */
export class CacheResolver extends ResolverBase {
  /** The most entries held. */
  readonly maxEntries: number;
  readonly #reactor: IReactorTime;
  readonly #entries = new Map<string, Entry>();

  /** Makes an empty cache, or one holding `options.cache`. */
  constructor(options: CacheResolverOptions = {}) {
    super();
    this.#reactor = options.reactor ?? getReactor();
    const max = options.maxEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`Bad maxEntries: ${max}`);
    this.maxEntries = max;
    for (const [query, [when, payload]] of options.cache ?? []) {
      this.cacheResult(query, payload, when);
    }
  }

  /** How many entries the cache holds (expired ones may linger until looked up). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Caches `payload` (answers, authority, additional) for `query` (Twisted's
   * `cacheResult`) until its smallest TTL passes; a NODATA payload (no
   * answers) for its SOA's negative TTL, and not at all without an SOA.
   * @param cacheTime when the entry counts as added, in the clock's seconds
   *   (default: now)
   */
  cacheResult(query: Query, payload: LookupResult, cacheTime?: number): void {
    const [answers, authority, additional] = payload;
    let lifetime: number;
    if (answers.length === 0) {
      lifetime = negativeLifetime(authority) ?? 0;
    } else {
      lifetime = Infinity;
      for (const rr of [...answers, ...authority, ...additional]) {
        lifetime = Math.min(lifetime, rr.ttl);
      }
    }
    this.#store(query, {
      when: cacheTime ?? this.#reactor.seconds(),
      lifetime,
      payload: [[...answers], [...authority], [...additional]],
      nameError: false,
    });
  }

  /**
   * Caches that `query`'s name does not exist (NXDOMAIN), with the
   * response's authority section: kept for the SOA's negative TTL (RFC 2308
   * s5), and not at all without an SOA. Lookups of it fail with
   * `DNSNameError` until then.
   * @param cacheTime when the entry counts as added (default: now)
   */
  cacheNameError(query: Query, authority: readonly RRHeader[], cacheTime?: number): void {
    this.#store(query, {
      when: cacheTime ?? this.#reactor.seconds(),
      lifetime: negativeLifetime(authority) ?? 0,
      payload: [[], [...authority], []],
      nameError: true,
    });
  }

  #store(query: Query, entry: Entry): void {
    const key = keyOf(query.name.name, query.type, query.cls);
    this.#entries.delete(key);
    if (entry.when + entry.lifetime <= this.#reactor.seconds()) return;
    this.#entries.set(key, entry);
    while (this.#entries.size > this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }

  /** Forgets `query`'s entry (Twisted's `clearEntry`). */
  clearEntry(query: Query): void {
    this.#entries.delete(keyOf(query.name.name, query.type, query.cls));
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.clear();
  }

  /** Answers from the cache, with the TTLs counted down; a miss fails with `DomainError`. */
  protected doLookup(name: string, cls: number, type: number): Deferred<LookupResult> {
    const miss = (): Deferred<LookupResult> => fail(new DomainError(`${name}: not in the cache`));
    if (type === ALL_RECORDS) return miss();
    const key = keyOf(name, type, cls);
    const entry = this.#entries.get(key);
    if (entry === undefined) return miss();
    const elapsed = this.#reactor.seconds() - entry.when;
    if (elapsed >= entry.lifetime) {
      this.#entries.delete(key);
      return miss();
    }
    const spent = Math.max(0, Math.floor(elapsed));
    const negative = entry.payload[0].length === 0;
    const age = (rr: RRHeader): RRHeader =>
      new RRHeader({
        name: rr.name,
        type: rr.type,
        cls: rr.cls,
        // A negative answer's SOA says how long the negative answer lives (RFC 2308 s5).
        ttl: Math.max(0, (negative ? Math.min(rr.ttl, entry.lifetime) : rr.ttl) - spent),
        payload: rr.payload,
        auth: rr.auth,
      });
    const [answers, authority, additional] = entry.payload;
    const result: LookupResult = [answers.map(age), authority.map(age), additional.map(age)];
    if (entry.nameError) {
      const response = new Message({
        answer: true,
        rCode: ENAME,
        queries: [new Query(name, type, cls)],
        authority: result[1],
      });
      return fail(new DNSNameError(`${name}: NXDOMAIN (cached)`, { response }));
    }
    return succeed(result);
  }
}
