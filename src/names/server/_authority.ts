/**
 * Authoritative resolvers (twisted.names.authority): `FileAuthority`, which
 * answers from one zone held in memory, and the two ways of loading one:
 * `BindAuthority` (a BIND master file, `$INCLUDE` included) and
 * `ModuleAuthority` (a TypeScript module exporting `zone`, Twisted's
 * `PySourceAuthority`). Private to src/names; `authority.ts` is the public face.
 *
 * @module
 */
import { Deferred, fail, maybeDeferred } from "../../internet/defer.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { ResolverBase } from "../common.ts";
import type { LookupResult } from "../common.ts";
import { DomainError } from "../error.ts";
import { ANY, AXFR, classToText, IN, IXFR } from "../wire/_constants.ts";
import { Name } from "../wire/_name.ts";
import type { IRecord } from "../wire/_record_base.ts";
import type { Record_SOA } from "../wire/_records.ts";
import { answerFromZone, transferZone } from "./_answer.ts";
import { ZoneHistory } from "./_ixfr.ts";
import { buildZone, nameKey, type Zone, type ZoneInput } from "./_zone.ts";
import { parseZoneFile, resolveIncludePath, ZoneFileError, type ZoneRecord } from "./_zone_file.ts";

/** Checks and installs a zone into an authority (the subclasses' way in; set below). */
let install: (
  authority: FileAuthority,
  inputs: Iterable<ZoneInput>,
  error: (reason: string, input: ZoneInput | undefined) => Error,
) => void;

/** One record of a zone given in code: its owner name and its data. */
export type ZoneItem = readonly [name: string | Name, record: IRecord];

/** Options of `FileAuthority`. */
export interface FileAuthorityOptions {
  /** The TTL of records whose `ttl` is null. @default the SOA's minimum */
  defaultTTL?: number;
  /**
   * How many versions' differences to keep for IXFR (RFC 1995), within
   * twice the zone's records all told; 0 keeps none (every IXFR then gets
   * the whole zone). @default 10
   */
  ixfrVersions?: number;
}

function incremental(
  zone: Zone | null,
  history: ZoneHistory,
  name: string,
  serial: number,
): LookupResult {
  if (zone === null) throw new DomainError(`${name || "."}: no zone loaded`);
  if (nameKey(new Name(name)) !== zone.apexKey) {
    throw new DomainError(`${name || "."}: not a zone (the zone is ${zone.apex.name || "."})`);
  }
  return [history.answer(zone, serial) ?? transferZone(zone), [], []];
}

function answer(zone: Zone | null, name: string, cls: number, type: number): LookupResult {
  if (zone === null) throw new DomainError(`${name || "."}: no zone loaded`);
  const qname = new Name(name);
  if ((cls !== IN && cls !== ANY) || !qname.isSubdomainOf(zone.apex)) {
    throw new DomainError(`${name || "."}: not in the zone ${zone.apex.name || "."}`);
  }
  if (type === AXFR || type === IXFR) {
    if (nameKey(qname) !== zone.apexKey) {
      throw new DomainError(`${name}: not a zone (the zone is ${zone.apex.name || "."})`);
    }
    return [transferZone(zone), [], []];
  }
  return answerFromZone(zone, qname, type);
}

/**
 * An authority for one zone held in memory (Twisted's `FileAuthority`): it
 * answers as an authoritative server does (RFC 1034 s4.3.2, as nsd): AA on
 * its answers, NXDOMAIN and NODATA with the SOA (RFC 2308), wildcards (RFC
 * 4592), referrals below delegations (glue in additional, no AA), CNAME
 * chains followed inside the zone, DNAME (RFC 6672), the addresses of NS, MX
 * and SRV targets in additional, ANY, AXFR through `lookupZone` and IXFR
 * through `lookupIncrementalZone`. Names outside the zone fail with a plain
 * `DomainError`, so a chain moves on; names inside that do not exist fail
 * with `AuthoritativeDomainError`.
 *
 * Give it the zone's records in code, the SOA among them (its owner is the
 * zone's name); records outside the zone, a second SOA, or a CNAME beside
 * other data are refused with a `RangeError` naming the record.
 *
 * @example
 * ```ts
 * import { FileAuthority, Record_A, Record_SOA } from "@tw/core/names";
 *
 * const authority = new FileAuthority([
 *   ["example.com", new Record_SOA({ mname: "ns1.example.com", minimum: 300, ttl: 3600 })],
 *   ["www.example.com", new Record_A("192.0.2.80", 600)],
 * ]);
 * const [answers] = await authority.lookupAddress("www.example.com");
 * console.log(answers[0].toString(), answers[0].auth); // www.example.com. 600 IN A 192.0.2.80 true
 * ```
 */
export class FileAuthority extends ResolverBase {
  #zone: Zone | null = null;
  #records: Map<string, readonly IRecord[]> | null = null;
  #generation = 0;
  readonly #defaultTTL: number | undefined;
  readonly #history: ZoneHistory;

  static {
    install = (authority, inputs, error) => {
      const zone = buildZone(inputs, { defaultTTL: authority.#defaultTTL, error });
      authority.#history.update(authority.#zone, zone);
      authority.#zone = zone;
      authority.#records = null;
      authority.#generation++;
    };
  }

  /**
   * Counts the zones loaded: answers change only when it does, so a server
   * may keep encoded replies until then (`DNSServerFactory`'s `replyCache`).
   */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Makes the authority, with the zone's records when given (a subclass
   * loads them later with `loadZone`).
   * @throws RangeError for a zone without one SOA, or with a record outside it
   */
  constructor(zone?: Iterable<ZoneItem>, options: FileAuthorityOptions = {}) {
    super();
    this.#defaultTTL = options.defaultTTL;
    this.#history = new ZoneHistory(options.ixfrVersions ?? 10);
    if (zone !== undefined) this.loadZone(zone);
  }

  /** The zone's name and SOA record (Twisted's `soa`), or null before a zone is loaded. */
  get soa(): [name: string, record: Record_SOA] | null {
    return this.#zone === null ? null : [this.#zone.apex.name, this.#zone.soa];
  }

  /**
   * The records by lower-cased owner name (Twisted's `records`); read-only:
   * load a new zone to change them.
   */
  get records(): ReadonlyMap<string, readonly IRecord[]> {
    if (this.#records === null) {
      this.#records = new Map();
      for (const [key, node] of this.#zone?.nodes ?? []) this.#records.set(key, node.records);
    }
    return this.#records;
  }

  /**
   * Replaces the zone with `items` (all checked first: on error the old zone stays).
   * @throws RangeError naming the record at fault
   */
  protected loadZone(items: Iterable<ZoneItem>): void {
    const inputs: ZoneInput[] = [];
    let i = 0;
    for (const item of items) {
      if (!Array.isArray(item) || item.length !== 2 || !isRecord(item[1])) {
        throw new TypeError(`Zone item ${i} is not a [name, record] pair`);
      }
      inputs.push({ name: new Name(item[0]), record: item[1], where: `zone item ${i}` });
      i++;
    }
    install(this, inputs, (reason, input) => {
      return new RangeError(input?.where ? `${input.where}: ${reason}` : reason);
    });
  }

  /**
   * An incremental zone transfer (IXFR, RFC 1995) for a client holding
   * version `serial` of the zone `name`: fires with the answer section, which
   * is the current SOA alone when the client is current; else the
   * differences since its version (SOA new; per version SOA old, records
   * removed, SOA next, records added; SOA new), when the kept ones
   * (`ixfrVersions`) reach back that far; else the whole zone as AXFR sends
   * it. Each load whose serial grew (RFC 1982) keeps one more version.
   *
   * @example
   * ```ts
   * import { BindAuthority, type Record_SOA, SOA } from "@tw/core/names";
   *
   * const files = new Map<string, string>();
   * const text = (serial: number, www: string) =>
   *   `$TTL 3600\n@ SOA ns1 hostmaster ${serial} 7200 3600 1209600 300\nwww A ${www}\n`;
   * const runtime = {
   *   readFile: (path: string) => Promise.resolve(new TextEncoder().encode(files.get(path))),
   * };
   * files.set("example.com.zone", text(1, "192.0.2.1"));
   * const authority = await BindAuthority.load("example.com.zone", { reactor: { runtime } });
   * files.set("example.com.zone", text(2, "192.0.2.2"));
   * await authority.reload();
   * const [records] = await authority.lookupIncrementalZone("example.com", 1);
   * const shown = records.map((rr) =>
   *   rr.type === SOA ? (rr.payload as Record_SOA).serial : rr.payload!.toText()
   * );
   * console.log(shown.join(" ")); // 2 1 192.0.2.1 2 192.0.2.2 2
   * ```
   */
  lookupIncrementalZone(name: string, serial: number): Deferred<LookupResult> {
    if (!Number.isInteger(serial) || serial < 0 || serial > 0xffffffff) {
      return fail(new RangeError(`Bad SOA serial: ${serial}`));
    }
    return maybeDeferred(incremental, this.#zone, this.#history, name, serial);
  }

  /** Answers from the zone. */
  protected doLookup(name: string, cls: number, type: number): Deferred<LookupResult> {
    return maybeDeferred(answer, this.#zone, name, cls, type);
  }
}

function isRecord(value: unknown): value is IRecord {
  const v = value as Partial<IRecord> | null;
  return v !== null && typeof v === "object" && typeof v.TYPE === "number" &&
    typeof v.encode === "function" && typeof v.toText === "function";
}

/** What `ModuleAuthority` reads: a module's exports with `zone`. */
export interface ZoneModule {
  /** The zone's records, `[name, record]` pairs, the SOA first by convention. */
  readonly zone: Iterable<ZoneItem>;
}

/** Options of `ModuleAuthority`. */
export interface ModuleAuthorityOptions extends FileAuthorityOptions {
  /** What to call the module in errors (its path). @default "the zone module" */
  name?: string;
}

/**
 * An authority whose zone a TypeScript or JavaScript module exports as
 * `zone`: an array of `[name, record]` pairs, the SOA first (Twisted's
 * `PySourceAuthority`, which ran a Python file; `tw dns --zone MODULE`
 * imports the module and passes it here).
 *
 * @example
 * ```ts
 * import { ModuleAuthority, Record_MX, Record_SOA, type ZoneItem } from "@tw/core/names";
 *
 * // zones/example.ts would `export const zone: ZoneItem[] = [...]`.
 * const module = {
 *   zone: [
 *     ["example.com", new Record_SOA({ mname: "ns1.example.com", minimum: 300 })],
 *     ["example.com", new Record_MX(10, "mail.example.com")],
 *   ] satisfies ZoneItem[],
 * };
 * const authority = new ModuleAuthority(module, { name: "zones/example.ts" });
 * console.log(authority.soa?.[0]); // example.com
 * ```
 */
export class ModuleAuthority extends FileAuthority {
  /**
   * Loads the module's `zone`.
   * @throws TypeError when the module exports no zone; RangeError for a bad record
   */
  constructor(module: ZoneModule | Record<string, unknown>, options: ModuleAuthorityOptions = {}) {
    super(undefined, options);
    const label = options.name ?? "the zone module";
    const zone = (module as Partial<ZoneModule>).zone;
    if (zone === undefined || zone === null || typeof zone[Symbol.iterator] !== "function") {
      throw new TypeError(`No zone defined in ${label}: it must export zone, [name, record] pairs`);
    }
    try {
      this.loadZone(zone);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const Type = error instanceof TypeError ? TypeError : RangeError;
      throw new Type(`${label}: ${message}`, { cause: error });
    }
  }
}

/** Options of `BindAuthority`. */
export interface BindAuthorityOptions extends FileAuthorityOptions {
  /** Where files are read from. @default getReactor() */
  reactor?: { runtime: Pick<RuntimeFileSystem, "readFile"> };
  /**
   * The origin before the file's first `$ORIGIN`. @default the file's base
   * name less a `.zone` or `.db` extension (Twisted takes the base name)
   */
  origin?: string;
  /** The zone file's text, parsed at once instead of reading `file`. */
  text?: string;
  /** Texts of `$INCLUDE`d files by path (as `resolveIncludePath` makes it), with `text`. */
  includes?: Readonly<Record<string, string>>;
  /** How deep `$INCLUDE` may nest. @default 8 */
  maxIncludeDepth?: number;
}

/** How many files one zone may include, all told. */
const MAX_INCLUDED_FILES = 256;

class NeedInclude extends Error {
  readonly path: string;
  constructor(path: string) {
    super(`${path} is not read yet`);
    this.path = path;
  }
}

function neededInclude(error: unknown): NeedInclude | null {
  for (let e = error, i = 0; e instanceof Error && i < 10; e = e.cause, i++) {
    if (e instanceof NeedInclude) return e;
  }
  return null;
}

function readError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  if (code === "ENOENT" || (error as Error | null)?.name === "NotFound") {
    return "no such file or directory";
  }
  if (code === "EACCES" || (error as Error | null)?.name === "PermissionDenied") {
    return "permission denied";
  }
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

function defaultOrigin(file: string): string {
  const base = file.slice(file.lastIndexOf("/") + 1);
  return base.replace(/\.(zone|db)$/i, "") || ".";
}

const decoder = new TextDecoder();

/**
 * An authority loading a BIND master file (Twisted's `BindAuthority`) with
 * the project's zone file parser: `$ORIGIN`, `$TTL`, `$INCLUDE` (relative
 * paths from the including file), TTL units, RFC 3597 generic records.
 *
 * Reading files is asynchronous, so loading is: `BindAuthority.load(file)`
 * fires with the authority once it is loaded (or fails with a
 * `ZoneFileError` naming the file and line); `new BindAuthority(file)`
 * starts loading, answers once `ready` has fired, and fails its lookups if
 * loading failed. `reload()` reads the file again (`tw dns` on SIGHUP) and
 * keeps the old zone if the new one is bad. With the `text` option the zone
 * is parsed at once, synchronously.
 *
 * @example
 * ```ts
 * import { BindAuthority } from "@tw/core/names";
 *
 * const text = `$ORIGIN example.com.
 * $TTL 3600
 * @   SOA ns1 hostmaster 2026120601 7200 3600 1209600 300
 *     NS  ns1
 * ns1 A   192.0.2.53
 * `;
 * const authority = new BindAuthority("db.example.com", { text });
 * const [answers, , additional] = await authority.lookupNameservers("example.com");
 * console.log(answers[0].toString()); // example.com. 3600 IN NS ns1.example.com.
 * console.log(additional[0].toString()); // ns1.example.com. 3600 IN A 192.0.2.53
 * // From a file: const loaded = await BindAuthority.load("/etc/tw/db.example.com");
 * ```
 */
export class BindAuthority extends FileAuthority {
  /** The zone file's path. */
  readonly file: string;
  readonly #options: BindAuthorityOptions;
  #loading: Promise<void>;

  /**
   * Starts loading `file` (or parses `options.text` at once).
   * @throws ZoneFileError at once, for a bad `options.text`
   */
  constructor(file: string, options: BindAuthorityOptions = {}) {
    super(undefined, options);
    this.file = file;
    this.#options = options;
    if (options.text !== undefined) {
      const includes = options.includes ?? {};
      this.#install(this.#parse(options.text, (path) => includes[path]));
      this.#loading = Promise.resolve();
    } else {
      this.#loading = this.#read().then((records) => this.#install(records));
      this.#loading.catch(() => {}); // observed through ready and the lookups
    }
  }

  /** Loads `file`; fires with the authority, or fails with the reason (naming file and line). */
  static load(file: string, options: BindAuthorityOptions = {}): Deferred<BindAuthority> {
    const authority = new BindAuthority(file, options);
    return authority.ready;
  }

  /** Fires with this authority once its zone is loaded; fails if loading failed. */
  get ready(): Deferred<this> {
    return Deferred.fromPromise(this.#loading.then(() => this));
  }

  /**
   * Reads the file again and installs the new zone; on error the old zone
   * stays and the Deferred fails with the reason.
   */
  reload(): Deferred<void> {
    const next = this.#loading.catch(() => {}).then(() => this.#read())
      .then((records) => this.#install(records));
    this.#loading = next.catch(() => {}); // a failed reload keeps the zone answering
    return Deferred.fromPromise(next);
  }

  /** Answers once loaded. */
  protected override doLookup(name: string, cls: number, type: number): Deferred<LookupResult> {
    if (this.soa !== null) return super.doLookup(name, cls, type);
    const waited = this.#loading.then(() => super.doLookup(name, cls, type));
    return Deferred.fromPromise(waited);
  }

  /** Answers once loaded (see `FileAuthority.lookupIncrementalZone`). */
  override lookupIncrementalZone(name: string, serial: number): Deferred<LookupResult> {
    if (this.soa !== null) return super.lookupIncrementalZone(name, serial);
    const waited = this.#loading.then(() => super.lookupIncrementalZone(name, serial));
    return Deferred.fromPromise(waited);
  }

  #parse(text: string, include: (path: string) => string | Error | undefined): ZoneRecord[] {
    const options = this.#options;
    return parseZoneFile(text, {
      file: this.file,
      origin: options.origin ?? defaultOrigin(this.file),
      defaultTTL: options.defaultTTL,
      maxIncludeDepth: options.maxIncludeDepth,
      readInclude: (path, from) => {
        const resolved = resolveIncludePath(path, from);
        const found = include(resolved);
        if (found === undefined) {
          if (options.text !== undefined) throw new Error("not given in the includes option");
          throw new NeedInclude(resolved);
        }
        if (found instanceof Error) throw found;
        return found;
      },
    });
  }

  async #read(): Promise<ZoneRecord[]> {
    const runtime = (this.#options.reactor ?? getReactor()).runtime;
    let text: string;
    try {
      text = decoder.decode(await runtime.readFile(this.file));
    } catch (error) {
      throw new Error(`Cannot read zone file ${this.file}: ${readError(error)}`, { cause: error });
    }
    const files = new Map<string, string | Error>();
    for (;;) {
      try {
        return this.#parse(text, (path) => files.get(path));
      } catch (error) {
        const need = neededInclude(error);
        if (need === null) throw error;
        if (files.size >= MAX_INCLUDED_FILES) {
          throw new Error(`Zone file ${this.file} includes more than ${MAX_INCLUDED_FILES} files`);
        }
        try {
          files.set(need.path, decoder.decode(await runtime.readFile(need.path)));
        } catch (cause) {
          files.set(need.path, new Error(readError(cause), { cause }));
        }
      }
    }
  }

  #install(records: ZoneRecord[]): void {
    const inputs: (ZoneInput & { file: string; line: number })[] = [];
    for (const r of records) {
      if (r.cls !== IN) {
        throw new ZoneFileError(
          `Class ${classToText(r.cls)} is not served: only IN`,
          r.file,
          r.line,
        );
      }
      inputs.push({ name: r.name, record: r.record, file: r.file, line: r.line });
    }
    install(this, inputs, (reason, input) => {
      const at = input as { file?: string; line?: number } | undefined;
      if (at?.file !== undefined && at.line !== undefined) {
        return new ZoneFileError(reason, at.file, at.line);
      }
      return new SyntaxError(`${this.file}: ${reason}`);
    });
  }
}
