/**
 * The FTP client (Twisted's `FTPClient`): logs in when the greeting comes,
 * queues commands and runs them one at a time, each method a Deferred of the
 * reply. Beyond Twisted: EPSV/EPRT (IPv6), passive connections to the
 * control connection's peer whatever a 227 reply names, AUTH TLS with PROT P,
 * SIZE, MDTM, and ABOR on cancel. Private: re-exported by `mod.ts`.
 * @module
 */
import { LineReceiver } from "../basic.ts";
import { Deferred, fail } from "../../internet/defer.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IProtocol, IReactorTCP, ITLSTransport } from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import { BadResponse, CommandFailed, ConnectionLost, FTPError } from "./_client_errors.ts";
import { ControlChannel, type Job } from "./_client_channel.ts";
import type { FTPReply } from "./_client_reply.ts";
import {
  type DataFeatures,
  type IFinishableConsumer,
  type TransferContext,
  TransferJob,
} from "./_client_transfer.ts";
import { parsePWDResponse } from "./_file_list.ts";

const LF = new Uint8Array([0x0a]);
const CRLF = new Uint8Array([0x0d, 0x0a]);
const utf8 = new TextDecoder("utf-8");
const encoder = new TextEncoder();

/** Options of `FTPClient`. */
export interface FTPClientOptions {
  /**
   * Passive data connections (EPSV, then PASV); false for active ones (EPRT, then PORT).
   * @default true
   */
  passive?: boolean;
  /**
   * Secures the session: AUTH TLS before logging in, then PBSZ 0 and PROT P,
   * so every data connection is TLS too (started after the transfer's 1xx
   * reply). The server's certificate is verified (`ca`, `serverName`; the
   * default name is the address connected to).
   * @default undefined (no TLS)
   */
  tls?: TlsOptions;
  /**
   * Makes the data connections (`connectTCP`, `listenTCP`).
   * @default getReactor()
   */
  reactor?: Pick<IReactorTCP, "connectTCP" | "listenTCP">;
  /**
   * The most lines one reply may have; a longer one is a `BadResponse`.
   * @default 10000
   */
  maxReplyLines?: number;
  /**
   * The most characters one reply may have.
   * @default 1048576
   */
  maxReplySize?: number;
}

/** One command, its reply lines as the result. */
class CommandJob implements Job {
  readonly deferred: Deferred<string[]>;
  #line: string;
  #channel: ControlChannel;

  constructor(channel: ControlChannel, line: string) {
    this.#channel = channel;
    this.#line = line;
    this.deferred = new Deferred<string[]>(() => {
      this.#channel.remove(this);
    });
  }

  run(channel: ControlChannel): void {
    if (this.deferred.called) {
      channel.release(this);
      return;
    }
    channel.send(this, this.#line, {
      reply: (reply) => {
        if (!this.deferred.called) {
          if (reply.code < 400) this.deferred.callback(reply.lines);
          else this.deferred.errback(new CommandFailed(reply.lines));
        }
        channel.release(this);
      },
    });
  }

  abandon(error: Error): void {
    if (!this.deferred.called) this.deferred.errback(error);
  }
}

/** AUTH TLS (with tls), USER, PASS (unless USER got 230), PBSZ and PROT (with tls), TYPE I. */
class LoginJob implements Job {
  #client: FTPClient;
  #username: string;
  #password: string | null;
  #tls: TlsOptions | null;
  #startTLS: () => void;
  #channel!: ControlChannel;

  constructor(
    client: FTPClient,
    username: string,
    password: string | null,
    tls: TlsOptions | null,
    startTLS: () => void,
  ) {
    this.#client = client;
    this.#username = username;
    this.#password = password;
    this.#tls = tls;
    this.#startTLS = startTLS;
  }

  run(channel: ControlChannel): void {
    this.#channel = channel;
    if (checkLine(this.#username) === null || checkLine(this.#password ?? "") === null) {
      return this.#client.fail(
        new SyntaxError("An FTP user name or password cannot contain CR or LF"),
      );
    }
    if (this.#tls === null) return this.#user();
    this.#step("AUTH TLS", (reply) => {
      if (reply.code !== 234) {
        return this.#client.fail(new BadResponse(reply.lines, "AUTH TLS needs a 234 reply"));
      }
      try {
        this.#startTLS();
      } catch (error) {
        return this.#client.fail(error as Error);
      }
      this.#user();
    });
  }

  #user(): void {
    this.#step(`USER ${this.#username}`, (reply) => {
      if (reply.code === 230 || this.#password === null) return this.#afterLogin();
      this.#step(`PASS ${this.#password}`, () => this.#afterLogin());
    });
  }

  #afterLogin(): void {
    const type = (): void => this.#step("TYPE I", () => this.#channel.release(this));
    if (this.#tls === null) return type();
    this.#step("PBSZ 0", () => this.#step("PROT P", type));
  }

  /** Sends `line`; a 4xx/5xx fails the client (as Twisted's `queueLogin`). */
  #step(line: string, next: (reply: FTPReply) => void): void {
    this.#channel.send(this, line, {
      reply: (reply) => {
        if (reply.code >= 400) this.#client.fail(new CommandFailed(reply.lines));
        else next(reply);
      },
    });
  }

  abandon(_error: Error): void {}
}

function checkLine(line: string): string | null {
  return /[\r\n]/.test(line) ? null : line;
}

/**
 * An FTP client (Twisted's `FTPClient`). It logs in as soon as the server's
 * greeting arrives (USER, PASS unless USER got 230, TYPE I; with `tls`, AUTH
 * TLS first and PBSZ 0, PROT P after) and queues every command behind the
 * login, one in flight at a time. Each method returns a Deferred of the
 * reply's lines; a 4xx/5xx reply fails it with `CommandFailed`, a failed
 * login fails everything queued with `ConnectionLost` (cause: the reply) and
 * closes the connection.
 *
 * Transfers (`retrieveFile`, `storeFile`, `list`, `nlst`) open a data
 * connection first: passive mode tries EPSV, then PASV, and connects to the
 * control connection's peer (the address in a 227 reply is ignored); active
 * mode listens on the control connection's local address and sends EPRT, or
 * PORT when the server refuses EPRT. Cancelling a transfer's Deferred sends
 * ABOR and closes the data connection.
 *
 * @example
 * ```ts
 * import { ClientCreator, reactor } from "@tw/core";
 * import { FTPClient, FTPFileListProtocol } from "@tw/core/protocols/ftp";
 *
 * async function listing(host: string, port: number): Promise<string[]> {
 *   const client = await new ClientCreator(reactor, FTPClient, "alice", "secret", { reactor })
 *     .connectTCP(host, port);
 *   const files = new FTPFileListProtocol();
 *   await client.list("/", files);
 *   await client.quit();
 *   return files.files.map((file) => file.filename);
 * }
 * ```
 */
export class FTPClient extends LineReceiver {
  /** The longest reply line accepted, in bytes. @default 8192 */
  override MAX_LENGTH = 8192;
  /** Passive (true) or active (false) data connections; may be changed at any time. */
  passive: boolean;
  /** The greeting's lines, once it came. */
  greeting: string[] | null = null;
  #channel: ControlChannel;
  #tls: TlsOptions | null;
  #reactor: Pick<IReactorTCP, "connectTCP" | "listenTCP"> | null;
  #features: DataFeatures = { epsv: null, eprt: null };
  #secure = false;

  /**
   * Makes a client; it logs in once connected (`ClientCreator`, `connectProtocol`).
   * @param username the user name @default "anonymous"
   * @param password the password, or null to send no PASS @default "twisted@twistedmatrix.com"
   * @param options passive or active, TLS, the reactor
   */
  constructor(
    username = "anonymous",
    password: string | null = "twisted@twistedmatrix.com",
    options: FTPClientOptions = {},
  ) {
    super();
    this.delimiter = LF;
    this.passive = options.passive ?? true;
    this.#tls = options.tls ?? null;
    this.#reactor = options.reactor ?? null;
    this.#channel = new ControlChannel({
      writeLine: (line) => this.sendLine(line),
      greeted: (reply) => {
        this.greeting = reply.lines;
      },
      broken: () => {
        if (this.transport !== undefined && !this.transport.disconnecting) {
          this.transport.loseConnection();
        }
      },
    }, { maxLines: options.maxReplyLines, maxSize: options.maxReplySize });
    this.#channel.enqueue(
      new LoginJob(this, username, password, this.#tls, () => this.#startControlTLS()),
    );
  }

  /** True once the control connection is TLS (after AUTH TLS). */
  get secure(): boolean {
    return this.#secure;
  }

  #startControlTLS(): void {
    const transport = this.transport as Partial<ITLSTransport>;
    if (typeof transport.startTLS !== "function") {
      throw new FTPError("The control connection cannot start TLS");
    }
    transport.startTLS.call(this.transport, { ...this.#tls!, isServer: false } as TlsOptions);
    this.#secure = true;
  }

  /**
   * Writes `line` and CR LF (FTP's line end; replies are read up to LF alone).
   * Commands go through `queueStringCommand`; this bypasses the queue.
   */
  override sendLine(line: Uint8Array | string): void {
    const bytes = typeof line === "string" ? encoder.encode(line) : line;
    const out = new Uint8Array(bytes.byteLength + 2);
    out.set(bytes);
    out.set(CRLF, bytes.byteLength);
    this.transport.write(out);
  }

  /** Takes one reply line (LF-delimited; a CR before it is dropped). */
  override lineReceived(line: Uint8Array): void {
    const end = line.byteLength > 0 && line[line.byteLength - 1] === 0x0d
      ? line.byteLength - 1
      : line.byteLength;
    this.#channel.lineReceived(utf8.decode(line.subarray(0, end)));
  }

  /** A reply line over `MAX_LENGTH`: fails everything with `BadResponse` and closes. */
  override lineLengthExceeded(line: Uint8Array): void {
    const head = utf8.decode(line.subarray(0, 80));
    this.fail(new BadResponse([head], `reply line longer than ${this.MAX_LENGTH} bytes`));
  }

  /** Fails every queued command with `ConnectionLost` (cause: `reason`). */
  override connectionLost(reason: Failure): void {
    this.#channel.fail(new ConnectionLost("FTP connection lost", { cause: reason.value }));
  }

  /**
   * Gives up (Twisted's `fail`): closes the connection and fails every queued
   * command with `ConnectionLost` whose cause is `error`.
   */
  fail(error: Error): void {
    this.#channel.fail(error);
  }

  /**
   * Queues a command line; fires with the reply's lines (2xx, 3xx), fails with
   * `CommandFailed` (4xx, 5xx). Cancelling it before it is sent unqueues it.
   */
  queueStringCommand(command: string): Deferred<string[]> {
    if (checkLine(command) === null) {
      return fail(new SyntaxError("An FTP command cannot contain CR or LF"));
    }
    const job = new CommandJob(this.#channel, command);
    this.#channel.enqueue(job);
    return job.deferred;
  }

  /** An argument as a command carries it: RFC 959 sends a LF in a path name as NUL. */
  escapePath(path: string): string {
    return path.replaceAll("\n", "\0");
  }

  #command(verb: string, path: string): Deferred<string[]> {
    return this.queueStringCommand(`${verb} ${this.escapePath(path)}`);
  }

  #transfer(commands: string[], receiver: IProtocol | null): TransferJob {
    const ctx: TransferContext = {
      channel: this.#channel,
      reactor: this.#reactor ?? getReactor(),
      control: () => this.transport,
      passive: this.passive,
      tls: this.#tls,
      features: this.#features,
    };
    const job = new TransferJob(ctx, commands, receiver);
    const bad = commands.find((line) => checkLine(line) === null);
    if (bad !== undefined) {
      job.abandon(new SyntaxError("An FTP command cannot contain CR or LF"));
    } else {
      this.#channel.enqueue(job);
    }
    return job;
  }

  #transferCommands(verb: string, path: string, offset: number): string[] {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError(`The offset must be a whole number of bytes, not ${offset}`);
    }
    const line = path === "" ? verb : `${verb} ${this.escapePath(path)}`;
    return offset > 0 ? [`REST ${offset}`, line] : [line];
  }

  /**
   * Downloads `path` into `protocol` (RETR; REST first when `offset` is not 0).
   * Fires with the RETR's reply lines once the server said 226 and the data
   * connection closed; cancelling it sends ABOR.
   */
  retrieveFile(path: string, protocol: IProtocol, offset = 0): Deferred<string[]> {
    return this.#transfer(this.#transferCommands("RETR", path, offset), protocol).result;
  }

  /** Twisted's alias of `retrieveFile`. */
  retr(path: string, protocol: IProtocol, offset = 0): Deferred<string[]> {
    return this.retrieveFile(path, protocol, offset);
  }

  /**
   * Uploads to `path` (STOR; REST first when `offset` is not 0). The first
   * Deferred fires with the consumer to write the file to once the server is
   * ready (call its `finish()` at the end); the second with the STOR's reply
   * lines once the server confirmed. Cancelling either sends ABOR.
   */
  storeFile(
    path: string,
    offset = 0,
  ): [Deferred<IFinishableConsumer>, Deferred<string[]>] {
    const job = this.#transfer(this.#transferCommands("STOR", path, offset), null);
    return [job.consumer!, job.result];
  }

  /** Twisted's alias of `storeFile`. */
  stor(path: string, offset = 0): [Deferred<IFinishableConsumer>, Deferred<string[]>] {
    return this.storeFile(path, offset);
  }

  /**
   * A directory listing (LIST) into `protocol`, usually an `FTPFileListProtocol`;
   * an empty or null path lists the working directory.
   */
  list(path: string | null, protocol: IProtocol): Deferred<string[]> {
    return this.#transfer(this.#transferCommands("LIST", path ?? "", 0), protocol).result;
  }

  /** Names only (NLST), one a line, into `protocol`. */
  nlst(path: string | null, protocol: IProtocol): Deferred<string[]> {
    return this.#transfer(this.#transferCommands("NLST", path ?? "", 0), protocol).result;
  }

  /** Changes the working directory (CWD). */
  cwd(path: string): Deferred<string[]> {
    return this.#command("CWD", path);
  }

  /** Goes to the parent directory (CDUP). */
  cdup(): Deferred<string[]> {
    return this.queueStringCommand("CDUP");
  }

  /** Asks the working directory (PWD); `getDirectory` parses the answer. */
  pwd(): Deferred<string[]> {
    return this.queueStringCommand("PWD");
  }

  /** The working directory; fails with `CommandFailed` unless the reply is a 257 with a path. */
  getDirectory(): Deferred<string> {
    return this.pwd().addCallback((lines) => {
      const first = lines[0] ?? "";
      const path = first.startsWith("257") ? parsePWDResponse(first) : null;
      if (path === null) throw new CommandFailed(lines);
      return path;
    });
  }

  /** Creates a directory (MKD). */
  makeDirectory(path: string): Deferred<string[]> {
    return this.#command("MKD", path);
  }

  /** Deletes a file (DELE). */
  removeFile(path: string): Deferred<string[]> {
    return this.#command("DELE", path);
  }

  /** Deletes an empty directory (RMD). */
  removeDirectory(path: string): Deferred<string[]> {
    return this.#command("RMD", path);
  }

  /**
   * Renames `pathFrom` to `pathTo` (RNFR, then RNTO unless RNFR failed); fires
   * with both replies' lines.
   */
  rename(pathFrom: string, pathTo: string): Deferred<[string[], string[]]> {
    const from = this.#command("RNFR", pathFrom);
    const to = this.#command("RNTO", pathTo);
    const result = new Deferred<[string[], string[]]>();
    let fromLines: string[] = [];
    from.addCallbacks((lines) => {
      fromLines = lines;
    }, (failure: Failure) => {
      result.errback(failure);
      to.cancel(); // RNTO must not run after a failed RNFR
    });
    to.addCallbacks((lines) => {
      if (!result.called) result.callback([fromLines, lines]);
    }, (failure: Failure) => {
      if (!result.called) result.errback(failure);
    });
    return result;
  }

  /** The size of `path` in bytes (SIZE, RFC 3659; exact in TYPE I, which the login sets). */
  size(path: string): Deferred<number> {
    return this.#command("SIZE", path).addCallback((lines) => {
      const match = /^213 (\d{1,16})\s*$/.exec(lines.at(-1) ?? "");
      if (match === null) throw new BadResponse(lines, "SIZE needs 213 and a number");
      return Number(match[1]);
    });
  }

  /** The modification time of `path` (MDTM, RFC 3659), in UTC. */
  modificationTime(path: string): Deferred<Date> {
    return this.#command("MDTM", path).addCallback((lines) => {
      const date = parseTimeVal(lines.at(-1) ?? "");
      if (date === null) throw new BadResponse(lines, "MDTM needs 213 and YYYYMMDDHHMMSS");
      return date;
    });
  }

  /** Ends the session (QUIT); the connection is closed after the reply. */
  quit(): Deferred<string[]> {
    const close = (): void => {
      if (this.transport !== undefined && !this.transport.disconnecting) {
        this.transport.loseConnection();
      }
    };
    return this.queueStringCommand("QUIT").addCallbacks((lines) => {
      close();
      return lines;
    }, (failure: Failure): string[] => {
      close();
      throw failure;
    });
  }
}

/** "213 YYYYMMDDHHMMSS[.sss]" (RFC 3659 time-val) as a UTC Date, or null. */
function parseTimeVal(line: string): Date | null {
  const m = /^213 (\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?\s*$/.exec(line);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return null;
  }
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59), ms));
  return date.getUTCDate() === day ? date : null;
}
