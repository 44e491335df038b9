/**
 * The POP3 server (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 SASL):
 * `POP3` and `POP3Factory`. Private: re-exported by `mod.ts`.
 * @module
 */
import { Factory, Protocol } from "../../internet/protocol.ts";
import type { Address as NetAddress } from "../../internet/address.ts";
import type { IDelayedCall, IReactorTime, ITransport } from "../../internet/interfaces.ts";
import type { Failure } from "../../internet/failure.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { Portal } from "../../cred/_portal.ts";
import { UsernamePassword } from "../../cred/_credentials.ts";
import { CramMD5Credentials } from "../../cred/_cram_md5.ts";
import type { ICredentials } from "../../cred/_interfaces.ts";
import { APOPCredentials, IMailbox, type IServerFactory, POP3Error } from "./_interfaces.ts";
import { dotStuff, LineBuffer } from "./_wire.ts";

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const COMMAND_MAX = 4096;
const BUFFER_HIGH = 1 << 20;

/** Options of `POP3Factory` and `POP3`. */
export interface POP3Options extends IServerFactory {
  /**
   * Authenticates users and gives their `IMailbox`; without one every login fails.
   * @default null
   */
  portal?: Portal | null;
  /**
   * Certificate and key for STLS; STLS is offered only with them (and a TLS-capable transport).
   * @default null
   */
  tlsOptions?: TlsOptions | null;
  /**
   * Idle timeout in seconds (RFC 1939 asks for at least 600); 0 disables it.
   * @default 600
   */
  timeout?: number;
  /**
   * Where timers run.
   * @default the installed reactor
   */
  clock?: IReactorTime;
  /**
   * The host name in the APOP challenge.
   * @default "localhost"
   */
  hostname?: string;
  /**
   * Allow USER/PASS and AUTH PLAIN before STLS.
   * @default true
   */
  allowInsecureLogin?: boolean;
  /**
   * The set of maildrops in use (shared by a factory's sessions: one session per maildrop).
   * @default a new set per protocol
   */
  locks?: Set<string>;
}

/** A POP3 session's state (RFC 1939 §3). */
export type POP3State = "AUTHORIZATION" | "TRANSACTION" | "UPDATE";
type Reply = string | Uint8Array;

/**
 * One POP3 server session (Twisted's `POP3`), over any transport. Commands
 * are answered in order; a slow mailbox holds later pipelined commands, and
 * reading pauses once a megabyte of them is waiting.
 *
 * @example
 * ```ts
 * import { POP3 } from "@tw/core/mail/pop3";
 * import { StringTransport } from "@tw/core/testing";
 * const pop = new POP3({ timeout: 0 });
 * const transport = new StringTransport();
 * pop.makeConnection(transport);
 * pop.dataReceived(new TextEncoder().encode("CAPA\r\n"));
 * ```
 */
export class POP3 extends Protocol {
  /** The session's state. */
  state: POP3State = "AUTHORIZATION";
  /** The APOP challenge sent in the greeting. */
  readonly magic: string;
  #options: POP3Options;
  #lines = new LineBuffer(COMMAND_MAX);
  #busy = false;
  #paused = false;
  #closed = false;
  #tls = false;
  #timer: IDelayedCall | null = null;
  #user: string | null = null;
  #mailbox: IMailbox | null = null;
  #logout: (() => void) | null = null;
  #lock: string | null = null;
  #locks: Set<string>;
  #sizes: number[] = [];
  #deleted = new Set<number>();
  #sasl: ((line: string) => void) | null = null;

  /**
   * Makes the instance.
   * @param options the portal, TLS, timeout and CAPA values
   */
  constructor(options: POP3Options = {}) {
    super();
    this.#options = options;
    this.#locks = options.locks ?? new Set();
    const random = new Uint32Array(2);
    globalThis.crypto.getRandomValues(random);
    this.magic = `<${random[0]}.${random[1]}@${options.hostname ?? "localhost"}>`;
  }

  /** True once STLS has run. */
  get secure(): boolean {
    return this.#tls;
  }

  /** Sends the greeting (with the APOP challenge) and starts the idle timer. */
  override connectionMade(): void {
    // POP3S (RFC 8314): a transport that is TLS from the start counts as after STLS.
    this.#tls = (this.transport as { secure?: boolean }).secure === true;
    this.#resetTimeout();
    this.#send(`+OK POP3 server ready ${this.magic}`);
  }

  /** Takes bytes from the client. */
  override dataReceived(data: Uint8Array): void {
    if (this.#closed) return;
    this.#resetTimeout();
    this.#lines.push(data);
    this.#pump();
  }

  /** Forgets pending deletions, frees the maildrop and stops the timer. */
  override connectionLost(_reason?: Failure): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = null;
    if (this.#mailbox !== null && this.state !== "UPDATE") {
      try {
        Promise.resolve(this.#mailbox.undeleteMessages()).catch(() => {});
      } catch {
        // the mailbox is being dropped anyway
      }
    }
    this.#release();
  }

  /** Closes an idle connection. */
  timeoutConnection(): void {
    this.#send("-ERR Idle timeout, closing connection");
    this.transport.loseConnection();
  }

  #release(): void {
    if (this.#lock !== null) this.#locks.delete(this.#lock);
    this.#lock = null;
    this.#logout?.();
    this.#logout = null;
  }

  #resetTimeout(): void {
    this.#timer?.cancel();
    this.#timer = null;
    const timeout = this.#options.timeout ?? 600;
    if (timeout > 0 && !this.#closed) {
      this.#timer = (this.#options.clock ?? getReactor()).callLater(timeout, () => {
        this.#timer = null;
        this.timeoutConnection();
      });
    }
  }

  #send(line: string): void {
    this.transport.write(enc.encode(line + "\r\n"));
  }

  #ok(text = ""): void {
    this.#send(text === "" ? "+OK" : `+OK ${text}`);
  }

  #err(text: string): void {
    this.#send(`-ERR ${text}`);
  }

  #pump(): void {
    while (!this.#busy && !this.#closed && !this.transport.disconnecting) {
      const event = this.#lines.next();
      if (event === null) break;
      if (event === "tooLong") {
        this.#sasl = null;
        this.#err("Line too long");
        continue;
      }
      const line = latin1.decode(event);
      if (this.#sasl !== null) {
        const step = this.#sasl;
        this.#sasl = null;
        step(line);
      } else {
        this.#command(line);
      }
    }
    const full = this.#busy && this.#lines.buffered > BUFFER_HIGH;
    if (full && !this.#paused) {
      this.#paused = true;
      this.transport.pauseProducing();
    } else if (!full && this.#paused) {
      this.#paused = false;
      this.transport.resumeProducing();
    }
  }

  /** Runs `work`, holding later commands until it settles; a failure becomes `-ERR`. */
  #wait<T>(work: () => T | PromiseLike<T>, ok: (value: T) => void): void {
    const bad = (e: unknown): void => {
      const text = e instanceof POP3Error ? e.message : "Command failed";
      this.#err(text);
    };
    let value: T | PromiseLike<T>;
    try {
      value = work();
    } catch (e) {
      bad(e);
      return;
    }
    if (typeof (value as PromiseLike<T> | null)?.then !== "function") {
      ok(value as T);
      return;
    }
    this.#busy = true;
    const done = (f: () => void): void => {
      this.#busy = false;
      if (this.#closed) return;
      f();
      this.#pump();
    };
    (value as PromiseLike<T>).then((v) => done(() => ok(v)), (e) => done(() => bad(e)));
  }

  #command(line: string): void {
    const match = /^([A-Za-z]{1,10})(?: (.*))?$/s.exec(line);
    if (match === null) return this.#err("Bad command syntax");
    const command = match[1].toUpperCase();
    const arg = match[2] ?? "";
    const any: Record<string, (arg: string) => void> = {
      CAPA: () => this.#capa(),
      QUIT: () => this.#quit(),
    };
    const auth: Record<string, (arg: string) => void> = {
      USER: (a) => this.#userCommand(a),
      PASS: (a) => this.#pass(a),
      APOP: (a) => this.#apop(a),
      AUTH: (a) => this.#auth(a),
      STLS: (a) => this.#stls(a),
    };
    const transaction: Record<string, (arg: string) => void> = {
      STAT: () => this.#stat(),
      LIST: (a) => this.#list(a, (i) => String(this.#sizes[i])),
      UIDL: (a) => this.#uidl(a),
      RETR: (a) => this.#retr(a, null),
      TOP: (a) => this.#top(a),
      DELE: (a) => this.#dele(a),
      RSET: () => this.#rset(),
      NOOP: () => this.#ok(),
    };
    const table = this.state === "AUTHORIZATION" ? auth : transaction;
    const handler = any[command] ?? table[command];
    if (handler !== undefined) return handler(arg);
    if (command in auth || command in transaction) {
      return this.#err(`${command} not allowed in the ${this.state} state`);
    }
    this.#err(`Unknown command ${command.slice(0, 10)}`);
  }

  #canTLS(): boolean {
    const t = this.transport as Partial<{ startTLS: unknown }>;
    return this.#options.tlsOptions != null && typeof t.startTLS === "function" && !this.#tls;
  }

  #clearTextAllowed(): boolean {
    return this.#tls || (this.#options.allowInsecureLogin ?? true);
  }

  #mechanisms(): string[] {
    return this.#tls ? ["CRAM-MD5", "PLAIN"] : ["CRAM-MD5"];
  }

  #capa(): void {
    const lines = ["+OK Capability list follows", "TOP"];
    if (this.state === "AUTHORIZATION" && this.#clearTextAllowed()) lines.push("USER");
    lines.push("UIDL", "PIPELINING", "RESP-CODES", "AUTH-RESP-CODE");
    if (this.#options.portal && this.state === "AUTHORIZATION") {
      lines.push(`SASL ${this.#mechanisms().join(" ")}`);
    }
    if (this.state === "AUTHORIZATION" && this.#canTLS()) lines.push("STLS");
    lines.push(`IMPLEMENTATION ${this.#options.implementation ?? "tw-core"}`);
    lines.push(`EXPIRE ${this.#options.expire ?? "NEVER"}`);
    lines.push(`LOGIN-DELAY ${this.#options.loginDelay ?? 0}`);
    lines.push(".");
    this.transport.write(enc.encode(lines.join("\r\n") + "\r\n"));
  }

  #quit(): void {
    if (this.state !== "TRANSACTION" || this.#mailbox === null) {
      this.#ok("Bye");
      this.transport.loseConnection();
      return;
    }
    this.state = "UPDATE";
    const mailbox = this.#mailbox;
    const deleted = [...this.#deleted].sort((a, b) => a - b);
    this.#busy = true;
    const finish = (text: string | null): void => {
      this.#busy = false;
      this.#release();
      if (this.#closed) return;
      if (text === null) this.#ok("Bye");
      else this.#err(text);
      this.transport.loseConnection();
    };
    (async () => {
      for (const index of deleted) await mailbox.deleteMessage(index);
      await mailbox.sync();
    })().then(() => finish(null), () => finish("Some deleted messages not removed"));
  }

  #userCommand(arg: string): void {
    if (!this.#clearTextAllowed()) return this.#err("[AUTH] Use STLS first");
    if (arg === "") return this.#err("Syntax: USER name");
    this.#user = arg;
    this.#ok("USER accepted, send PASS");
  }

  #pass(arg: string): void {
    const user = this.#user;
    this.#user = null;
    if (user === null) return this.#err("USER required before PASS");
    this.#login(new UsernamePassword(user, arg), user);
  }

  #apop(arg: string): void {
    const m = /^(\S+) ([0-9a-fA-F]{32})$/.exec(arg);
    if (m === null) return this.#err("Syntax: APOP name digest");
    this.#login(new APOPCredentials(this.magic, m[1], m[2]), m[1]);
  }

  #auth(arg: string): void {
    if (arg === "") {
      this.transport.write(enc.encode(["+OK", ...this.#mechanisms(), "."].join("\r\n") + "\r\n"));
      return;
    }
    const [mechanism, initial] = arg.split(" ", 2);
    const mech = mechanism.toUpperCase();
    if (!this.#mechanisms().includes(mech)) {
      return this.#err(`Unsupported mechanism ${mechanism.slice(0, 20)}`);
    }
    const b64 = (s: string): string | null => {
      try {
        return latin1.decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
      } catch {
        return null;
      }
    };
    if (mech === "CRAM-MD5") {
      const creds = new CramMD5Credentials(undefined, this.#options.hostname ?? "localhost");
      this.#send(`+ ${btoa(creds.getChallenge())}`);
      this.#sasl = (line) => {
        const text = line === "*" ? null : b64(line);
        if (text === null) return this.#err("[AUTH] Authentication cancelled");
        try {
          creds.setResponse(text);
        } catch {
          return this.#err("[AUTH] Malformed response");
        }
        this.#login(creds, creds.username);
      };
      return;
    }
    const plain = (line: string): void => {
      const text = line === "*" ? null : b64(line);
      const parts = text?.split("\0");
      if (parts === undefined || parts.length !== 3) {
        return this.#err("[AUTH] Authentication failed");
      }
      this.#login(new UsernamePassword(parts[1], parts[2]), parts[1]);
    };
    if (initial !== undefined && initial !== "=") return plain(initial);
    this.#send("+ ");
    this.#sasl = plain;
  }

  #login(credentials: ICredentials, user: string): void {
    const portal = this.#options.portal;
    if (!portal) return this.#err("[AUTH] Authentication failed");
    this.#wait(async (): Promise<string | { mailbox: IMailbox; sizes: number[] }> => {
      let login;
      try {
        login = await portal.login(credentials, null, IMailbox);
      } catch {
        return "[AUTH] Authentication failed";
      }
      const [, mailbox, logout] = login;
      // The maildrop lock is only looked at once the user has proved who they are.
      // It names the maildrop (a maildir's path), not the login: two names can lead
      // to one maildrop (user@domain, and user for the default domain).
      const path = (mailbox as { path?: unknown }).path;
      const key = typeof path === "string" ? `path:${path}` : user;
      if (this.#closed || this.#locks.has(key)) {
        logout();
        return "[IN-USE] Mailbox already locked";
      }
      this.#lock = key;
      this.#locks.add(key);
      this.#logout = logout;
      try {
        return { mailbox, sizes: await mailbox.listMessages() };
      } catch {
        this.#release();
        return "[SYS/TEMP] Cannot open the maildrop";
      }
    }, (result) => {
      if (typeof result === "string") return this.#err(result);
      this.#mailbox = result.mailbox;
      this.#sizes = result.sizes;
      this.state = "TRANSACTION";
      this.#ok("Maildrop ready");
    });
  }

  #stls(arg: string): void {
    if (arg !== "") return this.#err("Syntax: STLS");
    if (!this.#canTLS()) return this.#err("STLS not available");
    this.#ok("Begin TLS negotiation");
    this.#lines.clear();
    this.#user = null;
    this.#tls = true;
    (this.transport as ITransport & { startTLS(o: TlsOptions): void }).startTLS({
      ...this.#options.tlsOptions!,
    });
  }

  #index(arg: string): number | null {
    if (!/^\d{1,9}$/.test(arg)) {
      this.#err("Bad message number");
      return null;
    }
    const index = Number(arg) - 1;
    if (index < 0 || index >= this.#sizes.length || this.#deleted.has(index)) {
      this.#err("No such message");
      return null;
    }
    return index;
  }

  #live(): number[] {
    return this.#sizes.map((_, i) => i).filter((i) => !this.#deleted.has(i) && this.#sizes[i] >= 0);
  }

  #stat(): void {
    const live = this.#live();
    this.#ok(`${live.length} ${live.reduce((n, i) => n + this.#sizes[i], 0)}`);
  }

  #list(arg: string, value: (index: number) => string): void {
    if (arg !== "") {
      const index = this.#index(arg.trim());
      if (index !== null) this.#ok(`${index + 1} ${value(index)}`);
      return;
    }
    const lines = ["+OK", ...this.#live().map((i) => `${i + 1} ${value(i)}`), "."];
    this.transport.write(enc.encode(lines.join("\r\n") + "\r\n"));
  }

  #uidl(arg: string): void {
    const mailbox = this.#mailbox!;
    const indexes = arg === "" ? this.#live() : [this.#index(arg.trim())];
    if (indexes.includes(null)) return;
    this.#wait(async () => {
      const uids = new Map<number, string>();
      for (const i of indexes as number[]) uids.set(i, await mailbox.getUidl(i));
      return uids;
    }, (uids) => this.#list(arg, (i) => uids.get(i)!));
  }

  #top(arg: string): void {
    const m = /^(\S+) (\d{1,9})$/.exec(arg);
    if (m === null) return this.#err("Syntax: TOP message lines");
    this.#retr(m[1], Number(m[2]));
  }

  #retr(arg: string, lines: number | null): void {
    const index = this.#index(arg.trim());
    if (index === null) return;
    const mailbox = this.#mailbox!;
    this.#wait(() => mailbox.getMessage(index), (bytes: Uint8Array) => {
      const body: Reply = dotStuff(bytes, lines);
      // One write: separate small segments meet Nagle and delayed ACKs (40 ms each).
      const head = enc.encode(`+OK ${this.#sizes[index]} octets\r\n`);
      const all = new Uint8Array(head.byteLength + body.byteLength + 3);
      all.set(head);
      all.set(body, head.byteLength);
      all.set([0x2e, 0x0d, 0x0a], head.byteLength + body.byteLength);
      this.transport.write(all);
    });
  }

  #dele(arg: string): void {
    const index = this.#index(arg.trim());
    if (index === null) return;
    this.#deleted.add(index);
    this.#ok(`Message ${index + 1} deleted`);
  }

  #rset(): void {
    this.#deleted.clear();
    this.#ok(`${this.#live().length} messages`);
  }
}

/**
 * Makes a `POP3` session per connection, sharing the portal, TLS options and
 * the maildrop locks (one session per maildrop).
 *
 * @example
 * ```ts
 * import { POP3Factory } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * const factory = new POP3Factory({ portal: null });
 * const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 */
export class POP3Factory extends Factory {
  #options: POP3Options;
  #locks = new Set<string>();

  /**
   * Makes the instance.
   * @param options what each session gets
   */
  constructor(options: POP3Options = {}) {
    super();
    this.#options = options;
  }

  /** Makes a session. */
  override buildProtocol(_addr: NetAddress): POP3 {
    const protocol = new POP3({ ...this.#options, locks: this.#locks });
    protocol.factory = this;
    return protocol;
  }
}
