/**
 * Terminal programs over telnet (`twisted.conch.telnet.TelnetBootstrapProtocol`):
 * the bootstrap asks the client for character mode (it echoes, no
 * go-ahead) and its window size, and carries an insults `ServerProtocol`.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import type { Address } from "../../internet/address.ts";
import type { IPullProducer, IPushProducer, ITransport } from "../../internet/interfaces.ts";
import { Logger } from "../../logger/mod.ts";
import { ECHO, NAWS, SGA } from "../_telnet_protocol.ts";
import { TelnetProtocol } from "../_telnet_transport.ts";
import type { ServerProtocol } from "../insults/_server.ts";

const log = new Logger("tw.conch.telnet");

/**
 * Runs a terminal protocol over telnet (Twisted's `TelnetBootstrapProtocol`):
 * on connection it offers WILL ECHO and WILL SGA and asks DO SGA and DO NAWS
 * (so clients send each key as typed and report their size), makes the
 * protocol with `protocolFactory` (an insults `ServerProtocol`), and is its
 * transport. NAWS reports reach `terminalSize`.
 *
 * @example
 * ```ts
 * import { TelnetTransport } from "@tw/core/conch/telnet";
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { Manhole, TelnetBootstrapProtocol } from "@tw/core/conch/manhole";
 * import { Factory } from "@tw/core/protocol";
 *
 * const factory = new Factory();
 * factory.buildProtocol = () =>
 *   new TelnetTransport(() =>
 *     new TelnetBootstrapProtocol(() => new ServerProtocol(() => new Manhole({})))
 *   );
 * // Never unauthenticated outside tests: see TerminalRealm and AuthenticatingTelnetProtocol.
 * ```
 */
export class TelnetBootstrapProtocol extends TelnetProtocol implements ITransport {
  /** Makes the terminal protocol. */
  readonly protocolFactory: () => ServerProtocol;
  /** The terminal protocol, once connected. */
  protocol: ServerProtocol | null = null;

  /** Runs what `protocolFactory` makes. */
  constructor(protocolFactory: () => ServerProtocol) {
    super();
    this.protocolFactory = protocolFactory;
  }

  /** Negotiates character mode and window size; starts the protocol. */
  override connectionMade(): void {
    const telnet = this.transport;
    const ignore = (option: number) => () => {
      log.debug("Telnet option {option} refused", { option });
      return null;
    };
    // One negotiation per option at a time (RFC 1143): our WILL SGA after the DO SGA.
    telnet.do(NAWS).addErrback(ignore(NAWS));
    telnet.will(ECHO).addErrback(ignore(ECHO));
    telnet.do(SGA).addBoth(() => {
      if (this.transport.getOptionState(SGA).us.state !== "yes") {
        telnet.will(SGA).addErrback(ignore(SGA));
      }
      return null;
    });
    this.protocol = this.protocolFactory();
    if (this.factory !== null) this.protocol.factory = this.factory;
    this.protocol.makeConnection(this);
  }

  /** Keys for the terminal. */
  override dataReceived(data: Uint8Array): void {
    this.protocol?.dataReceived(data);
  }

  /** Tells the terminal. */
  override connectionLost(reason: Failure): void {
    const protocol = this.protocol;
    this.protocol = null;
    protocol?.connectionLost(reason);
  }

  /** Echo and suppress-go-ahead on our side. */
  override enableLocal(option: number): boolean {
    return option === ECHO || option === SGA;
  }
  /** Window size and suppress-go-ahead from the client. */
  override enableRemote(option: number): boolean {
    return option === NAWS || option === SGA;
  }

  /** NAWS: width and height (RFC 1073). */
  override unhandledSubnegotiation(option: number, data: Uint8Array): void {
    if (option !== NAWS) return;
    if (data.length !== 4) {
      log.info("Wrong number of NAWS bytes: {n}", { n: data.length });
      return;
    }
    const width = (data[0] << 8) | data[1];
    const height = (data[2] << 8) | data[3];
    if (width > 0 && height > 0) this.protocol?.terminalSize(width, height);
  }

  // -- ITransport, for the terminal protocol ---------------------------------

  /** Writes; the telnet transport turns LF into CR LF itself. */
  write(data: Uint8Array): void {
    const out: number[] = [];
    for (let i = 0; i < data.length; i++) {
      if (data[i] === 13 && data[i + 1] === 10) continue;
      out.push(data[i]);
    }
    this.transport.write(new Uint8Array(out));
  }
  /** Writes each piece. */
  writeSequence(data: Iterable<Uint8Array>): void {
    for (const piece of data) this.write(piece);
  }
  /** Closes. */
  loseConnection(): void {
    this.transport.loseConnection();
  }
  /** Closes now. */
  abortConnection(): void {
    this.transport.abortConnection();
  }
  /** True once closing. */
  get disconnecting(): boolean {
    return this.transport?.disconnecting ?? false;
  }
  /** This side's address. */
  getHost(): Address {
    return this.transport.getHost();
  }
  /** The peer's address. */
  getPeer(): Address {
    return this.transport.getPeer();
  }
  /** Passes to the telnet transport. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    this.transport.registerProducer(producer, streaming);
  }
  /** Passes to the telnet transport. */
  unregisterProducer(): void {
    this.transport.unregisterProducer();
  }
  /** Passes to the telnet transport. */
  pauseProducing(): void {
    this.transport.pauseProducing();
  }
  /** Passes to the telnet transport. */
  resumeProducing(): void {
    this.transport.resumeProducing();
  }
  /** Passes to the telnet transport. */
  stopProducing(): void {
    this.transport.stopProducing();
  }
}
