/**
 * The relay queue (`twisted.mail.relaymanager.Queue`, with JSON envelopes where
 * Twisted pickles) and `DomainQueuer` (`twisted.mail.relay.DomainQueuer`), the
 * domain that puts relayed mail into it. Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import { getReactor } from "../../internet/reactor.ts";
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { Logger } from "../../logger/mod.ts";
import type { Address, User } from "../smtp/_address.ts";
import { SMTPBadRcpt } from "../smtp/_errors.ts";
import type { IMessage } from "../smtp/_interfaces.ts";
import type { IDomain } from "./_domain.ts";

const log = new Logger("tw.mail.relay");
const enc = new TextEncoder();
const dec = new TextDecoder();
const NAME = /^[A-Za-z0-9_.]{1,100}$/;
const MAX_ENVELOPE = 64 * 1024;

/** A queued message's envelope, stored as JSON in `NAME-H`. */
export interface QueueEnvelope {
  /** The sender (MAIL FROM), "" for a bounce. */
  from: string;
  /** The one recipient. */
  to: string;
  /** Delivery attempts made. @default 0 */
  attempts?: number;
  /** When the message was queued, in ms since the epoch. */
  created?: number;
  /** Not before this time (ms since the epoch) is the next attempt made. @default 0 */
  nextAttempt?: number;
  /** The last failure, for the bounce. @default null */
  lastError?: string | null;
}

/** Options of `Queue`. */
export interface QueueOptions {
  /** The file system. @default the reactor's runtime */
  runtime?: RuntimeFileSystem;
  /** Log each message set waiting. @default false */
  noisy?: boolean;
  /** The time in ms. @default Date.now */
  now?: () => number;
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

function randomHex(bytes: number): string {
  const random = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(random);
  return Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A message on its way into the queue (Twisted's `FileMessage`): kept in
 * memory, then at `eomReceived` the envelope (`-H`) and the message (`-C`,
 * renamed `-D` once synced) are written. A dropped message leaves nothing.
 *
 * @example
 * ```ts
 * import { Queue, type QueueMessage } from "@tw/core/mail";
 * const queue = new Queue("/tmp/tw-queue-example");
 * const message: QueueMessage = queue.createNewMessage({ from: "a@example.com", to: "b@x.org" });
 * message.connectionLost(); // nothing is written
 * ```
 */
export class QueueMessage implements IMessage {
  /** The message's name in the queue. */
  readonly name: string;
  #queue: Queue;
  #envelope: QueueEnvelope;
  #chunks: Uint8Array[] | null = [];

  /**
   * Makes the writer (see `Queue.createNewMessage`).
   * @param queue the queue
   * @param name the message's name
   * @param envelope its envelope
   */
  constructor(queue: Queue, name: string, envelope: QueueEnvelope) {
    this.#queue = queue;
    this.name = name;
    this.#envelope = envelope;
  }

  /** Keeps a line (stored with LF). */
  lineReceived(line: Uint8Array): void {
    if (this.#chunks === null) return;
    const copy = new Uint8Array(line.byteLength + 1);
    copy.set(line);
    copy[line.byteLength] = 0x0a;
    this.#chunks.push(copy);
  }

  /** Writes the envelope and the message; resolves with the message's path once it is queued. */
  async eomReceived(): Promise<string> {
    const chunks = this.#chunks;
    this.#chunks = null;
    if (chunks === null) throw new Error("Message already ended");
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    await this.#queue.writeMessage(this.name, this.#envelope, bytes);
    return this.#queue.getPath(this.name);
  }

  /** Forgets the message. */
  connectionLost(): void {
    this.#chunks = null;
  }
}

/**
 * The relay queue (Twisted's `Queue`): a directory holding, per message,
 * `NAME-H` (its envelope, JSON) and `NAME-D` (the message). A message is
 * waiting (to be relayed) or relayed (an attempt in progress).
 *
 * @example
 * ```ts
 * import { Queue } from "@tw/core/mail";
 * import { reactor } from "@tw/core";
 * await reactor.runtime.mkdir("/tmp/tw-queue-example", { recursive: true });
 * const queue = new Queue("/tmp/tw-queue-example");
 * const message = queue.createNewMessage({ from: "a@example.com", to: "b@example.org" });
 * message.lineReceived(new TextEncoder().encode("Subject: hi"));
 * await message.eomReceived();
 * await queue.readDirectory();
 * console.log(queue.getWaiting().includes(message.name)); // true
 * ```
 */
export class Queue {
  /** The queue directory. */
  readonly directory: string;
  /** Log each message set waiting. */
  noisy: boolean;
  #fs: RuntimeFileSystem | undefined;
  #now: () => number;
  #n = 0;
  #waiting = new Set<string>();
  #relayed = new Set<string>();

  /**
   * Makes the queue over `directory` (which must exist; call `readDirectory` to load it).
   * @param directory the queue directory
   * @param options the runtime, logging and clock
   */
  constructor(directory: string, options: QueueOptions = {}) {
    this.directory = directory.replace(/\/+$/, "") || "/";
    this.noisy = options.noisy ?? false;
    this.#fs = options.runtime;
    this.#now = options.now ?? Date.now;
  }

  get #files(): RuntimeFileSystem {
    return this.#fs ?? getReactor().runtime;
  }

  /** Adds the messages found in the directory (those with a `-D` file). */
  async readDirectory(): Promise<void> {
    for (const file of await this.#files.readDir(this.directory)) {
      if (!file.endsWith("-D")) continue;
      const name = file.slice(0, -2);
      if (NAME.test(name)) this.addMessage(name);
    }
  }

  /** The waiting messages' names. */
  getWaiting(): string[] {
    return [...this.#waiting];
  }

  /** True when some message waits. */
  hasWaiting(): boolean {
    return this.#waiting.size > 0;
  }

  /** The names of the messages being relayed. */
  getRelayed(): string[] {
    return [...this.#relayed];
  }

  /** Marks a waiting message as being relayed. */
  setRelaying(message: string): void {
    this.#waiting.delete(message);
    this.#relayed.add(message);
  }

  /** Marks a message being relayed as waiting again. */
  setWaiting(message: string): void {
    this.#relayed.delete(message);
    this.#waiting.add(message);
  }

  /** Adds a message as waiting unless it is being relayed. */
  addMessage(message: string): void {
    if (this.#relayed.has(message) || this.#waiting.has(message)) return;
    this.#waiting.add(message);
    if (this.noisy) log.info("Set {message} waiting", { message });
  }

  /** Removes a relayed message's files and forgets it. */
  async done(message: string): Promise<void> {
    const name = message.slice(message.lastIndexOf("/") + 1);
    for (const suffix of ["-D", "-H"]) {
      await this.#files.remove(this.getPath(name) + suffix).catch((error) => {
        if (errorCode(error) !== "ENOENT") throw error;
      });
    }
    this.#relayed.delete(name);
    this.#waiting.delete(name);
  }

  /** The path of a message's files, without the `-H` / `-D` suffix. */
  getPath(message: string): string {
    return `${this.directory}/${message}`;
  }

  /** A message's envelope. */
  async getEnvelope(message: string): Promise<QueueEnvelope> {
    const bytes = await this.#files.readFile(this.getPath(message) + "-H");
    if (bytes.byteLength > MAX_ENVELOPE) throw new RangeError(`Envelope of ${message} too big`);
    const value = JSON.parse(dec.decode(bytes)) as QueueEnvelope;
    if (typeof value?.from !== "string" || typeof value?.to !== "string") {
      throw new TypeError(`Envelope of ${message} is not {from, to}`);
    }
    return value;
  }

  /** Replaces a message's envelope (written beside it, then renamed). */
  async setEnvelope(message: string, envelope: QueueEnvelope): Promise<void> {
    const path = this.getPath(message);
    await this.#files.writeFile(`${path}-h`, JSON.stringify(envelope), { sync: true });
    await this.#files.rename(`${path}-h`, `${path}-H`);
  }

  /** A message's bytes. */
  getMessage(message: string): Promise<Uint8Array> {
    return this.#files.readFile(this.getPath(message) + "-D");
  }

  /** A new message writer for `envelope` (one recipient); it is queued at its end. */
  createNewMessage(envelope: QueueEnvelope): QueueMessage {
    const name = `${this.#now()}_${this.#n++}_${randomHex(6)}`;
    return new QueueMessage(this, name, envelope);
  }

  /**
   * Queues a message: `NAME-H`, then `NAME-C` synced and renamed `NAME-D`;
   * waiting once written. Used by `QueueMessage` and for bounces.
   */
  async writeMessage(name: string, envelope: QueueEnvelope, bytes: Uint8Array): Promise<void> {
    if (!NAME.test(name)) throw new TypeError(`Invalid queue message name ${name}`);
    const full: QueueEnvelope = {
      attempts: 0,
      created: this.#now(),
      nextAttempt: 0,
      lastError: null,
      ...envelope,
    };
    const path = this.getPath(name);
    const fs = this.#files;
    try {
      await fs.writeFile(`${path}-H`, enc.encode(JSON.stringify(full)), {
        mode: 0o600,
        sync: true,
      });
      await fs.writeFile(`${path}-C`, bytes, { mode: 0o600, exclusive: true, sync: true });
      await fs.rename(`${path}-C`, `${path}-D`);
    } catch (error) {
      for (const suffix of ["-C", "-H"]) await fs.remove(path + suffix).catch(() => {});
      throw error;
    }
    this.addMessage(name);
  }
}

/** What `DomainQueuer` needs of the mail service: its queue. */
export interface QueueHolder {
  /** The relay queue, or null. */
  queue: Queue | null;
}

/**
 * The domain of relayed mail (Twisted's `DomainQueuer`): a recipient is
 * accepted when the session is authenticated (Twisted also relays for any
 * loopback or Unix-socket client: not here, that is an open relay behind a
 * local proxy) and both addresses have a local part and a domain; its
 * message goes into the service's queue, one envelope per recipient.
 *
 * @example
 * ```ts
 * import { Address, DomainQueuer, Queue, User } from "@tw/core/mail";
 * const service = { queue: new Queue("/tmp/tw-queue-example") };
 * const queuer = new DomainQueuer(service, true);
 * const make = queuer.exists(
 *   new User(new Address("bob@example.org"), ["c", "192.0.2.1"], null, "alice@example.com"),
 * );
 * console.log(typeof make); // function
 * ```
 */
export class DomainQueuer implements IDomain {
  /** The mail service (its `queue`). */
  readonly service: QueueHolder;
  /** Whether the session is authenticated (only then is mail relayed). */
  readonly authed: boolean;

  /**
   * Makes the domain.
   * @param service the mail service
   * @param authenticated whether the session logged in
   */
  constructor(service: QueueHolder, authenticated = false) {
    this.service = service;
    this.authed = authenticated;
  }

  /** The queue writer's maker for a relayable recipient; `SMTPBadRcpt` otherwise. */
  exists(user: User, _memo?: Set<string>): () => IMessage {
    if (this.willRelay(user.dest, user.protocol) && this.service.queue !== null) {
      const orig = user.orig;
      const dest = user.dest;
      if (orig.local !== "" && orig.domain !== "" && dest.local !== "" && dest.domain !== "") {
        return () => this.startMessage(user);
      }
    }
    throw new SMTPBadRcpt(user);
  }

  /** True for an authenticated session only. */
  willRelay(_address: Address, _protocol: unknown): boolean {
    return this.authed;
  }

  /** A queue writer for the recipient. */
  startMessage(user: User): IMessage {
    const queue = this.service.queue;
    if (queue === null) throw new SMTPBadRcpt(user, 451, "No relay queue");
    log.info("Queueing mail {from} -> {to}", { from: String(user.orig), to: String(user.dest) });
    return queue.createNewMessage({ from: String(user.orig), to: String(user.dest) });
  }

  /** Ignored: the relay has no users. */
  addUser(_user: string, _password: string): void {}

  /** No checkers. */
  getCredentialsCheckers(): [] {
    return [];
  }
}
