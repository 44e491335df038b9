/**
 * Telnet's application side (`twisted.conch.telnet`): `TelnetTransport`
 * hands a `TelnetProtocol` its data and options; `StatefulTelnetProtocol`
 * reads lines by state; `AuthenticatingTelnetProtocol` logs in through a
 * cred portal.
 * Private: re-exported by `telnet.ts`.
 * @module
 */
import type { Deferred } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import type { Address } from "../internet/address.ts";
import type { ITransport } from "../internet/interfaces.ts";
import { Protocol } from "../internet/protocol.ts";
import { LineReceiver } from "../protocols/basic.ts";
import {
  type InterfaceName,
  interfaceName,
  type LoginResult,
  type Portal,
  UsernamePassword,
} from "../cred/mod.ts";
import { ECHO, Telnet } from "./_telnet_protocol.ts";

const te = new TextEncoder();
const td = new TextDecoder();

/**
 * What a `TelnetTransport` talks to (Twisted's `ITelnetProtocol`): a
 * protocol that also decides options and hears unknown commands.
 */
export interface ITelnetProtocol {
  /** Connects it to the telnet transport. */
  makeConnection(transport: ITransport): void;
  /** Application data. */
  dataReceived(data: Uint8Array): void;
  /** The connection ended. */
  connectionLost(reason: Failure): void;
  /** Whether to perform `option` when asked. */
  enableLocal(option: number): boolean;
  /** Whether to let the peer perform `option`. */
  enableRemote(option: number): boolean;
  /** We stopped performing `option`. */
  disableLocal(option: number): void;
  /** The peer stopped performing `option`. */
  disableRemote(option: number): void;
  /** A command nothing handled. */
  unhandledCommand(command: number, argument: number | null): void;
  /** A subnegotiation nothing handled. */
  unhandledSubnegotiation(option: number, data: Uint8Array): void;
}

/** The avatar interface telnet logins ask for. */
export const ITelnetProtocol: InterfaceName<ITelnetProtocol> = interfaceName<ITelnetProtocol>(
  "ITelnetProtocol",
);

/**
 * A protocol behind a `TelnetTransport` (Twisted's `TelnetProtocol`):
 * options are refused, unknown commands ignored. Its `transport` is the
 * `TelnetTransport` (write, `will`, `do` ...).
 *
 * @example
 * ```ts
 * import { TelnetProtocol, TelnetTransport } from "@tw/core/conch/telnet";
 * class Shout extends TelnetProtocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport.write(new TextEncoder().encode(new TextDecoder().decode(data).toUpperCase()));
 *   }
 * }
 * const transport = new TelnetTransport(() => new Shout());
 * console.log(transport instanceof TelnetTransport); // true
 * ```
 */
export class TelnetProtocol extends Protocol implements ITelnetProtocol {
  /** The telnet transport. */
  declare transport: TelnetTransport;
  /** Refuses. */
  enableLocal(_option: number): boolean {
    return false;
  }
  /** Refuses. */
  enableRemote(_option: number): boolean {
    return false;
  }
  /** Does nothing. */
  disableLocal(_option: number): void {}
  /** Does nothing. */
  disableRemote(_option: number): void {}
  /** Ignores it. */
  unhandledCommand(_command: number, _argument: number | null): void {}
  /** Ignores it. */
  unhandledSubnegotiation(_option: number, _data: Uint8Array): void {}
}

/**
 * Telnet as a transport for a protocol (Twisted's `TelnetTransport`): the
 * protocol made by `protocolFactory` gets the application data and
 * decides the options; `write` doubles IAC and sends LF as CR LF.
 *
 * @example
 * ```ts
 * import { Factory } from "@tw/core/protocol";
 * import { TelnetProtocol, TelnetTransport } from "@tw/core/conch/telnet";
 * class Echo extends TelnetProtocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport.write(data);
 *   }
 * }
 * const factory = new Factory();
 * factory.buildProtocol = () => new TelnetTransport(() => new Echo());
 * // listen with serverFromString(reactor, "tcp:2323:interface=127.0.0.1").listen(factory)
 * ```
 */
export class TelnetTransport extends Telnet implements ITransport {
  /** Makes the protocol on connection. */
  protocolFactory: (() => ITelnetProtocol) | null;
  /** The protocol (null before the connection and after it ends). */
  protocol: ITelnetProtocol | null = null;

  /** Telnet for the protocol `protocolFactory` makes. */
  constructor(protocolFactory: (() => ITelnetProtocol) | null = null) {
    super();
    this.protocolFactory = protocolFactory;
  }

  /** Makes the protocol and connects it. */
  override connectionMade(): void {
    if (this.protocolFactory === null) return;
    this.protocol = this.protocolFactory();
    if (this.factory !== null) (this.protocol as { factory?: unknown }).factory = this.factory;
    this.protocol.makeConnection(this);
  }

  /** Tells the protocol. */
  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    const protocol = this.protocol;
    this.protocol = null;
    protocol?.connectionLost(reason);
  }

  /** Asks the protocol. */
  override enableLocal(option: number): boolean {
    return this.protocol?.enableLocal(option) === true;
  }
  /** Asks the protocol. */
  override enableRemote(option: number): boolean {
    return this.protocol?.enableRemote(option) === true;
  }
  /** Tells the protocol. */
  override disableLocal(option: number): void {
    this.protocol?.disableLocal(option);
  }
  /** Tells the protocol. */
  override disableRemote(option: number): void {
    this.protocol?.disableRemote(option);
  }
  /** Tells the protocol. */
  override unhandledSubnegotiation(option: number, data: Uint8Array): void {
    this.protocol?.unhandledSubnegotiation(option, data);
  }
  /** Tells the protocol. */
  override unhandledCommand(command: number, argument: number | null): void {
    this.protocol?.unhandledCommand(command, argument);
  }
  /** Gives it to the protocol. */
  override applicationDataReceived(data: Uint8Array): void {
    this.protocol?.dataReceived(data);
  }

  // -- ITransport, for the protocol ---------------------------------------

  /** Writes application data: IAC doubled, LF sent as CR LF. */
  write(data: Uint8Array): void {
    const out: number[] = [];
    for (const b of data) {
      if (b === 255) out.push(255, 255);
      else if (b === 10) out.push(13, 10);
      else out.push(b);
    }
    this.writeRaw(new Uint8Array(out));
  }
  /** Writes each piece. */
  writeSequence(data: Iterable<Uint8Array>): void {
    for (const piece of data) this.write(piece);
  }
  /** Closes the connection. */
  loseConnection(): void {
    this.transport.loseConnection();
  }
  /** Closes the connection now. */
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
  /** Passes the producer to the real transport. */
  registerProducer(
    producer: Parameters<ITransport["registerProducer"]>[0],
    streaming: boolean,
  ): void {
    this.transport.registerProducer(producer, streaming);
  }
  /** Passes to the real transport. */
  unregisterProducer(): void {
    this.transport.unregisterProducer();
  }
  /** Passes to the real transport. */
  pauseProducing(): void {
    this.transport.pauseProducing();
  }
  /** Passes to the real transport. */
  resumeProducing(): void {
    this.transport.resumeProducing();
  }
  /** Passes to the real transport. */
  stopProducing(): void {
    this.transport.stopProducing();
  }
}

/**
 * A line protocol behind telnet whose lines go to `telnet_<state>(line)`
 * (Twisted's `StatefulTelnetProtocol`); a method returning a state name
 * switches to it. Lines end at LF (telnet turns CR LF into LF).
 *
 * @example
 * ```ts
 * import { StatefulTelnetProtocol } from "@tw/core/conch/telnet";
 * class Menu extends StatefulTelnetProtocol {
 *   override state = "Choice";
 *   telnet_Choice(line: string): string | void {
 *     if (line === "quit") return "Discard";
 *   }
 * }
 * console.log(new Menu().state); // "Choice"
 * ```
 */
export class StatefulTelnetProtocol extends LineReceiver implements ITelnetProtocol {
  /** The telnet transport. */
  declare transport: TelnetTransport;
  /** The current state: lines go to `telnet_<state>`. */
  state = "Discard";

  /** Makes the protocol: lines end at LF. */
  constructor() {
    super();
    this.delimiter = new Uint8Array([10]);
  }

  /** Calls `telnet_<state>` with the line (as text, without a trailing CR). */
  override lineReceived(line: Uint8Array): void {
    const text = td.decode(line).replace(/\r$/, "");
    const before = this.state;
    const handler = (this as unknown as Record<string, unknown>)[`telnet_${before}`];
    if (typeof handler !== "function") return;
    const next = (handler as (line: string) => unknown).call(this, text);
    if (typeof next === "string" && this.state === before) this.state = next;
  }

  /** Discards the line. */
  telnet_Discard(_line: string): void {}

  /** Refuses. */
  enableLocal(_option: number): boolean {
    return false;
  }
  /** Refuses. */
  enableRemote(_option: number): boolean {
    return false;
  }
  /** Does nothing. */
  disableLocal(_option: number): void {}
  /** Does nothing. */
  disableRemote(_option: number): void {}
  /** Ignores it. */
  unhandledCommand(_command: number, _argument: number | null): void {}
  /** Ignores it. */
  unhandledSubnegotiation(_option: number, _data: Uint8Array): void {}
}

/**
 * Asks for a username and a password (not echoed: it offers WILL ECHO
 * meanwhile), logs in through `portal` for an `ITelnetProtocol` avatar,
 * and hands the connection to it (Twisted's `AuthenticatingTelnetProtocol`).
 * A failed login says so and asks again; the avatar's logout runs when
 * the connection ends.
 *
 * @example
 * ```ts
 * import { AuthenticatingTelnetProtocol, TelnetTransport } from "@tw/core/conch/telnet";
 * import type { Portal } from "@tw/core/cred";
 * function telnetLogin(portal: Portal): TelnetTransport {
 *   return new TelnetTransport(() => new AuthenticatingTelnetProtocol(portal));
 * }
 * console.log(typeof telnetLogin); // "function"
 * ```
 */
export class AuthenticatingTelnetProtocol extends StatefulTelnetProtocol {
  /** Where users log in. */
  readonly portal: Portal;
  /** The avatar's protocol once logged in. */
  protocol: ITelnetProtocol | null = null;
  #username = "";

  /** Logs in through `portal`. */
  constructor(portal: Portal) {
    super();
    this.portal = portal;
    this.state = "User";
  }

  /** Asks for the username. */
  override connectionMade(): void {
    this.transport.write(te.encode("Username: "));
  }

  /** Takes the username; asks for the password, not echoed. */
  telnet_User(line: string): string {
    this.#username = line;
    this.transport.will(ECHO).addErrback(() => null);
    this.transport.write(te.encode("Password: "));
    return "Password";
  }

  /** Takes the password and logs in. */
  telnet_Password(line: string): string {
    const credentials = new UsernamePassword(this.#username, line);
    this.#username = "";
    const login = (): Deferred<void> =>
      this.portal.login(credentials, null, ITelnetProtocol).addCallbacks(
        (result) => this.#loggedIn(result as LoginResult<ITelnetProtocol>),
        () => {
          this.transport.write(te.encode("\nAuthentication failed\nUsername: "));
          this.state = "User";
        },
      );
    this.transport.wont(ECHO).addBoth(login);
    return "Discard";
  }

  #loggedIn([, protocol, logout]: LoginResult<ITelnetProtocol>): void {
    this.protocol = protocol;
    this.state = "Command";
    // The avatar becomes the transport's protocol, so its end is the session's:
    // log out then (Twisted never does, as this protocol no longer hears of it).
    const ended = protocol.connectionLost.bind(protocol);
    protocol.connectionLost = (reason: Failure): void => {
      try {
        ended(reason);
      } finally {
        logout();
      }
    };
    protocol.makeConnection(this.transport);
    this.transport.protocol = protocol;
  }
}
