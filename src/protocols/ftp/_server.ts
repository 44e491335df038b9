/**
 * The FTP server session (Twisted's `FTP`): reads command lines, logs users
 * in through cred, keeps the working folder and the transfer settings, and
 * runs the commands of RFC 959, 2389, 2428, 3659, 4217 and 2640. The data
 * connections live in `_transfer.ts`, the file commands in `_file_commands.ts`.
 * @module
 */
import { Anonymous, UsernamePassword } from "../../cred/_credentials.ts";
import type { Logout, Portal } from "../../cred/_portal.ts";
import type { Failure } from "../../internet/failure.ts";
import type { ITransport } from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { Logger } from "../../logger/mod.ts";
import { LineReceiver } from "../../protocols/_basic_line.ts";
import { TimeoutHelper } from "../../protocols/_policies_timeout.ts";
import { hostOf } from "./_dtp.ts";
import type { FTPReactor } from "./_dtp.ts";
import {
  AuthorizationError,
  BadCmdSequenceError,
  CmdArgSyntaxError,
  CmdNotImplementedError,
  CmdNotImplementedForArgError,
  FileNotFoundError,
  FTPCmdError,
  InvalidPath,
} from "./_errors.ts";
import type { FTPFactoryOptions } from "./_factory.ts";
import { FileCommands } from "./_file_commands.ts";
import { IFTPShell } from "./_interfaces.ts";
import { MLST_FACTS } from "./_listing.ts";
import { ReplyError, Transfers } from "./_transfer.ts";

const log = new Logger("tw.protocols.ftp");
const utf8 = new TextDecoder("utf-8");
const LF = new Uint8Array([10]);

/** Commands that work before login. */
const PUBLIC = new Set([
  "USER",
  "PASS",
  "QUIT",
  "NOOP",
  "SYST",
  "FEAT",
  "OPTS",
  "HELP",
  "AUTH",
  "PBSZ",
  "PROT",
]);

/** How many command lines may wait (behind a running command or transfer) before reading pauses. */
const QUEUE_HIGH = 32;

/** The FTP settings a session reads from its factory. */
export interface FTPSettings
  extends Required<Omit<FTPFactoryOptions, "tls" | "reactor" | "passiveAddress">> {
  /** The cred portal. */
  portal: Portal;
  /** The address in 227 replies, or null. */
  passiveAddress: string | null;
  /** AUTH TLS's certificate and key, or null. */
  tls: TlsOptions | null;
  /** The reactor. */
  reactor: FTPReactor;
}

/** The hooks a session has on its factory (connection count). */
export interface FTPFactoryHooks {
  /** The settings. */
  readonly settings: FTPSettings;
  /** Counts a session in; false when `maxConnections` is reached. */
  sessionStarted(protocol: FTP): boolean;
  /** Counts a session out. */
  sessionEnded(protocol: FTP): void;
}

/** The session's login state. */
export type FTPState = "UNAUTH" | "INAUTH" | "AUTHED";

type Handler = (arg: string) => void | Promise<void>;

/**
 * One FTP control connection (Twisted's `FTP`, a `LineReceiver` with
 * `TimeoutMixin`). Build it with `FTPFactory`; it reads its settings there.
 * Command lines are handled in order; while a transfer runs, ABOR is acted
 * on at once and other lines wait for the transfer's last reply.
 *
 * @example
 * ```ts
 * import { FTPFactory, FTPRealm } from "@tw/core/protocols/ftp";
 * import { AllowAnonymousAccess, Portal } from "@tw/core/cred";
 * import { IPv4Address } from "@tw/core";
 * import { MemoryReactorClock, StringTransport } from "@tw/core/testing";
 *
 * const portal = new Portal(new FTPRealm("/srv/ftp"), [new AllowAnonymousAccess()]);
 * const factory = new FTPFactory(portal, { reactor: new MemoryReactorClock() });
 * const ftp = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 4000));
 * const transport = new StringTransport();
 * ftp.makeConnection(transport);
 * ftp.dataReceived(new TextEncoder().encode("SYST\r\n"));
 * console.log(transport.valueText()); // "220 ...\r\n215 UNIX Type: L8\r\n"
 * ftp.connectionLost();
 * ```
 */
export class FTP extends LineReceiver {
  /** The longest command line accepted (8 KiB); a longer one gets 500 and a close. */
  override MAX_LENGTH = 8192;
  /** The login state. */
  state: FTPState = "UNAUTH";
  /** The logged-in user's shell, or null. */
  shell: IFTPShell | null = null;
  /** The working folder, as segments from the shell's root. */
  workingDirectory: string[] = [];
  /** True for TYPE I (binary), false for TYPE A (line ends converted). */
  binary = true;
  #timeout: TimeoutHelper = new TimeoutHelper(() => this.timeoutConnection());
  #hooks: FTPFactoryHooks | null = null;
  #user: string | null = null;
  #logout: Logout | null = null;
  #queue: string[] = [];
  #busy = false;
  #draining = false;
  #flowPaused = false;
  #ended = false;
  #counted = false;
  #secure = false;
  #pbsz = false;
  #protected = false;
  #mlstFacts = new Set<string>(MLST_FACTS);
  #transfers: Transfers;
  #files: FileCommands;

  /** Makes a session; `FTPFactory.buildProtocol` sets its factory. */
  constructor() {
    super();
    this.#transfers = new Transfers({
      reply: (line) => this.reply(line),
      config: () => this.settings,
      localHost: () => hostOf(this.transport.getHost()),
      peerHost: () => hostOf(this.transport.getPeer()),
      dataTls: () => (this.#protected ? this.settings.tls : null),
      transferStarted: () => {
        this.setTimeout(null);
      },
      transferEnded: () => {
        this.setTimeout(this.settings.timeOut > 0 ? this.settings.timeOut : null);
        this.#drain();
      },
      logFailure: (error) => log.error("FTP transfer failed: {error}", { error: String(error) }),
    });
    this.#files = new FileCommands({
      reply: (line) => this.reply(line),
      shell: () => this.shell!,
      cwd: () => this.workingDirectory,
      setCwd: (segments) => {
        this.workingDirectory = segments;
      },
      binary: () => this.binary,
      facts: () => this.#mlstFacts,
      now: () => this.settings.reactor.seconds() * 1000,
      transfers: this.#transfers,
    });
  }

  /** The factory's hooks (set by `FTPFactory.buildProtocol`). */
  set hooks(hooks: FTPFactoryHooks) {
    this.#hooks = hooks;
    this.#timeout.clock = hooks.settings.reactor;
  }

  // Twisted's TimeoutMixin methods, over a TimeoutHelper.

  /** The idle period in seconds, or null when no timeout is set. */
  get timeOut(): number | null {
    return this.#timeout.timeOut;
  }

  /** Sets the idle period (null cancels it); returns the previous one. */
  setTimeout(period: number | null): number | null {
    return this.#timeout.setTimeout(period);
  }

  /** Restarts the idle timer (on each whole command line). */
  resetTimeout(): void {
    this.#timeout.resetTimeout();
  }

  /** The settings in use. */
  get settings(): FTPSettings {
    if (this.#hooks === null) throw new Error("An FTP session needs an FTPFactory");
    return this.#hooks.settings;
  }

  /** True once the control connection is protected by TLS. */
  get secure(): boolean {
    return this.#secure;
  }

  /** Greets (220), or refuses with 421 past `maxConnections`. */
  override connectionMade(): void {
    const hooks = this.#hooks;
    if (hooks === null) throw new Error("An FTP session needs an FTPFactory");
    this.#secure = (this.transport as { secure?: boolean }).secure === true;
    if (!hooks.sessionStarted(this)) {
      this.reply("421 Too many users right now, try again in a few minutes.");
      this.#ended = true;
      this.transport.loseConnection();
      return;
    }
    this.#counted = true;
    this.setTimeout(this.settings.timeOut > 0 ? this.settings.timeOut : null);
    this.reply(`220 ${this.settings.welcomeMessage}`);
  }

  /** Ends the session: closes data connections, logs out, stops the timer. */
  override connectionLost(_reason?: Failure): void {
    this.#ended = true;
    this.setTimeout(null);
    this.#transfers.close();
    this.#queue = [];
    this.#logout?.();
    this.#logout = null;
    if (this.#counted) this.#hooks?.sessionEnded(this);
    this.#counted = false;
  }

  /** No command line completed for `timeOut` seconds: 421 and a close. */
  timeoutConnection(): void {
    if (this.#ended) return;
    this.reply("421 Timeout: closing control connection.");
    this.#ended = true;
    this.transport.loseConnection();
  }

  /** A line over `MAX_LENGTH`: 500 and a close. */
  override lineLengthExceeded(_line: Uint8Array): void {
    if (this.#ended) return;
    this.reply("500 Syntax error: Line too long");
    this.#ended = true;
    this.transport.loseConnection();
  }

  /** Sends one reply line (CRLF added; a CR or LF in it, from a path, becomes a space). */
  reply(line: string): void {
    if (!this.transport.disconnecting) this.sendLine(line.replace(/[\r\n]/g, " "));
  }

  /**
   * Takes bytes. A chunk ending in `ABOR\r` ends the line there: a client
   * that sends ABOR as urgent data (ftplib) has its final LF taken out of the
   * stream by the kernel, and the LF that may follow alone is an empty line.
   */
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    const n = data.byteLength;
    if (n >= 5 && data[n - 1] === 13 && !this.#ended) {
      const word = String.fromCharCode(...data.subarray(n - 5, n - 1)).toUpperCase();
      const before = n === 5 ? 10 : data[n - 6];
      if (word === "ABOR" && (before === 10 || before >= 0xf0)) super.dataReceived(LF);
    }
  }

  /** Takes one command line (Telnet IP/DM before it dropped, UTF-8 decoded; empty ones ignored). */
  override lineReceived(line: Uint8Array): void {
    if (this.#ended) return;
    this.resetTimeout();
    let start = 0;
    while (start < line.byteLength && line[start] >= 0xf0) start++;
    let text = utf8.decode(start > 0 ? line.subarray(start) : line);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    if (text.trim() === "") return;
    const command = /^\S*/.exec(text)![0].toUpperCase();
    if (this.#transfers.busy && command === "ABOR") {
      this.#transfers.abor();
      return;
    }
    this.#queue.push(text);
    this.#drain();
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (
        !this.#busy && !this.#transfers.busy && !this.#ended && this.#queue.length > 0 &&
        !this.transport.disconnecting
      ) {
        this.#execute(this.#queue.shift()!);
      }
      if (this.#ended) return;
      if (this.#queue.length >= QUEUE_HIGH && !this.#flowPaused) {
        this.#flowPaused = true;
        this.pauseProducing();
      } else if (this.#queue.length < QUEUE_HIGH / 4 && this.#flowPaused) {
        this.#flowPaused = false;
        this.resumeProducing();
      }
    } finally {
      this.#draining = false;
    }
  }

  #fail(error: unknown, arg: string): void {
    if (error instanceof FTPCmdError) this.reply(error.response());
    else if (error instanceof InvalidPath) this.reply(new FileNotFoundError(arg).response());
    else {
      log.error("FTP command failed: {error}", { error: String(error) });
      this.reply("550 Requested action not taken: internal error");
    }
  }

  #execute(text: string): void {
    const match = /^(\S+)(?: (.*))?$/s.exec(text);
    if (match === null) return this.reply("500 Syntax error: empty command");
    const command = match[1].toUpperCase();
    const arg = match[2] ?? "";
    const handler = this.#handlers()[command];
    this.#files.beforeCommand(command);
    if (handler === undefined) {
      return this.#fail(new CmdNotImplementedError(command.slice(0, 16)), arg);
    }
    if (this.state !== "AUTHED" && !PUBLIC.has(command)) {
      return this.reply("530 Please login with USER and PASS.");
    }
    let result: void | Promise<void>;
    try {
      result = handler(arg);
    } catch (error) {
      return this.#fail(error, arg);
    }
    if (result === undefined) return;
    this.#busy = true;
    result.then(
      () => {},
      (error) => {
        if (!this.#ended) this.#fail(error, arg);
      },
    ).finally(() => {
      this.#busy = false;
      this.#drain();
    });
  }

  #handlers(): Record<string, Handler> {
    const f = this.#files;
    const t = this.#transfers;
    return {
      USER: (a) => this.#userCommand(a),
      PASS: (a) => this.#pass(a),
      QUIT: () => this.#quit(),
      NOOP: () => this.reply("200 Command OK"),
      SYST: () => this.reply("215 UNIX Type: L8"),
      FEAT: () => this.#feat(),
      OPTS: (a) => this.#opts(a),
      HELP: () => this.#help(),
      AUTH: (a) => this.#auth(a),
      PBSZ: (a) => this.#pbszCommand(a),
      PROT: (a) => this.#prot(a),
      TYPE: (a) => this.#type(a),
      MODE: (a) => this.#simple(a, "S", "200 Mode set to S."),
      STRU: (a) => this.#simple(a, "F", "200 Structure set to F."),
      ALLO: () => this.reply("202 No storage allocation necessary."),
      PASV: () => t.pasv(),
      EPSV: (a) => t.epsv(a),
      PORT: (a) => t.port(a),
      EPRT: (a) => t.eprt(a),
      ABOR: () => t.abor(),
      PWD: () => f.pwd(),
      XPWD: () => f.pwd(),
      CWD: (a) => f.cwd(a),
      XCWD: (a) => f.cwd(a),
      CDUP: () => f.cwd(".."),
      XCUP: () => f.cwd(".."),
      MKD: (a) => f.mkd(a),
      XMKD: (a) => f.mkd(a),
      RMD: (a) => f.rmd(a),
      XRMD: (a) => f.rmd(a),
      DELE: (a) => f.dele(a),
      RNFR: (a) => f.rnfr(a),
      RNTO: (a) => f.rnto(a),
      SIZE: (a) => f.size(a),
      MDTM: (a) => f.mdtm(a),
      REST: (a) => f.rest(a),
      SITE: (a) => f.site(a),
      MLST: (a) => f.mlst(a),
      RETR: (a) => this.#data(() => f.retr(a)),
      STOR: (a) => this.#data(() => f.stor(a, false)),
      APPE: (a) => this.#data(() => f.stor(a, true)),
      LIST: (a) => this.#data(() => f.list(a)),
      NLST: (a) => this.#data(() => f.nlst(a)),
      MLSD: (a) => this.#data(() => f.mlsd(a)),
    };
  }

  /** A data transfer command: PROT P is required with `requireTLS`. */
  #data(run: () => Promise<void>): Promise<void> {
    if (this.settings.requireTLS && !this.#protected) {
      this.#transfers.requireChannel();
      throw new ReplyError(521, "Data connections must be protected: send PROT P first.");
    }
    return run();
  }

  #simple(arg: string, accepted: string, ok: string): void {
    if (arg.trim().toUpperCase() === accepted) return this.reply(ok);
    throw new CmdNotImplementedForArgError(arg);
  }

  #type(arg: string): void {
    const a = arg.trim().toUpperCase();
    if (a === "I" || a === "L 8" || a === "L8") {
      this.binary = true;
      return this.reply("200 Type set to I.");
    }
    if (a === "A" || a === "A N") {
      this.binary = false;
      return this.reply("200 Type set to A.");
    }
    throw new CmdNotImplementedForArgError(`TYPE ${arg}`);
  }

  #tlsAvailable(): boolean {
    const t = this.transport as ITransport & { startTLS?: unknown };
    return this.settings.tls !== null && typeof t.startTLS === "function";
  }

  #userCommand(arg: string): void {
    if (arg === "") throw new CmdArgSyntaxError("USER requires a name");
    if (this.state === "AUTHED") throw new BadCmdSequenceError("Already logged in");
    if (this.settings.requireTLS && !this.#secure) {
      throw new ReplyError(530, "TLS required: send AUTH TLS first.");
    }
    this.#user = arg;
    this.state = "INAUTH";
    if (this.#isAnonymous(arg)) {
      this.reply("331 Guest login ok, type your email address as password.");
    } else {
      this.reply(`331 Password required for ${arg}.`);
    }
  }

  #isAnonymous(user: string): boolean {
    return this.settings.allowAnonymous &&
      user.toLowerCase() === this.settings.userAnonymous.toLowerCase();
  }

  async #pass(arg: string): Promise<void> {
    const user = this.#user;
    if (this.state !== "INAUTH" || user === null) {
      throw new BadCmdSequenceError("USER required before PASS");
    }
    this.#user = null;
    this.state = "UNAUTH";
    const anonymous = this.#isAnonymous(user);
    const credentials = anonymous ? new Anonymous() : new UsernamePassword(user, arg);
    let result;
    try {
      result = await this.settings.portal.login(credentials, null, IFTPShell);
    } catch {
      throw new AuthorizationError();
    }
    const [, shell, logout] = result;
    if (this.#ended) {
      logout();
      return;
    }
    this.shell = shell;
    this.#logout = logout;
    this.workingDirectory = [];
    this.state = "AUTHED";
    this.reply(
      anonymous
        ? "230 Anonymous login ok, access restrictions apply."
        : "230 User logged in, proceed",
    );
  }

  #quit(): void {
    this.reply("221 Goodbye.");
    this.#ended = true;
    this.#transfers.close();
    this.transport.loseConnection();
  }

  #feat(): void {
    const lines = ["211-Features:"];
    if (this.#tlsAvailable()) lines.push(" AUTH TLS", " PBSZ", " PROT");
    lines.push(
      " EPRT",
      " EPSV",
      " MDTM",
      ` MLST ${MLST_FACTS.map((f) => `${f}${this.#mlstFacts.has(f) ? "*" : ""};`).join("")}`,
      " REST STREAM",
      " SIZE",
      " TVFS",
      " UTF8",
      "211 End",
    );
    this.transport.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n"));
  }

  #opts(arg: string): void {
    const [name, ...rest] = arg.trim().split(/\s+/);
    const option = (name ?? "").toUpperCase();
    if (option === "UTF8" || option === "UTF-8") {
      const value = (rest[0] ?? "ON").toUpperCase();
      if (value !== "ON" && value !== "OFF") throw new CmdArgSyntaxError(arg);
      return this.reply(`200 UTF8 set to ${value.toLowerCase()}.`);
    }
    if (option === "MLST") {
      const wanted = (rest[0] ?? "").toLowerCase().split(";").filter((f) => f !== "");
      this.#mlstFacts = new Set(MLST_FACTS.filter((f) => wanted.includes(f)));
      return this.reply(`200 MLST OPTS ${[...this.#mlstFacts].map((f) => `${f};`).join("")}`);
    }
    throw new ReplyError(501, `Option '${option.slice(0, 16)}' not understood.`);
  }

  #help(): void {
    const names = Object.keys(this.#handlers()).sort();
    const lines = ["214-The following commands are recognized:"];
    for (let i = 0; i < names.length; i += 8) lines.push(" " + names.slice(i, i + 8).join(" "));
    lines.push("214 Help OK.");
    this.transport.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n"));
  }

  #auth(arg: string): void {
    const mechanism = arg.trim().toUpperCase();
    if (!["TLS", "TLS-C", "SSL", "TLS-P"].includes(mechanism)) {
      throw new CmdNotImplementedForArgError(`AUTH ${arg}`);
    }
    if (!this.#tlsAvailable()) throw new ReplyError(431, "TLS is not available.");
    if (this.#secure) throw new BadCmdSequenceError("TLS is already on");
    this.reply(`234 AUTH ${mechanism} successful.`);
    // What the client sent before the handshake is not trusted.
    this.clearLineBuffer();
    this.#queue = [];
    this.#secure = true;
    (this.transport as ITransport & { startTLS(o: TlsOptions): void }).startTLS({
      ...this.settings.tls!,
      isServer: true,
    } as TlsOptions);
  }

  #pbszCommand(arg: string): void {
    if (!this.#secure) throw new BadCmdSequenceError("AUTH TLS first");
    if (!/^\d{1,10}$/.test(arg.trim())) throw new CmdArgSyntaxError(arg);
    this.#pbsz = true;
    this.reply("200 PBSZ=0");
  }

  #prot(arg: string): void {
    if (!this.#secure || !this.#pbsz) throw new BadCmdSequenceError("PBSZ first");
    const level = arg.trim().toUpperCase();
    if (level === "P") {
      this.#protected = true;
      return this.reply("200 Protection level set to P.");
    }
    if (level === "C") {
      if (this.settings.requireTLS) throw new ReplyError(534, "PROT C refused: TLS is required.");
      this.#protected = false;
      return this.reply("200 Protection level set to C.");
    }
    if (level === "S" || level === "E") throw new ReplyError(536, `PROT ${level} unsupported.`);
    throw new CmdArgSyntaxError(arg);
  }
}

/** The default for a factory without a reactor. */
export function defaultReactor(): FTPReactor {
  return getReactor() as unknown as FTPReactor;
}
