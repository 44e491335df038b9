/**
 * How an authoritative server answers from a zone (RFC 1034 s4.3.2, as nsd
 * does): exact matches, CNAME chains followed inside the zone, DNAME
 * substitution (RFC 6672), wildcards (RFC 4592), referrals at delegations,
 * negative answers carrying the SOA (RFC 2308), and the additional section
 * (addresses of NS, MX and SRV targets). Private to src/names/server.
 *
 * @module
 */
import { A, AAAA, ALL_RECORDS, CNAME, DNAME, IN, MX, NS, SOA, SRV } from "../wire/_constants.ts";
import { RRHeader } from "../wire/_message.ts";
import { lowerName, Name } from "../wire/_name.ts";
import type { IRecord } from "../wire/_record_base.ts";
import { Record_CNAME } from "../wire/_records.ts";
import type { Record_DNAME, Record_MX, Record_NS } from "../wire/_records.ts";
import type { Record_SRV } from "../wire/_records_data.ts";
import { AuthoritativeDomainError } from "../error.ts";
import type { LookupResult } from "../common.ts";
import { labelTexts, nameKey, type Zone, type ZoneNode } from "./_zone.ts";

/** DS lives on the parent side of a delegation (RFC 4035 s3.1.4.1). */
const DS = 43;
/** How many CNAME or DNAME steps one answer follows (nsd and BIND stop near here). */
export const MAX_CHAIN = 16;

type Step =
  | { kind: "answer"; answers: RRHeader[]; follow?: Name }
  | { kind: "nodata" | "nxdomain"; answers: RRHeader[] }
  | { kind: "referral"; answers: RRHeader[]; authority: RRHeader[] };

function header(owner: Name, record: IRecord, ttl: number, auth: boolean): RRHeader {
  return new RRHeader({ name: owner, type: record.TYPE, cls: IN, ttl, payload: record, auth });
}

/** The SOA that negative answers carry in their authority section. */
export function negativeSOA(zone: Zone): RRHeader {
  return header(zone.apex, zone.soa, zone.negativeTTL, true);
}

function suffix(labels: readonly string[], depth: number): Name {
  return new Name(labels.slice(labels.length - depth).join("."));
}

/** The records of `node` as answers owned by `owner`. */
function recordsOf(zone: Zone, node: ZoneNode, owner: Name, type: number): RRHeader[] {
  const out: RRHeader[] = [];
  for (const record of node.records) {
    if (type === ALL_RECORDS || record.TYPE === type) {
      out.push(header(owner, record, zone.ttlOf(record), true));
    }
  }
  return out;
}

/** The answer at an existing node (or the wildcard standing in for `owner`). */
function atNode(zone: Zone, node: ZoneNode | undefined, owner: Name, type: number): Step {
  if (node === undefined) return { kind: "nodata", answers: [] }; // an empty non-terminal
  if (type !== ALL_RECORDS && type !== CNAME) {
    const cname = node.records.find((r) => r.TYPE === CNAME) as Record_CNAME | undefined;
    if (cname !== undefined) {
      return {
        kind: "answer",
        answers: [header(owner, cname, zone.ttlOf(cname), true)],
        follow: cname.name,
      };
    }
  }
  const answers = recordsOf(zone, node, owner, type);
  return answers.length > 0 ? { kind: "answer", answers } : { kind: "nodata", answers: [] };
}

function referral(zone: Zone, node: ZoneNode, cut: Name): Step {
  const authority: RRHeader[] = [];
  for (const record of node.records) {
    if (record.TYPE === NS) authority.push(header(cut, record, zone.ttlOf(record), false));
  }
  return { kind: "referral", answers: [], authority };
}

function dname(zone: Zone, record: Record_DNAME, labels: string[], depth: number, type: number) {
  const owner = suffix(labels, depth);
  const ttl = zone.ttlOf(record);
  const answers = [header(owner, record, ttl, true)];
  const prefix = labels.slice(0, labels.length - depth).join(".");
  let target: Name;
  try {
    target = new Name(record.name.name === "" ? prefix : `${prefix}.${record.name.name}`);
  } catch {
    // Too long after substitution: RFC 6672 s2.2 says YXDOMAIN; we answer the DNAME alone.
    return { kind: "answer", answers } as Step;
  }
  const name = new Name(labels.join("."));
  answers.push(header(name, new Record_CNAME(target, ttl), ttl, true));
  const follow = type === CNAME || type === ALL_RECORDS ? undefined : target;
  return { kind: "answer", answers, follow } as Step;
}

/** One name's step: walks down from the apex looking for cuts and DNAMEs, then matches. */
function step(zone: Zone, name: Name, type: number): Step {
  const labels = labelTexts(name);
  const lower = labels.map(lowerName);
  const n = labels.length;
  let encloser = zone.apexDepth;
  for (let d = zone.apexDepth; d <= n; d++) {
    const key = lower.slice(n - d).join(".");
    if (!zone.existing.has(key)) break;
    encloser = d;
    const node = zone.nodes.get(key);
    if (node === undefined) continue;
    if (
      d > zone.apexDepth && !(d === n && type === DS) && node.records.some((r) => r.TYPE === NS)
    ) {
      return referral(zone, node, suffix(labels, d));
    }
    if (d < n) {
      const redirect = node.records.find((r) => r.TYPE === DNAME) as Record_DNAME | undefined;
      if (redirect !== undefined) return dname(zone, redirect, labels, d, type);
    }
  }
  if (encloser === n) return atNode(zone, zone.nodes.get(lower.join(".")), name, type);
  const closest = lower.slice(n - encloser).join(".");
  const wildcard = closest === "" ? "*" : `*.${closest}`;
  if (!zone.existing.has(wildcard)) return { kind: "nxdomain", answers: [] };
  return atNode(zone, zone.nodes.get(wildcard), name, type);
}

/** The name an NS, MX or SRV record points to, else null. */
function target(record: IRecord | null): Name | null {
  if (record === null) return null;
  if (record.TYPE === NS || record.TYPE === MX) return (record as Record_NS | Record_MX).name;
  if (record.TYPE === SRV) return (record as Record_SRV).target;
  return null;
}

/**
 * The additional section (RFC 1034 s4.3.2 step 6): the A and AAAA records the
 * zone has for the targets of NS, MX and SRV records in `sections`, those
 * already in `sections` left out. `glue` marks them non-authoritative, as
 * are addresses below a delegation.
 */
export function additional(zone: Zone, sections: RRHeader[], glue: boolean): RRHeader[] {
  const present = new Set(sections.map((rr) => `${rr.type} ${nameKey(rr.name)}`));
  const out: RRHeader[] = [];
  for (const rr of sections) {
    const name = target(rr.payload);
    if (name === null || !name.isSubdomainOf(zone.apex)) continue;
    const key = nameKey(name);
    const node = zone.nodes.get(key);
    if (node === undefined) continue;
    const auth = !glue && !zone.isBelowCut(labelTexts(name));
    for (const type of [A, AAAA]) {
      if (present.has(`${type} ${key}`)) continue;
      present.add(`${type} ${key}`);
      for (const record of node.records) {
        if (record.TYPE === type) out.push(header(name, record, zone.ttlOf(record), auth));
      }
    }
  }
  return out;
}

/**
 * Answers `type` at `name` from `zone` (`name` must be in the zone): the
 * three sections, or an `AuthoritativeDomainError` (NXDOMAIN) carrying the
 * SOA in `authority` and any CNAME chain that led there in `answers`.
 */
export function answerFromZone(zone: Zone, name: Name, type: number): LookupResult {
  const answers: RRHeader[] = [];
  const seen = new Set<string>();
  let current = name;
  for (let hop = 0;; hop++) {
    seen.add(nameKey(current));
    const result = step(zone, current, type);
    answers.push(...result.answers);
    switch (result.kind) {
      case "referral":
        return [answers, result.authority, additional(zone, result.authority, true)];
      case "nxdomain":
        throw new AuthoritativeDomainError(`${current.name || "."}: no such name`, {
          authority: [negativeSOA(zone)],
          answers,
        });
      case "nodata":
        return [answers, [negativeSOA(zone)], additional(zone, answers, false)];
    }
    const next = result.follow;
    if (
      next === undefined || hop + 1 >= MAX_CHAIN || !next.isSubdomainOf(zone.apex) ||
      seen.has(nameKey(next))
    ) {
      return [answers, [], additional(zone, answers, false)];
    }
    current = next;
  }
}

/** A zone transfer's records (RFC 5936 s2.2): the SOA, every other record, the SOA again. */
export function transferZone(zone: Zone): RRHeader[] {
  const soa = header(zone.apex, zone.soa, zone.ttlOf(zone.soa), true);
  const out = [soa];
  for (const node of zone.nodes.values()) {
    for (const record of node.records) {
      if (record.TYPE !== SOA) out.push(header(node.name, record, zone.ttlOf(record), true));
    }
  }
  out.push(soa);
  return out;
}
