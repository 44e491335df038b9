/**
 * The "session" channel (RFC 4254 §6, `twisted.conch.ssh.session`): exec,
 * shell, subsystem, pty-req, window-change, env and signal requests handed to
 * the avatar's `ISession`, and the process protocol that carries a command's
 * output back, all of it before exit-status and the close.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import type { IProtocol } from "../../internet/interfaces.ts";
import { ProcessProtocol } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import { EXTENDED_DATA_STDERR } from "./_constants.ts";
import { SSHChannel } from "./_channel.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";

const log = new Logger("tw.conch.ssh");

/** A terminal size: rows, columns, width and height in pixels. */
export type WindowSize = [rows: number, columns: number, xPixels: number, yPixels: number];

/** What a session channel asks of the avatar (`twisted.conch.interfaces.ISession`). */
export interface ISession {
  /** A pseudo-terminal was asked for, before the shell or command. */
  getPty?(term: string, windowSize: WindowSize, modes: Uint8Array): void;
  /** Starts a shell: `processProtocol` gets its output; write to its transport for input. */
  openShell(processProtocol: SSHSessionProcessProtocol): void;
  /** Runs `command` the same way. */
  execCommand(processProtocol: SSHSessionProcessProtocol, command: string): void;
  /** The terminal was resized. */
  windowChanged?(windowSize: WindowSize): void;
  /** The client will send no more input. */
  eofReceived?(): void;
  /** The channel closed. */
  closed?(): void;
}

/** Environment variables from the client (`twisted.conch.interfaces.ISessionSetEnv`). */
export interface ISessionSetEnv {
  /** Sets `name` for the command to come; throw to refuse. */
  setEnv(name: string, value: string): void;
}

/** A signal from the client (RFC 4254 §6.9), for sessions that run processes. */
export interface ISessionSignal {
  /** Delivers `SIG` + `name` to the running command. */
  signal(name: string): void;
}

/** How a session finds its `ISession` and subsystems on the avatar. */
export interface SessionAvatar {
  /** The session for a channel (Twisted adapts the avatar to `ISession`). */
  sessionFor?(channel: SSHSession): ISession;
  /** The protocol for a subsystem ("sftp"), or null. */
  lookupSubsystem?(subsystem: string, data: Uint8Array): IProtocol | null;
}

/**
 * The session channel. The avatar gives it an `ISession` through
 * `sessionFor(channel)` (or is one), and subsystems through `lookupSubsystem`.
 *
 * @example
 * ```ts
 * import { ConchUser, SSHSession } from "@tw/core/conch";
 *
 * const user = new ConchUser();
 * user.channelLookup["session"] = SSHSession;
 * const channel = user.lookupChannel("session", 65536, 32768, new Uint8Array(0));
 * console.log(channel instanceof SSHSession); // true
 * ```
 */
export class SSHSession extends SSHChannel {
  /** The channel type. */
  override name = "session";
  /** The avatar's session, made on the first request that needs it. */
  session: ISession | null = null;
  /** The process protocol of the running command or shell. */
  client: SSHSessionProcessProtocol | null = null;
  /** The subsystem's protocol, when one runs. */
  subsystem: IProtocol | null = null;
  #started = false;
  #exitSent = false;

  #session(): ISession {
    if (this.session !== null) return this.session;
    const avatar = this.avatar as SessionAvatar & Partial<ISession>;
    if (typeof avatar?.sessionFor === "function") this.session = avatar.sessionFor(this);
    else if (typeof avatar?.execCommand === "function") this.session = avatar as ISession;
    else throw new Error("The avatar has no session");
    return this.session;
  }

  #start(run: (session: ISession, client: SSHSessionProcessProtocol) => void): boolean {
    if (this.#started) return false;
    this.#started = true;
    const client = new SSHSessionProcessProtocol(this);
    this.client = client;
    run(this.#session(), client);
    return true;
  }

  /** Runs a command (`exec`). */
  request_exec(data: Uint8Array): boolean {
    const command = new SSHReader(data).text();
    return this.#start((session, client) => session.execCommand(client, command));
  }

  /** Starts a shell. */
  request_shell(_data: Uint8Array): boolean {
    return this.#start((session, client) => session.openShell(client));
  }

  /** Starts a subsystem from the avatar's `lookupSubsystem`. */
  request_subsystem(data: Uint8Array): boolean {
    if (this.#started) return false;
    const reader = new SSHReader(data);
    const name = reader.text();
    const avatar = this.avatar as SessionAvatar | null;
    const protocol = avatar?.lookupSubsystem?.(name, reader.rest()) ?? null;
    if (protocol === null) {
      log.info("SSH subsystem {name} refused", { name });
      return false;
    }
    this.#started = true;
    this.subsystem = protocol;
    protocol.makeConnection(this);
    return true;
  }

  /** A pseudo-terminal request. */
  request_pty_req(data: Uint8Array): boolean {
    const reader = new SSHReader(data);
    const term = reader.text();
    const columns = reader.uint32();
    const rows = reader.uint32();
    const size: WindowSize = [rows, columns, reader.uint32(), reader.uint32()];
    const modes = reader.string().slice();
    const session = this.#session();
    if (typeof session.getPty !== "function") return false;
    session.getPty(term, size, modes);
    return true;
  }

  /** The terminal was resized. */
  request_window_change(data: Uint8Array): boolean {
    const reader = new SSHReader(data);
    const columns = reader.uint32();
    const rows = reader.uint32();
    const size: WindowSize = [rows, columns, reader.uint32(), reader.uint32()];
    this.#session().windowChanged?.(size);
    return true;
  }

  /** Sets an environment variable, if the session takes them. */
  request_env(data: Uint8Array): boolean {
    const reader = new SSHReader(data);
    const name = reader.text();
    const value = reader.text();
    const session = this.#session() as Partial<ISessionSetEnv>;
    if (typeof session.setEnv !== "function") return false;
    try {
      session.setEnv(name, value);
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a signal to the command, if the session takes them. */
  request_signal(data: Uint8Array): boolean {
    const name = new SSHReader(data).text();
    const session = this.#session() as Partial<ISessionSignal>;
    if (typeof session.signal !== "function" || !/^[A-Z0-9]{1,16}$/.test(name)) return false;
    session.signal(name);
    return true;
  }

  /**
   * A subsystem ending the channel ends like a process that exited with 0:
   * its output, then exit-status, then the close (OpenSSH's scp checks it).
   */
  override loseConnection(): void {
    if (this.subsystem === null || this.#exitSent || this.conn === null || this.localClosed) {
      super.loseConnection();
      return;
    }
    this.#exitSent = true;
    void this.whenDrained().then(() => {
      const conn = this.conn;
      if (conn !== null && !this.localClosed) {
        conn.sendRequest(this, "exit-status", new SSHWriter().uint32(0).bytes()).catch(() => {});
      }
      super.loseConnection();
    });
  }

  /** Input for the command or subsystem. */
  override dataReceived(data: Uint8Array): void {
    if (this.subsystem !== null) this.subsystem.dataReceived(data);
    else this.client?.transport?.write(data);
  }

  /** Closes the command's stdin. */
  override eofReceived(): void {
    if (this.subsystem !== null) {
      const halfClose = this.subsystem as unknown as { readConnectionLost?: () => void };
      if (typeof halfClose.readConnectionLost === "function") halfClose.readConnectionLost();
      else this.loseConnection();
      return;
    }
    this.session?.eofReceived?.();
    this.client?.transport?.closeStdin();
  }

  /** Ends the command or subsystem. */
  override closed(): void {
    this.session?.closed?.();
    const client = this.client;
    this.client = null;
    if (client?.transport && !client.ended) client.transport.loseConnection();
    const subsystem = this.subsystem;
    this.subsystem = null;
    subsystem?.connectionLost(
      { value: new Error("channel closed") } as unknown as Failure,
    );
  }
}

/**
 * Carries a process's output into its session channel
 * (`twisted.conch.ssh.session.SSHSessionProcessProtocol`): stdout as data,
 * stderr as extended data, then exit-status or exit-signal once all of it
 * went out, then EOF and the close.
 *
 * @example
 * ```ts
 * import { SSHSession, SSHSessionProcessProtocol } from "@tw/core/conch";
 *
 * const protocol = new SSHSessionProcessProtocol(new SSHSession());
 * console.log(protocol.ended); // false
 * ```
 */
export class SSHSessionProcessProtocol extends ProcessProtocol {
  /** The session channel. */
  readonly session: SSHSession;
  /** True once the process ended. */
  ended = false;

  /** A process protocol writing into `session`. */
  constructor(session: SSHSession) {
    super();
    this.session = session;
  }

  /** Pauses the process while the peer's window is full. */
  override connectionMade(): void {
    this.session.registerProducer(this.transport, true);
  }

  /** Stdout goes out as channel data. */
  override outReceived(data: Uint8Array): void {
    this.session.write(data);
  }

  /** Stderr goes out as extended data. */
  override errReceived(data: Uint8Array): void {
    this.session.writeExtended(EXTENDED_DATA_STDERR, data);
  }

  /** Sends exit-status or exit-signal after all output, then closes. */
  override processEnded(reason: Failure): void {
    this.ended = true;
    this.session.unregisterProducer();
    const error = reason.value as { exitCode?: number | null; signal?: string | null };
    const session = this.session;
    void session.whenDrained().then(() => {
      const conn = session.conn;
      if (conn === null || session.localClosed) return;
      conn.sendEOF(session);
      if (typeof error.signal === "string" && error.signal !== "") {
        const writer = new SSHWriter().string(error.signal.replace(/^SIG/, "")).boolean(false)
          .string("").string("");
        conn.sendRequest(session, "exit-signal", writer.bytes()).catch(() => {});
      } else {
        const writer = new SSHWriter().uint32(error.exitCode ?? 0);
        conn.sendRequest(session, "exit-status", writer.bytes()).catch(() => {});
      }
      session.loseConnection();
    });
  }
}
