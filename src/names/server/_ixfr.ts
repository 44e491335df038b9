/**
 * Incremental zone transfer from the server side (IXFR, RFC 1995): the
 * differences between the versions of a zone an authority loaded, kept
 * within a bound, and the IXFR answer made from them; and serial number
 * arithmetic (RFC 1982), which orders SOA serials. Private to src/names.
 *
 * @module
 */
import { IN, SOA } from "../wire/_constants.ts";
import { RRHeader } from "../wire/_message.ts";
import type { Name } from "../wire/_name.ts";
import type { IRecord } from "../wire/_record_base.ts";
import type { Zone } from "./_zone.ts";

/**
 * Compares two SOA serials with RFC 1982 serial number arithmetic (32 bits,
 * wrapping): negative when `a` precedes `b`, 0 when equal, positive when `a`
 * follows `b`, NaN when the order is undefined (they are 2^31 apart).
 *
 * @example
 * ```ts
 * import { secondary } from "@tw/core/names";
 *
 * console.log(secondary.compareSerials(2026120602, 2026120601)); // 1
 * console.log(secondary.compareSerials(4294967295, 1) < 0); // true: 1 follows 2^32 - 1
 * ```
 */
export function compareSerials(a: number, b: number): number {
  if (a === b) return 0;
  const ahead = (a - b) >>> 0; // how far a is past b, modulo 2^32
  if (ahead === 0x80000000) return NaN;
  return ahead < 0x80000000 ? 1 : -1;
}

/** One step between two versions: the SOAs on each side, the records removed and added. */
interface Delta {
  serial: number;
  from: RRHeader;
  to: RRHeader;
  removed: RRHeader[];
  added: RRHeader[];
}

function header(owner: Name, record: IRecord, ttl: number): RRHeader {
  return new RRHeader({
    name: owner,
    type: record.TYPE,
    cls: IN,
    ttl,
    payload: record,
    auth: true,
  });
}

/** The zone's SOA as a record of a transfer. */
export function soaHeader(zone: Zone): RRHeader {
  return header(zone.apex, zone.soa, zone.ttlOf(zone.soa));
}

/** Every record but the SOA, by a key that tells records apart (owner, TTL, type, data). */
function recordsByKey(zone: Zone): Map<string, RRHeader> {
  const out = new Map<string, RRHeader>();
  for (const [key, node] of zone.nodes) {
    for (const record of node.records) {
      if (record.TYPE === SOA) continue;
      const ttl = zone.ttlOf(record);
      out.set(`${key}\0${ttl}\0${record.TYPE}\0${record.toText()}`, header(node.name, record, ttl));
    }
  }
  return out;
}

function difference(before: Zone, after: Zone): { removed: RRHeader[]; added: RRHeader[] } {
  const old = recordsByKey(before), now = recordsByKey(after);
  const removed = [...old].filter(([key]) => !now.has(key)).map(([, rr]) => rr);
  const added = [...now].filter(([key]) => !old.has(key)).map(([, rr]) => rr);
  return { removed, added };
}

function sameSOA(a: Zone, b: Zone): boolean {
  return a.ttlOf(a.soa) === b.ttlOf(b.soa) && a.soa.toText() === b.soa.toText();
}

/**
 * The differences between the last versions of a zone, for IXFR: at most
 * `maxVersions` steps, holding at most twice as many records as the zone
 * (BIND's default journal bound: past it a whole transfer is cheaper). A
 * load whose serial did not grow but whose data changed, or went back,
 * forgets them.
 */
export class ZoneHistory {
  /** How many steps are kept at most. */
  readonly maxVersions: number;
  #deltas: Delta[] = [];
  #records = 0;

  constructor(maxVersions: number) {
    if (!Number.isInteger(maxVersions) || maxVersions < 0) {
      throw new RangeError(`Bad number of IXFR versions: ${maxVersions}`);
    }
    this.maxVersions = maxVersions;
  }

  /** How many steps are kept. */
  get size(): number {
    return this.#deltas.length;
  }

  /** The serials a client may hold and get differences from, oldest first. */
  get serials(): number[] {
    return this.#deltas.map((d) => d.serial);
  }

  /** A zone replaced `before` (null: the first load): keeps the step between them. */
  update(before: Zone | null, after: Zone): void {
    if (before === null || this.maxVersions === 0) return;
    const order = compareSerials(after.soa.serial, before.soa.serial);
    if (order === 0) {
      if (!sameSOA(before, after)) return this.clear();
      const { removed, added } = difference(before, after);
      if (removed.length + added.length > 0) this.clear();
      return;
    }
    if (!(order > 0)) return this.clear();
    const { removed, added } = difference(before, after);
    const from = soaHeader(before), to = soaHeader(after);
    this.#deltas.push({ serial: before.soa.serial, from, to, removed, added });
    this.#records += removed.length + added.length + 2;
    let size = 0;
    for (const node of after.nodes.values()) size += node.records.length;
    while (
      this.#deltas.length > 0 &&
      (this.#deltas.length > this.maxVersions || this.#records > 2 * size)
    ) {
      const dropped = this.#deltas.shift()!;
      this.#records -= dropped.removed.length + dropped.added.length + 2;
    }
  }

  /** Forgets every step. */
  clear(): void {
    this.#deltas = [];
    this.#records = 0;
  }

  /**
   * The IXFR answer (RFC 1995 s4) for a client holding `serial` of `zone`
   * (the version last given to `update`): the current SOA alone when the
   * client is current (or ahead); the differences when they reach back to
   * its serial (SOA new, then per step SOA old, removed..., SOA next,
   * added..., then SOA new); null when they do not (send the whole zone).
   */
  answer(zone: Zone, serial: number): RRHeader[] | null {
    const current = soaHeader(zone);
    if (compareSerials(serial, zone.soa.serial) >= 0) return [current];
    const start = this.#deltas.findIndex((d) => d.serial === serial);
    if (start < 0) return null;
    const out = [current];
    for (const delta of this.#deltas.slice(start)) {
      out.push(delta.from, ...delta.removed, delta.to, ...delta.added);
    }
    out.push(current);
    return out;
  }
}
