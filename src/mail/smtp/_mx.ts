/**
 * `MXCalculator` (`twisted.mail.relaymanager.MXCalculator`): the mail exchangers of a
 * domain, best first, with the A/AAAA fallback of RFC 5321 §5.1. Private: re-exported by
 * `src/mail/mod.ts`.
 * @module
 */
import { Deferred } from "../../internet/_defer_core.ts";
import type { IReactorTime } from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { IResolver } from "../../names/common.ts";
import { getResolver } from "../../names/client/_lookups.ts";
import { DNSNameError } from "../../names/error.ts";

/** Options of `MXCalculator`. */
export interface MXCalculatorOptions {
  /** Seconds a host marked bad is tried last. @default 600 */
  timeOutBadMX?: number;
  /** The clock for `timeOutBadMX`. @default the reactor */
  clock?: IReactorTime | null;
}

/**
 * A domain that accepts no mail: a null MX (RFC 7505).
 *
 * @example
 * ```ts
 * import { NullMXError } from "@tw/core/mail";
 * console.log(new NullMXError("no mail").name); // NullMXError
 * ```
 */
export class NullMXError extends Error {
  /** The error class name. */
  override name = "NullMXError";
}

/**
 * Finds where to deliver mail for a domain (`MXCalculator`): its MX hosts by preference
 * (hosts marked bad go last for a while), or the domain itself when it has no MX
 * (RFC 5321 §5.1: its A/AAAA records are used). A null MX (`.`, RFC 7505) fails.
 *
 * @example
 * ```ts
 * import { MXCalculator } from "@tw/core/mail";
 * import { Record_MX, RRHeader } from "@tw/core/names";
 * import { succeed } from "@tw/core/defer";
 * const resolver = {
 *   lookupMailExchange: (name: string) =>
 *     succeed([[
 *       new RRHeader({ name, payload: new Record_MX(20, "b.example") }),
 *       new RRHeader({ name, payload: new Record_MX(10, "a.example") }),
 *     ], [], []]),
 * };
 * const mx = new MXCalculator(resolver as never);
 * console.log(await mx.getMXList("example")); // [ "a.example", "b.example" ]
 * ```
 */
export class MXCalculator {
  /** The resolver asked for MX records. */
  resolver: Pick<IResolver, "lookupMailExchange">;
  #bad = new Map<string, number>();
  #timeOutBadMX: number;
  #clock: IReactorTime | null;

  /** Uses `resolver` (default: `@tw/core/names`' resolver). */
  constructor(
    resolver: Pick<IResolver, "lookupMailExchange"> | null = null,
    options: MXCalculatorOptions = {},
  ) {
    this.resolver = resolver ?? getResolver();
    this.#timeOutBadMX = options.timeOutBadMX ?? 600;
    this.#clock = options.clock ?? null;
  }

  #now(): number {
    return (this.#clock ?? getReactor()).seconds();
  }

  /** Tries `host` last for `timeOutBadMX` seconds. */
  markBad(host: string): void {
    this.#bad.set(host.toLowerCase(), this.#now() + this.#timeOutBadMX);
  }

  /** Forgets that `host` was bad. */
  markGood(host: string): void {
    this.#bad.delete(host.toLowerCase());
  }

  #isBad(host: string): boolean {
    const until = this.#bad.get(host.toLowerCase());
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#bad.delete(host.toLowerCase());
    return false;
  }

  /** The hosts to try for `domain`, best first. */
  getMXList(domain: string): Deferred<string[]> {
    const d = new Deferred<string[]>();
    this.resolver.lookupMailExchange(domain).then(
      ([answers]) => {
        const mx = answers
          .map((rr) => rr.payload as { preference?: number; name?: { name: string } } | null)
          .filter((p) => p !== null && typeof p.preference === "number" && p.name !== undefined)
          .map((p) => ({ pref: p!.preference!, host: p!.name!.name }));
        if (mx.length === 0) return d.callback([domain]);
        if (mx.some((m) => m.host === "" || m.host === ".")) {
          return d.errback(new NullMXError(`Domain ${domain} accepts no mail (null MX)`));
        }
        mx.sort((a, b) => a.pref - b.pref);
        const hosts = mx.map((m) => m.host);
        d.callback([
          ...hosts.filter((h) => !this.#isBad(h)),
          ...hosts.filter((h) => this.#isBad(h)),
        ]);
      },
      (e) => {
        // No MX records (or no such name): RFC 5321 §5.1, the domain is its own exchanger.
        if (e instanceof DNSNameError) d.errback(e);
        else d.callback([domain]);
      },
    );
    return d;
  }

  /** The best host for `domain`. */
  getMX(domain: string): Deferred<string> {
    const d = new Deferred<string>();
    this.getMXList(domain).then((hosts) => d.callback(hosts[0]), (e) => d.errback(e));
    return d;
  }
}
