/**
 * hosts(5) lookups (twisted.names.hosts): A and AAAA records from a hosts
 * file, read through the runtime and read again when it changes.
 *
 * @module
 */
import { type Deferred, fail } from "../../internet/defer.ts";
import type { Failure } from "../../internet/failure.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import { type LookupResult, ResolverBase } from "../common.ts";
import { DomainError } from "../error.ts";
import { A, AAAA, ALL_RECORDS, IN } from "../wire/_constants.ts";
import { RRHeader } from "../wire/_message.ts";
import { lowerName, normalizeName } from "../wire/_name.ts";
import { Record_A, Record_AAAA } from "../wire/_records.ts";
import { isIPv4Literal, isIPv6Literal } from "./_resolv_conf.ts";
import { DEFAULT_READ_INTERVAL, type IReactorFiles, WatchedFile } from "./_watched_file.ts";

const log = new Logger("tw.names.hosts");

/**
 * The addresses of every name in hosts(5) text: lower-cased names (without
 * a trailing dot) to their IPv4 and IPv6 addresses, in file order, each once.
 * `#` starts a comment; a line is an address and one or more names; lines
 * whose first field is no IP address are skipped.
 *
 * @example
 * ```ts
 * import { hosts } from "@tw/core/names";
 * const map = hosts.parseHostsFile("127.0.0.1 localhost Loopback # me\n::1 localhost\n");
 * console.log(map.get("localhost"), map.get("loopback")); // [ "127.0.0.1", "::1" ] [ "127.0.0.1" ]
 * ```
 */
export function parseHostsFile(text: string | Uint8Array): Map<string, string[]> {
  const source = typeof text === "string" ? text : new TextDecoder().decode(text);
  const map = new Map<string, string[]>();
  for (const raw of source.split(/\r?\n/)) {
    const hash = raw.indexOf("#");
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (line === "") continue;
    const [address, ...names] = line.split(/\s+/);
    if (names.length === 0 || (!isIPv4Literal(address) && !isIPv6Literal(address))) continue;
    for (const name of names) {
      const key = lowerName(normalizeName(name));
      const known = map.get(key);
      if (known === undefined) map.set(key, [address]);
      else if (!known.includes(address)) known.push(address);
    }
  }
  return map;
}

/** Options of {@link Resolver} (hosts). */
export interface HostsResolverOptions {
  /** The hosts file. @default "/etc/hosts" */
  file?: string;
  /** The TTL of the records made, seconds. @default 3600 */
  ttl?: number;
  /** The reactor: its clock and `runtime` (for `readFile` and `stat`). @default getReactor() */
  reactor?: IReactorFiles;
  /** Seconds between checks of the file's mtime. @default 5 */
  readInterval?: number;
}

/**
 * All the addresses `name` has in the hosts file `file` (Twisted's
 * `searchFileForAll`); empty when it has none or the file cannot be read.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { hosts } from "@tw/core/names";
 * console.log(await hosts.searchFileForAll("/etc/hosts", "localhost", reactor)); // [ "127.0.0.1", "::1" ]
 * ```
 */
export function searchFileForAll(
  file: string,
  name: string,
  reactor: IReactorFiles = getReactor(),
): Deferred<string[]> {
  return new WatchedFile(file, reactor).check().addCallbacks(
    (state) => parseHostsFile(state.text ?? "").get(lowerName(normalizeName(name))) ?? [],
    () => [],
  );
}

/**
 * The first address of `name` in the hosts file `file`, or null (Twisted's
 * `searchFileFor`).
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { hosts } from "@tw/core/names";
 * console.log(await hosts.searchFileFor("/etc/hosts", "localhost", reactor)); // 127.0.0.1
 * ```
 */
export function searchFileFor(
  file: string,
  name: string,
  reactor: IReactorFiles = getReactor(),
): Deferred<string | null> {
  return searchFileForAll(file, name, reactor).addCallback((all) => all[0] ?? null);
}

/**
 * A resolver over a hosts(5) file (Twisted's `hosts.Resolver`): A records
 * for its IPv4 addresses, AAAA for its IPv6 ones, both for ANY; names match
 * without regard to case. Anything else, and a name the file lacks, fails
 * with `DomainError`, so a `ResolverChain` asks its next resolver. The file
 * is read through `reactor.runtime` and read again when its mtime or size
 * changed, at most every `readInterval` seconds; a missing file has no names.
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { hosts, type Record_A } from "@tw/core/names";
 *
 * const resolver = new hosts.Resolver({ file: "/etc/hosts", reactor });
 * const [answers] = await resolver.lookupAddress("localhost");
 * console.log((answers[0].payload as Record_A).dottedQuad()); // 127.0.0.1
 * ```
 */
export class Resolver extends ResolverBase {
  /** The hosts file. */
  readonly file: string;
  /** The TTL of the records made, seconds. */
  ttl: number;
  readonly #watched: WatchedFile;
  #names = new Map<string, string[]>();

  /** Makes a resolver over `options.file`; nothing is read until the first lookup. */
  constructor(options: HostsResolverOptions = {}) {
    super();
    this.file = options.file ?? "/etc/hosts";
    this.ttl = options.ttl ?? 60 * 60;
    this.#watched = new WatchedFile(
      this.file,
      options.reactor ?? getReactor(),
      options.readInterval ?? DEFAULT_READ_INTERVAL,
    );
  }

  #load(): Deferred<Map<string, string[]>> {
    return this.#watched.check().addCallbacks(
      (state) => {
        if (state.changed) this.#names = parseHostsFile(state.text ?? "");
        return this.#names;
      },
      (failure: Failure) => {
        log.warn("Cannot read {file}: {message}", {
          file: this.file,
          message: failure.getErrorMessage(),
        });
        return this.#names;
      },
    );
  }

  /** Answers A, AAAA and ANY questions in class IN from the file. */
  protected doLookup(name: string, cls: number, type: number): Deferred<LookupResult> {
    if (cls !== IN || (type !== A && type !== AAAA && type !== ALL_RECORDS)) {
      return fail(new DomainError(`${name}: ${this.file} holds only A and AAAA records`));
    }
    return this.#load().addCallback((names): LookupResult => {
      const records: RRHeader[] = [];
      for (const address of names.get(lowerName(normalizeName(name))) ?? []) {
        const v4 = isIPv4Literal(address);
        if (v4 ? type === AAAA : type === A) continue;
        const payload = v4 ? new Record_A(address, this.ttl) : new Record_AAAA(address, this.ttl);
        records.push(new RRHeader({ name, ttl: this.ttl, payload }));
      }
      if (records.length === 0) throw new DomainError(`${name}: not in ${this.file}`);
      return [records, [], []];
    });
  }
}
