/**
 * The IMAP4rev1 client (Twisted's `IMAP4Client`) with IDLE, MOVE, UIDPLUS,
 * ID and LITERAL+; and the SEARCH query builders `Query`, `Or`, `Not`.
 * One command is on the wire at a time; later calls wait their turn.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Protocol } from "../../internet/protocol.ts";
import type { Failure } from "../../internet/failure.ts";
import type { ITransport } from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { CramMD5Credentials } from "../../cred/_cram_md5.ts";
import { concat, latin1Bytes, nquote, Scanner } from "./_wire.ts";
import { ReaderError, ResponseReader, type Streamed } from "./_client_reader.ts";
import type { ILiteralSink, LiteralSinkResult, MessageFileFactory } from "./_literal_sink.ts";
import {
  astring,
  deepText,
  type FetchValue,
  IllegalServerResponse,
  IMAP4Exception,
  mailboxName,
  parseCaps,
  parseFetch,
} from "./_client_syntax.ts";
import { formatDateTime } from "./_syntax.ts";
import { decodeMailboxName } from "./_utf7.ts";

const latin1 = new TextDecoder("latin1");
const enc = new TextEncoder();

/** An untagged response. */
export interface Untagged {
  /** The message number of `* 3 EXISTS`-style responses, else null. */
  seq: number | null;
  /** The response's name (`EXISTS`, `FETCH`, `CAPABILITY` ...). */
  name: string;
  /** A scanner positioned after the name, for the response's data. */
  s: Scanner;
  /** The whole line as text. */
  text: string;
  /**
   * The results of the `messageFile` sinks that took literals of this
   * response, by the offset in `s.bytes` of the data of the empty literal
   * (`{0}`) left in their place (`parseFetch` puts them back); absent when none.
   */
  streamed?: Map<number, Promise<LiteralSinkResult>>;
}

interface Pending {
  pieces: (string | Uint8Array)[][];
  untagged: Untagged[];
  continuation: ((text: string) => void) | null;
  resolve: (value: { untagged: Untagged[]; text: string }) => void;
  reject: (error: unknown) => void;
  tag: string;
  /** A FETCH or UID FETCH: only its responses' literals are offered to `messageFile`. */
  fetch: boolean;
}

/** Options of `IMAP4Client`. */
export interface IMAP4ClientOptions {
  /**
   * Options for STARTTLS (a CA, the server name).
   * @default {}
   */
  tlsOptions?: TlsOptions;
  /**
   * Largest literal kept in memory, in octets: a bigger one that no
   * `messageFile` sink takes drops the connection with `IllegalServerResponse`.
   * @default 67108864
   */
  maxLiteral?: number;
  /**
   * Literals of FETCH responses over this many octets are offered to
   * `messageFile` (Twisted's `_memoryFileLimit`); 0 offers every non-empty one.
   * @default 10485760
   */
  memoryFileLimit?: number;
  /**
   * Makes the sink of a FETCH literal over `memoryFileLimit` octets, or gives
   * null to keep it in memory (up to `maxLiteral`); what the sink's `close()`
   * returns is the FETCH item's value. `IMAP4ClientBase.messageFile` calls it.
   * @default undefined (every literal in memory)
   */
  messageFile?: MessageFileFactory;
  /**
   * Largest literal streamed to a sink, in octets (`maxLiteral` does not
   * apply to them; the client holds one chunk at a time). A bigger one is
   * not offered to `messageFile`, so `maxLiteral` refuses it. The default is
   * RFC 3501's largest number.
   * @default 4294967295
   */
  maxStreamedLiteral?: number;
}

/** Options of `fetchSpecific`. */
export interface FetchSpecificOptions {
  /** Message numbers are UIDs. @default false */
  uid?: boolean;
  /** "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME" or "" (the whole part). @default "" */
  headerType?: string;
  /** Part numbers (`[1, 2]`) and, for HEADER.FIELDS, the field names. @default [] */
  headerNumber?: number[];
  /** The header field names of HEADER.FIELDS(.NOT). @default [] */
  headerArgs?: string[];
  /** BODY.PEEK: do not set \Seen. @default false */
  peek?: boolean;
  /** First octet of a partial fetch. @default undefined */
  offset?: number;
  /** Octets of a partial fetch. @default undefined */
  length?: number;
}

/** A message set argument. */
export const sets = (messages: string | number): string => String(messages);

/**
 * The not-authenticated and authenticated parts of `IMAP4Client`: the
 * connection, the command queue, login, mailboxes, IDLE. `IMAP4Client` adds
 * the selected state's commands.
 *
 * @example
 * ```ts
 * import { IMAP4ClientBase } from "@tw/core/mail/imap4";
 * import { StringTransport } from "@tw/core/testing";
 * const client = new IMAP4ClientBase();
 * client.makeConnection(new StringTransport());
 * client.dataReceived(new TextEncoder().encode("* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n"));
 * const caps = await client.whenGreeted; // Map { "IMAP4REV1" => null, "IDLE" => null }
 * ```
 */
export class IMAP4ClientBase extends Protocol {
  /** Resolves with the capabilities of the greeting once it came. */
  readonly whenGreeted: Promise<Map<string, string[] | null>>;
  #greeted!: (caps: Map<string, string[] | null>) => void;
  #greetFailed!: (e: unknown) => void;
  #options: IMAP4ClientOptions;
  #reader: ResponseReader;
  #queue: Pending[] = [];
  #tagNo = 0;
  #caps: Map<string, string[] | null> | null = null;
  #greeting = true;
  #closed = false;
  #idle: Pending | null = null;
  #exists: number | null = null;

  /**
   * Makes the instance.
   * @param options STARTTLS options and limits
   */
  constructor(options: IMAP4ClientOptions = {}) {
    super();
    this.#options = options;
    this.#reader = new ResponseReader({
      maxLine: 1 << 20,
      maxLiteral: options.maxLiteral ?? 1 << 26,
      memoryFileLimit: options.memoryFileLimit ?? 10 * 1024 * 1024,
      maxStreamedLiteral: options.maxStreamedLiteral ?? 4294967295,
    }, {
      response: (bytes, streamed) => this.#response(bytes, streamed),
      // Only a FETCH command's literals: one a server sends unasked (in IDLE,
      // say) has nobody to hand the sink's result to, so it stays in memory.
      sink: (octets) => this.#queue[0]?.fetch === true ? this.messageFile(octets) : null,
      error: (error) => {
        this.#failAll(
          error instanceof ReaderError
            ? new IllegalServerResponse(`${error.message} from the server`)
            : error,
        );
        this.transport.loseConnection();
      },
      pause: () => this.transport.pauseProducing(),
      resume: () => {
        if (!this.#closed) this.transport.resumeProducing();
      },
    });
    this.whenGreeted = new Promise((resolve, reject) => {
      this.#greeted = resolve;
      this.#greetFailed = reject;
    });
    this.whenGreeted.catch(() => {});
  }

  /** Called with the greeting's capabilities (null when it gave none). */
  serverGreeting(_caps: Map<string, string[] | null> | null): void {}
  /** New EXISTS / RECENT counts, told outside SELECT (IDLE, NOOP...). */
  newMessages(_exists: number | null, _recent: number | null): void {}
  /** Flags changed by someone else: sequence number -> flags. */
  flagsChanged(_flags: Record<number, string[]>): void {}
  /** A message was expunged (its sequence number as told). */
  messageExpunged(_seq: number): void {}
  /** An [ALERT] from the server. */
  alert(_text: string): void {}
  /** The selected mailbox became writeable (true) or read-only, told unsolicited. */
  modeChanged(_writeable: boolean): void {}

  /**
   * The sink for a literal of `octets` octets in a FETCH response, asked when
   * `octets` is over `memoryFileLimit` (Twisted's `messageFile`); null keeps it
   * in memory. By default `IMAP4ClientOptions.messageFile`'s answer, or null.
   * Override it to choose per size. A throw fails the command (the literal is
   * read and dropped). Only the responses of a FETCH command are offered:
   * a literal in an unsolicited FETCH (during IDLE) stays in memory.
   */
  messageFile(octets: number): ILiteralSink | null | undefined {
    return this.#options.messageFile?.(octets) ?? null;
  }

  /**
   * Octets held of responses not yet complete: the partial line, the
   * response so far with its in-memory literals, bytes waiting while a sink
   * writes. A literal streamed to a sink is never held.
   */
  get buffered(): number {
    return this.#reader.buffered;
  }

  /** Takes bytes from the server. */
  override dataReceived(data: Uint8Array): void {
    if (this.#closed) return;
    this.#reader.push(data);
  }

  /** Fails every waiting command; aborts a sink in the middle of its literal. */
  override connectionLost(_reason?: Failure): void {
    this.#closed = true;
    this.#reader.abort(new Error("Connection lost"));
    this.#greetFailed(new Error("Connection lost"));
    this.#failAll(new Error("Connection lost"));
  }

  #failAll(error: unknown): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const p of queue) p.reject(error);
  }

  #response(bytes: Uint8Array, streamed: Streamed | null): void {
    const s = new Scanner(bytes);
    if (s.accept("+")) {
      s.accept(" ");
      const current = this.#queue[0];
      if (current?.continuation) current.continuation(s.rest());
      else if (current && current.pieces.length > 0) this.#writePieces(current.pieces.shift()!);
      return;
    }
    if (s.accept("* ")) return this.#untagged(s, streamed);
    const tag = s.tag();
    s.sp();
    const status = s.atom().toUpperCase();
    const text = s.accept(" ") ? s.rest() : "";
    const current = this.#queue[0];
    if (current === undefined || current.tag !== tag) {
      throw new IllegalServerResponse(`Unexpected tagged response ${tag}`);
    }
    this.#queue.shift();
    if (this.#idle === current) this.#idle = null;
    if (status === "OK") current.resolve({ untagged: current.untagged, text });
    else current.reject(new IMAP4Exception(status, text));
    this.#next();
  }

  #untagged(s: Scanner, streamed: Streamed | null): void {
    let seq: number | null = null;
    if (/\d/.test(s.peek())) {
      seq = s.number();
      s.sp();
    }
    const name = s.atom().toUpperCase();
    const text = s.rest();
    const start = s.pos;
    const u: Untagged = { seq, name, s, text };
    if (streamed !== null) u.streamed = streamed;
    if (this.#greeting && seq === null && (name === "OK" || name === "PREAUTH" || name === "BYE")) {
      this.#greeting = false;
      if (name === "BYE") {
        this.#greetFailed(new IMAP4Exception("BYE", text));
        return;
      }
      const m = /^ \[CAPABILITY ([^\]]*)\]/i.exec(text);
      this.#caps = m ? parseCaps(m[1]) : null;
      this.serverGreeting(this.#caps);
      this.#greeted(this.#caps ?? new Map());
      return;
    }
    if (/\[ALERT\]/i.test(text)) this.alert(text.replace(/^ *\[ALERT\] */i, ""));
    if (name === "CAPABILITY") this.#caps = parseCaps(text.trim());
    const current = this.#queue[0];
    const quiet = current !== undefined && current !== this.#idle;
    if (name === "EXISTS" && seq !== null) {
      this.#exists = seq;
      if (!quiet) this.newMessages(seq, null);
    } else if (name === "RECENT" && seq !== null && !quiet) this.newMessages(null, seq);
    else if (name === "EXPUNGE" && seq !== null && !quiet) this.messageExpunged(seq);
    else if (name === "OK" && seq === null && !quiet && /^ \[READ-(ONLY|WRITE)\]/i.test(text)) {
      this.modeChanged(/^ \[READ-WRITE\]/i.test(text));
    } else if (name === "FETCH" && seq !== null && !quiet) {
      s.pos = start;
      s.sp();
      const items = parseFetch(s);
      const flags = items.FLAGS;
      if (Array.isArray(flags)) this.flagsChanged({ [seq]: flags.map(String) });
    }
    s.pos = start;
    // An IDLE's news goes to the callbacks only: kept, it would grow without bound.
    if (current !== undefined && current !== this.#idle) current.untagged.push(u);
  }

  #writePieces(pieces: (string | Uint8Array)[]): void {
    this.transport.write(concat(pieces.map((p) => (typeof p === "string" ? latin1Bytes(p) : p))));
  }

  #next(): void {
    const current = this.#queue[0];
    if (current === undefined || this.#closed) return;
    this.#writePieces(current.pieces.shift()!);
  }

  /**
   * Sends a command: `pieces` are text and literals; each literal is sent
   * after the server's continuation unless LITERAL+ is offered.
   */
  sendCommand(
    command: (string | Uint8Array)[],
    continuation: ((text: string) => void) | null = null,
  ): Promise<{ untagged: Untagged[]; text: string }> {
    const tag = `A${String(++this.#tagNo).padStart(4, "0")}`;
    const plus = this.#caps?.has("LITERAL+") ?? false;
    const pieces: (string | Uint8Array)[][] = [[`${tag} `]];
    for (const p of command) {
      const last = pieces[pieces.length - 1];
      if (typeof p === "string") last.push(p);
      else {
        last.push(`{${p.byteLength}${plus ? "+" : ""}}\r\n`);
        if (plus) last.push(p);
        else pieces.push([p]);
      }
    }
    pieces[pieces.length - 1].push("\r\n");
    if (plus) pieces.splice(0, pieces.length, pieces.flat());
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error("Connection lost"));
      const first = typeof command[0] === "string" ? command[0] : "";
      const fetch = /^(UID )?FETCH /i.test(first);
      const pending: Pending = { pieces, untagged: [], continuation, resolve, reject, tag, fetch };
      this.#queue.push(pending);
      if (this.#queue.length === 1) this.#next();
    });
  }

  async #simple(text: string): Promise<{ untagged: Untagged[]; text: string }> {
    return await this.sendCommand([text]);
  }

  /** The capabilities (name -> null, or its values like AUTH's). */
  async getCapabilities(useCache = true): Promise<Map<string, string[] | null>> {
    if (useCache && this.#caps !== null) return this.#caps;
    await this.#simple("CAPABILITY");
    return this.#caps ?? new Map();
  }

  /** STARTTLS, then asks the capabilities again. */
  async startTLS(tlsOptions?: TlsOptions): Promise<Map<string, string[] | null>> {
    const t = this.transport as ITransport & { startTLS?: (o: TlsOptions) => void };
    if (typeof t.startTLS !== "function") throw new Error("The transport cannot start TLS");
    await this.#simple("STARTTLS");
    this.#reader.clear();
    t.startTLS({ ...this.#options.tlsOptions, ...tlsOptions });
    this.#caps = null;
    return await this.getCapabilities(false);
  }

  /** LOGIN. */
  async login(username: string, password: string): Promise<void> {
    const r = await this.sendCommand(["LOGIN ", astring(username), " ", astring(password)]);
    this.#codeCaps(r.text);
  }

  #codeCaps(text: string): void {
    const m = /^\[CAPABILITY ([^\]]*)\]/i.exec(text);
    if (m) this.#caps = parseCaps(m[1]);
    else this.#caps = null;
  }

  /** AUTHENTICATE with PLAIN, LOGIN or CRAM-MD5 (the first the server offers, in that order of preference: CRAM-MD5 first). */
  async authenticate(username: string, password: string, mechanism?: string): Promise<void> {
    const caps = await this.getCapabilities();
    const offered = caps.get("AUTH") ?? [];
    const mech = mechanism ?? ["CRAM-MD5", "PLAIN", "LOGIN"].find((m) => offered.includes(m));
    if (mech === undefined) throw new IMAP4Exception("NO", "No common authentication mechanism");
    const answer = (text: string) => this.transport.write(enc.encode(btoa(text) + "\r\n"));
    const bin = (s: string) => String.fromCharCode(...enc.encode(s));
    let step = 0;
    const r = await this.sendCommand([`AUTHENTICATE ${mech}`], (challenge) => {
      if (mech === "PLAIN") answer(bin(`\0${username}\0${password}`));
      else if (mech === "LOGIN") answer(bin(step++ === 0 ? username : password));
      else {
        const c = atob(challenge.trim());
        answer(bin(`${username} ${CramMD5Credentials.digest(password, c)}`));
      }
    });
    this.#codeCaps(r.text);
  }

  /** NAMESPACE: `[personal, other, shared]`, each a list of `[prefix, delimiter]` or null. */
  async namespace(): Promise<FetchValue[]> {
    const r = await this.#simple("NAMESPACE");
    const u = r.untagged.find((x) => x.name === "NAMESPACE");
    if (!u) return [null, null, null];
    const out: FetchValue[] = [];
    for (let i = 0; i < 3; i++) {
      u.s.sp();
      out.push(deepText(u.s.value()));
    }
    return out;
  }

  async #select(command: string, mailbox: string): Promise<Record<string, unknown>> {
    const r = await this.sendCommand([`${command} `, mailboxName(mailbox)]);
    const out: Record<string, unknown> = {};
    for (const u of r.untagged) {
      if (u.name === "EXISTS" || u.name === "RECENT") out[u.name] = u.seq;
      else if (u.name === "FLAGS") {
        u.s.sp();
        out.FLAGS = (u.s.list() as string[]).map(String);
      } else if (u.name === "OK") {
        const m = /\[(UIDVALIDITY|UIDNEXT|UNSEEN) (\d+)\]/i.exec(u.text);
        if (m) out[m[1].toUpperCase()] = Number(m[2]);
        const p = /\[PERMANENTFLAGS \(([^)]*)\)\]/i.exec(u.text);
        if (p) out.PERMANENTFLAGS = p[1] === "" ? [] : p[1].split(" ");
      }
    }
    out["READ-WRITE"] = !/^\[READ-ONLY\]/i.test(r.text);
    return out;
  }

  /** SELECT: `{EXISTS, RECENT, FLAGS, UIDVALIDITY, UIDNEXT, UNSEEN, PERMANENTFLAGS, READ-WRITE}`. */
  select(mailbox: string): Promise<Record<string, unknown>> {
    return this.#select("SELECT", mailbox);
  }

  /** EXAMINE: as `select`, read-only. */
  examine(mailbox: string): Promise<Record<string, unknown>> {
    return this.#select("EXAMINE", mailbox);
  }

  /** CREATE. */
  async create(name: string): Promise<void> {
    await this.sendCommand(["CREATE ", mailboxName(name)]);
  }
  /** DELETE. */
  async delete(name: string): Promise<void> {
    await this.sendCommand(["DELETE ", mailboxName(name)]);
  }
  /** RENAME. */
  async rename(oldName: string, newName: string): Promise<void> {
    await this.sendCommand(["RENAME ", mailboxName(oldName), " ", mailboxName(newName)]);
  }
  /** SUBSCRIBE. */
  async subscribe(name: string): Promise<void> {
    await this.sendCommand(["SUBSCRIBE ", mailboxName(name)]);
  }
  /** UNSUBSCRIBE. */
  async unsubscribe(name: string): Promise<void> {
    await this.sendCommand(["UNSUBSCRIBE ", mailboxName(name)]);
  }

  async #list(
    command: string,
    reference: string,
    wildcard: string,
  ): Promise<[string[], string | null, string][]> {
    const r = await this.sendCommand([`${command} `, astring(reference), " ", astring(wildcard)]);
    const out: [string[], string | null, string][] = [];
    for (const u of r.untagged) {
      if (u.name !== command) continue;
      u.s.sp();
      const flags = (u.s.list() as string[]).map(String);
      u.s.sp();
      const delim = u.s.nstring();
      u.s.sp();
      const name = u.s.astring();
      out.push([flags, delim === null ? null : latin1.decode(delim), decodeMailboxName(name)]);
    }
    return out;
  }

  /** LIST: `[flags, delimiter, name][]` (names decoded from modified UTF-7). */
  list(reference: string, wildcard: string): Promise<[string[], string | null, string][]> {
    return this.#list("LIST", reference, wildcard);
  }

  /** LSUB: as `list`, subscribed mailboxes. */
  lsub(reference: string, wildcard: string): Promise<[string[], string | null, string][]> {
    return this.#list("LSUB", reference, wildcard);
  }

  /** STATUS: name -> number. */
  async status(mailbox: string, ...names: string[]): Promise<Record<string, number>> {
    const r = await this.sendCommand(["STATUS ", mailboxName(mailbox), ` (${names.join(" ")})`]);
    const out: Record<string, number> = {};
    for (const u of r.untagged) {
      if (u.name !== "STATUS") continue;
      u.s.sp();
      u.s.astring();
      u.s.sp();
      const items = u.s.list();
      for (let i = 0; i + 1 < items.length; i += 2) {
        out[String(items[i]).toUpperCase()] = Number(items[i + 1]);
      }
    }
    return out;
  }

  /** APPEND; resolves with the APPENDUID `[uidvalidity, uid]` when the server gives one. */
  async append(
    mailbox: string,
    message: Uint8Array | string,
    options: { flags?: string[]; date?: Date } = {},
  ): Promise<[number, number] | null> {
    const bytes = typeof message === "string" ? enc.encode(message) : message;
    const parts: (string | Uint8Array)[] = ["APPEND ", mailboxName(mailbox), " "];
    if (options.flags !== undefined) parts.push(`(${options.flags.join(" ")}) `);
    if (options.date !== undefined) parts.push(`"${formatDateTime(options.date)}" `);
    parts.push(bytes);
    const r = await this.sendCommand(parts);
    const m = /\[APPENDUID (\d+) (\d+)\]/i.exec(r.text);
    return m ? [Number(m[1]), Number(m[2])] : null;
  }

  /** CHECK. */
  async check(): Promise<void> {
    await this.#simple("CHECK");
  }
  /** CLOSE. */
  async close(): Promise<void> {
    await this.#simple("CLOSE");
  }
  /** UNSELECT (RFC 3691). */
  async unselect(): Promise<void> {
    await this.#simple("UNSELECT");
  }
  /** NOOP; resolves with the untagged responses' names and numbers. */
  async noop(): Promise<[number | null, string][]> {
    const r = await this.#simple("NOOP");
    return r.untagged.map((u) => [u.seq, u.name]);
  }

  /** EXPUNGE: the expunged sequence numbers, as told. */
  async expunge(): Promise<number[]> {
    const r = await this.#simple("EXPUNGE");
    return r.untagged.filter((u) => u.name === "EXPUNGE").map((u) => u.seq!);
  }

  /** UID EXPUNGE (RFC 4315): the expunged sequence numbers. */
  async uidExpunge(messages: string | number): Promise<number[]> {
    const r = await this.#simple(`UID EXPUNGE ${sets(messages)}`);
    return r.untagged.filter((u) => u.name === "EXPUNGE").map((u) => u.seq!);
  }

  /** ID (RFC 2971): the server's fields. */
  async id(fields: Record<string, string> | null = null): Promise<Record<string, string | null>> {
    const arg = fields === null
      ? "NIL"
      : `(${Object.entries(fields).map(([k, v]) => `${nquote(k)} ${nquote(v)}`).join(" ")})`;
    const r = await this.#simple(`ID ${arg}`);
    const out: Record<string, string | null> = {};
    for (const u of r.untagged) {
      if (u.name !== "ID") continue;
      u.s.sp();
      const v = u.s.value();
      if (Array.isArray(v)) {
        for (let i = 0; i + 1 < v.length; i += 2) {
          out[String(deepText(v[i]))] = deepText(v[i + 1]) as string | null;
        }
      }
    }
    return out;
  }

  /**
   * IDLE (RFC 2177): resolves once the server accepts; news comes through
   * `newMessages`, `flagsChanged` and `messageExpunged` until `idleDone()`.
   */
  idle(): Promise<void> {
    return new Promise((accepted, refused) => {
      const done = this.sendCommand(["IDLE"], () => {
        this.#idle = this.#queue[0] ?? null;
        accepted();
      });
      this.#idleDone = done;
      done.catch(refused);
    });
  }

  #idleDone: Promise<unknown> | null = null;

  /** Ends IDLE; resolves when the server confirms. */
  async idleDone(): Promise<void> {
    const done = this.#idleDone;
    if (done === null) throw new Error("Not idling");
    this.#idleDone = null;
    this.transport.write(enc.encode("DONE\r\n"));
    await done;
  }

  /** The last EXISTS count told. */
  get exists(): number | null {
    return this.#exists;
  }

  /** LOGOUT, then the connection closes. */
  async logout(): Promise<void> {
    await this.#simple("LOGOUT");
    this.transport.loseConnection();
  }
}
