/**
 * AMP over a transport (`twisted.protocols.amp.BinaryBoxProtocol` and `AMP`):
 * parses boxes out of `dataReceived` and writes the boxes sent; starts TLS
 * and switches protocols between two boxes. Private to src/protocols; the
 * public face is `amp.ts`.
 *
 * @module
 */
import { WriteCork } from "../../internet/_write_cork.ts";
import type { Deferred } from "../../internet/defer.ts";
import { ConnectionLost } from "../../internet/error.ts";
import { Failure } from "../../internet/failure.ts";
import type { IProtocol, IProtocolFactory, ITransport } from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { Protocol } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import { type AmpBox, type BoxInit, BoxReader } from "./_box.ts";
import {
  type BoxResponder,
  type CallResult,
  type CommandClass,
  type IResponderLocator,
  locateCommandResponder,
  locateStringResponder,
} from "./_command.ts";
import {
  BoxDispatcher,
  type CallParams,
  type CallRemoteStringOptions,
  dispatcherOwners,
  type IBoxReceiver,
  type IBoxSender,
} from "./_dispatcher.ts";
import { AmpError, OnlyOneTLS, ProtocolSwitched } from "./_errors.ts";

const log = new Logger("tw.protocols.amp");

/** The TLS side of a StartTLS: PEM texts (Twisted's `PrivateCertificate` and authorities). */
export interface TLSParameters {
  /** This side's certificate and key. */
  certificate?: { cert: string; key: string };
  /** CA certificates the peer's certificate must chain to; the peer is then verified. */
  authorities?: readonly string[];
}

/** What `StartTLS` and `ProtocolSwitchCommand` do to a `BinaryBoxProtocol`. */
export interface SenderControl {
  /** The transport, or null once the connection is gone. */
  transport(): ITransport | null;
  /** True once TLS is started or being prepared. */
  tlsInUse(): boolean;
  /** Holds boxes sent from now until `startTLS` or `cancelTLS`. */
  prepareTLS(): void;
  /** Starts TLS on the transport, then sends the boxes held meanwhile. */
  startTLS(isServer: boolean, parameters: TLSParameters): void;
  /** Sends the boxes held, in clear: the StartTLS failed. */
  cancelTLS(): void;
  /** Refuses boxes from now on (`ProtocolSwitched`). */
  lockForSwitch(): void;
  /** Accepts boxes again: the switch failed. */
  unlockFromSwitch(): void;
  /** Hands the connection, and the bytes read past the current box, to `protocol`. */
  switchTo(protocol: IProtocol, factory?: IProtocolFactory | null): void;
}

/** Each `BinaryBoxProtocol`'s control. */
export const senderControls: WeakMap<object, SenderControl> = new WeakMap();

/** Options of {@link BinaryBoxProtocol}. */
export interface BinaryBoxProtocolOptions {
  /**
   * The most bytes one incoming box may take on the wire; a bigger one
   * closes the connection (Twisted has no bound). @default 4194304 (4 MiB)
   */
  maxBoxSize?: number;
}

type ClientFactoryLike = IProtocolFactory & {
  clientConnectionLost?(connector: unknown, reason: Failure): void;
};

/**
 * Parses boxes from the bytes a transport delivers and hands them to
 * `boxReceiver`; sends boxes (Twisted's `BinaryBoxProtocol`). A key over 255
 * bytes, a box over `maxBoxSize`, or a box the receiver refuses (an empty
 * one, an answer to no question) closes the connection, and the receiver's
 * waiting calls fail with why. After a protocol switch, bytes go to
 * `innerProtocol`.
 *
 * The boxes sent while `dataReceived` runs (the answers to what it read)
 * are written together when it returns: one write for a whole batch of
 * calls. Whatever a responder does with `this.transport` (write, close,
 * start TLS) first writes the answers before it, so the order is kept.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const boxes: amp.AmpBox[] = [];
 * const proto = new amp.BinaryBoxProtocol({
 *   startReceivingBoxes() {},
 *   ampBoxReceived: (box) => boxes.push(box),
 *   stopReceivingBoxes() {},
 * });
 * proto.makeConnection(new StringTransport());
 * const bytes = new amp.AmpBox({ hello: "world" }).serialize();
 * for (const b of bytes) proto.dataReceived(new Uint8Array([b])); // one byte at a time
 * console.log(boxes[0].getText("hello")); // "world"
 * ```
 */
export class BinaryBoxProtocol extends Protocol implements IBoxSender {
  /** Gets the boxes received. */
  boxReceiver: IBoxReceiver;
  /** After a protocol switch: the protocol the connection was handed to. */
  innerProtocol: IProtocol | null = null;
  /** After a protocol switch by this side: the factory told when the connection ends. */
  innerProtocolClientFactory: IProtocolFactory | null = null;
  #reader: BoxReader;
  #busy = false;
  #queued: Uint8Array[] = [];
  #stopped = false;
  #lost = false;
  #closeReason: Failure | null = null;
  #locked = false;
  #tlsHeld: Uint8Array[] | null = null;
  #tlsStarted = false;
  // While `dataReceived` runs, the boxes sent are held and written at its end
  // in one write; using `this.transport` writes them first, so whatever a
  // responder does with it (write, loseConnection, startTLS) comes after them.
  #cork: WriteCork;

  /**
   * Makes the protocol.
   * @param boxReceiver gets the boxes received
   * @param options `maxBoxSize`
   */
  constructor(boxReceiver: IBoxReceiver, options: BinaryBoxProtocolOptions = {}) {
    super();
    this.boxReceiver = boxReceiver;
    this.#reader = new BoxReader(options.maxBoxSize ?? 4 * 1024 * 1024);
    senderControls.set(this, this.#control());
    this.#cork = new WriteCork(this, () => !this.#lost);
  }

  /** The most bytes one incoming box may take on the wire. */
  get maxBoxSize(): number {
    return this.#reader.maxBoxSize;
  }
  set maxBoxSize(value: number) {
    this.#reader.maxBoxSize = value;
  }

  /** Tells the receiver boxes are coming (`startReceivingBoxes`), then `connectionMade`. */
  override makeConnection(transport: ITransport): void {
    // A subclass that redeclares `transport` as a field replaced the accessor.
    if (Object.getOwnPropertyDescriptor(this, "transport")?.get === undefined) {
      this.#cork.install(this);
    }
    this.#cork.real = transport;
    this.connected = true;
    this.boxReceiver.startReceivingBoxes(this);
    this.connectionMade();
  }

  /**
   * Writes a box.
   * @throws {TooLong} when a key or value is too long to encode
   * @throws {ProtocolSwitched} when the connection has switched protocols
   * @throws {ConnectionLost} when the connection is gone
   */
  sendBox(box: AmpBox): void {
    if (this.#locked) throw new ProtocolSwitched();
    if (this.#lost || this.#cork.real === undefined) throw new ConnectionLost();
    const bytes = box.serialize();
    if (this.#tlsHeld !== null) this.#tlsHeld.push(bytes);
    else this.#cork.write(bytes);
  }

  /** Parses boxes out of `data`, or passes it on after a protocol switch. */
  override dataReceived(data: Uint8Array): void {
    if (this.innerProtocol !== null) {
      this.innerProtocol.dataReceived(data);
      return;
    }
    if (this.#stopped) return;
    if (this.#busy) {
      this.#queued.push(data);
      return;
    }
    this.#busy = true;
    this.#cork.hold();
    try {
      this.#feed(data);
      while (this.#queued.length > 0) {
        const next = this.#queued.shift()!;
        const inner = this.innerProtocol as IProtocol | null;
        if (inner !== null) {
          this.#cork.flush();
          inner.dataReceived(next);
        } else if (!this.#stopped) this.#feed(next);
      }
    } finally {
      this.#cork.release();
      this.#busy = false;
    }
  }

  #deliver = (box: AmpBox): void => {
    this.boxReceiver.ampBoxReceived(box);
    if (this.#stopped) this.#reader.stop();
  };

  #feed(data: Uint8Array): void {
    try {
      this.#reader.feed(data, this.#deliver);
    } catch (e) {
      this.#protocolError(e);
    }
  }

  #protocolError(error: unknown): void {
    const failure = new Failure(error);
    this.#stopped = true;
    this.#closeReason ??= failure;
    if (error instanceof AmpError) {
      log.failure("Bad AMP input from the peer: closing the connection", failure, "warn");
    } else {
      log.failure("AMP box receiver failed: closing the connection", failure, "error");
    }
    if (!this.#lost) this.transport.loseConnection();
  }

  /**
   * Tells a switched-to protocol, then the receiver (its waiting calls fail
   * with `reason`, or with why this side closed).
   */
  override connectionLost(reason: Failure): void {
    this.#lost = true;
    this.connected = false;
    const inner = this.innerProtocol;
    if (inner !== null) {
      inner.connectionLost(reason);
      (this.innerProtocolClientFactory as ClientFactoryLike | null)?.clientConnectionLost?.(
        null,
        reason,
      );
    }
    this.boxReceiver.stopReceivingBoxes(this.#closeReason ?? reason);
  }

  /**
   * The end of the line for a failure nothing else handled: logs it. The
   * connection stays up (Twisted drops it, #7055).
   */
  unhandledError(failure: Failure): void {
    log.failure("AMP failure unhandled by the application", failure, "error");
  }

  #control(): SenderControl {
    return {
      transport: () => (this.#lost ? null : this.#cork.real ?? null),
      tlsInUse: () => this.#tlsStarted || this.#tlsHeld !== null,
      prepareTLS: () => {
        if (this.#tlsStarted || this.#tlsHeld !== null) throw new OnlyOneTLS();
        this.#tlsHeld = [];
      },
      startTLS: (isServer, parameters) => this.#startTLS(isServer, parameters),
      cancelTLS: () => {
        const held = this.#tlsHeld;
        this.#tlsHeld = null;
        if (held !== null && !this.#lost) { for (const bytes of held) this.#cork.write(bytes); }
      },
      lockForSwitch: () => {
        this.#locked = true;
      },
      unlockFromSwitch: () => {
        if (this.innerProtocol !== null) throw new ProtocolSwitched("Protocol already switched");
        this.#locked = false;
      },
      switchTo: (protocol, factory) => this.#switchTo(protocol, factory ?? null),
    };
  }

  #startTLS(isServer: boolean, parameters: TLSParameters): void {
    if (this.#tlsStarted) throw new OnlyOneTLS();
    this.#tlsStarted = true;
    const held = this.#tlsHeld;
    this.#tlsHeld = null;
    if (this.#lost) return;
    const authorities = parameters.authorities;
    const options: TlsOptions & { isServer: boolean } = { isServer };
    if (parameters.certificate !== undefined) {
      options.cert = parameters.certificate.cert;
      options.key = parameters.certificate.key;
    }
    const verify = authorities !== undefined && authorities.length > 0;
    if (verify) options.ca = [...authorities];
    if (isServer) options.requestCert = verify;
    else options.verify = verify;
    const transport = this.transport as ITransport & { startTLS(o: TlsOptions): void };
    transport.startTLS(options);
    if (held !== null) { for (const bytes of held) transport.write(bytes); }
  }

  #switchTo(protocol: IProtocol, factory: IProtocolFactory | null): void {
    const rest = this.#reader.takeRest();
    this.#locked = true;
    this.innerProtocol = protocol;
    this.innerProtocolClientFactory = factory;
    protocol.makeConnection(this.transport);
    if (rest.length > 0) protocol.dataReceived(rest);
  }
}

/** Options of {@link AMP}. */
export interface AMPOptions extends BinaryBoxProtocolOptions {
  /** Gets the boxes received instead of this AMP's own dispatching. @default this AMP */
  boxReceiver?: IBoxReceiver;
  /** Finds the responders of incoming commands. @default this AMP */
  locator?: IResponderLocator;
}

/** Stands in for the receiver until `this` exists. */
const noReceiver: IBoxReceiver = {
  startReceivingBoxes() {},
  ampBoxReceived() {},
  stopReceivingBoxes() {},
};

/**
 * An AMP connection (Twisted's `AMP`): a `BinaryBoxProtocol`, a
 * `BoxDispatcher` and a locator in one. Responders registered on a subclass
 * with `Command.responder(MyAMP, fn)` are found first, then methods named
 * `amp_NAME`. Use `Factory.forProtocol(MyAMP)` to serve it and
 * `callRemote(Command, args)` to call the peer.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * import { connectedServerAndClient } from "@tw/core/testing";
 *
 * class Sum extends amp.Command {
 *   static override arguments = { a: new amp.Integer(), b: new amp.Integer() };
 *   static override response = { total: new amp.Integer() };
 * }
 * class Adder extends amp.AMP {}
 * Sum.responder(Adder, ({ a, b }) => ({ total: a + b }));
 *
 * const [client, , pump] = connectedServerAndClient<amp.AMP>(() => new Adder(), () => new amp.AMP());
 * const answer = client.callRemote(Sum, { a: 13, b: 81 });
 * pump.flush();
 * console.log((await answer).total); // 94
 * ```
 */
export class AMP extends BinaryBoxProtocol implements IBoxReceiver, IResponderLocator {
  /** The method name prefix of string-located responders. @default "amp_" */
  baseDispatchPrefix = "amp_";
  readonly #dispatcher: BoxDispatcher;

  /**
   * Makes the connection's protocol.
   * @param options `boxReceiver`, `locator`, `maxBoxSize`
   */
  constructor(options: AMPOptions = {}) {
    super(options.boxReceiver ?? noReceiver, options);
    if (options.boxReceiver === undefined) this.boxReceiver = this;
    this.#dispatcher = new BoxDispatcher(options.locator ?? this);
    dispatcherOwners.set(this.#dispatcher, this);
  }

  /** Finds the responders of incoming commands (this AMP unless given). */
  get locator(): IResponderLocator {
    return this.#dispatcher.locator;
  }
  set locator(locator: IResponderLocator) {
    this.#dispatcher.locator = locator;
  }

  /**
   * The responder for `name`: one registered with `Command.responder` on
   * this class or a base, else the method `amp_NAME`, else null.
   * @param name the command's wire name
   */
  locateResponder(name: string): BoxResponder | null {
    return locateCommandResponder(this, name) ??
      locateStringResponder(this, this.baseDispatchPrefix, name);
  }

  /** See `BoxDispatcher.startReceivingBoxes`. */
  startReceivingBoxes(boxSender: IBoxSender): void {
    this.#dispatcher.startReceivingBoxes(boxSender);
  }

  /** See `BoxDispatcher.ampBoxReceived`. */
  ampBoxReceived(box: AmpBox): void {
    this.#dispatcher.ampBoxReceived(box);
  }

  /** See `BoxDispatcher.stopReceivingBoxes`. */
  stopReceivingBoxes(reason: Failure): void {
    this.#dispatcher.stopReceivingBoxes(reason);
  }

  /** See `BoxDispatcher.failAllOutgoing`. */
  failAllOutgoing(reason: Failure): void {
    this.#dispatcher.failAllOutgoing(reason);
  }

  /**
   * See `BoxDispatcher.dispatchCommand`.
   * @param box the command box
   */
  dispatchCommand(box: AmpBox): Deferred<AmpBox> {
    return this.#dispatcher.dispatchCommand(box);
  }

  /**
   * Calls `command` on the peer; see `BoxDispatcher.callRemote`.
   * @param command the command class
   * @param params the arguments (and a protocol switch's factory)
   */
  callRemote<C extends CommandClass>(
    command: C,
    ...params: CallParams<C>
  ): Deferred<CallResult<C>> {
    return this.#dispatcher.callRemote(command, ...params);
  }

  /**
   * Sends a command box as it is; see `BoxDispatcher.callRemoteString`.
   * @param command the command's wire name
   * @param box the arguments
   * @param options `requiresAnswer`
   */
  callRemoteString(
    command: string,
    box?: AmpBox | BoxInit | null,
    options?: { requiresAnswer?: true },
  ): Deferred<AmpBox>;
  /**
   * Sends a command box without asking for an answer.
   * @param command the command's wire name
   * @param box the arguments
   * @param options `requiresAnswer: false`
   */
  callRemoteString(
    command: string,
    box: AmpBox | BoxInit | null | undefined,
    options: { requiresAnswer: false },
  ): Deferred<null>;
  /**
   * Sends a command box.
   * @param command the command's wire name
   * @param box the arguments
   * @param options `requiresAnswer`
   */
  callRemoteString(
    command: string,
    box?: AmpBox | BoxInit | null,
    options?: CallRemoteStringOptions,
  ): Deferred<AmpBox | null>;
  callRemoteString(
    command: string,
    box?: AmpBox | BoxInit | null,
    options?: CallRemoteStringOptions,
  ): Deferred<AmpBox | null> {
    return this.#dispatcher.callRemoteString(command, box, options);
  }
}
