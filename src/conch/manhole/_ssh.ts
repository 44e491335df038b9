/**
 * Terminal programs over SSH (`twisted.conch.manhole_ssh`): a realm whose
 * users get a session that runs an insults `ServerProtocol` over the
 * channel (`TerminalRealm`, `TerminalUser`, `TerminalSession`,
 * `TerminalSessionTransport`), the same realm for telnet logins, and
 * `ConchFactory`.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import type { AvatarId, InterfaceName, IRealm, LoginResult, Portal } from "../../cred/mod.ts";
import type { Address } from "../../internet/address.ts";
import { ProcessDone, ProcessTerminated } from "../../internet/error.ts";
import { Failure } from "../../internet/failure.ts";
import type { IPullProducer, IPushProducer, ITransport } from "../../internet/interfaces.ts";
import { ConchUser, IConchUser } from "../ssh/_avatar.ts";
import { SSHFactory } from "../ssh/_factory.ts";
import {
  type ISession,
  SSHSession,
  type SSHSessionProcessProtocol,
  type WindowSize,
} from "../ssh/_session.ts";
import type { Key } from "../keys/_key.ts";
import { ITelnetProtocol } from "../_telnet_transport.ts";
import type { ServerProtocol } from "../insults/_server.ts";
import { TelnetBootstrapProtocol } from "./_telnet.ts";

/**
 * Joins an SSH session to a terminal protocol (Twisted's
 * `TerminalSessionTransport`): the channel's data goes to the protocol, its
 * writes go out on the channel, and its close ends the session with exit
 * status 0.
 *
 * @example
 * ```ts
 * import { TerminalSessionTransport } from "@tw/core/conch/manhole";
 * console.log(typeof TerminalSessionTransport); // "function"
 * ```
 */
export class TerminalSessionTransport implements ITransport {
  /** The session's process protocol (the channel's side). */
  readonly proto: SSHSessionProcessProtocol;
  /** The terminal protocol. */
  readonly chainedProtocol: ServerProtocol;
  #closed = false;

  /** Joins `proto` to `chainedProtocol`, whose terminal is `width` by `height`. */
  constructor(
    proto: SSHSessionProcessProtocol,
    chainedProtocol: ServerProtocol,
    width: number,
    height: number,
  ) {
    this.proto = proto;
    this.chainedProtocol = chainedProtocol;
    // The channel writes its input to the process transport: make that the terminal.
    const end = () => this.#end();
    const closed = () => this.#closed;
    proto.makeConnection({
      pid: null,
      write: (data: Uint8Array) => chainedProtocol.dataReceived(data),
      writeSequence: (data: Iterable<Uint8Array>) => {
        for (const piece of data) chainedProtocol.dataReceived(piece);
      },
      closeStdin: end,
      closeStdout: () => {},
      closeStderr: () => {},
      closeChildFD: () => {},
      writeToChild: (_fd: number, data: Uint8Array) => chainedProtocol.dataReceived(data),
      signalProcess: () => {},
      loseConnection: end,
      abortConnection: end,
      get disconnecting() {
        return closed();
      },
      getPeer: () => proto.session.getPeer(),
      getHost: () => proto.session.getHost(),
      registerProducer: () => {},
      unregisterProducer: () => {},
      // The channel's window is full: the terminal has no process to pause.
      pauseProducing: () => {},
      resumeProducing: () => {},
      stopProducing: end,
    });
    chainedProtocol.makeConnection(this);
    chainedProtocol.terminalSize(width, height);
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.proto.processEnded(new Failure(new ProcessDone()));
    this.chainedProtocol.connectionLost(new Failure(new Error("Session closed")));
  }

  /** The channel closed under us. */
  channelClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.chainedProtocol.connectionLost(new Failure(new Error("Channel closed")));
  }

  /** Writes to the channel. */
  write(data: Uint8Array): void {
    if (!this.#closed) this.proto.outReceived(data);
  }
  /** Writes each piece. */
  writeSequence(data: Iterable<Uint8Array>): void {
    for (const piece of data) this.write(piece);
  }
  /** Ends the session (exit status 0). */
  loseConnection(): void {
    this.#end();
  }
  /** Ends the session. */
  abortConnection(): void {
    this.#end();
  }
  /** True once ended. */
  get disconnecting(): boolean {
    return this.#closed;
  }
  /** The client's address. */
  getPeer(): Address {
    return this.proto.session.getPeer();
  }
  /** The server's address. */
  getHost(): Address {
    return this.proto.session.getHost();
  }
  /** Passes to the channel. */
  registerProducer(producer: IPushProducer | IPullProducer, streaming: boolean): void {
    this.proto.session.registerProducer(producer, streaming);
  }
  /** Passes to the channel. */
  unregisterProducer(): void {
    this.proto.session.unregisterProducer();
  }
  /** Passes to the channel. */
  pauseProducing(): void {
    this.proto.session.pauseProducing();
  }
  /** Passes to the channel. */
  resumeProducing(): void {
    this.proto.session.resumeProducing();
  }
  /** Passes to the channel. */
  stopProducing(): void {
    this.proto.session.stopProducing();
  }
}

/**
 * The `ISession` of a terminal user (Twisted's `TerminalSession`): a pty
 * request sets the size, `shell` starts the terminal protocol, `exec` is
 * refused, window changes reach `terminalSize`.
 *
 * @example
 * ```ts
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { Manhole, TerminalSession } from "@tw/core/conch/manhole";
 * const session = new TerminalSession(() => new ServerProtocol(() => new Manhole()));
 * session.getPty("xterm", [40, 100, 0, 0]);
 * console.log(session.width, session.height); // 100 40
 * ```
 */
export class TerminalSession implements ISession {
  /** Makes the terminal protocol for the shell. */
  readonly chainedProtocolFactory: () => ServerProtocol;
  /** Columns, from the pty request. */
  width = 80;
  /** Lines. */
  height = 24;
  /** The running terminal, once the shell started. */
  transport: TerminalSessionTransport | null = null;

  /** A session running what `chainedProtocolFactory` makes. */
  constructor(chainedProtocolFactory: () => ServerProtocol) {
    this.chainedProtocolFactory = chainedProtocolFactory;
  }
  /** Keeps the size. */
  getPty(_term: string, windowSize: WindowSize, _modes?: Uint8Array): void {
    [this.height, this.width] = windowSize;
  }
  /** Starts the terminal protocol over the channel. */
  openShell(processProtocol: SSHSessionProcessProtocol): void {
    this.transport = new TerminalSessionTransport(
      processProtocol,
      this.chainedProtocolFactory(),
      this.width,
      this.height,
    );
  }
  /** Refused: a terminal session runs no commands (a message, exit status 1). */
  execCommand(processProtocol: SSHSessionProcessProtocol, _command: string): void {
    processProtocol.errReceived(new TextEncoder().encode("Cannot execute commands\n"));
    processProtocol.processEnded(new Failure(new ProcessTerminated(1)));
  }
  /** Tells the terminal its new size. */
  windowChanged(windowSize: WindowSize): void {
    [this.height, this.width] = windowSize;
    this.transport?.chainedProtocol.terminalSize(this.width, this.height);
  }
  /** The client sent EOF: the session ends. */
  eofReceived(): void {
    this.transport?.loseConnection();
  }
  /** The channel closed. */
  closed(): void {
    this.transport?.channelClosed();
  }
}

/**
 * The avatar of a terminal login over SSH (Twisted's `TerminalUser`): it may
 * open sessions, which are `TerminalSession`s.
 *
 * @example
 * ```ts
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { Manhole, TerminalUser } from "@tw/core/conch/manhole";
 * const user = new TerminalUser("alice", () => new ServerProtocol(() => new Manhole()));
 * console.log(Object.keys(user.channelLookup)); // ["session"]
 * ```
 */
export class TerminalUser extends ConchUser {
  /** Who logged in. */
  readonly avatarId: AvatarId;
  /** Makes the terminal protocol of each session. */
  readonly chainedProtocolFactory: () => ServerProtocol;

  /** The avatar of `avatarId`. */
  constructor(avatarId: AvatarId, chainedProtocolFactory: () => ServerProtocol) {
    super();
    this.avatarId = avatarId;
    this.chainedProtocolFactory = chainedProtocolFactory;
    this.channelLookup["session"] = SSHSession;
  }

  /** Each session channel gets a `TerminalSession`. */
  sessionFor(_channel: SSHSession): ISession {
    return new TerminalSession(this.chainedProtocolFactory);
  }
}

/**
 * A realm of terminal logins (Twisted's `TerminalRealm`): for SSH
 * (`IConchUser`) a `TerminalUser`, for telnet (`ITelnetProtocol`) a
 * `TelnetBootstrapProtocol`; both run what `chainedProtocolFactory` makes
 * (an insults `ServerProtocol` around a `Manhole`, say).
 *
 * @example
 * ```ts
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { ColoredManhole, TerminalRealm } from "@tw/core/conch/manhole";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 *
 * const realm = new TerminalRealm(() => new ServerProtocol(() => new ColoredManhole({})));
 * const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ admin: "s3cret" })]);
 * console.log(portal instanceof Portal); // true
 * ```
 */
export class TerminalRealm implements IRealm {
  /** Makes each session's terminal protocol. */
  chainedProtocolFactory: () => ServerProtocol;

  /** A realm running what `chainedProtocolFactory` makes. */
  constructor(chainedProtocolFactory: () => ServerProtocol) {
    this.chainedProtocolFactory = chainedProtocolFactory;
  }

  /** A `TerminalUser` for SSH, a `TelnetBootstrapProtocol` for telnet. */
  requestAvatar(avatarId: AvatarId, _mind: unknown, ...interfaces: InterfaceName[]): LoginResult {
    for (const iface of interfaces) {
      if (iface === IConchUser) {
        return [iface, new TerminalUser(avatarId, this.chainedProtocolFactory), () => {}];
      }
      if (iface === ITelnetProtocol) {
        return [iface, new TelnetBootstrapProtocol(this.chainedProtocolFactory), () => {}];
      }
    }
    throw new Error(`TerminalRealm has no avatar for ${interfaces.map((i) => i.name).join(", ")}`);
  }
}

/**
 * An SSH server for terminal logins (Twisted's `manhole_ssh.ConchFactory`):
 * an `SSHFactory` over `portal` with the given host keys.
 *
 * @example
 * ```ts
 * import { Key } from "@tw/core/conch";
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { ConchFactory, Manhole, TerminalRealm } from "@tw/core/conch/manhole";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 *
 * const realm = new TerminalRealm(() => new ServerProtocol(() => new Manhole({})));
 * const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ admin: "s3cret" })]);
 * const factory = new ConchFactory(portal, [await Key.generate("ed25519")]);
 * // listen on loopback only: serverFromString(reactor, "tcp:2222:interface=127.0.0.1")
 * console.log(Object.keys(factory.privateKeys)); // ["ssh-ed25519"]
 * ```
 */
export class ConchFactory extends SSHFactory {
  /** A server over `portal` with `hostKeys` (private keys). */
  constructor(portal: Portal, hostKeys: Key[] = []) {
    super();
    this.portal = portal;
    for (const key of hostKeys) this.privateKeys[key.sshType()] = key;
  }
}
