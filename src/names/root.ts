/**
 * Iterative resolution from the root (twisted.names.root): `root.Resolver`
 * asks the root servers without recursion, follows referrals down to the
 * authoritative servers (using glue, or resolving name servers' addresses
 * itself), restarts from the roots for a CNAME's target, and gives up after
 * `maximumQueries`. `bootstrap(resolver)` finds the roots' addresses first.
 *
 * @example
 * ```ts
 * import { root } from "@tw/core/names";
 * import { reactor } from "@tw/core";
 *
 * // The roots of a test hierarchy on 127.0.0.1; a real one uses the root hints.
 * const resolver = new root.Resolver(["127.0.0.1"], { port: 5300, maximumQueries: 10, reactor });
 * console.log(resolver.hints); // ["127.0.0.1"]
 * ```
 * @module
 */
import { Deferred } from "../internet/defer.ts";
import type { RRHeader } from "./wire/_message.ts";
import { Query } from "./wire/_message.ts";
import { A, AAAA, ALL_RECORDS, CNAME, IN, NS, PORT } from "./wire/_constants.ts";
import { bytesToIPv4, bytesToIPv6 } from "./wire/_ip.ts";
import { Name } from "./wire/_name.ts";
import type { Record_A, Record_AAAA, Record_CNAME, Record_NS } from "./wire/_records.ts";
import { type IResolver, type LookupResult, type LookupTimeout, ResolverBase } from "./common.ts";
import { ResolverError } from "./error.ts";
import { Resolver as ClientResolver, type ResolverReactor } from "./client/_resolver.ts";
import { getReactor } from "../internet/reactor.ts";

/** Options of a `root.Resolver`. */
export interface RootResolverOptions {
  /** The most queries one lookup may send, referrals and name server lookups included. @default 10 */
  maximumQueries?: number;
  /** The port every server is asked on (tests run local roots on another). @default 53 */
  port?: number;
  /** The retry timeouts for each server set. @default [1, 3, 11, 45] */
  timeout?: readonly number[];
  /** The reactor. @default getReactor() */
  reactor?: ResolverReactor;
}

/** The most CNAMEs one lookup follows. */
const MAX_CNAMES = 8;

/**
 * An iterative resolver (Twisted's `root.Resolver`): `hints` are the IP
 * addresses of the root servers. Each lookup starts there, asks without
 * recursion, and follows referrals (NS in the authority section, glue in the
 * additional one) until a server answers; a CNAME to another name restarts
 * from the roots. Fails with `ResolverError` past `maximumQueries`.
 *
 * @example
 * ```ts
 * import { root } from "@tw/core/names";
 * import { reactor } from "@tw/core";
 *
 * const resolver = new root.Resolver(["198.41.0.4", "199.9.14.201"], { reactor });
 * console.log(resolver.maximumQueries); // 10
 * ```
 */
export class Resolver extends ResolverBase {
  /** The root servers' addresses. */
  readonly hints: readonly string[];
  /** The most queries one lookup may send. */
  readonly maximumQueries: number;
  readonly #port: number;
  readonly #timeout: readonly number[] | undefined;
  readonly #reactor: ResolverReactor;

  /** Makes a resolver starting from `hints`. @throws RangeError without hints */
  constructor(hints: readonly string[], options: RootResolverOptions = {}) {
    super();
    if (hints.length === 0) throw new RangeError("root.Resolver needs at least one root server");
    this.hints = [...hints];
    this.maximumQueries = options.maximumQueries ?? 10;
    this.#port = options.port ?? PORT;
    this.#timeout = options.timeout;
    this.#reactor = options.reactor ?? (getReactor() as unknown as ResolverReactor);
  }

  /** Resolves iteratively. */
  protected doLookup(
    name: string,
    cls: number,
    type: number,
    timeout?: LookupTimeout,
  ): Deferred<LookupResult> {
    return Deferred.fromPromise(
      this.#resolve(name, cls, type, timeout, { left: this.maximumQueries }),
    );
  }

  /** Asks one set of servers, without recursion. */
  #ask(servers: string[], query: Query, timeout: LookupTimeout | undefined): Promise<LookupResult> {
    const resolver = new ClientResolver({
      servers: servers.map((s): [string, number] => [s, this.#port]),
      timeout: typeof timeout === "number" ? [timeout] : timeout ?? this.#timeout,
      recDes: false,
      reactor: this.#reactor,
    });
    return Promise.resolve(resolver.query(query));
  }

  async #resolve(
    name: string,
    cls: number,
    type: number,
    timeout: LookupTimeout | undefined,
    budget: { left: number },
  ): Promise<LookupResult> {
    let target = new Name(name);
    let servers = [...this.hints];
    const chain: RRHeader[] = [];
    let aliases = 0;
    for (;;) {
      if (budget.left <= 0) {
        throw new ResolverError(`Maximum number of queries exceeded resolving ${name}`);
      }
      budget.left--;
      const [answers, authority, additional] = await this.#ask(
        servers,
        new Query(target, type, cls),
        timeout,
      );
      if (answers.length > 0) {
        const direct = answers.some((rr) =>
          rr.name.equals(target) && (rr.type === type || type === ALL_RECORDS)
        );
        const alias = answers.find((rr) => rr.type === CNAME && rr.name.equals(target));
        if (direct || type === CNAME || alias === undefined) {
          return [[...chain, ...answers], authority, additional];
        }
        // Follow the chain as far as this answer goes, then ask the roots for the rest.
        let end = target;
        for (let hops = 0;; hops++) {
          const hop = answers.find((rr) => rr.type === CNAME && rr.name.equals(end));
          if (hop === undefined) break;
          if (hops >= MAX_CNAMES) throw new ResolverError(`CNAME loop resolving ${name}`);
          chain.push(hop);
          end = (hop.payload as Record_CNAME).name;
        }
        const found = answers.filter((rr) => rr.name.equals(end) && rr.type === type);
        if (found.length > 0) return [[...chain, ...found], authority, additional];
        if (++aliases > MAX_CNAMES) throw new ResolverError(`Too many CNAMEs resolving ${name}`);
        target = end;
        servers = [...this.hints];
        continue;
      }
      const delegation = authority.filter((rr) => rr.type === NS);
      if (delegation.length === 0) return [chain, authority, additional]; // NODATA
      const next = glue(delegation, additional);
      if (next.length > 0) {
        servers = next;
        continue;
      }
      // No glue: resolve a name server's address ourselves, within the same budget.
      servers = [];
      for (const ns of delegation) {
        const nsName = (ns.payload as Record_NS).name.name;
        try {
          const [found] = await this.#resolve(nsName, IN, A, timeout, budget);
          servers = addresses(new Name(nsName), found);
        } catch (error) {
          if (error instanceof ResolverError) throw error;
          continue;
        }
        if (servers.length > 0) break;
      }
      if (servers.length === 0) {
        throw new ResolverError(`No address for any name server of ${delegation[0].name.name}`);
      }
    }
  }
}

function addresses(owner: Name, records: RRHeader[]): string[] {
  const out: string[] = [];
  for (const rr of records) {
    if (!rr.name.equals(owner) || !rr.payload) continue;
    if (rr.type === A) out.push(bytesToIPv4((rr.payload as Record_A).address));
    else if (rr.type === AAAA) out.push(bytesToIPv6((rr.payload as Record_AAAA).address));
  }
  return out;
}

/** The glue addresses for the name servers of a referral, IPv4 first. */
function glue(delegation: RRHeader[], additional: RRHeader[]): string[] {
  const out: string[] = [];
  for (const ns of delegation) out.push(...addresses((ns.payload as Record_NS).name, additional));
  return out.sort((a, b) => Number(a.includes(":")) - Number(b.includes(":")));
}

/** The root servers' names, a to m (RFC 7720's root-servers.net). */
const ROOT_SERVERS = "abcdefghijklm".split("").map((c) => `${c}.root-servers.net`);

/**
 * Finds the root servers' addresses with `resolver` (any resolver, such as
 * the system's), then resolves iteratively from them (Twisted's `bootstrap`).
 * Fires with the `root.Resolver`.
 *
 * @example
 * ```ts
 * import { client, root } from "@tw/core/names";
 * import { reactor } from "@tw/core";
 *
 * const upstream = new client.Resolver({ servers: [["127.0.0.1", 53]], reactor });
 * const resolver = await root.bootstrap(upstream, { reactor });
 * console.log(resolver.hints.length); // 13 or more: the roots' addresses
 * ```
 */
export function bootstrap(
  resolver: IResolver,
  options: RootResolverOptions = {},
): Deferred<Resolver> {
  const lookups = ROOT_SERVERS.map((name) =>
    Promise.resolve(resolver.lookupAddress(name)).then(
      ([answers]) => addresses(new Name(name), answers),
      () => [] as string[],
    )
  );
  return Deferred.fromPromise(
    Promise.all(lookups).then((found) => {
      const hints = found.flat();
      if (hints.length === 0) throw new ResolverError("Could not find any root server's address");
      return new Resolver(hints, options);
    }),
  );
}
