/**
 * One data transfer of the FTP client (RETR, STOR, LIST, NLST): opening the
 * data connection (passive: EPSV, then PASV, connecting to the control
 * connection's peer whatever address a 227 names; active: EPRT, then PORT,
 * listening on the control connection's local address and taking one
 * connection from the server's host), the preparatory commands (REST), the
 * transfer command, TLS on the data connection after its preliminary reply
 * (RFC 4217, as ftplib and lftp start it), and ABOR when cancelled.
 * Private to the client.
 * @module
 */
import { Protocol } from "../../internet/protocol.ts";
import { CancelledError, Deferred, succeed } from "../../internet/defer.ts";
import type { Failure } from "../../internet/failure.ts";
import { type Address, isIPv4, isIPv6 } from "../../internet/address.ts";
import type {
  IConnector,
  IConsumer,
  IHalfCloseableTransport,
  IListeningPort,
  IProtocol,
  IProtocolFactory,
  IPullProducer,
  IPushProducer,
  IReactorTCP,
  ITLSTransport,
  ITransport,
} from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import {
  decodeExtendedPassiveReply,
  decodePassiveReply,
  encodeExtendedAddress,
  encodeHostPort,
} from "./_address.ts";
import { BadResponse, CommandFailed, FTPError } from "./_client_errors.ts";
import type { ControlChannel, Job } from "./_client_channel.ts";
import type { FTPReply } from "./_client_reply.ts";

/**
 * A consumer that is told when the producer is done (Twisted's
 * `IFinishableConsumer`): what `FTPClient.storeFile` hands over for the
 * file's bytes. `finish()` closes the data connection, which ends the upload.
 */
export interface IFinishableConsumer extends IConsumer {
  /** The producer has finished: the upload ends. */
  finish(): void;
}

/** What the server supports, learned by trying (shared by a client's transfers). */
export interface DataFeatures {
  /** EPSV worked (true), was refused (false), or was not tried (null). */
  epsv: boolean | null;
  /** EPRT worked (true), was refused (false), or was not tried (null). */
  eprt: boolean | null;
}

/** What a transfer needs from its client. */
export interface TransferContext {
  /** The client's control channel. */
  channel: ControlChannel;
  /** Connects and listens for data connections. */
  reactor: Pick<IReactorTCP, "connectTCP" | "listenTCP">;
  /** The control connection's transport (its peer and local addresses). */
  control(): ITransport;
  /** Passive (true) or active (false) data connections. */
  passive: boolean;
  /** TLS options for the data connection (PROT P), or null for clear data. */
  tls: TlsOptions | null;
  /** What the server supports, updated as learned. */
  features: DataFeatures;
}

function hostOf(address: Address): string | null {
  const host = (address as { host?: unknown }).host;
  return typeof host === "string" && (isIPv4(host) || isIPv6(host)) ? host : null;
}

/** The data connection's protocol: hands data to the receiving protocol, tells the job. */
class DataConnection extends Protocol {
  #inner: IProtocol | null;
  #job: TransferJob;

  constructor(inner: IProtocol | null, job: TransferJob) {
    super();
    this.#inner = inner;
    this.#job = job;
  }

  override connectionMade(): void {
    this.#inner?.makeConnection(this.transport);
    this.#job.dataConnected(this);
  }

  override dataReceived(data: Uint8Array): void {
    // A send-only connection ignores what the server sends (Twisted raises UnexpectedData).
    this.#inner?.dataReceived(data);
  }

  /**
   * The server finished sending. Being half-closeable keeps an upload's
   * connection open for reading after `finish()` shut its write side: a TLS
   * 1.3 server's late session tickets are read, not answered with a reset
   * that would drop the upload's tail from the server's receive buffer.
   */
  readConnectionLost(): void {
    this.transport.loseConnection();
  }

  override connectionLost(reason: Failure): void {
    try {
      this.#inner?.connectionLost(reason);
    } finally {
      this.#job.dataLost(reason);
    }
  }
}

/** What `storeFile` hands over: writes go to the data connection, `finish` closes it. */
class DataSender implements IFinishableConsumer {
  #transport: ITransport;

  constructor(transport: ITransport) {
    this.#transport = transport;
  }

  write(data: Uint8Array): void {
    this.#transport.write(data);
  }

  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    this.#transport.registerProducer(producer, streaming);
  }

  unregisterProducer(): void {
    this.#transport.unregisterProducer();
  }

  finish(): void {
    const transport = this.#transport as Partial<IHalfCloseableTransport> & ITransport;
    if (typeof transport.loseWriteConnection === "function") transport.loseWriteConnection();
    else transport.loseConnection();
  }
}

/** Connects the one data connection of a passive transfer. */
class PassiveFactory implements IProtocolFactory {
  #protocol: DataConnection;
  #failed: (reason: Failure) => void;
  #built = false;

  constructor(protocol: DataConnection, failed: (reason: Failure) => void) {
    this.#protocol = protocol;
    this.#failed = failed;
  }

  buildProtocol(_addr: Address): IProtocol | null {
    if (this.#built) return null;
    this.#built = true;
    return this.#protocol;
  }

  clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    if (!this.#built) this.#failed(reason);
  }

  doStart(): void {}
  doStop(): void {}
}

/** Accepts the one data connection of an active transfer, from the server's host only. */
class ActiveFactory implements IProtocolFactory {
  #protocol: DataConnection;
  #from: string;
  #accepted: () => void;
  #built = false;

  constructor(protocol: DataConnection, from: string, accepted: () => void) {
    this.#protocol = protocol;
    this.#from = from;
    this.#accepted = accepted;
  }

  buildProtocol(addr: Address): IProtocol | null {
    const host = hostOf(addr);
    if (this.#built || host === null || !sameHost(host, this.#from)) return null;
    this.#built = true;
    this.#accepted();
    return this.#protocol;
  }

  doStart(): void {}
  doStop(): void {}
}

function sameHost(a: string, b: string): boolean {
  const plain = (h: string): string => h.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "");
  return plain(a) === plain(b);
}

type Phase = "queued" | "address" | "connect" | "prepare" | "transfer" | "finishing" | "done";

/**
 * A transfer queued on the control channel: `result` fires with the transfer
 * command's reply lines once the final reply is in and the data connection
 * has closed; `consumer` (uploads) fires once the server is ready for bytes.
 */
export class TransferJob implements Job {
  /** The transfer command's reply lines (1xx first), after the data connection closed. */
  readonly result: Deferred<string[]>;
  /** For uploads: where to write the file; null for downloads. */
  readonly consumer: Deferred<IFinishableConsumer> | null;
  #ctx: TransferContext;
  #commands: string[];
  #protocol: DataConnection;
  #phase: Phase = "queued";
  #cancelled = false;
  #aborting = false;
  #data: DataConnection | null = null;
  #connector: IConnector | null = null;
  #listener: IListeningPort | null = null;
  #marked = false;
  #started = false;
  #final: string[] | null = null;
  #dataClosed = false;

  /**
   * Makes the job; queue it with `channel.enqueue(job)`.
   * @param ctx the client's side
   * @param commands the preparatory commands (REST) then the transfer command
   * @param receiver the protocol that receives the data, or null for an upload
   */
  constructor(ctx: TransferContext, commands: string[], receiver: IProtocol | null) {
    this.#ctx = ctx;
    this.#commands = commands;
    this.#protocol = new DataConnection(receiver, this);
    this.result = new Deferred<string[]>(() => this.#cancel());
    this.consumer = receiver === null
      ? new Deferred<IFinishableConsumer>(() => this.#cancel())
      : null;
  }

  /** See `Job.run`. */
  run(_channel: ControlChannel): void {
    if (this.#cancelled) {
      this.#finishTurn();
      return;
    }
    if (this.#ctx.passive) this.#passive(this.#ctx.features.epsv !== false);
    else this.#active();
  }

  /** See `Job.abandon`. */
  abandon(error: Error): void {
    this.#phase = "done";
    this.#fail(error);
  }

  // ---- passive -------------------------------------------------------------

  #passive(extended: boolean): void {
    this.#phase = "address";
    this.#send(extended ? "EPSV" : "PASV", (reply) => {
      if (reply.code >= 500 && extended) {
        this.#ctx.features.epsv = false;
        this.#passive(false);
        return;
      }
      if (reply.code >= 400) return this.#failTurn(new CommandFailed(reply.lines));
      let port: number;
      try {
        const text = reply.lines.join(" ");
        if (reply.code !== (extended ? 229 : 227)) {
          throw new Error(`expected ${extended ? 229 : 227}`);
        }
        port = extended ? decodeExtendedPassiveReply(text) : decodePassiveReply(text).port;
      } catch (error) {
        return this.#failTurn(new BadResponse(reply.lines, (error as Error).message));
      }
      if (extended) this.#ctx.features.epsv = true;
      // The 227 address is ignored: the server is the control connection's peer.
      const host = hostOf(this.#ctx.control().getPeer());
      if (host === null) {
        return this.#failTurn(new FTPError("The control connection has no IP peer to connect to"));
      }
      this.#phase = "connect";
      const factory = new PassiveFactory(this.#protocol, (reason) => this.#connectFailed(reason));
      try {
        this.#connector = this.#ctx.reactor.connectTCP(host, port, factory);
      } catch (error) {
        this.#failTurn(new FTPError("Cannot open the data connection", { cause: error }));
      }
    });
  }

  #connectFailed(reason: Failure): void {
    if (this.#phase !== "connect") return;
    if (this.#cancelled) return this.#finishTurn();
    this.#failTurn(new FTPError("Cannot open the data connection", { cause: reason.value }));
  }

  // ---- active --------------------------------------------------------------

  #active(): void {
    this.#phase = "address";
    const host = hostOf(this.#ctx.control().getHost());
    const peer = hostOf(this.#ctx.control().getPeer());
    if (host === null || peer === null) {
      return this.#failTurn(new FTPError("The control connection has no IP address to listen on"));
    }
    const factory = new ActiveFactory(this.#protocol, peer, () => {
      this.#listener?.stopListening();
    });
    let listening: Deferred<unknown>;
    try {
      const listener = this.#ctx.reactor.listenTCP(0, factory, { interface: host });
      this.#listener = listener;
      listening = listener.whenListening?.() ?? succeed(listener);
    } catch (error) {
      return this.#failTurn(
        new FTPError("Cannot listen for the data connection", { cause: error }),
      );
    }
    listening.addCallbacks(
      () => this.#sendPort(host, this.#ctx.features.eprt !== false || !isIPv4(host)),
      (failure: Failure) => {
        if (this.#cancelled) return this.#finishTurn();
        this.#failTurn(
          new FTPError("Cannot listen for the data connection", { cause: failure.value }),
        );
      },
    );
  }

  #sendPort(host: string, extended: boolean): void {
    if (this.#cancelled) return this.#finishTurn();
    const port = (this.#listener!.getHost() as { port: number }).port;
    let line: string;
    try {
      line = extended
        ? `EPRT ${encodeExtendedAddress(host, port)}`
        : `PORT ${encodeHostPort(host, port)}`;
    } catch (error) {
      return this.#failTurn(new FTPError("Cannot name the data port", { cause: error }));
    }
    this.#send(line, (reply) => {
      if (reply.code >= 500 && extended && isIPv4(host)) {
        this.#ctx.features.eprt = false;
        this.#sendPort(host, false);
        return;
      }
      if (reply.code >= 400) return this.#failTurn(new CommandFailed(reply.lines));
      if (extended) this.#ctx.features.eprt = true;
      this.#prepare(0);
    });
  }

  // ---- commands ------------------------------------------------------------

  /** Called by the data connection's protocol once connected. */
  dataConnected(protocol: DataConnection): void {
    if (this.#cancelled || this.#phase === "done") {
      protocol.transport.abortConnection();
      return;
    }
    this.#data = protocol;
    if (this.#phase === "connect") this.#prepare(0);
    else this.#maybeStart();
  }

  /** Called by the data connection's protocol once closed. */
  dataLost(_reason: Failure): void {
    this.#dataClosed = true;
    if (this.#final !== null) this.#succeed();
  }

  #prepare(index: number): void {
    this.#phase = "prepare";
    const line = this.#commands[index];
    if (index < this.#commands.length - 1) {
      this.#send(line, (reply) => {
        if (reply.code >= 400) return this.#failTurn(new CommandFailed(reply.lines));
        this.#prepare(index + 1);
      });
      return;
    }
    this.#phase = "transfer";
    this.#ctx.channel.send(this, line, {
      mark: () => {
        this.#marked = true;
        this.#maybeStart();
      },
      reply: (reply) => this.#transferReply(reply),
    });
  }

  /** After the 1xx reply and with the data connection up: TLS, then the upload's consumer. */
  #maybeStart(): void {
    if (!this.#marked || this.#data === null || this.#started || this.#cancelled) return;
    this.#started = true;
    const transport = this.#data.transport;
    if (this.#ctx.tls !== null) {
      const tls = transport as Partial<ITLSTransport>;
      if (typeof tls.startTLS !== "function") {
        this.#fail(new FTPError("The data connection cannot start TLS"));
        this.#abortTransfer();
        return;
      }
      tls.startTLS.call(transport, { ...this.#ctx.tls, isServer: false } as TlsOptions);
    }
    if (this.consumer !== null && !this.consumer.called) {
      this.consumer.callback(new DataSender(transport));
    }
  }

  #transferReply(reply: FTPReply): void {
    if (this.#aborting) return this.#drain(reply);
    if (reply.code >= 400) return this.#failTurn(new CommandFailed(reply.lines));
    this.#phase = "finishing";
    this.#final = reply.lines;
    this.#ctx.channel.release(this);
    if (this.consumer !== null && !this.#started) {
      this.#fail(new BadResponse(reply.lines, "upload finished before it started"));
    } else if (this.#data === null || this.#dataClosed) {
      this.#succeed();
    }
  }

  // ---- ending --------------------------------------------------------------

  #send(line: string, handle: (reply: FTPReply) => void): void {
    this.#ctx.channel.send(this, line, {
      reply: (reply) => {
        if (this.#cancelled) return this.#finishTurn();
        handle(reply);
      },
    });
  }

  /** Fails the transfer and gives the control connection to the next job. */
  #failTurn(error: Error): void {
    this.#fail(error);
    this.#finishTurn();
  }

  #finishTurn(): void {
    this.#phase = "done";
    this.#closeData();
    this.#ctx.channel.release(this);
  }

  #succeed(): void {
    this.#phase = "done";
    this.#closeData();
    if (!this.result.called) this.result.callback(this.#final ?? []);
  }

  #fail(error: Error): void {
    this.#closeData();
    if (this.consumer !== null && !this.consumer.called) {
      this.consumer.errback(error);
      // The result carries the same error; the consumer's copy need not be observed.
      this.consumer.asPromise().catch(() => {});
    }
    if (!this.result.called) this.result.errback(error);
  }

  #closeData(): void {
    const data = this.#data;
    if (data !== null && !this.#dataClosed) data.transport.abortConnection();
    if (this.#connector !== null && data === null) {
      try {
        this.#connector.disconnect();
      } catch { /* the attempt already ended */ }
    }
    this.#connector = null;
    this.#listener?.stopListening();
    this.#listener = null;
  }

  /** ABOR while the transfer command runs; NOOP after it marks where its replies end. */
  #abortTransfer(): void {
    this.#aborting = true;
    this.#ctx.channel.sendOutOfBand(this, "ABOR");
    this.#ctx.channel.sendOutOfBand(this, "NOOP");
  }

  #drain(reply: FTPReply): void {
    if (reply.code === 200) return this.#finishTurn();
    this.#ctx.channel.expect(this, { reply: (next) => this.#drain(next) });
  }

  #cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    const error = new CancelledError("FTP transfer cancelled");
    switch (this.#phase) {
      case "queued":
        this.#ctx.channel.remove(this);
        this.#phase = "done";
        break;
      case "connect":
        this.#finishTurn();
        break;
      case "transfer":
        if (!this.#aborting) this.#abortTransfer();
        break;
      default:
        // "address" and "prepare": the pending reply ends the turn; "finishing": only data is left.
        break;
    }
    this.#fail(error);
  }
}
