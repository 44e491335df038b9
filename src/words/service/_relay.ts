/**
 * Relaying: a message formatted and encoded once for all the members of a
 * group (`relayLines`), and holding what the service writes to other clients while one client's
 * input is handled, then writing each client's share at once: a chunk of
 * 500 PRIVMSGs to a channel of 50 becomes 50 writes, not 25,000 (a write
 * per line per member costs a system call each on Node and Bun).
 *
 * The hold lasts only while `dataReceived` runs (synchronously), so it
 * adds no latency; output made later (after a realm's promise) is written
 * at once as before. The client whose input is handled is never held: what
 * it is sent, and its closes, stay in their order. A held client keeps
 * holding until flushed, so its own order is kept too.
 * Private: used by `IRCUser`.
 * @module
 */
import { concatBytes } from "../../internet/_bytes.ts";
import { Logger } from "../../logger/mod.ts";
import { byteLength, encodeText, fitBytes } from "../irc/_text.ts";
import { MAX_LINE_BYTES, stringTags, type Tags } from "../irc/_wire.ts";
import type { WordsMessage } from "./_interfaces.ts";

const log = new Logger("tw.words.irc");

/** A message's relayed lines, made once per message and form. */
export interface RelayLines {
  command: string;
  target: string;
  sender: string;
  host: string | null;
  /** `:sender!sender@host COMMAND target :text`, a line per line of text, each fit to 512 bytes. */
  lines: string[];
  /** The lines encoded with CR LF, by tags (none, client tags, time, both), made when needed. */
  encoded: (Uint8Array[] | undefined)[];
  /** The server-time of the message, taken when first needed. */
  time: string | null;
}

const CACHE = new WeakMap<WordsMessage, RelayLines>();

/**
 * The lines relaying `message` as `command` to `target` from `sender` of
 * server `host`. Made once for all members: the cache is checked field by
 * field, without building a string per member.
 */
export function relayLines(
  message: WordsMessage,
  command: string,
  target: string,
  sender: string,
  host: string | null,
): RelayLines {
  const relay = CACHE.get(message);
  if (
    relay !== undefined && relay.command === command && relay.target === target &&
    relay.sender === sender && relay.host === host
  ) return relay;
  const head = `:${sender}!${sender}@${host} ${command} ${target} :`;
  const room = MAX_LINE_BYTES - 2 - byteLength(head);
  const lines = (message.text ?? "").split(/\r\n|\r|\n/).filter((l) => l !== "")
    .map((l) => head + fitBytes(l, room));
  const made = { command, target, sender, host, lines, encoded: [], time: null };
  CACHE.set(message, made);
  return made;
}

/**
 * The encoded lines of `relay` with `message`'s client tags and/or the
 * server time (the same for every member), each form made once.
 */
export function encodedLines(
  relay: RelayLines,
  message: WordsMessage,
  clientTags: boolean,
  time: boolean,
): Uint8Array[] {
  const form = (clientTags ? 1 : 0) | (time ? 2 : 0);
  let lines = relay.encoded[form];
  if (lines === undefined) {
    const tags: Tags = {};
    if (clientTags && message.tags) Object.assign(tags, message.tags);
    if (time) tags.time = relay.time ??= new Date().toISOString();
    const section = Object.keys(tags).length > 0 ? "@" + stringTags(tags) + " " : "";
    lines = relay.encoded[form] = relay.lines.map((l) => encodeText(section + l + "\r\n"));
  }
  return lines;
}

/** The hold in progress: whose input is handled, and who was held. */
let current: { owner: object; held: OutputHold[] } | null = null;

/** One client's held output. */
export class OutputHold {
  readonly #owner: object;
  readonly #write: (bytes: Uint8Array) => void;
  #chunks: Uint8Array[] | null = null;

  /**
   * @param owner the client (never held while its own input is handled)
   * @param write writes bytes to the client now
   */
  constructor(owner: object, write: (bytes: Uint8Array) => void) {
    this.#owner = owner;
    this.#write = write;
  }

  /** Holds `bytes` when a hold is in progress (or this client is still held); false: write now. */
  hold(bytes: Uint8Array): boolean {
    if (this.#chunks !== null) {
      this.#chunks.push(bytes);
      return true;
    }
    if (current === null || current.owner === this.#owner) return false;
    this.#chunks = [bytes];
    current.held.push(this);
    return true;
  }

  /** Writes what is held, in one write. */
  flush(): void {
    const chunks = this.#chunks;
    if (chunks === null) return;
    this.#chunks = null;
    this.#write(concatBytes(chunks));
  }

  /** Forgets what is held (the connection is gone). */
  drop(): void {
    this.#chunks = null;
  }
}

/**
 * Runs `fn` (one client's input being handled) holding what other clients
 * are sent, then flushes them in the order they were first held.
 */
export function holdingOutput(owner: object, fn: () => void): void {
  if (current !== null) return fn();
  const hold = { owner, held: [] as OutputHold[] };
  current = hold;
  try {
    fn();
  } finally {
    current = null;
    for (const out of hold.held) {
      try {
        out.flush();
      } catch (error) {
        log.failure("Error writing held IRC output", error, "error");
      }
    }
  }
}
