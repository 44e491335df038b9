/**
 * What every resolver is (twisted.names.common): the `IResolver` contract and
 * `ResolverBase`, which turns each `lookupX(name)` into one `doLookup(name,
 * cls, type)` that an implementation writes.
 *
 * @example
 * ```ts
 * import { common, dns } from "@tw/core/names";
 * import { succeed } from "@tw/core/defer";
 *
 * class Fixed extends common.ResolverBase {
 *   protected doLookup(name: string, _cls: number, type: number) {
 *     const rr = new dns.RRHeader({ name, payload: new dns.Record_A("192.0.2.7") });
 *     return succeed<common.LookupResult>([type === dns.A ? [rr] : [], [], []]);
 *   }
 * }
 * console.log(await new Fixed().getHostByName("anything.example")); // 192.0.2.7
 * ```
 * @module
 */
import { Deferred, fail, maybeDeferred } from "../internet/defer.ts";
import { DNSLookupError } from "../internet/error.ts";
import type { IHostnameResolver } from "../internet/interfaces.ts";
import type { ResolvedAddress } from "../internet/socket.ts";
import {
  A,
  A6,
  AAAA,
  AFSDB,
  ALL_RECORDS,
  AXFR,
  CNAME,
  EFORMAT,
  ENAME,
  ENOTIMP,
  EREFUSED,
  ESERVER,
  HINFO,
  IN,
  MB,
  MG,
  MINFO,
  MR,
  MX,
  NAPTR,
  NS,
  NULL,
  PTR,
  RP,
  SOA,
  SPF,
  SRV,
  TXT,
  WKS,
} from "./wire/_constants.ts";
import { bytesToIPv4, bytesToIPv6 } from "./wire/_ip.ts";
import { Name } from "./wire/_name.ts";
import type { Query, RRHeader } from "./wire/_message.ts";
import type { Record_A, Record_AAAA, Record_CNAME } from "./wire/_records.ts";
import {
  type DNSErrorOptions,
  DNSFormatError,
  DNSNameError,
  DNSNotImplementedError,
  DNSQueryRefusedError,
  DNSServerError,
  DNSUnknownError,
  type DomainError,
} from "./error.ts";

/** A lookup's result: the answer, authority and additional sections. */
export type LookupResult = [answers: RRHeader[], authority: RRHeader[], additional: RRHeader[]];

/** How long to wait: one timeout in seconds, or Twisted's sequence of retry timeouts. */
export type LookupTimeout = number | readonly number[];

/**
 * A resolver (Twisted's `IResolver`): every method fires with the three
 * sections of the answer, or fails with a `DomainError` subclass.
 */
export interface IResolver {
  /** Answers one question. */
  query(query: Query, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** A records. */
  lookupAddress(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** AAAA records. */
  lookupIPV6Address(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** MX records. */
  lookupMailExchange(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** NS records. */
  lookupNameservers(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** CNAME records. */
  lookupCanonicalName(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** PTR records. */
  lookupPointer(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** SOA records. */
  lookupAuthority(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** TXT records. */
  lookupText(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** SPF records. */
  lookupSenderPolicy(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** SRV records. */
  lookupService(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** HINFO records. */
  lookupHostInfo(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** NAPTR records. */
  lookupNamingAuthorityPointer(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** Every record (type ANY). */
  lookupAllRecords(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** A zone transfer (AXFR). */
  lookupZone(name: string, timeout?: LookupTimeout): Deferred<LookupResult>;
  /** The first address of a host, following CNAMEs: IPv4 first, then IPv6. */
  getHostByName(name: string, timeout?: LookupTimeout): Deferred<string>;
}

const errorsByCode = new Map<number, new (text?: string, options?: DNSErrorOptions) => DomainError>(
  [
    [EFORMAT, DNSFormatError],
    [ESERVER, DNSServerError],
    [ENAME, DNSNameError],
    [ENOTIMP, DNSNotImplementedError],
    [EREFUSED, DNSQueryRefusedError],
  ],
);

/**
 * The error class for a response code (Twisted's `exceptionForCode`).
 *
 * @example
 * ```ts
 * import { common, DNSNameError } from "@tw/core/names";
 * console.log(common.exceptionForCode(3) === DNSNameError); // true
 * ```
 */
export function exceptionForCode(
  rCode: number,
): new (text?: string, options?: DNSErrorOptions) => DomainError {
  return errorsByCode.get(rCode) ?? DNSUnknownError;
}

/**
 * The base of resolvers (Twisted's `common.ResolverBase`): the `lookupX`
 * methods and `query` all call `doLookup(name, cls, type, timeout)`.
 *
 * @example
 * ```ts
 * import { common, dns } from "@tw/core/names";
 * import { succeed } from "@tw/core/defer";
 *
 * class Empty extends common.ResolverBase {
 *   protected doLookup() {
 *     return succeed<common.LookupResult>([[], [], []]);
 *   }
 * }
 * const [answers] = await new Empty().lookupMailExchange("example.com");
 * console.log(answers.length, dns.MX); // 0 15
 * ```
 */
export abstract class ResolverBase implements IResolver, IHostnameResolver {
  /** Looks up `name`'s records of `type` in `cls`: the one method a resolver writes. */
  protected abstract doLookup(
    name: string,
    cls: number,
    type: number,
    timeout?: LookupTimeout,
  ): Deferred<LookupResult>;

  /** Answers one question, through `doLookup`. */
  query(query: Query, timeout?: LookupTimeout): Deferred<LookupResult> {
    return maybeDeferred(() => this.doLookup(query.name.name, query.cls, query.type, timeout));
  }

  #lookup(name: string, type: number, timeout?: LookupTimeout): Deferred<LookupResult> {
    let text: string;
    try {
      text = new Name(name).name;
    } catch (error) {
      return fail(error);
    }
    return maybeDeferred(() => this.doLookup(text, IN, type, timeout));
  }

  /** A records. */
  lookupAddress(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, A, timeout);
  }
  /** AAAA records. */
  lookupIPV6Address(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, AAAA, timeout);
  }
  /** A6 records (obsolete, RFC 6563). */
  lookupAddress6(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, A6, timeout);
  }
  /** MX records. */
  lookupMailExchange(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, MX, timeout);
  }
  /** NS records. */
  lookupNameservers(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, NS, timeout);
  }
  /** CNAME records. */
  lookupCanonicalName(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, CNAME, timeout);
  }
  /** MB records. */
  lookupMailBox(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, MB, timeout);
  }
  /** MG records. */
  lookupMailGroup(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, MG, timeout);
  }
  /** MR records. */
  lookupMailRename(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, MR, timeout);
  }
  /** PTR records. */
  lookupPointer(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, PTR, timeout);
  }
  /** SOA records. */
  lookupAuthority(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, SOA, timeout);
  }
  /** NULL records. */
  lookupNull(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, NULL, timeout);
  }
  /** WKS records. */
  lookupWellKnownServices(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, WKS, timeout);
  }
  /** SRV records. */
  lookupService(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, SRV, timeout);
  }
  /** HINFO records. */
  lookupHostInfo(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, HINFO, timeout);
  }
  /** MINFO records. */
  lookupMailboxInfo(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, MINFO, timeout);
  }
  /** TXT records. */
  lookupText(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, TXT, timeout);
  }
  /** SPF records. */
  lookupSenderPolicy(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, SPF, timeout);
  }
  /** RP records. */
  lookupResponsibility(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, RP, timeout);
  }
  /** AFSDB records. */
  lookupAFSDatabase(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, AFSDB, timeout);
  }
  /** NAPTR records. */
  lookupNamingAuthorityPointer(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, NAPTR, timeout);
  }
  /** Every record (type ANY). */
  lookupAllRecords(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, ALL_RECORDS, timeout);
  }
  /** A zone transfer (AXFR). */
  lookupZone(name: string, timeout?: LookupTimeout): Deferred<LookupResult> {
    return this.#lookup(name, AXFR, timeout);
  }

  /**
   * Every IPv4 and IPv6 address of `name` (A and AAAA asked together, CNAMEs
   * in the answers followed): what `reactor.installResolver` uses. Fails
   * with `DNSLookupError` when there is none.
   */
  resolveHostName(name: string, timeout?: LookupTimeout): Deferred<ResolvedAddress[]> {
    const lookups = [A, AAAA].map((type) =>
      this.#lookup(name, type, timeout).then(
        (result) => result,
        () => null,
      )
    );
    return Deferred.fromPromise(
      Promise.all(lookups).then(([v4, v6]) => {
        const found: ResolvedAddress[] = [];
        for (const [result, type] of [[v4, A], [v6, AAAA]] as const) {
          if (!result) continue;
          const records = [...result[0], ...result[1], ...result[2]];
          const owners = [new Name(name)];
          for (let at = owners[0], i = 0; i < 10; i++) {
            const alias = records.find((r) => r.type === CNAME && r.name.equals(at));
            if (!alias) break;
            at = (alias.payload as Record_CNAME).name;
            owners.push(at);
          }
          for (const rr of records) {
            if (rr.type !== type || !rr.payload || !owners.some((o) => o.equals(rr.name))) continue;
            found.push(
              type === A
                ? { address: bytesToIPv4((rr.payload as Record_A).address), family: 4 }
                : { address: bytesToIPv6((rr.payload as Record_AAAA).address), family: 6 },
            );
          }
        }
        if (found.length === 0) throw new DNSLookupError(`DNS lookup failed: ${name}: no address`);
        return found;
      }),
    );
  }

  /**
   * The first address of `name`: its A records (following CNAMEs, at most
   * `effort` of them), else its AAAA records. Fails with `DNSLookupError`.
   */
  getHostByName(name: string, timeout?: LookupTimeout, effort = 10): Deferred<string> {
    return Deferred.fromPromise((async () => {
      for (const type of [A, AAAA]) {
        let current = new Name(name);
        for (let hop = 0; hop < effort; hop++) {
          let records: RRHeader[];
          try {
            const [ans, auth, add] = await this.#lookup(current.name, type, timeout);
            records = [...ans, ...auth, ...add];
          } catch {
            break;
          }
          const found = firstAddress(current, records, type);
          if (found !== null) return found;
          const alias = followCNAMEs(current, records, effort);
          if (alias === null || alias.equals(current)) break;
          current = alias;
          const again = firstAddress(current, records, type);
          if (again !== null) return again;
        }
      }
      throw new DNSLookupError(`DNS lookup failed: ${name}: no address`);
    })());
  }
}

function firstAddress(name: Name, records: RRHeader[], type: number): string | null {
  for (const rr of records) {
    if (rr.type !== type || !rr.name.equals(name) || !rr.payload) continue;
    return type === A
      ? bytesToIPv4((rr.payload as Record_A).address)
      : bytesToIPv6((rr.payload as Record_AAAA).address);
  }
  return null;
}

/** Follows a CNAME chain inside `records`; the last name reached, or null without one. */
function followCNAMEs(name: Name, records: RRHeader[], limit: number): Name | null {
  let current: Name | null = null;
  let at = name;
  for (let i = 0; i < limit; i++) {
    const rr = records.find((r) => r.type === CNAME && r.name.equals(at));
    if (!rr) break;
    at = (rr.payload as Record_CNAME).name;
    current = at;
  }
  return current;
}
