/**
 * aliases(5) (`twisted.mail.alias`): `loadAliasFile`, `AddressAlias`, `FileAlias`,
 * `ProcessAlias`, `AliasGroup`, and the message writers behind them.
 * Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import type { IReactorTime } from "../../internet/interfaces.ts";
import type { IProcessTransport, ProcessProtocol } from "../../internet/protocol.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { Logger } from "../../logger/mod.ts";
import { Address, User } from "../smtp/_address.ts";
import { SMTPBadRcpt } from "../smtp/_errors.ts";
import type { IMessage } from "../smtp/_interfaces.ts";
import type { IDomain } from "./_domain.ts";
import { AliasProcess, FileWrapper, MessageWrapper, MultiWrapper } from "./_alias_messages.ts";

const log = new Logger("tw.mail.alias");
const dec = new TextDecoder();
const MAX_ALIAS_FILE = 1 << 20;
const MAX_INCLUDE_DEPTH = 4;

/** Where aliases find their domain: `getItem(name)` gives the domain (or the default). */
export interface DomainLookup {
  /** The domain named `name`, or the default domain. */
  getItem(name: string): IDomain;
}

/** One alias (`IAlias`): what a local part expands to. */
export interface IAlias {
  /** A writer for a message to this alias. */
  createMessageReceiver(): IMessage | Promise<IMessage>;
  /**
   * The writer for a message to this alias, following other aliases of
   * `aliasmap`; null when it leads nowhere. `memo` holds the aliases seen.
   */
  resolve(aliasmap: Record<string, IAlias>, memo?: Set<string>): Promise<IMessage | null>;
  /** A description, also the key in `memo`. */
  toString(): string;
}

/** What aliases need from the runtime. */
export interface AliasOptions {
  /** Reads and writes files (`FileAlias`, `loadAliasFile`). @default the reactor's runtime */
  runtime?: RuntimeFileSystem;
  /** Spawns processes and times them out (`ProcessAlias`). @default the reactor */
  reactor?: IReactorTime & {
    spawnProcess(p: ProcessProtocol, exe: string, args?: string[]): IProcessTransport;
  };
}

/** The common part of the aliases (`AliasBase`): the alias' own address and the domains. *
 * @example
 * ```ts
 * import { AliasBase, BounceDomain, DomainWithDefaultDict, type IDomain } from "@tw/core/mail";
 * import type { IMessage } from "@tw/core/mail";
 * class DropAlias extends AliasBase {
 *   createMessageReceiver(): IMessage {
 *     return { lineReceived() {}, eomReceived: () => "dropped", connectionLost() {} };
 *   }
 *   override toString(): string {
 *     return "<Drop>";
 *   }
 * }
 * const domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
 * const message = await new DropAlias(domains, "spam").resolve({});
 * console.log(message !== null); // true
 * ```
 */
export abstract class AliasBase implements IAlias {
  /** The domains the alias resolves in. */
  readonly domains: DomainLookup;
  /** The alias' own address (the local part of the aliases file). */
  readonly original: Address;

  /**
   * Makes the alias.
   * @param domains the domains (`MailService.domains`)
   * @param original the alias' own name
   */
  constructor(domains: DomainLookup, original: string | Address) {
    this.domains = domains;
    this.original = new Address(original);
  }

  /** The domain of the alias' own address. */
  domain(): IDomain {
    return this.domains.getItem(this.original.domain);
  }

  /** A writer for a message to this alias. */
  abstract createMessageReceiver(): IMessage | Promise<IMessage>;

  /** The writer, unless this alias was seen already (a loop): then null. */
  resolve(
    _aliasmap: Record<string, IAlias>,
    memo: Set<string> = new Set(),
  ): Promise<IMessage | null> {
    const key = String(this);
    if (memo.has(key)) return Promise.resolve(null);
    memo.add(key);
    return Promise.resolve(this.createMessageReceiver());
  }
}

/**
 * An alias to another address (`AddressAlias`): resolved through that
 * address's domain (the alias' own domain when the target has none), then
 * through the aliases when the domain refuses it.
 *
 * @example
 * ```ts
 * import { AddressAlias, BounceDomain, DomainWithDefaultDict, type IDomain } from "@tw/core/mail";
 * const domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
 * const alias = new AddressAlias("alice@example.com", domains, "root");
 * console.log(String(alias)); // <Address alice@example.com>
 * console.log(await alias.resolve({})); // null (nobody takes it)
 * ```
 */
export class AddressAlias extends AliasBase {
  /** The address mail goes to. */
  readonly alias: Address;

  /**
   * Makes the alias.
   * @param alias the target address
   * @param domains the domains
   * @param original the alias' own name
   */
  constructor(alias: string | Address, domains: DomainLookup, original: string | Address) {
    super(domains, original);
    this.alias = new Address(alias);
  }

  /** `<Address target>`. */
  override toString(): string {
    return `<Address ${this.alias}>`;
  }

  #target(): User {
    const domain = this.alias.domain || this.original.domain;
    const address = new Address(domain ? `${this.alias.local}@${domain}` : this.alias.local);
    return new User(address, null, null, "");
  }

  /** The target domain's writer for the target address (fails when it refuses it). */
  override async createMessageReceiver(): Promise<IMessage> {
    const user = this.#target();
    const make = await this.domains.getItem(user.dest.domain).exists(user, new Set());
    return make();
  }

  /** The target's writer, or the writer of the alias named like the target, or null. */
  override async resolve(
    aliasmap: Record<string, IAlias>,
    memo: Set<string> = new Set(),
  ): Promise<IMessage | null> {
    const key = String(this);
    if (memo.has(key)) return null;
    memo.add(key);
    const user = this.#target();
    try {
      const make = await this.domains.getItem(user.dest.domain).exists(user, memo);
      return make();
    } catch (error) {
      if (!(error instanceof SMTPBadRcpt)) throw error;
    }
    const next = Object.hasOwn(aliasmap, this.alias.local) ? aliasmap[this.alias.local] : null;
    return next === null ? null : await next.resolve(aliasmap, memo);
  }
}

/**
 * An alias to a file (`/path` in an aliases file; Twisted's `FileAlias`):
 * each message is appended to it.
 *
 * @example
 * ```ts
 * import { BounceDomain, DomainWithDefaultDict, FileAlias, type IDomain } from "@tw/core/mail";
 * const domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
 * console.log(String(new FileAlias("/var/mail/archive", domains, "archive")));
 * // <File /var/mail/archive>
 * ```
 */
export class FileAlias extends AliasBase {
  /** The file. */
  readonly filename: string;
  #fs: RuntimeFileSystem | undefined;

  /**
   * Makes the alias.
   * @param filename the file messages are appended to
   * @param domains the domains
   * @param original the alias' own name
   * @param options the runtime
   */
  constructor(
    filename: string,
    domains: DomainLookup,
    original: string | Address,
    options: AliasOptions = {},
  ) {
    super(domains, original);
    this.filename = filename;
    this.#fs = options.runtime;
  }

  /** `<File path>`. */
  override toString(): string {
    return `<File ${this.filename}>`;
  }

  /** A `FileWrapper` for the file. */
  createMessageReceiver(): FileWrapper {
    return new FileWrapper(this.filename, this.#fs ?? getReactor().runtime);
  }
}

/**
 * An alias to a program (`|/path args` in an aliases file; Twisted's
 * `ProcessAlias`): each message is written to a new process' standard input;
 * it is delivered once the process exits with status 0. The command is split
 * at white space (no shell).
 *
 * @example
 * ```ts
 * import { BounceDomain, DomainWithDefaultDict, type IDomain, ProcessAlias } from "@tw/core/mail";
 * const domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
 * const alias = new ProcessAlias("/usr/bin/logger -t mail", domains, "log");
 * console.log(alias.program, alias.path); // /usr/bin/logger [ "/usr/bin/logger", "-t", "mail" ]
 * ```
 */
export class ProcessAlias extends AliasBase {
  /** The program and its arguments. */
  readonly path: string[];
  /** The program. */
  readonly program: string;
  #reactor: AliasOptions["reactor"];

  /**
   * Makes the alias.
   * @param path the command line (split at white space)
   * @param domains the domains
   * @param original the alias' own name
   * @param options the reactor that spawns the process
   */
  constructor(
    path: string,
    domains: DomainLookup,
    original: string | Address,
    options: AliasOptions = {},
  ) {
    super(domains, original);
    this.path = path.trim().split(/\s+/).filter(Boolean);
    if (this.path.length === 0) throw new TypeError("A process alias needs a program");
    this.program = this.path[0];
    this.#reactor = options.reactor;
  }

  /** `<Process program args>`. */
  override toString(): string {
    return `<Process ${this.path.join(" ")}>`;
  }

  /** Starts the process; the wrapper writes the message to it. */
  createMessageReceiver(): MessageWrapper {
    const reactor = this.#reactor ?? getReactor();
    const protocol = new AliasProcess();
    const wrapper = new MessageWrapper(protocol, this.program, reactor);
    reactor.spawnProcess(protocol, this.program, this.path);
    return wrapper;
  }
}

/**
 * The targets of one alias line (Twisted's `AliasGroup`): addresses
 * (`AddressAlias`), `/files` (`FileAlias`) and `|programs` (`ProcessAlias`).
 * `:include:` entries are expanded by `loadAliasFile` before.
 *
 * @example
 * ```ts
 * import { AliasGroup, BounceDomain, DomainWithDefaultDict, type IDomain } from "@tw/core/mail";
 * const domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
 * const group = new AliasGroup(["alice", "/var/mail/archive", "|/usr/bin/true"], domains, "all");
 * console.log(group.length); // 3
 * ```
 */
export class AliasGroup extends AliasBase {
  /** The targets. */
  readonly aliases: IAlias[] = [];

  /**
   * Makes the group.
   * @param items the targets as written in the aliases file
   * @param domains the domains
   * @param original the alias' own name
   * @param options the runtime and reactor for files and programs
   */
  constructor(
    items: string[],
    domains: DomainLookup,
    original: string | Address,
    options: AliasOptions = {},
  ) {
    super(domains, original);
    for (const raw of items) {
      const item = raw.trim();
      if (item === "") continue;
      try {
        if (item.startsWith(":")) {
          log.error("Alias {name}: include {item} not expanded", { name: original, item });
        } else if (item.startsWith("|")) {
          this.aliases.push(new ProcessAlias(item.slice(1), domains, original, options));
        } else if (item.startsWith("/")) {
          this.aliases.push(new FileAlias(item, domains, original, options));
        } else {
          this.aliases.push(new AddressAlias(item, domains, original));
        }
      } catch (error) {
        log.error("Alias {name}: invalid target {item}: {error}", {
          name: String(original),
          item,
          error: String(error),
        });
      }
    }
  }

  /** The number of targets. */
  get length(): number {
    return this.aliases.length;
  }

  /** `<AliasGroup [...]>`. */
  override toString(): string {
    return `<AliasGroup [${this.aliases.map(String).join(", ")}]>`;
  }

  /** A `MultiWrapper` of every target's writer. */
  override async createMessageReceiver(): Promise<MultiWrapper> {
    return new MultiWrapper(await Promise.all(this.aliases.map((a) => a.createMessageReceiver())));
  }

  /** A `MultiWrapper` of the targets that resolve (possibly none). */
  override async resolve(
    aliasmap: Record<string, IAlias>,
    memo: Set<string> = new Set(),
  ): Promise<MultiWrapper> {
    const found: IMessage[] = [];
    for (const alias of this.aliases) {
      const message = await alias.resolve(aliasmap, memo);
      // A group that led nowhere (an alias loop) adds nothing.
      if (message === null || (message instanceof MultiWrapper && message.objs.length === 0)) {
        continue;
      }
      found.push(message);
    }
    return new MultiWrapper(found);
  }
}

/** Options of `loadAliasFile`. */
export interface LoadAliasFileOptions extends AliasOptions {
  /**
   * The file's text, instead of reading `filename`.
   * @default undefined
   */
  text?: string;
  /**
   * The domain the aliases belong to: alias names and targets without a
   * domain are in it (Twisted leaves them without one: the domain named "").
   * @default ""
   */
  domain?: string;
}

/** The alias lines of an aliases(5) text: `name: target, target` with indented continuations. */
export function parseAliasLines(
  text: string,
  filename = "<unknown>",
): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let prev = "";
  let prevLine = 0;
  const handle = (line: string, lineNo: number): void => {
    const colon = line.indexOf(":");
    if (colon < 0) {
      log.error("Invalid format on line {line} of alias file {file}", {
        line: lineNo,
        file: filename,
      });
      return;
    }
    const user = line.slice(0, colon).trim().toLowerCase();
    if (user === "") return;
    const targets = line.slice(colon + 1).split(",").map((s) => s.trim()).filter(Boolean);
    const list = result.get(user) ?? [];
    list.push(...targets);
    result.set(user, list);
  };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    if (line.trimStart().startsWith("#")) continue;
    if (line.startsWith(" ") || line.startsWith("\t")) {
      prev += line;
      continue;
    }
    if (prev.trim() !== "") handle(prev, prevLine);
    prev = line;
    prevLine = i + 1;
  }
  if (prev.trim() !== "") handle(prev, prevLine);
  return result;
}

async function readText(fs: RuntimeFileSystem, path: string): Promise<string> {
  const bytes = await fs.readFile(path);
  if (bytes.byteLength > MAX_ALIAS_FILE) {
    throw new RangeError(`Alias file ${path} is larger than ${MAX_ALIAS_FILE} bytes`);
  }
  return dec.decode(bytes);
}

async function expandIncludes(
  fs: RuntimeFileSystem,
  items: string[],
  depth: number,
): Promise<string[]> {
  const out: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (!item.startsWith(":")) {
      out.push(item);
      continue;
    }
    const file = item.startsWith(":include:") ? item.slice(9).trim() : item.slice(1).trim();
    if (depth >= MAX_INCLUDE_DEPTH) {
      log.error("Alias include {file} nested too deep", { file });
      continue;
    }
    try {
      const text = await readText(fs, file);
      const more = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => !l.startsWith("#"));
      out.push(...await expandIncludes(fs, more.join(",").split(","), depth + 1));
    } catch (error) {
      log.error("Invalid filename in alias file {file}: {error}", { file, error: String(error) });
    }
  }
  return out.filter((s) => s !== "");
}

/**
 * Reads an aliases(5) file (Twisted's `loadAliasFile`): `name: target, ...`
 * lines, `#` comments, indented continuation lines; targets are addresses,
 * `/files`, `|programs` and `:include:/path` (also Twisted's `:/path`) lists.
 * Returns an `AliasGroup` per name (names lowercased). Bad lines are logged
 * and skipped; a file over 1 MiB is refused. With `domain`, targets without
 * a domain are that domain's users.
 *
 * @example
 * ```ts
 * import { BounceDomain, DomainWithDefaultDict, type IDomain, loadAliasFile } from "@tw/core/mail";
 * const domains = new DomainWithDefaultDict<IDomain>(new Map(), new BounceDomain());
 * const aliases = await loadAliasFile(domains, "aliases", {
 *   text: "# staff\npostmaster: alice, bob\nall: alice,\n  bob, /var/mail/all\n",
 * });
 * console.log(Object.keys(aliases), aliases.all.length); // [ "postmaster", "all" ] 3
 * ```
 */
export async function loadAliasFile(
  domains: DomainLookup,
  filename: string,
  options: LoadAliasFileOptions = {},
): Promise<Record<string, AliasGroup>> {
  const fs = options.runtime ?? getReactor().runtime;
  const text = options.text ?? await readText(fs, filename);
  const result: Record<string, AliasGroup> = {};
  for (const [user, items] of parseAliasLines(text, filename)) {
    const expanded = await expandIncludes(fs, items, 0);
    const original = options.domain ? `${user}@${options.domain}` : user;
    try {
      result[user] = new AliasGroup(expanded, domains, original, options);
    } catch (error) {
      log.error("Invalid alias name {name} in {file}: {error}", {
        name: user,
        file: filename,
        error: String(error),
      });
    }
  }
  return result;
}
