/**
 * The POP3 client (Twisted's `AdvancedPOP3Client`): one command at a time,
 * each a promise of its parsed answer; indexes from 0. Private: re-exported by `mod.ts`.
 * @module
 */
import { Protocol } from "../../internet/protocol.ts";
import type { Failure } from "../../internet/failure.ts";
import type { ITransport } from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { APOPCredentials } from "./_interfaces.ts";
import { dotUnstuff, LineBuffer } from "./_wire.ts";

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/**
 * The server answered `-ERR`; the message is its text.
 *
 * @example
 * ```ts
 * import { ServerErrorResponse } from "@tw/core/mail/pop3";
 * const error = new ServerErrorResponse("No such message");
 * console.log(error.response); // "No such message"
 * ```
 */
export class ServerErrorResponse extends Error {
  /** The server's text after `-ERR `. */
  readonly response: string;
  /**
   * Makes the instance.
   * @param response the text after `-ERR `
   */
  constructor(response: string) {
    super(response);
    this.name = "ServerErrorResponse";
    this.response = response;
  }
}

/**
 * `login` would send a password in clear text and `allowInsecureLogin` is off.
 *
 * @example
 * ```ts
 * import { InsecureAuthenticationDisallowed, type POP3Client } from "@tw/core/mail/pop3";
 * async function tryLogin(client: POP3Client): Promise<boolean> {
 *   try {
 *     await client.login("alice", "secret");
 *     return true;
 *   } catch (e) {
 *     if (e instanceof InsecureAuthenticationDisallowed) return false;
 *     throw e;
 *   }
 * }
 * ```
 */
export class InsecureAuthenticationDisallowed extends Error {
  /**
   * Makes the instance.
   * @param message why
   */
  constructor(message = "Refusing to send a password in clear text") {
    super(message);
    this.name = "InsecureAuthenticationDisallowed";
  }
}

/**
 * Starting TLS failed.
 *
 * @example
 * ```ts
 * import { TLSError } from "@tw/core/mail/pop3";
 * const error: Error = new TLSError("TLS is already active");
 * ```
 */
export class TLSError extends Error {
  /**
   * Makes the instance.
   * @param message why
   */
  constructor(message: string) {
    super(message);
    this.name = "TLSError";
  }
}

/**
 * The server does not offer STLS, or the transport cannot start TLS.
 *
 * @example
 * ```ts
 * import { TLSError, TLSNotSupportedError } from "@tw/core/mail/pop3";
 * console.log(new TLSNotSupportedError("no STLS") instanceof TLSError); // true
 * ```
 */
export class TLSNotSupportedError extends TLSError {
  /**
   * Makes the instance.
   * @param message why
   */
  constructor(message: string) {
    super(message);
    this.name = "TLSNotSupportedError";
  }
}

/**
 * The server sent a line longer than `MAX_LENGTH`; the connection is closed.
 *
 * @example
 * ```ts
 * import { LineTooLong, POP3Client } from "@tw/core/mail/pop3";
 * const client = new POP3Client();
 * client.MAX_LENGTH = 1 << 20; // a longer server line fails the command with LineTooLong
 * const error: Error = new LineTooLong("too long");
 * ```
 */
export class LineTooLong extends Error {
  /**
   * Makes the instance.
   * @param message what was too long
   */
  constructor(message: string) {
    super(message);
    this.name = "LineTooLong";
  }
}

/** Options of `POP3Client`. */
export interface POP3ClientOptions {
  /**
   * Let `login` send USER/PASS in clear text when neither APOP nor STLS is available.
   * @default false
   */
  allowInsecureLogin?: boolean;
  /**
   * TLS options for the STLS that `login` starts (`ca`, `serverName`...).
   * @default {}
   */
  tlsOptions?: TlsOptions;
}

/** Options of `retrieve`. */
export interface RetrieveOptions {
  /** Called with each line (dot-unstuffed, no CRLF); then the result is empty. */
  consumer?: (line: Uint8Array) => void;
  /** Only the headers and this many body lines (TOP). */
  lines?: number;
}

interface Pending {
  line: string | null;
  multi: boolean;
  consumer?: (line: Uint8Array) => void;
  collected: Uint8Array[];
  first: string | null;
  resolve: (value: { first: string; lines: Uint8Array[] }) => void;
  reject: (error: unknown) => void;
}

/**
 * A POP3 client (Twisted's `AdvancedPOP3Client`, also exported as `POP3Client`).
 * Commands queue and run one at a time; each method returns a promise.
 *
 * @example
 * ```ts
 * import { POP3Client } from "@tw/core/mail/pop3";
 * import { ClientCreator, reactor } from "@tw/core";
 * async function countMessages(host: string, port: number): Promise<number> {
 *   const client = await new ClientCreator(reactor, POP3Client).connectTCP(host, port);
 *   await client.login("alice", "secret");
 *   const [count] = await client.stat();
 *   await client.quit();
 *   return count;
 * }
 * ```
 */
export class POP3Client extends Protocol {
  /** Longest line accepted from the server. */
  MAX_LENGTH = 65536;
  /** Allows USER/PASS without TLS or APOP. */
  allowInsecureLogin: boolean;
  #tlsOptions: TlsOptions;
  #lines: LineBuffer;
  #queue: Pending[] = [];
  #greeting: Promise<string>;
  #greeted!: (greeting: string) => void;
  #greetFailed!: (error: unknown) => void;
  #challenge: string | null = null;
  #capabilities: Map<string, string[]> | null = null;
  #tls = false;
  #closed = false;

  /**
   * Makes the instance.
   * @param options clear-text policy and STLS options
   */
  constructor(options: POP3ClientOptions = {}) {
    super();
    this.allowInsecureLogin = options.allowInsecureLogin ?? false;
    this.#tlsOptions = options.tlsOptions ?? {};
    this.#lines = new LineBuffer(this.MAX_LENGTH);
    this.#greeting = new Promise((resolve, reject) => {
      this.#greeted = resolve;
      this.#greetFailed = reject;
    });
    this.#greeting.catch(() => {});
    this.#queue.push({
      line: null,
      multi: false,
      collected: [],
      first: null,
      resolve: ({ first }) => {
        const m = /<[^>]*>/.exec(first);
        this.#challenge = m === null ? null : m[0];
        this.serverGreeting(first);
        this.#greeted(first);
      },
      reject: (e) => this.#greetFailed(e),
    });
  }

  /** Called with the greeting's text (after `+OK `); override to look at it. */
  serverGreeting(_greeting: string): void {}

  /** True once STLS has run. */
  get secure(): boolean {
    return this.#tls;
  }

  /** Takes bytes from the server. */
  override dataReceived(data: Uint8Array): void {
    if (this.#closed) return;
    this.#lines.max = this.MAX_LENGTH;
    this.#lines.push(data);
    for (;;) {
      const line = this.#lines.next();
      if (line === null) return;
      if (line === "tooLong") {
        this.#failAll(new LineTooLong(`Server line longer than ${this.MAX_LENGTH} bytes`));
        this.transport.loseConnection();
        return;
      }
      this.#line(line);
    }
  }

  /** Fails every waiting command. */
  override connectionLost(_reason?: Failure): void {
    this.#closed = true;
    this.#failAll(new Error("Connection lost"));
  }

  #failAll(error: unknown): void {
    const queue = this.#queue;
    this.#queue = [];
    for (const p of queue) p.reject(error);
  }

  #line(line: Uint8Array): void {
    const current = this.#queue[0];
    if (current === undefined) return; // unsolicited: ignore
    if (current.first === null) {
      const text = latin1.decode(line);
      if (text.startsWith("-ERR")) {
        this.#finish();
        current.reject(new ServerErrorResponse(text.slice(4).trimStart()));
        return;
      }
      if (!text.startsWith("+OK")) {
        this.#finish();
        current.reject(new ServerErrorResponse(`Unexpected response: ${text.slice(0, 100)}`));
        return;
      }
      current.first = text.slice(3).trimStart();
      if (!current.multi) {
        this.#finish();
        current.resolve({ first: current.first, lines: [] });
      }
      return;
    }
    if (line.byteLength === 1 && line[0] === 0x2e) {
      this.#finish();
      current.resolve({ first: current.first, lines: current.collected });
      return;
    }
    const body = dotUnstuff(line);
    if (current.consumer) current.consumer(body);
    else current.collected.push(body);
  }

  #finish(): void {
    this.#queue.shift();
    const next = this.#queue[0];
    if (next !== undefined && next.line !== null && !this.#closed) this.#write(next.line);
  }

  #write(line: string): void {
    this.transport.write(enc.encode(line + "\r\n"));
  }

  /** Sends a command; resolves with the `+OK` text and, for a multi-line answer, its lines. */
  sendCommand(
    line: string,
    multi = false,
    consumer?: (line: Uint8Array) => void,
  ): Promise<{ first: string; lines: Uint8Array[] }> {
    if (/[\r\n]/.test(line)) return Promise.reject(new SyntaxError("Command contains CR or LF"));
    if (this.#closed) return Promise.reject(new Error("Connection lost"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ line, multi, consumer, collected: [], first: null, resolve, reject });
      if (this.#queue.length === 1) this.#write(line);
    });
  }

  async #short(line: string): Promise<string> {
    return (await this.sendCommand(line)).first;
  }

  /** The server's capabilities (CAPA), name to arguments; cached until STLS. */
  async capabilities(useCache = true): Promise<Map<string, string[]>> {
    if (useCache && this.#capabilities !== null) return this.#capabilities;
    const caps = new Map<string, string[]>();
    try {
      const { lines } = await this.sendCommand("CAPA", true);
      for (const raw of lines) {
        const [name, ...args] = latin1.decode(raw).split(" ").filter(Boolean);
        if (name !== undefined) caps.set(name.toUpperCase(), args);
      }
    } catch (error) {
      if (!(error instanceof ServerErrorResponse)) throw error;
    }
    this.#capabilities = caps;
    return caps;
  }

  /** Sends STLS and starts TLS on the transport; capabilities are asked again afterwards. */
  async startTLS(tlsOptions?: TlsOptions): Promise<void> {
    await this.#greeting;
    if (this.#tls) throw new TLSError("TLS is already active");
    const t = this.transport as ITransport & { startTLS?: (o: TlsOptions) => void };
    if (typeof t.startTLS !== "function") {
      throw new TLSNotSupportedError("The transport cannot start TLS");
    }
    const caps = await this.capabilities();
    if (!caps.has("STLS")) throw new TLSNotSupportedError("The server does not offer STLS");
    await this.#short("STLS");
    t.startTLS({ ...this.#tlsOptions, ...tlsOptions });
    this.#tls = true;
    this.#capabilities = null;
  }

  /**
   * Logs in: APOP when the greeting has a challenge, else USER/PASS after STLS
   * when offered, else USER/PASS in clear text only with `allowInsecureLogin`.
   */
  async login(username: string, password: string): Promise<string> {
    await this.#greeting;
    if (this.#challenge !== null) return await this.apop(username, password);
    if (!this.#tls) {
      const t = this.transport as Partial<{ startTLS: unknown }>;
      const caps = await this.capabilities();
      if (caps.has("STLS") && typeof t.startTLS === "function") await this.startTLS();
      else if (!this.allowInsecureLogin) throw new InsecureAuthenticationDisallowed();
    }
    await this.user(username);
    return await this.password(password);
  }

  /** APOP with the greeting's challenge. */
  async apop(username: string, password: string): Promise<string> {
    await this.#greeting;
    if (this.#challenge === null) throw new ServerErrorResponse("No APOP challenge in greeting");
    return await this.#short(
      `APOP ${username} ${APOPCredentials.digest(this.#challenge, password)}`,
    );
  }

  /** Sends USER. */
  user(username: string): Promise<string> {
    return this.#short(`USER ${username}`);
  }

  /** Sends PASS. */
  password(password: string): Promise<string> {
    return this.#short(`PASS ${password}`);
  }

  /** The message count and total size in octets (STAT). */
  async stat(): Promise<[number, number]> {
    const m = /^(\d+) (\d+)/.exec(await this.#short("STAT"));
    if (m === null) throw new ServerErrorResponse("Malformed STAT response");
    return [Number(m[1]), Number(m[2])];
  }

  async #indexed(command: string): Promise<Map<number, string>> {
    const { lines } = await this.sendCommand(command, true);
    const out = new Map<number, string>();
    for (const raw of lines) {
      const m = /^(\d+) (\S+)/.exec(latin1.decode(raw));
      if (m !== null) out.set(Number(m[1]) - 1, m[2]);
    }
    return out;
  }

  /** Each message's size (LIST), by index from 0; null for a deleted one. */
  async listSize(): Promise<(number | null)[]> {
    const map = await this.#indexed("LIST");
    const out: (number | null)[] = [];
    for (const [i, v] of map) out[i] = Number(v);
    return Array.from(out, (v) => v ?? null);
  }

  /** Each message's unique id (UIDL), by index from 0; null for a deleted one. */
  async listUID(): Promise<(string | null)[]> {
    const map = await this.#indexed("UIDL");
    const out: (string | null)[] = [];
    for (const [i, v] of map) out[i] = v;
    return Array.from(out, (v) => v ?? null);
  }

  /** A message's lines, dot-unstuffed (RETR; TOP with `lines`). */
  async retrieve(index: number, options: RetrieveOptions = {}): Promise<Uint8Array[]> {
    const n = index + 1;
    const line = options.lines === undefined ? `RETR ${n}` : `TOP ${n} ${options.lines}`;
    return (await this.sendCommand(line, true, options.consumer)).lines;
  }

  /** Marks a message deleted (DELE). */
  delete(index: number): Promise<string> {
    return this.#short(`DELE ${index + 1}`);
  }

  /** Undoes the deletions (RSET). */
  reset(): Promise<string> {
    return this.#short("RSET");
  }

  /** Does nothing (NOOP). */
  noop(): Promise<string> {
    return this.#short("NOOP");
  }

  /** Ends the session (QUIT): the server applies the deletions. */
  async quit(): Promise<string> {
    const text = await this.#short("QUIT");
    this.transport.loseConnection();
    return text;
  }
}

/**
 * Twisted's name for `POP3Client`.
 *
 * @example
 * ```ts
 * import { AdvancedPOP3Client, POP3Client } from "@tw/core/mail/pop3";
 * console.log(AdvancedPOP3Client === POP3Client); // true
 * ```
 */
export const AdvancedPOP3Client: typeof POP3Client = POP3Client;
