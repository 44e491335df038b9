/**
 * Several resolvers asked in turn (twisted.names.resolve).
 *
 * @module
 */
import { type Deferred, fail, maybeDeferred } from "../../internet/defer.ts";
import { TimeoutError } from "../../internet/error.ts";
import type { Failure } from "../../internet/failure.ts";
import { type IResolver, type LookupResult, type LookupTimeout, ResolverBase } from "../common.ts";
import { DNSNameError, DomainError } from "../error.ts";
import { ALL_RECORDS, AXFR, IXFR } from "../wire/_constants.ts";
import { Query } from "../wire/_message.ts";
import { CacheResolver } from "./_cache.ts";

/** Whether the next resolver is asked after `resolver` failed with `error`. */
function movesOn(resolver: IResolver, error: Error): boolean {
  if (error instanceof DomainError) {
    // A cache's NXDOMAIN is the answer the resolvers after it gave: it stands.
    return !(resolver instanceof CacheResolver && error instanceof DNSNameError);
  }
  return error instanceof TimeoutError;
}

/** Answers kept in a cache: not ANY (Twisted's cache never answers it) nor zone transfers. */
function cacheable(type: number): boolean {
  return type !== ALL_RECORDS && type !== AXFR && type !== IXFR;
}

/**
 * Asks its resolvers in order until one answers (Twisted's
 * `resolve.ResolverChain`). A `DomainError` (a name the resolver does not
 * know, such as a hosts file's or a cache's miss) or a timeout moves on to
 * the next resolver; any other error, `AuthoritativeDomainError` included,
 * ends the lookup with that error, as does the last resolver's.
 *
 * Unlike Twisted's, the chain fills each `CacheResolver` it holds with the
 * outcome of the resolvers after it: answers with `cacheResult`, NXDOMAIN
 * (`DNSNameError` with its response) with `cacheNameError`; a cached
 * NXDOMAIN then ends the lookup as the live one would have.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { cache, client, hosts, resolve } from "@tw/core/names";
 *
 * const chain = new resolve.ResolverChain([
 *   new hosts.Resolver({ file: "/etc/hosts", reactor }),
 *   new cache.CacheResolver({ reactor }),
 *   new client.Resolver({ servers: [["127.0.0.1", 53]], reactor }),
 * ]);
 * console.log(await chain.getHostByName("localhost")); // 127.0.0.1, from /etc/hosts
 * ```
 */
export class ResolverChain extends ResolverBase {
  /** The resolvers, asked in this order. */
  readonly resolvers: IResolver[];

  /** Makes a chain of `resolvers`. */
  constructor(resolvers: Iterable<IResolver>) {
    super();
    this.resolvers = [...resolvers];
  }

  /** Asks each resolver in turn, as the class says. */
  protected doLookup(
    name: string,
    cls: number,
    type: number,
    timeout?: LookupTimeout,
  ): Deferred<LookupResult> {
    if (this.resolvers.length === 0) {
      return fail(new DomainError(`${name}: the resolver chain is empty`));
    }
    return this.#from(0, new Query(name, type, cls), timeout);
  }

  #from(index: number, query: Query, timeout: LookupTimeout | undefined): Deferred<LookupResult> {
    const resolver = this.resolvers[index];
    const answer = maybeDeferred(() => resolver.query(query, timeout));
    if (index + 1 >= this.resolvers.length) return answer;
    return answer.addErrback((failure: Failure): Deferred<LookupResult> => {
      if (!movesOn(resolver, failure.value)) throw failure;
      const rest = this.#from(index + 1, query, timeout);
      if (resolver instanceof CacheResolver && cacheable(query.type)) {
        rest.addCallbacks(
          (result: LookupResult): LookupResult => {
            resolver.cacheResult(query, result);
            return result;
          },
          (failure: Failure): never => {
            const error = failure.value;
            if (error instanceof DNSNameError && error.response) {
              resolver.cacheNameError(query, error.response.authority);
            }
            throw failure;
          },
        );
      }
      return rest;
    });
  }
}
