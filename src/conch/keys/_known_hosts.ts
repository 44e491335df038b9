/**
 * OpenSSH's known_hosts file (`twisted.conch.client.knownhosts`): plain
 * entries (comma-separated patterns with `*`, `?` and `!` negation,
 * `[host]:port` for other ports than 22), hashed `|1|salt|hash` entries
 * (HMAC-SHA1 of the name), `@revoked` keys; `@cert-authority` lines and
 * anything unreadable are kept in the file but never match.
 * @module
 */
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import { BadKeyError, HostKeyChanged, UserRejectedKey } from "./_errors.ts";
import { Key } from "./_key.ts";
import { decodeBase64, encodeBase64 } from "./_pem.ts";
import { hmac, sha1 } from "./_sha.ts";

/** What `KnownHostsFile.verifyHostKey` asks and tells the user through (Twisted's `ConsoleUI`). */
export interface KnownHostsUI {
  /** Asks a yes/no question; resolves true for yes. */
  prompt(message: string): Promise<boolean>;
  /** Tells the user something. */
  warn(message: string): void;
}

/** The runtime file operations `KnownHostsFile` uses. */
export type KnownHostsRuntime = Pick<RuntimeFileSystem, "readFile" | "writeFile" | "mkdir">;

/** The longest known_hosts file read (bytes). */
const MAX_FILE = 16 << 20;

/**
 * The name known_hosts stores for `host` on `port`: the host itself on port
 * 22, else `[host]:port`, as `ssh` writes it.
 *
 * @example
 * ```ts
 * import { knownHostsName } from "@tw/core/conch/keys";
 * console.log(knownHostsName("example.com", 22)); // "example.com"
 * console.log(knownHostsName("example.com", 2222)); // "[example.com]:2222"
 * ```
 */
export function knownHostsName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

interface Entry {
  line: string;
  lineno: number | null;
  marker: "" | "@revoked" | "@cert-authority";
  matches(hostname: string): boolean;
  key: Key;
}

function patternRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(
    /\?/g,
    ".",
  );
  return new RegExp(`^${body}$`, "i");
}

function hashedMatcher(field: string): ((name: string) => boolean) | null {
  const parts = field.split("|");
  if (parts.length !== 4 || parts[1] !== "1") return null;
  const salt = decodeBase64(parts[2]);
  const hash = decodeBase64(parts[3]);
  if (salt.length !== 20 || hash.length !== 20) return null;
  return (name) => {
    const mac = hmac(sha1, 64, salt, new TextEncoder().encode(name));
    let diff = 0;
    for (let i = 0; i < 20; i++) diff |= mac[i] ^ hash[i];
    return diff === 0;
  };
}

function plainMatcher(field: string): (name: string) => boolean {
  const positive: RegExp[] = [];
  const negative: RegExp[] = [];
  for (const pattern of field.split(",")) {
    if (pattern === "") continue;
    if (pattern.startsWith("!")) negative.push(patternRegExp(pattern.slice(1)));
    else positive.push(patternRegExp(pattern));
  }
  return (name) => !negative.some((re) => re.test(name)) && positive.some((re) => re.test(name));
}

function parseLine(line: string, lineno: number | null): Entry | null {
  const trimmed = line.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return null;
  const fields = trimmed.split(/\s+/);
  let marker: Entry["marker"] = "";
  if (fields[0] === "@revoked" || fields[0] === "@cert-authority") {
    marker = fields.shift() as Entry["marker"];
  } else if (fields[0].startsWith("@")) return null;
  if (fields.length < 3) return null;
  const [hosts, type, b64] = fields;
  let key: Key;
  try {
    key = Key.fromString(decodeBase64(b64), { type: "blob" });
  } catch (error) {
    if (error instanceof BadKeyError) return null;
    throw error;
  }
  if (key.sshType() !== type) return null;
  key.comment = fields.slice(3).join(" ");
  let matches: ((name: string) => boolean) | null;
  try {
    matches = hosts.startsWith("|") ? hashedMatcher(hosts) : plainMatcher(hosts);
  } catch {
    return null;
  }
  if (matches === null) return null;
  return { line, lineno, marker, matches, key };
}

/**
 * An OpenSSH known_hosts file (Twisted's `KnownHostsFile`). Host names are
 * matched case-insensitively; for a port other than 22 pass the name as
 * `[host]:port` (see `knownHostsName`). New entries are hashed, as with
 * OpenSSH's `HashKnownHosts yes`.
 *
 * @example
 * ```ts
 * import { Key, KnownHostsFile } from "@tw/core/conch/keys";
 * const known = await KnownHostsFile.fromPath("known_hosts.example");
 * const key = (await Key.generate("ed25519")).public();
 * console.log(known.hasHostKey("example.com", key)); // false
 * known.addHostKey("example.com", key);
 * console.log(known.hasHostKey("example.com", key)); // true
 * ```
 */
export class KnownHostsFile {
  /** The file's path (where `save` writes). */
  readonly path: string;
  #entries: Entry[] = [];
  #lines: string[] = [];
  #added: string[] = [];
  #runtime: KnownHostsRuntime | undefined;

  /**
   * An empty file object (see `fromPath` to read one).
   * @param path where `save` writes
   * @param options the runtime (default: the reactor's)
   */
  constructor(path: string, options: { runtime?: KnownHostsRuntime } = {}) {
    this.path = path;
    this.#runtime = options.runtime;
  }

  /** Reads `path` (a missing file is an empty one). */
  static async fromPath(
    path: string,
    options: { runtime?: KnownHostsRuntime } = {},
  ): Promise<KnownHostsFile> {
    const file = new KnownHostsFile(path, options);
    const runtime = options.runtime ?? getReactor().runtime;
    let bytes: Uint8Array;
    try {
      bytes = await runtime.readFile(path);
    } catch (error) {
      if ((error as { code?: string } | null)?.code === "ENOENT") return file;
      throw error;
    }
    if (bytes.length > MAX_FILE) throw new RangeError(`${path} is larger than 16 MiB`);
    const text = new TextDecoder().decode(bytes);
    file.#lines = text.split("\n");
    if (file.#lines.at(-1) === "") file.#lines.pop();
    file.#lines.forEach((line, i) => {
      const entry = parseLine(line.replace(/\r$/, ""), i + 1);
      if (entry) file.#entries.push(entry);
    });
    return file;
  }

  /**
   * True when `hostname` is known with `key`; false when no key of that
   * type is stored for it.
   * @throws {HostKeyChanged} when another key of the same type is stored
   *   for the host, or `key` is `@revoked`
   */
  hasHostKey(hostname: string, key: Key): boolean {
    const pub = key.public();
    let changed: Entry | null = null;
    let found = false;
    for (const entry of this.#entries) {
      if (entry.marker === "@cert-authority" || !entry.matches(hostname)) continue;
      const same = entry.key.equals(pub);
      if (entry.marker === "@revoked") {
        if (same) {
          throw new HostKeyChanged(
            `The ${key.sshType()} host key of ${hostname} is marked as revoked`,
            this.path,
            entry.lineno,
          );
        }
        continue;
      }
      if (same) found = true;
      else if (entry.key.sshType() === pub.sshType() && changed === null) changed = entry;
    }
    if (found) return true;
    if (changed !== null) {
      throw new HostKeyChanged(
        `The ${key.sshType()} host key of ${hostname} has changed (fingerprint ` +
          `${pub.fingerprint()}); ${this.path}` +
          (changed.lineno !== null ? `:${changed.lineno}` : "") + " holds another",
        this.path,
        changed.lineno,
      );
    }
    return false;
  }

  /**
   * Checks a server's host key as `ssh` does (Twisted's `verifyHostKey`):
   * known, resolves true (and adds the IP address if it is new, with a
   * warning); unknown, asks the user and, when accepted, adds the host and
   * the IP address and saves the file.
   * @throws {HostKeyChanged} when the host has another key of that type
   * @throws {UserRejectedKey} when the user declines
   */
  async verifyHostKey(ui: KnownHostsUI, hostname: string, ip: string, key: Key): Promise<boolean> {
    if (this.hasHostKey(hostname, key)) {
      if (!this.hasHostKey(ip, key)) {
        this.addHostKey(ip, key);
        await this.save();
        ui.warn(
          `Warning: Permanently added the ${key.type()} host key for IP address '${ip}' ` +
            "to the list of known hosts.",
        );
      }
      return true;
    }
    const answer = await ui.prompt(
      `The authenticity of host '${hostname} (${ip})' can't be established.\n` +
        `${key.type()} key fingerprint is ${key.fingerprint()}.\n` +
        "Are you sure you want to continue connecting (yes/no)? ",
    );
    if (!answer) throw new UserRejectedKey();
    this.addHostKey(hostname, key);
    if (ip !== hostname) this.addHostKey(ip, key);
    await this.save();
    return true;
  }

  /** Adds a hashed entry for `hostname` with `key` (written by `save`). */
  addHostKey(hostname: string, key: Key): void {
    const salt = crypto.getRandomValues(new Uint8Array(20));
    const hash = hmac(sha1, 64, salt, new TextEncoder().encode(hostname));
    const pub = key.public();
    const line = `|1|${encodeBase64(salt)}|${encodeBase64(hash)} ${
      pub.toString("openssh", { comment: "" })
    }`;
    const entry = parseLine(line, null)!;
    this.#entries.push(entry);
    this.#added.push(line);
  }

  /** Writes the file: its lines as read, then the entries added (making its folder if needed). */
  async save(): Promise<void> {
    const runtime = this.#runtime ?? getReactor().runtime;
    const slash = this.path.lastIndexOf("/");
    if (slash > 0) await runtime.mkdir(this.path.slice(0, slash), { recursive: true, mode: 0o700 });
    const lines = [...this.#lines, ...this.#added];
    await runtime.writeFile(this.path, lines.map((l) => l + "\n").join(""));
    this.#lines = lines;
    this.#added = [];
  }
}
