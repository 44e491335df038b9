/**
 * A session's data connections: PASV, EPSV (and EPSV ALL), PORT, EPRT, ABOR,
 * and running one transfer at a time with its replies (125/150, then 226,
 * 425, 426 or 451). Private to the FTP server.
 * @module
 */
import { isIPv4 } from "../../internet/address.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import {
  decodeExtendedAddress,
  decodeHostPort,
  encodeExtendedPassiveReply,
  encodeHostPort,
  type HostPort,
  InvalidHostPort,
} from "./_address.ts";
import {
  ActiveChannel,
  type DataChannel,
  DataConnectionLost,
  type DTP,
  type FTPReactor,
  PassiveChannel,
  plainHost,
} from "./_dtp.ts";
import { BadCmdSequenceError, CmdArgSyntaxError, FTPCmdError } from "./_errors.ts";

/** The settings the data connections use. */
export interface TransferConfig {
  /** The reactor (listen, connect, time). */
  readonly reactor: FTPReactor;
  /** Seconds to wait for a data connection. */
  readonly dtpTimeout: number;
  /** Ports for passive listeners, `[0, 0]` for any. */
  readonly passivePortRange: readonly [number, number];
  /** The address given in 227 replies instead of the local one (NAT). */
  readonly passiveAddress: string | null;
}

/** What the transfers ask of the session. */
export interface TransferSession {
  /** Sends one reply line. */
  reply(line: string): void;
  /** The settings the data connections use. */
  config(): TransferConfig;
  /** The control connection's local host (plain, IPv4 or IPv6). */
  localHost(): string;
  /** The control connection's peer host (plain). */
  peerHost(): string;
  /** TLS server options when the data channel is protected (PROT P), else null. */
  dataTls(): TlsOptions | null;
  /** A transfer began (after its 125/150): suspend the idle timeout. */
  transferStarted(): void;
  /** The transfer ended and its replies were sent. */
  transferEnded(): void;
  /** Reports an unexpected failure. */
  logFailure(error: unknown): void;
}

/** A reply with a code (for refusals that are no Twisted error class). */
export class ReplyError extends FTPCmdError {
  readonly #line: string;
  override readonly errorCode: number;
  constructor(code: number, text: string) {
    super(text);
    this.errorCode = code;
    this.#line = `${code} ${text}`;
  }
  override response(): string {
    return this.#line;
  }
}

interface Running {
  channel: DataChannel;
  aborted: boolean;
}

/** The data-connection state of one FTP session. */
export class Transfers {
  readonly #session: TransferSession;
  #channel: DataChannel | null = null;
  #running: Running | null = null;
  #epsvAll = false;
  #closed = false;

  constructor(session: TransferSession) {
    this.#session = session;
  }

  /** True while a transfer runs (from its 125/150 to its last reply). */
  get busy(): boolean {
    return this.#running !== null;
  }

  #replace(channel: DataChannel | null): void {
    this.#channel?.close();
    this.#channel = channel;
  }

  async #listen(): Promise<PassiveChannel> {
    const s = this.#session;
    const channel = await PassiveChannel.open(
      s.config().reactor,
      s.localHost(),
      s.config().passivePortRange,
      s.peerHost(),
      s.dataTls(),
    ).catch((error) => {
      s.logFailure(error);
      throw new ReplyError(425, "Can't open a passive data connection.");
    });
    if (this.#closed) {
      channel.close();
      throw new DataConnectionLost("The session closed");
    }
    return channel;
  }

  /** PASV: listens, answers 227 with the IPv4 address (or `passiveAddress`). */
  async pasv(): Promise<void> {
    if (this.#epsvAll) throw new BadCmdSequenceError("PASV not allowed after EPSV ALL");
    const shown = this.#session.config().passiveAddress ?? this.#session.localHost();
    if (!isIPv4(shown)) {
      throw new ReplyError(522, "PASV is for IPv4; use EPSV");
    }
    this.#replace(null);
    const channel = await this.#listen();
    this.#replace(channel);
    this.#session.reply(`227 Entering Passive Mode (${encodeHostPort(shown, channel.port)}).`);
  }

  /** EPSV [1|2|ALL]: listens, answers 229. */
  async epsv(arg: string): Promise<void> {
    const a = arg.trim().toUpperCase();
    if (a === "ALL") {
      this.#epsvAll = true;
      this.#session.reply("200 EPSV ALL ok");
      return;
    }
    const family = isIPv4(this.#session.localHost()) ? "1" : "2";
    if (a !== "" && a !== family) {
      if (a === "1" || a === "2") {
        throw new ReplyError(522, `Network protocol not supported, use (${family})`);
      }
      throw new CmdArgSyntaxError(arg);
    }
    this.#replace(null);
    const channel = await this.#listen();
    this.#replace(channel);
    this.#session.reply(
      `229 Entering Extended Passive Mode ${encodeExtendedPassiveReply(channel.port)}`,
    );
  }

  #active(address: HostPort): void {
    if (this.#epsvAll) throw new BadCmdSequenceError("PORT and EPRT not allowed after EPSV ALL");
    const host = plainHost(address.host);
    if (host !== this.#session.peerHost()) {
      throw new ReplyError(504, "Rejected data connection to a foreign address");
    }
    if (address.port < 1024) {
      throw new ReplyError(504, "Rejected data connection to a privileged port");
    }
    const s = this.#session;
    this.#replace(new ActiveChannel(s.config().reactor, host, address.port, s.dataTls()));
  }

  /** PORT h1,h2,h3,h4,p1,p2. */
  port(arg: string): void {
    let address: HostPort;
    try {
      address = decodeHostPort(arg.trim());
    } catch (error) {
      if (error instanceof InvalidHostPort) throw new CmdArgSyntaxError(arg);
      throw error;
    }
    this.#active(address);
    this.#session.reply("200 PORT OK");
  }

  /** EPRT |af|host|port|. */
  eprt(arg: string): void {
    let address: HostPort;
    try {
      address = decodeExtendedAddress(arg.trim());
    } catch (error) {
      if (error instanceof InvalidHostPort) throw new CmdArgSyntaxError(arg);
      throw error;
    }
    this.#active(address);
    this.#session.reply("200 EPRT OK");
  }

  /** Throws 425 unless PASV, EPSV, PORT or EPRT came first. */
  requireChannel(): void {
    if (this.#channel === null) throw new ReplyError(425, "Use PORT, PASV or EPSV first.");
  }

  /**
   * Runs a transfer on the prepared data connection: 125 or 150, then `work`
   * with the connection, then 226; a connection that never came gives 425, a
   * lost one 426, another failure 451 (or the error's own reply).
   */
  start(work: (dtp: DTP) => Promise<void>, cleanup: () => Promise<void> = async () => {}): void {
    const channel = this.#channel;
    if (channel === null) throw new ReplyError(425, "Use PORT, PASV or EPSV first.");
    this.#channel = null;
    const s = this.#session;
    const running: Running = { channel, aborted: false };
    this.#running = running;
    if (channel.connected) s.reply("125 Data connection already open, starting transfer");
    else s.reply("150 File status okay; about to open data connection.");
    s.transferStarted();
    let connected = false;
    (async () => {
      const dtp = await channel.connection(s.config().dtpTimeout);
      connected = true;
      await work(dtp);
    })().then(() => null, (error: unknown) => error).then(async (error) => {
      await cleanup().catch((e) => {
        error ??= e;
      });
      channel.close(error !== null);
      if (this.#running !== running) return;
      this.#running = null;
      if (this.#closed) return;
      if (running.aborted) {
        s.reply("426 Transfer aborted.  Data connection closed.");
        s.reply("226 Abort successful");
      } else if (error === null) {
        s.reply("226 Transfer Complete.");
      } else if (!connected) {
        s.reply("425 Can't open data connection.");
      } else if (error instanceof DataConnectionLost) {
        s.reply("426 Transfer aborted.  Data connection closed.");
      } else if (error instanceof FTPCmdError) {
        s.reply(error.response());
      } else {
        s.logFailure(error);
        s.reply("451 Requested action aborted. Local error in processing.");
      }
      s.transferEnded();
    });
  }

  /** ABOR: stops a running transfer (426, then 226) or answers 225. */
  abor(): void {
    const running = this.#running;
    if (running === null) {
      this.#replace(null);
      this.#session.reply("225 No transfer to abort.");
      return;
    }
    running.aborted = true;
    running.channel.close(true);
  }

  /** The session ended: closes everything. */
  close(): void {
    this.#closed = true;
    this.#replace(null);
    this.#running?.channel.close(true);
  }
}
