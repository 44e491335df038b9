/**
 * The IMAP4rev1 server (RFC 3501) with IDLE, LITERAL+, UIDPLUS, MOVE,
 * NAMESPACE, ID, ENABLE, UNSELECT, CHILDREN, SPECIAL-USE and SASL-IR:
 * `IMAP4Server` and `IMAP4ServerFactory`. Commands of the not-authenticated and
 * authenticated states live here; the selected state is `SelectedState`.
 * Private: re-exported by `mod.ts`.
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
import type { ICredentials } from "../../cred/_interfaces.ts";
import { IAccount, MailboxException } from "./_interfaces.ts";
import { CommandFramer, IllegalClientResponse, Scanner } from "./_wire.ts";
import { ResponseWriter } from "./_output.ts";
import { BadCommand, type Output, SelectedState } from "./_selected.ts";
import * as C from "./_commands.ts";
import { authenticateCommand } from "./_authenticate.ts";
import { No } from "./_commands.ts";

const latin1 = new TextDecoder("latin1");
const BUFFER_HIGH = 1 << 20;

/** Options of `IMAP4Server` and `IMAP4ServerFactory`. */
export interface IMAP4ServerOptions {
  /**
   * Authenticates users and gives their `IAccount`; without one every login fails.
   * @default null
   */
  portal?: Portal | null;
  /**
   * Certificate and key for STARTTLS; while set and TLS is off, LOGIN and PLAIN are refused.
   * @default null
   */
  tlsOptions?: TlsOptions | null;
  /**
   * Idle timeout once logged in, in seconds (RFC 3501 §5.4: at least 30 minutes); 0 disables.
   * @default 1800
   */
  timeOut?: number;
  /**
   * Idle timeout before login, in seconds.
   * @default 60
   */
  preAuthTimeOut?: number;
  /**
   * Largest literal (APPEND's message), in octets.
   * @default 10485760
   */
  maxMessageSize?: number;
  /**
   * Longest command line, in octets.
   * @default 65536
   */
  maxLineLength?: number;
  /**
   * How often an IDLE session looks at the mailbox for changes made by others, in seconds.
   * @default 2
   */
  idlePoll?: number;
  /**
   * Where timers run.
   * @default the installed reactor
   */
  clock?: IReactorTime;
  /**
   * The host name in the CRAM-MD5 challenge.
   * @default "localhost"
   */
  hostname?: string;
}

/** A session's state (RFC 3501 §3). */
export type IMAP4State = "unauth" | "auth" | "select" | "logout";

type Handler = (s: Scanner, tag: string, uid: boolean) => void | Promise<void>;

/**
 * One IMAP server session (Twisted's `IMAP4Server`), over any transport.
 * Pipelined commands are answered in order; changes made by other sessions
 * come as untagged EXISTS, EXPUNGE and FETCH between commands, and at once
 * during IDLE.
 *
 * @example
 * ```ts
 * import { IMAP4Server } from "@tw/core/mail/imap4";
 * import { StringTransport } from "@tw/core/testing";
 * const server = new IMAP4Server({ timeOut: 0, preAuthTimeOut: 0 });
 * const transport = new StringTransport();
 * server.makeConnection(transport);
 * server.dataReceived(new TextEncoder().encode("a1 CAPABILITY\r\n"));
 * ```
 */
export class IMAP4Server extends Protocol {
  /** The session's state. */
  state: IMAP4State = "unauth";
  /** The logged-in account, or null. */
  account: IAccount | null = null;
  #options: IMAP4ServerOptions;
  #framer: CommandFramer;
  #busy = false;
  #paused = false;
  #closed = false;
  #tls = false;
  #timer: IDelayedCall | null = null;
  #logout: (() => void) | null = null;
  #selected: SelectedState | null = null;
  #continuation: ((line: Uint8Array) => void) | null = null;
  #idle: { tag: string; poll: IDelayedCall | null; running: boolean } | null = null;
  #out: ResponseWriter | null = null;

  /**
   * Makes the instance.
   * @param options the portal, TLS, timeouts and limits
   */
  constructor(options: IMAP4ServerOptions = {}) {
    super();
    this.#options = options;
    this.#framer = new CommandFramer({
      maxLine: options.maxLineLength ?? 65536,
      maxLiteral: options.maxMessageSize ?? 10 * 1024 * 1024,
    });
  }

  /** True once TLS is on. */
  get secure(): boolean {
    return this.#tls;
  }

  /** Greets and starts the idle timer. */
  override connectionMade(): void {
    this.#tls = (this.transport as { secure?: boolean }).secure === true;
    // Told when the client stops reading: commands wait, a FETCH stops between messages.
    this.#out = new ResponseWriter(this.transport, () => {
      if (!this.#closed && !this.#busy) this.#pump();
    });
    this.#resetTimeout();
    this.#line(`* OK [CAPABILITY ${this.#capabilities().join(" ")}] IMAP4rev1 server ready`);
    this.#flush();
  }

  /** Takes bytes from the client. */
  override dataReceived(data: Uint8Array): void {
    if (this.#closed) return;
    // The idle timeout restarts at each whole line, not at each byte: a client
    // dripping a byte at a time is cut all the same.
    this.#framer.push(data);
    this.#pump();
  }

  /** Lets the account and mailbox go. */
  override connectionLost(_reason?: Failure): void {
    this.#closed = true;
    this.#out?.close();
    this.#timer?.cancel();
    this.#timer = null;
    this.#idle?.poll?.cancel();
    this.#idle = null;
    const selected = this.#selected;
    this.#selected = null;
    if (selected !== null) selected.close().catch(() => {});
    this.#logout?.();
    this.#logout = null;
  }

  /** Closes an idle connection. */
  timeoutConnection(): void {
    this.#line("* BYE Autologout; idle for too long");
    this.#flush();
    this.transport.loseConnection();
  }

  #resetTimeout(): void {
    this.#timer?.cancel();
    this.#timer = null;
    const timeout = this.state === "unauth"
      ? this.#options.preAuthTimeOut ?? 60
      : this.#options.timeOut ?? 1800;
    if (timeout > 0 && !this.#closed) {
      this.#timer = this.#clock().callLater(timeout, () => {
        this.#timer = null;
        this.timeoutConnection();
      });
    }
  }

  #clock(): IReactorTime {
    return this.#options.clock ?? getReactor();
  }

  // ---- output

  #flush(): void {
    this.#out?.flush();
  }

  #line(text: string): void {
    this.#out!.line(text);
  }

  /** Writes an untagged response: `* `, the pieces (text as octets, or bytes), CRLF. */
  untagged(pieces: string | (string | Uint8Array)[]): void {
    this.#out!.untagged(pieces);
  }

  // ---- command loop

  #pump(): void {
    const out = this.#out!;
    while (!this.#busy && !out.paused && !this.#closed && !this.transport.disconnecting) {
      const event = this.#framer.next();
      if (event === null) break;
      this.#resetTimeout();
      if (event.kind === "continue") {
        this.#line("+ Ready for literal data");
        continue;
      }
      if (event.kind === "error") {
        this.#continuation = null;
        const tag = event.tag ?? "*";
        if (event.code === "TOOBIG") this.#line(`${tag} NO [TOOBIG] ${event.message}`);
        else this.#line(`${tag} BAD ${event.message}`);
        continue;
      }
      if (this.#continuation !== null) {
        const next = this.#continuation;
        this.#continuation = null;
        next(event.bytes);
        continue;
      }
      this.#command(event.bytes);
    }
    this.#flush();
    const full = (this.#busy || out.paused) && this.#framer.buffered > BUFFER_HIGH;
    if (full && !this.#paused) {
      this.#paused = true;
      this.transport.pauseProducing();
    } else if (!full && this.#paused) {
      this.#paused = false;
      this.transport.resumeProducing();
    }
  }

  /** Runs a command that may wait, holding later commands until it is answered. */
  #run(tag: string, work: () => void | Promise<void>): void {
    const fail = (e: unknown): void => {
      if (e instanceof IllegalClientResponse || e instanceof BadCommand) {
        this.#line(`${tag} BAD ${e.message}`);
      } else if (e instanceof MailboxException || e instanceof No) {
        this.#line(`${tag} NO ${e.message}`);
      } else {
        this.#line(`${tag} NO Server error`);
      }
    };
    let result: void | Promise<void>;
    try {
      result = work();
    } catch (e) {
      fail(e);
      return;
    }
    if (!(result instanceof Promise)) return;
    this.#busy = true;
    result.catch(fail).then(() => {
      this.#busy = false;
      if (this.#closed) return;
      this.#flush();
      this.#pump();
    });
  }

  #command(bytes: Uint8Array): void {
    const s = new Scanner(bytes);
    let tag: string;
    try {
      tag = s.tag();
    } catch {
      this.#line("* BAD Missing or bad tag");
      return;
    }
    let name: string;
    try {
      s.sp();
      name = s.atom().toUpperCase();
    } catch {
      this.#line(`${tag} BAD Missing command`);
      return;
    }
    let uid = false;
    if (name === "UID") {
      try {
        s.sp();
        name = s.atom().toUpperCase();
      } catch {
        this.#line(`${tag} BAD Missing command after UID`);
        return;
      }
      if (!["FETCH", "STORE", "SEARCH", "COPY", "MOVE", "EXPUNGE"].includes(name)) {
        this.#line(`${tag} BAD Unknown UID command`);
        return;
      }
      uid = true;
    }
    const handler = this.#table()[name];
    if (handler === undefined) {
      this.#line(`${tag} BAD Unknown command ${name.slice(0, 20)}`);
      return;
    }
    const [states, fn] = handler;
    if (!states.includes(this.state)) {
      this.#line(`${tag} BAD ${name} not allowed in this state`);
      return;
    }
    this.#run(tag, async () => {
      const selected = this.#selected;
      if (selected !== null && this.state === "select" && name !== "IDLE") {
        // Changes by others are told before the answer; never EXPUNGE during
        // FETCH, STORE and SEARCH (RFC 3501 §7.4.1).
        const expunges = uid || !["FETCH", "STORE", "SEARCH"].includes(name);
        if (selected.dirty || expunges || name === "NOOP") await selected.refresh(expunges);
      }
      await fn.call(this, s, tag, uid);
    });
  }

  #ctx(): C.CommandContext {
    return { account: this.account!, selected: this.#selected, line: (text) => this.#line(text) };
  }

  #table(): Record<string, [IMAP4State[], Handler]> {
    const any: IMAP4State[] = ["unauth", "auth", "select"];
    const authed: IMAP4State[] = ["auth", "select"];
    const sel: IMAP4State[] = ["select"];
    return {
      CAPABILITY: [any, this.#capability],
      NOOP: [any, this.#noop],
      LOGOUT: [any, this.#logoutCommand],
      ID: [any, this.#id],
      STARTTLS: [["unauth"], this.#starttls],
      LOGIN: [["unauth"], this.#login],
      AUTHENTICATE: [["unauth"], this.#authenticate],
      SELECT: [authed, (s, t) => this.#select(s, t, false)],
      EXAMINE: [authed, (s, t) => this.#select(s, t, true)],
      CREATE: [authed, (s, t) => C.createCommand(this.#ctx(), s, t)],
      DELETE: [authed, (s, t) => C.deleteCommand(this.#ctx(), s, t)],
      RENAME: [authed, (s, t) => C.renameCommand(this.#ctx(), s, t)],
      SUBSCRIBE: [authed, (s, t) => C.subscribeCommand(this.#ctx(), s, t)],
      UNSUBSCRIBE: [authed, (s, t) => C.unsubscribeCommand(this.#ctx(), s, t)],
      LIST: [authed, (s, t) => C.listCommand(this.#ctx(), s, t, false)],
      LSUB: [authed, (s, t) => C.listCommand(this.#ctx(), s, t, true)],
      STATUS: [authed, (s, t) => C.statusCommand(this.#ctx(), s, t)],
      APPEND: [authed, (s, t) => C.appendCommand(this.#ctx(), s, t)],
      NAMESPACE: [authed, (s, t) => C.namespaceCommand(this.#ctx(), s, t)],
      ENABLE: [authed, (s, t) => C.enableCommand(this.#ctx(), s, t)],
      IDLE: [authed, this.#idleCommand],
      CHECK: [sel, this.#noop],
      CLOSE: [sel, (s, t) => this.#close(s, t, true)],
      UNSELECT: [sel, (s, t) => this.#close(s, t, false)],
      EXPUNGE: [sel, (s, t, u) => C.expungeCommand(this.#ctx(), s, t, u)],
      SEARCH: [sel, (s, t, u) => C.searchCommand(this.#ctx(), s, t, u)],
      FETCH: [sel, (s, t, u) => C.fetchCommand(this.#ctx(), s, t, u)],
      STORE: [sel, (s, t, u) => C.storeCommand(this.#ctx(), s, t, u)],
      COPY: [sel, (s, t, u) => C.copyCommand(this.#ctx(), s, t, u, false)],
      MOVE: [sel, (s, t, u) => C.copyCommand(this.#ctx(), s, t, u, true)],
    };
  }

  // ---- any state

  #canTLS(): boolean {
    const t = this.transport as Partial<{ startTLS: unknown }>;
    return this.#options.tlsOptions != null && typeof t.startTLS === "function" && !this.#tls;
  }

  #plainAllowed(): boolean {
    return this.#tls || this.#options.tlsOptions == null;
  }

  #capabilities(): string[] {
    const caps = ["IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE"];
    caps.push("UIDPLUS", "MOVE", "UNSELECT", "CHILDREN", "SPECIAL-USE");
    if (this.state === "unauth") {
      if (this.#canTLS()) caps.push("STARTTLS");
      caps.push("AUTH=CRAM-MD5");
      if (this.#plainAllowed()) caps.push("AUTH=PLAIN", "AUTH=LOGIN");
      else caps.push("LOGINDISABLED");
    }
    return caps;
  }

  #capability(s: Scanner, tag: string): void {
    s.end();
    this.#line(`* CAPABILITY ${this.#capabilities().join(" ")}`);
    this.#line(`${tag} OK CAPABILITY completed`);
  }

  #noop(s: Scanner, tag: string): void {
    s.end();
    this.#line(`${tag} OK NOOP completed`);
  }

  async #logoutCommand(s: Scanner, tag: string): Promise<void> {
    s.end();
    this.#line("* BYE IMAP4rev1 server logging out");
    this.#line(`${tag} OK LOGOUT completed`);
    await this.#unselect();
    this.state = "logout";
    this.#flush();
    this.transport.loseConnection();
  }

  #id(s: Scanner, tag: string): void {
    s.sp();
    if (!s.accept("NIL")) s.list();
    s.end();
    this.#line('* ID ("name" "tw-core" "vendor" "tw")');
    this.#line(`${tag} OK ID completed`);
  }

  // ---- not authenticated

  #starttls(s: Scanner, tag: string): void {
    s.end();
    if (!this.#canTLS()) throw new No("STARTTLS not available");
    this.#line(`${tag} OK Begin TLS negotiation now`);
    this.#flush();
    this.#framer.clear();
    this.#tls = true;
    (this.transport as ITransport & { startTLS(o: TlsOptions): void }).startTLS({
      ...this.#options.tlsOptions!,
    });
  }

  async #login(s: Scanner, tag: string): Promise<void> {
    s.sp();
    const user = s.astring();
    s.sp();
    const password = s.astring();
    s.end();
    if (!this.#plainAllowed()) throw new No("[PRIVACYREQUIRED] LOGIN is disabled before STARTTLS");
    await this.#authenticated(tag, new UsernamePassword(user, password));
  }

  async #authenticated(tag: string, credentials: ICredentials): Promise<void> {
    const portal = this.#options.portal;
    if (!portal) throw new No("[AUTHENTICATIONFAILED] Authentication failed");
    let login;
    try {
      login = await portal.login(credentials, null, IAccount);
    } catch {
      throw new No("[AUTHENTICATIONFAILED] Authentication failed");
    }
    const [, account, logout] = login;
    if (this.#closed) {
      logout();
      return;
    }
    this.account = account;
    this.#logout = logout;
    this.state = "auth";
    this.#resetTimeout();
    this.#line(`${tag} OK [CAPABILITY ${this.#capabilities().join(" ")}] Logged in`);
  }

  #authenticate(s: Scanner, tag: string): Promise<void> | void {
    return authenticateCommand(
      {
        line: (text) => this.#line(text),
        ask: (next) => {
          this.#continuation = next;
        },
        finish: (creds) => this.#run(tag, () => this.#authenticated(tag, creds)),
        plainAllowed: this.#plainAllowed(),
        hostname: this.#options.hostname ?? "localhost",
      },
      s,
      tag,
    );
  }

  // ---- authenticated

  async #unselect(): Promise<void> {
    const selected = this.#selected;
    this.#selected = null;
    if (selected !== null) await selected.close();
    if (this.state === "select") this.state = "auth";
  }

  async #select(s: Scanner, tag: string, examine: boolean): Promise<void> {
    s.sp();
    const name = C.mailboxName(s);
    s.end();
    await this.#unselect();
    const box = await this.account!.select(name, !examine);
    if (box === null) throw new No(`No such mailbox ${name}`);
    const out: Output = {
      untagged: (pieces) => this.untagged(pieces),
      writable: () => this.#out!.writable(),
    };
    const selected = new SelectedState(box, examine, out);
    selected.onChange = () => this.#idleWake();
    await selected.open();
    this.#selected = selected;
    this.state = "select";
    const mode = selected.readOnly ? "READ-ONLY" : "READ-WRITE";
    this.#line(`${tag} OK [${mode}] ${examine ? "EXAMINE" : "SELECT"} completed`);
  }

  // ---- IDLE (RFC 2177)

  #idleCommand(s: Scanner, tag: string): void {
    s.end();
    this.#line("+ idling");
    this.#idle = { tag, poll: null, running: false };
    this.#continuation = (line) => this.#idleDone(line);
    this.#idleSchedule();
  }

  #idleSchedule(): void {
    const idle = this.#idle;
    if (idle === null || this.#selected === null || this.#closed) return;
    idle.poll?.cancel();
    idle.poll = this.#clock().callLater(this.#options.idlePoll ?? 2, () => {
      idle.poll = null;
      this.#idleWake();
    });
  }

  #idleWake(): void {
    const idle = this.#idle;
    const selected = this.#selected;
    if (idle === null || selected === null || idle.running || this.#closed) return;
    idle.running = true;
    selected.refresh(true).catch(() => {}).then(() => {
      idle.running = false;
      this.#flush();
      if (this.#idle === idle) this.#idleSchedule();
    });
  }

  #idleDone(line: Uint8Array): void {
    const idle = this.#idle!;
    idle.poll?.cancel();
    this.#idle = null;
    if (latin1.decode(line).trim().toUpperCase() !== "DONE") {
      this.#line(`${idle.tag} BAD Expected DONE`);
      return;
    }
    this.#line(`${idle.tag} OK IDLE terminated`);
  }

  // ---- selected

  async #close(s: Scanner, tag: string, expunge: boolean): Promise<void> {
    s.end();
    const selected = this.#selected!;
    if (expunge && !selected.readOnly) await selected.expunge(null, true);
    await this.#unselect();
    this.#line(`${tag} OK ${expunge ? "CLOSE" : "UNSELECT"} completed`);
  }
}

/**
 * Makes an `IMAP4Server` per connection (Twisted has none; ours shares the options).
 *
 * @example
 * ```ts
 * import { IMAP4ServerFactory } from "@tw/core/mail/imap4";
 * import { reactor } from "@tw/core";
 * const port = reactor.listenTCP(0, new IMAP4ServerFactory({ portal: null }), {
 *   interface: "127.0.0.1",
 * });
 * await port.stopListening();
 * ```
 */
export class IMAP4ServerFactory extends Factory {
  #options: IMAP4ServerOptions;

  /**
   * Makes the instance.
   * @param options what each session gets
   */
  constructor(options: IMAP4ServerOptions = {}) {
    super();
    this.#options = options;
  }

  /** Makes a session. */
  override buildProtocol(_addr: NetAddress): IMAP4Server {
    const protocol = new IMAP4Server(this.#options);
    protocol.factory = this;
    return protocol;
  }
}
