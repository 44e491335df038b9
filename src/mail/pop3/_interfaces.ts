/**
 * POP3's storage interface (`IMailbox`), a simple in-memory `Mailbox`, the APOP
 * credentials and the server's error. Private: re-exported by `mod.ts`.
 * @module
 */
import { type InterfaceName, interfaceName } from "../../cred/_interfaces.ts";
import { IUsernameHashedPassword } from "../../cred/_interfaces.ts";
import { md5 } from "../../cred/_md5.ts";

const encoder = new TextEncoder();

/** A value, or a promise of it. */
export type MaybePromise<T> = T | PromiseLike<T>;

/**
 * A user's maildrop as POP3 sees it (Twisted's `IMailbox`), indexed from 0.
 * The server tracks DELE itself and calls `deleteMessage` for each deleted
 * message, then `sync()`, only at QUIT (RFC 1939 §6); a dropped session calls
 * `undeleteMessages()`.
 */
export interface IMailbox {
  /** The size of each message in octets as sent on the wire (CRLF line endings); 0 for a gone one. */
  listMessages(): MaybePromise<number[]>;
  /** A message's bytes (LF or CRLF line endings). */
  getMessage(index: number): MaybePromise<Uint8Array>;
  /** A message's unique id: printable ASCII, no spaces, unique for all time. */
  getUidl(index: number): MaybePromise<string>;
  /** Deletes (or marks) a message. */
  deleteMessage(index: number): MaybePromise<void>;
  /** Undoes the marks of `deleteMessage` not yet made final. */
  undeleteMessages(): MaybePromise<void>;
  /** Makes the deletions final. */
  sync(): MaybePromise<void>;
}

/** The interface name a realm is asked for (`portal.login(creds, null, IMailbox)`). */
export const IMailbox: InterfaceName<IMailbox> = interfaceName("IMailbox");

/**
 * An in-memory mailbox (Twisted's `Mailbox` base class, made concrete): holds
 * messages as bytes; deletions happen at `sync()`.
 *
 * @example
 * ```ts
 * import { Mailbox } from "@tw/core/mail/pop3";
 * const box = new Mailbox([new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n")]);
 * const sizes: number[] = box.listMessages();
 * ```
 */
export class Mailbox implements IMailbox {
  #messages: (Uint8Array | null)[];
  #marked = new Set<number>();
  #uids: string[];

  /**
   * Makes the instance.
   * @param messages the messages, in order
   * @param uids their unique ids (default: `"1"`, `"2"`...)
   */
  constructor(messages: Uint8Array[] = [], uids?: string[]) {
    this.#messages = [...messages];
    this.#uids = uids ?? messages.map((_, i) => String(i + 1));
  }

  #check(index: number): Uint8Array {
    const message = this.#messages[index];
    if (!Number.isInteger(index) || message === undefined || message === null) {
      throw new RangeError(`No message ${index}`);
    }
    return message;
  }

  /** Sizes in octets as sent (bare LF counted as CRLF). */
  listMessages(): number[] {
    return this.#messages.map((m) => (m === null ? 0 : wireLength(m)));
  }

  /** The message's bytes. */
  getMessage(index: number): Uint8Array {
    return this.#check(index);
  }

  /** The message's unique id. */
  getUidl(index: number): string {
    this.#check(index);
    return this.#uids[index];
  }

  /** Marks a message deleted. */
  deleteMessage(index: number): void {
    this.#check(index);
    this.#marked.add(index);
  }

  /** Clears the marks. */
  undeleteMessages(): void {
    this.#marked.clear();
  }

  /** Removes the marked messages (their indexes stay, empty). */
  sync(): void {
    for (const index of this.#marked) this.#messages[index] = null;
    this.#marked.clear();
  }
}

/** The octets of `bytes` as sent: a bare LF counts as CRLF. */
export function wireLength(bytes: Uint8Array): number {
  let size = bytes.byteLength;
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] === 0x0a && (i === 0 || bytes[i - 1] !== 0x0d)) size++;
  }
  return size;
}

/**
 * A POP3 command failed; its message is sent after `-ERR `.
 *
 * @example
 * ```ts
 * import { type IMailbox, Mailbox, POP3Error } from "@tw/core/mail/pop3";
 * class ReadOnly extends Mailbox implements IMailbox {
 *   override deleteMessage(_index: number): void {
 *     throw new POP3Error("This mailbox is read-only");
 *   }
 * }
 * ```
 */
export class POP3Error extends Error {
  /**
   * Makes the instance.
   * @param message the text of the `-ERR` reply
   */
  constructor(message: string) {
    super(message);
    this.name = "POP3Error";
  }
}

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * APOP credentials (RFC 1939 §7): the client proves the password with the hex
 * MD5 of the greeting's challenge followed by the password.
 *
 * @example
 * ```ts
 * import { APOPCredentials } from "@tw/core/mail/pop3";
 * const creds = new APOPCredentials("<1.2@host>", "alice", "0".repeat(32));
 * const ok: boolean = creds.checkPassword("secret");
 * ```
 */
export class APOPCredentials implements IUsernameHashedPassword {
  /** Provides `IUsernameHashedPassword`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [IUsernameHashedPassword];
  /** The challenge from the greeting. */
  readonly magic: string;
  /** The username. */
  readonly username: string;
  /** The client's hex digest. */
  readonly digest: string;

  /**
   * Makes the instance.
   * @param magic the challenge, with its angle brackets
   * @param username the user
   * @param digest the client's hex MD5
   */
  constructor(magic: string, username: string, digest: string) {
    this.magic = magic;
    this.username = username;
    this.digest = digest.toLowerCase();
  }

  /** True when the digest is the MD5 of the challenge and `password`. */
  checkPassword(password: string): boolean {
    return timingSafeEqual(APOPCredentials.digest(this.magic, password), this.digest);
  }

  /** The hex MD5 of `magic + password` (what a client sends). */
  static digest(magic: string, password: string): string {
    return hex(md5(encoder.encode(magic + password)));
  }
}

/**
 * What a POP3 server advertises in CAPA beyond the fixed capabilities
 * (Twisted's `IServerFactory`).
 */
export interface IServerFactory {
  /** The IMPLEMENTATION text. */
  readonly implementation?: string;
  /** The EXPIRE value: days, or "NEVER". */
  readonly expire?: number | "NEVER";
  /** The LOGIN-DELAY value in seconds. */
  readonly loginDelay?: number;
}
