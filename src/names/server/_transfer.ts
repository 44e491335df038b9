/**
 * What a zone transfer answers (AXFR, RFC 5936; IXFR, RFC 1995) and what
 * NOTIFY (RFC 1996) does to the secondary zones a server holds. Private to
 * src/names/server; `DNSServerFactory` calls these.
 *
 * @module
 */
import type { Deferred } from "../../internet/defer.ts";
import { Logger } from "../../logger/mod.ts";
import type { IResolver, LookupResult } from "../common.ts";
import { AXFR, EFORMAT, EREFUSED, IXFR, OK, SOA } from "../wire/_constants.ts";
import { type Message, Query } from "../wire/_message.ts";
import { Name } from "../wire/_name.ts";
import type { Record_SOA } from "../wire/_records.ts";
import { orderAuthorities, resolveChain, type Stage } from "./_server_support.ts";
import { nameKey } from "./_zone.ts";

const log = new Logger("tw.names");

/** An authority that answers IXFR (`FileAuthority` and its subclasses). */
interface IIncremental {
  readonly soa: [name: string, record: Record_SOA] | null;
  lookupIncrementalZone(name: string, serial: number): Deferred<LookupResult>;
}

function isIncremental(resolver: IResolver): resolver is IResolver & IIncremental {
  return typeof (resolver as Partial<IIncremental>).lookupIncrementalZone === "function";
}

/** The serial an IXFR query says the client holds: its authority section's SOA for the zone. */
export function ixfrSerial(message: Message, zone: Name): number | null {
  const key = nameKey(zone);
  for (const rr of message.authority) {
    if (rr.type === SOA && rr.payload !== null && nameKey(rr.name) === key) {
      return (rr.payload as Record_SOA).serial;
    }
  }
  return null;
}

/**
 * The answer section of a zone transfer for `query` (AXFR or IXFR), from
 * the authority holding the zone: IXFR from one that keeps versions
 * (`lookupIncrementalZone`), else the whole zone; or the response code to
 * answer at once (FORMERR for an IXFR without the client's SOA).
 */
export function transferAnswer(
  message: Message,
  query: Query,
  authorities: readonly IResolver[],
): Deferred<LookupResult> | number {
  const ordered = orderAuthorities(authorities, query.name);
  if (query.type === IXFR) {
    const serial = ixfrSerial(message, query.name);
    if (serial === null) return EFORMAT; // RFC 1995 s3: the query carries the client's SOA
    const key = nameKey(query.name);
    const holder = ordered.find((r) => {
      if (!isIncremental(r)) return false;
      const apex = r.soa?.[0];
      return apex !== undefined && nameKey(new Name(apex)) === key;
    });
    if (holder !== undefined && isIncremental(holder)) {
      return holder.lookupIncrementalZone(query.name.name, serial);
    }
  }
  const axfr = new Query(query.name, AXFR, query.cls);
  const stages = ordered.map((r): Stage => [r, false]);
  return resolveChain(axfr, stages, { fromClient: false });
}

/** A secondary zone, as NOTIFY sees it (`SecondaryAuthority`). */
interface INotifiable {
  readonly domain: string;
  notifyReceived(host: string | null): boolean;
}

function isNotifiable(resolver: IResolver): resolver is IResolver & INotifiable {
  const r = resolver as Partial<INotifiable>;
  return typeof r.notifyReceived === "function" && typeof r.domain === "string";
}

/**
 * A NOTIFY (RFC 1996) from `host`: each secondary zone of its question is
 * told (it refreshes when `host` is its primary). The response code: OK
 * when one took it, or when no secondary holds the zone (acknowledged, as
 * before); REFUSED when the zone's secondaries refused it (not from their
 * primary, as nsd's allow-notify).
 */
export function notifySecondaries(
  message: Message,
  host: string | null,
  authorities: readonly IResolver[],
): number {
  const question = message.queries[0];
  if (question === undefined || question.type !== SOA) return OK;
  const key = nameKey(question.name);
  const secondaries = authorities.filter(isNotifiable).filter((r) => {
    return nameKey(new Name(r.domain)) === key;
  });
  if (secondaries.length === 0) return OK;
  let taken = false;
  for (const secondary of secondaries) {
    if (secondary.notifyReceived(host)) taken = true;
  }
  if (!taken) {
    log.info("NOTIFY for {zone} from {host} refused: not its primary", {
      zone: question.name.name,
      host: host ?? "?",
    });
  }
  return taken ? OK : EREFUSED;
}
