// Maildir storage (twisted.mail.maildir): the directory layout, delivery through
// tmp/ -> fsync -> rename into new/ -> fsync of new/ (shared by concurrent deliveries),
// and a mailbox view of cur/ and new/ for POP3.
// All file access goes through the runtime's file system.
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { md5 } from "../../cred/_md5.ts";
import { startEntry } from "./_dir_sync.ts";

const encoder = new TextEncoder();
const LF = 0x0a;
const CR = 0x0d;

/**
 * A maildir operation failed because the mailbox is over its quota.
 *
 * @example
 * ```ts
 * import { deliverToMaildir, MaildirQuotaExceeded } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * try {
 *   await deliverToMaildir(reactor.runtime, "/tmp/mail/alice", new Uint8Array(10), { quota: 5 });
 * } catch (e) {
 *   if (!(e instanceof MaildirQuotaExceeded)) throw e;
 * }
 * ```
 */
export class MaildirQuotaExceeded extends Error {
  /**
   * Makes the instance.
   * @param message what was refused
   */
  constructor(message: string) {
    super(message);
    this.name = "MaildirQuotaExceeded";
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null
    ? (error as { code?: string }).code
    : undefined;
}

const join = (...parts: string[]): string => parts.join("/").replace(/\/+/g, "/");

/**
 * Creates a maildir user directory (`new`, `cur`, `tmp` and a `.Trash` folder,
 * mode 0700) unless it already exists, as Twisted's `initializeMaildir` does.
 *
 * @example
 * ```ts
 * import { initializeMaildir } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * await initializeMaildir(reactor.runtime, "/tmp/mail/alice");
 * ```
 */
export async function initializeMaildir(fs: RuntimeFileSystem, dir: string): Promise<void> {
  // `tmp` is made last: once it is there the maildir is complete (a delivery
  // racing with the creation must not find `dir` without `tmp`).
  try {
    if ((await fs.stat(join(dir, "tmp"))).isDirectory) return;
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error;
  }
  await fs.mkdir(dir, { mode: 0o700, recursive: true });
  for (const sub of ["new", "cur", ".Trash"]) {
    await fs.mkdir(join(dir, sub), { mode: 0o700, recursive: true });
  }
  for (const sub of ["new", "cur", "tmp"]) {
    await fs.mkdir(join(dir, ".Trash", sub), { mode: 0o700, recursive: true });
  }
  await fs.writeFile(join(dir, ".Trash", "maildirfolder"), "");
  await fs.mkdir(join(dir, "tmp"), { mode: 0o700, recursive: true });
}

let counter = 0;
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
// Random bytes for file names, drawn 4 at a time from a pool filled 1 KiB at once
// (one getRandomValues call per delivery cost as much as the rest of the name).
const pool = new Uint8Array(1024);
let poolAt = pool.length;

function randomHex8(): string {
  if (poolAt + 4 > pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += 4;
  return HEX[pool[at]] + HEX[pool[at + 1]] + HEX[pool[at + 2]] + HEX[pool[at + 3]];
}

/** A unique maildir file name: `SECONDS.MUSECPPIDQN_RANDOM.HOST`. */
export function generateMaildirName(
  options: { now?: number; pid?: number; hostname?: string } = {},
): string {
  const now = options.now ?? Date.now();
  const seconds = Math.floor(now / 1000);
  const usec = Math.floor((now % 1000) * 1000);
  const host = (options.hostname ?? "localhost").replaceAll("/", "\\057").replaceAll(
    ":",
    "\\072",
  );
  return `${seconds}.M${usec}P${options.pid ?? 0}Q${++counter}R${randomHex8()}.${host}`;
}

/** Options for delivery into a maildir. */
export interface MaildirDeliveryOptions {
  /**
   * Largest total of message sizes (octets on disk, in `cur/` and `new/`) the
   * maildir may hold after this delivery; none when unset.
   * @default undefined
   */
  quota?: number;
  /**
   * The host name in the file name.
   * @default "localhost"
   */
  hostname?: string;
  /**
   * The current time in milliseconds (for the file name).
   * @default Date.now
   */
  now?: () => number;
}

async function maildirSize(fs: RuntimeFileSystem, dir: string): Promise<number> {
  let total = 0;
  for (const sub of ["cur", "new"]) {
    for (const name of await fs.readDir(join(dir, sub))) {
      try {
        total += (await fs.stat(join(dir, sub, name))).size;
      } catch {
        // removed meanwhile
      }
    }
  }
  return total;
}

/**
 * Delivers one message into a maildir: writes it under `tmp/`, flushes it to
 * disk, renames it into `new/`, flushes `new/` (one directory flush for the
 * deliveries into it that finish together), and only then resolves with the
 * final path. On a failure nothing is left behind.
 *
 * @example
 * ```ts
 * import { deliverToMaildir, initializeMaildir } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * await initializeMaildir(reactor.runtime, "/tmp/mail/bob");
 * const path: string = await deliverToMaildir(
 *   reactor.runtime,
 *   "/tmp/mail/bob",
 *   new TextEncoder().encode("Subject: hi\n\nhello\n"),
 * );
 * ```
 */
export async function deliverToMaildir(
  fs: RuntimeFileSystem,
  dir: string,
  bytes: Uint8Array,
  options: MaildirDeliveryOptions = {},
): Promise<string> {
  if (options.quota !== undefined) {
    const used = await maildirSize(fs, dir);
    if (used + bytes.byteLength > options.quota) {
      throw new MaildirQuotaExceeded(
        `Cannot deliver to ${dir}: quota of ${options.quota} octets exceeded`,
      );
    }
  }
  const name = generateMaildirName({
    now: (options.now ?? Date.now)(),
    hostname: options.hostname,
  });
  const tmp = join(dir, "tmp", name);
  const final = join(dir, "new", name);
  const entry = startEntry(fs, join(dir, "new"));
  try {
    await fs.writeFile(tmp, bytes, { mode: 0o600, exclusive: true, sync: true });
    await fs.rename(tmp, final);
  } catch (error) {
    entry.abandon();
    await fs.remove(tmp).catch(() => {});
    throw error;
  }
  try {
    await entry.committed();
  } catch (error) {
    // Not known to be on disk: taken back, as the sender is told to try again.
    await fs.remove(final).catch(() => {});
    throw error;
  }
  return final;
}

/** Options for a `MaildirMessage`. */
export interface MaildirMessageOptions extends MaildirDeliveryOptions {
  /**
   * When set, a `Delivered-To: ADDRESS` header is written first (as Twisted does).
   * @default undefined
   */
  address?: string;
  /**
   * Largest message accepted, in octets; a bigger one fails at `eomReceived`.
   * @default undefined
   */
  maxSize?: number;
}

/**
 * Receives one message line by line (the SMTP `IMessage` shape) and delivers it
 * into a maildir at `eomReceived`. Lines are stored with LF endings. A
 * `connectionLost` before the end leaves no file.
 *
 * @example
 * ```ts
 * import { initializeMaildir, MaildirMessage } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * await initializeMaildir(reactor.runtime, "/tmp/mail/carol");
 * const message = new MaildirMessage(reactor.runtime, "/tmp/mail/carol", {
 *   address: "carol@example.com",
 * });
 * message.lineReceived(new TextEncoder().encode("Subject: hi"));
 * message.lineReceived(new Uint8Array());
 * message.lineReceived(new TextEncoder().encode("hello"));
 * const path: string = await message.eomReceived();
 * ```
 */
export class MaildirMessage {
  #fs: RuntimeFileSystem;
  #dir: string;
  #options: MaildirMessageOptions;
  // The message so far, LF line ends, in one growing buffer (no allocation per line).
  #buf = new Uint8Array(0);
  #size = 0;
  #done = false;
  #tooBig = false;

  /**
   * Makes the instance.
   * @param fs the runtime's file system
   * @param dir the maildir (with `new`, `cur`, `tmp`)
   * @param options the header, size limit and quota
   */
  constructor(fs: RuntimeFileSystem, dir: string, options: MaildirMessageOptions = {}) {
    this.#fs = fs;
    this.#dir = dir;
    this.#options = options;
    if (options.address !== undefined) {
      this.#push(encoder.encode(`Delivered-To: ${options.address}\n`), false);
    }
  }

  /** The octets received so far (LF line endings). */
  get size(): number {
    return this.#size;
  }

  /** Appends `bytes`, then an LF when `lf` is set. */
  #push(bytes: Uint8Array, lf: boolean): void {
    if (this.#tooBig) return;
    const size = this.#size + bytes.byteLength + (lf ? 1 : 0);
    if (this.#options.maxSize !== undefined && size > this.#options.maxSize) {
      this.#tooBig = true;
      this.#size = size;
      this.#buf = new Uint8Array(0);
      return;
    }
    if (size > this.#buf.byteLength) {
      const next = new Uint8Array(Math.max(4096, size + (size >> 1)));
      next.set(this.#buf.subarray(0, this.#size));
      this.#buf = next;
    }
    this.#buf.set(bytes, this.#size);
    if (lf) this.#buf[size - 1] = LF;
    this.#size = size;
  }

  /** Takes one line, without its line ending. */
  lineReceived(line: Uint8Array): void {
    if (this.#done) return;
    this.#push(line, true);
  }

  /** The message is complete: resolves with the delivered file's path once it is in `new/`. */
  async eomReceived(): Promise<string> {
    if (this.#done) throw new Error("Cannot deliver a message twice");
    this.#done = true;
    if (this.#tooBig) {
      throw new MaildirQuotaExceeded(
        `Cannot deliver to ${this.#dir}: message larger than ${this.#options.maxSize} octets`,
      );
    }
    const bytes = this.#buf.subarray(0, this.#size);
    this.#buf = new Uint8Array(0);
    return await deliverToMaildir(this.#fs, this.#dir, bytes, this.#options);
  }

  /** The message is abandoned: nothing is stored. */
  connectionLost(): void {
    this.#done = true;
    this.#buf = new Uint8Array(0);
  }
}

/** The octets a message takes on the POP3 wire: every bare LF counted as CRLF. */
export function wireSize(bytes: Uint8Array): number {
  let size = bytes.byteLength;
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] === LF && (i === 0 || bytes[i - 1] !== CR)) size++;
  }
  return size;
}

/** The lowercase hex MD5 of a string's UTF-8 bytes. */
function md5Hex(text: string): string {
  return Array.from(md5(encoder.encode(text)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

interface Entry {
  path: string;
  name: string;
  size: number;
  deleted: boolean;
}

/**
 * A maildir seen as a POP3 mailbox (Twisted's `MaildirMailbox`): the files of
 * `cur/` and `new/` sorted by name, indexed from 0. Sizes are the octets as
 * sent (CRLF line endings). The unique id is the MD5 of the file name, as in
 * Twisted. Deletions are only marked until `sync()`, which moves them to
 * `.Trash/cur/` (the POP3 server calls it at QUIT).
 *
 * @example
 * ```ts
 * import { MaildirMailbox } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * const box = await MaildirMailbox.open(reactor.runtime, "/tmp/mail/alice");
 * const sizes: number[] = box.listMessages();
 * ```
 */
export class MaildirMailbox {
  #fs: RuntimeFileSystem;
  #entries: Entry[];
  /** The maildir's path. */
  readonly path: string;

  private constructor(fs: RuntimeFileSystem, path: string, entries: Entry[]) {
    this.#fs = fs;
    this.path = path;
    this.#entries = entries;
  }

  /**
   * Opens (creating it if needed) the maildir at `path` and lists its messages.
   * @param fs the runtime's file system
   * @param path the maildir
   */
  static async open(fs: RuntimeFileSystem, path: string): Promise<MaildirMailbox> {
    await initializeMaildir(fs, path);
    const entries: Entry[] = [];
    for (const sub of ["cur", "new"]) {
      for (const name of await fs.readDir(join(path, sub))) {
        const file = join(path, sub, name);
        try {
          const info = await fs.stat(file);
          if (!info.isFile) continue;
          entries.push({
            path: file,
            name,
            size: wireSize(await fs.readFile(file)),
            deleted: false,
          });
        } catch (error) {
          if (errorCode(error) !== "ENOENT") throw error;
        }
      }
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return new MaildirMailbox(fs, path, entries);
  }

  #entry(index: number): Entry {
    const entry = this.#entries[index];
    if (!Number.isInteger(index) || entry === undefined) {
      throw new RangeError(`No message ${index} in ${this.path}`);
    }
    return entry;
  }

  /** The size of each message in octets as sent (0 for a deleted one). */
  listMessages(): number[];
  /** The size of one message (0 when deleted). */
  listMessages(index: number): number;
  listMessages(index?: number): number[] | number {
    if (index === undefined) return this.#entries.map((e) => (e.deleted ? 0 : e.size));
    const entry = this.#entry(index);
    return entry.deleted ? 0 : entry.size;
  }

  /** A message's bytes, as stored (LF line endings in a Twisted maildir). */
  async getMessage(index: number): Promise<Uint8Array> {
    const entry = this.#entry(index);
    if (entry.deleted) throw new RangeError(`Message ${index} is deleted`);
    return await this.#fs.readFile(entry.path);
  }

  /** The message's unique id: the hex MD5 of its file name. */
  getUidl(index: number): string {
    return md5Hex(this.#entry(index).name);
  }

  /** Marks a message deleted (it goes at `sync()`). */
  deleteMessage(index: number): void {
    this.#entry(index).deleted = true;
  }

  /** Clears every deletion mark. */
  undeleteMessages(): void {
    for (const entry of this.#entries) entry.deleted = false;
  }

  /** Moves the marked messages into `.Trash/cur/` (kept for an administrator, as Twisted does). */
  async sync(): Promise<void> {
    for (const entry of this.#entries) {
      if (!entry.deleted) continue;
      try {
        await this.#fs.rename(entry.path, join(this.path, ".Trash", "cur", entry.name));
      } catch (error) {
        if (errorCode(error) !== "ENOENT") throw error;
      }
    }
    this.#entries = this.#entries.filter((e) => !e.deleted);
  }
}
