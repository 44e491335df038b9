/**
 * A zone held in memory for answering: its records indexed by owner name, the
 * names that exist (empty non-terminals included, RFC 4592 s2.2.2), and the
 * checks made once at load: one SOA, every record inside the zone, no CNAME
 * beside other data. Private to src/names/server.
 *
 * @module
 */
import { CNAME, DNAME, NS, SOA, typeToText } from "../wire/_constants.ts";
import { labelToText, lowerName, type Name } from "../wire/_name.ts";
import type { IRecord } from "../wire/_record_base.ts";
import type { Record_SOA } from "../wire/_records.ts";

/** One record to load: its owner, its data, and where it came from (for errors). */
export interface ZoneInput {
  /** The owner name. */
  name: Name;
  /** The record (its `ttl` null for the zone's default). */
  record: IRecord;
  /** Where the record is written (`db.example:12`), for error messages. */
  where?: string;
}

/** The records at one owner name. */
export interface ZoneNode {
  /** The owner, as first written. */
  readonly name: Name;
  /** Its records, in load order, duplicates dropped. */
  readonly records: IRecord[];
}

/** The label texts of a name (escaped as in its text form), most specific first. */
export function labelTexts(name: Name): string[] {
  if (name.name === "") return [];
  if (!name.name.includes("\\")) return name.name.split(".");
  return name.labels().map((label) => labelToText(label, 0, label.length));
}

/** The key a name is indexed by: its canonical text form, lower-cased. */
export function nameKey(name: Name): string {
  if (!name.name.includes("\\")) return lowerName(name.name);
  return lowerName(labelTexts(name).join("."));
}

/** The zone's data, immutable once built: a reload builds a new one. */
export class Zone {
  /** The zone's name: the owner of its SOA. */
  readonly apex: Name;
  /** `nameKey(apex)`. */
  readonly apexKey: string;
  /** How many labels the apex has. */
  readonly apexDepth: number;
  /** The SOA record. */
  readonly soa: Record_SOA;
  /** The TTL of records whose own is null. */
  readonly defaultTTL: number;
  /** The nodes by `nameKey`, in load order. */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  /** The keys of every name that exists: nodes and the empty non-terminals between them. */
  readonly existing: ReadonlySet<string>;

  constructor(
    apex: Name,
    soa: Record_SOA,
    defaultTTL: number,
    nodes: Map<string, ZoneNode>,
    existing: Set<string>,
  ) {
    this.apex = apex;
    this.apexKey = nameKey(apex);
    this.apexDepth = labelTexts(apex).length;
    this.soa = soa;
    this.defaultTTL = defaultTTL;
    this.nodes = nodes;
    this.existing = existing;
  }

  /** A record's TTL: its own, else the zone's default. */
  ttlOf(record: IRecord): number {
    return record.ttl ?? this.defaultTTL;
  }

  /** The TTL of the SOA in negative answers (RFC 2308 s5): min(SOA TTL, SOA minimum). */
  get negativeTTL(): number {
    return Math.min(this.ttlOf(this.soa), this.soa.minimum);
  }

  /** True if `key` is below a delegation (a node other than the apex with NS records). */
  isBelowCut(labels: readonly string[]): boolean {
    const n = labels.length;
    for (let d = this.apexDepth + 1; d <= n; d++) {
      const node = this.nodes.get(lowerName(labels.slice(n - d).join(".")));
      if (node?.records.some((r) => r.TYPE === NS)) return true;
    }
    return false;
  }
}

/** How `buildZone` builds. */
export interface BuildZoneOptions {
  /** The TTL of records without one. @default the SOA's minimum */
  defaultTTL?: number;
  /** Makes the error for a bad input (undefined when no one input is at fault). */
  error(reason: string, input: ZoneInput | undefined): Error;
}

function describe(input: ZoneInput): string {
  return `${input.name.name}. ${typeToText(input.record.TYPE)} ${input.record.toText()}`;
}

/** RRSIG and NSEC: the types that may sit beside a CNAME (RFC 4035 s2.5). */
const BESIDE_CNAME = new Set([46, 47]);

/**
 * Checks and indexes a zone's records: exactly one SOA (its owner is the
 * zone), every record at or below it, no CNAME beside other data or a
 * second CNAME; identical records are kept once.
 * @throws what `options.error` makes, naming the record at fault
 */
export function buildZone(inputs: Iterable<ZoneInput>, options: BuildZoneOptions): Zone {
  const list = [...inputs];
  const soas = list.filter((input) => input.record.TYPE === SOA);
  if (soas.length === 0) throw options.error("The zone has no SOA record", undefined);
  if (soas.length > 1) {
    const second = soas[1];
    throw options.error(
      `A second SOA record (${describe(second)}); the zone is ${soas[0].name.name}.`,
      second,
    );
  }
  const apex = soas[0].name;
  const soa = soas[0].record as Record_SOA;
  if (typeof soa.minimum !== "number" || !(soa.mname instanceof Object)) {
    throw options.error("The SOA record has no SOA fields (mname, minimum...)", soas[0]);
  }
  const nodes = new Map<string, ZoneNode>();
  const existing = new Set<string>();
  const apexDepth = labelTexts(apex).length;
  const seen = new Map<string, Set<string>>();
  for (const input of list) {
    if (!input.name.isSubdomainOf(apex)) {
      throw options.error(
        `The record ${describe(input)} is outside the zone ${apex.name || "."}.`,
        input,
      );
    }
    const labels = labelTexts(input.name);
    const key = lowerName(labels.join("."));
    let node = nodes.get(key);
    if (node === undefined) {
      node = { name: input.name, records: [] };
      nodes.set(key, node);
      for (let d = apexDepth; d <= labels.length; d++) {
        existing.add(lowerName(labels.slice(labels.length - d).join(".")));
      }
    }
    const text = `${input.record.TYPE} ${input.record.toText()}`;
    let texts = seen.get(key);
    if (texts === undefined) seen.set(key, texts = new Set());
    if (texts.has(text)) continue;
    texts.add(text);
    const type = input.record.TYPE;
    const others = node.records.some((r) => r.TYPE !== CNAME && !BESIDE_CNAME.has(r.TYPE));
    const hasCNAME = node.records.some((r) => r.TYPE === CNAME);
    if (type === CNAME ? others || hasCNAME : hasCNAME && !BESIDE_CNAME.has(type)) {
      throw options.error(
        `CNAME and other data at ${input.name.name}. (RFC 1034 s3.6.2): ${describe(input)}`,
        input,
      );
    }
    if (input.record.TYPE === DNAME && node.records.some((r) => r.TYPE === DNAME)) {
      throw options.error(`A second DNAME at ${input.name.name}. (RFC 6672 s2.4)`, input);
    }
    node.records.push(input.record);
  }
  return new Zone(apex, soa, options.defaultTTL ?? soa.minimum, nodes, existing);
}
