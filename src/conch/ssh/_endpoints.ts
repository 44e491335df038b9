/**
 * SSHCommandClientEndpoint (`twisted.conch.endpoints`): runs a command (or a
 * subsystem) on an SSH server and connects a protocol to it, as any endpoint
 * connects a protocol to a socket. The channel is the protocol's transport.
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import { HostnameEndpoint } from "../../internet/endpoints.ts";
import { ConnectionDone, ProcessTerminated } from "../../internet/error.ts";
import { Failure } from "../../internet/failure.ts";
import type {
  IProtocol,
  IProtocolFactory,
  IReactorResolve,
  IReactorTCP,
  IReactorTime,
} from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Factory } from "../../internet/protocol.ts";
import { SSHChannel } from "./_channel.ts";
import { ConchError } from "./_avatar.ts";
import { SSHConnection } from "./_connection.ts";
import { SSHClientTransport } from "./_transport_client.ts";
import { AuthenticationFailed, SSHUserAuthClient } from "./_userauth_client.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";
import { Key } from "../keys/_key.ts";
import { SSHAgentClient } from "./_agent.ts";
import type { IStreamClientEndpoint } from "../../internet/endpoints.ts";
import { KnownHostsFile, type KnownHostsUI } from "../keys/_known_hosts.ts";
import { UserRejectedKey } from "../keys/_errors.ts";

/** Options of `SSHCommandClientEndpoint.newConnection`. */
export interface SSHCommandEndpointOptions {
  /** The server's port. @default 22 */
  port?: number;
  /** Keys to offer for publickey authentication, in order. */
  keys?: Key[];
  /** A password for password and keyboard-interactive authentication. */
  password?: string;
  /** Known host keys; default: `~/.ssh/known_hosts` read when connecting. */
  knownHosts?: KnownHostsFile;
  /** Asks about unknown host keys; without one, an unknown key is refused. */
  ui?: KnownHostsUI;
  /** An SSH agent to list keys from and sign with (a Unix endpoint on `SSH_AUTH_SOCK`). */
  agentEndpoint?: IStreamClientEndpoint;
  /** Open `command` as a subsystem (like `ssh -s`), not an exec. @default false */
  subsystem?: boolean;
}

type Reactor = IReactorTCP & IReactorTime & IReactorResolve;

/** The protocol in a command's channel may take stderr and half-close. */
interface CommandProtocol extends IProtocol {
  extReceived?(dataType: number, data: Uint8Array): void;
  readConnectionLost?(): void;
}

/** The channel that runs the command and carries the protocol. */
class CommandChannel extends SSHChannel {
  override name = "session";
  readonly #command: string;
  readonly #subsystem: boolean;
  readonly #factory: IProtocolFactory;
  readonly #ready: Deferred<IProtocol>;
  readonly #ownsConnection: boolean;
  #protocol: CommandProtocol | null = null;
  #early: [number | null, Uint8Array][] = [];
  #exitCode: number | null = null;
  #signal: string | null = null;

  constructor(
    command: string,
    subsystem: boolean,
    factory: IProtocolFactory,
    ready: Deferred<IProtocol>,
    ownsConnection: boolean,
  ) {
    super();
    this.#command = command;
    this.#subsystem = subsystem;
    this.#factory = factory;
    this.#ready = ready;
    this.#ownsConnection = ownsConnection;
  }

  override channelOpen(_data: Uint8Array): void {
    const kind = this.#subsystem ? "subsystem" : "exec";
    this.conn!.sendRequest(this, kind, new SSHWriter().string(this.#command).bytes(), {
      wantReply: true,
    }).then(() => {
      const protocol = this.#factory.buildProtocol(this.getPeer()) as CommandProtocol | null;
      if (protocol === null) {
        this.loseConnection();
        this.#fail(new ConchError("The factory built no protocol"));
        return;
      }
      this.#protocol = protocol;
      protocol.makeConnection(this);
      // Output that came before the server's answer to exec goes first.
      const early = this.#early;
      this.#early = [];
      for (const [type, data] of early) {
        if (type === null) protocol.dataReceived(data);
        else protocol.extReceived?.(type, data);
      }
      if (!this.#ready.called) this.#ready.callback(protocol);
    }, () => {
      this.#fail(new ConchError(`The server refused to run ${this.#command}`));
      this.loseConnection();
    });
  }

  #fail(error: Error): void {
    if (!this.#ready.called) this.#ready.errback(error);
  }

  override openFailed(reason: Error): void {
    this.#fail(reason);
    if (this.#ownsConnection) this.conn?.transport.loseConnection();
  }

  override dataReceived(data: Uint8Array): void {
    if (this.#protocol === null) this.#early.push([null, data]);
    else this.#protocol.dataReceived(data);
  }

  override extReceived(dataType: number, data: Uint8Array): void {
    if (this.#protocol === null) this.#early.push([dataType, data]);
    else this.#protocol.extReceived?.(dataType, data);
  }

  override eofReceived(): void {
    this.#protocol?.readConnectionLost?.();
  }

  request_exit_status(data: Uint8Array): boolean {
    this.#exitCode = new SSHReader(data).uint32();
    return true;
  }

  request_exit_signal(data: Uint8Array): boolean {
    this.#signal = "SIG" + new SSHReader(data).text();
    return true;
  }

  override closed(): void {
    const protocol = this.#protocol;
    this.#protocol = null;
    this.#fail(new ConchError("The channel closed before the command started"));
    if (protocol !== null) {
      const clean = this.#signal === null && (this.#exitCode ?? 0) === 0;
      const reason = clean
        ? new ConnectionDone()
        : new ProcessTerminated(this.#exitCode, this.#signal);
      protocol.connectionLost(new Failure(reason));
    }
    if (this.#ownsConnection) this.conn?.transport.loseConnection();
  }
}

/** Logs in with the endpoint's keys and password. */
class EndpointAuth extends SSHUserAuthClient {
  readonly #keys: Key[];
  readonly #password: string | undefined;
  readonly #agent: Promise<SSHAgentClient | null>;
  #agentKeys: Key[] | null = null;
  #keyIndex = 0;
  #current: Key | null = null;
  #passwordUsed = false;
  failed = false;

  constructor(
    user: string,
    instance: SSHConnection,
    keys: Key[],
    password: string | undefined,
    agent: Promise<SSHAgentClient | null>,
  ) {
    super(user, instance);
    this.#keys = keys;
    this.#password = password;
    this.#agent = agent;
  }

  /** Our keys first, then the agent's. */
  override async getPublicKey(): Promise<Key | null> {
    if (this.#keyIndex < this.#keys.length) {
      this.#current = this.#keys[this.#keyIndex++];
      return this.#current.public();
    }
    if (this.#agentKeys === null) {
      this.#agentKeys = [];
      const agent = await this.#agent;
      const identities = agent ? await agent.requestIdentities().catch(() => []) : [];
      for (const [blob] of identities) {
        try {
          this.#agentKeys.push(Key.fromString(blob, { type: "blob" }));
        } catch {
          // A key type we do not know: skip it, as ssh does.
        }
      }
    }
    this.#current = this.#agentKeys.shift() ?? null;
    return this.#current;
  }

  override getPrivateKey(): Promise<Key> {
    return Promise.resolve(this.#current!);
  }

  /** Agent keys are public halves: the agent signs for them. */
  override async signData(key: Key, data: Uint8Array, algorithm: string): Promise<Uint8Array> {
    if (!key.isPublic()) return await super.signData(key, data, algorithm);
    const agent = await this.#agent;
    if (agent === null) throw new Error("No agent to sign with");
    return await agent.signData(key.blob(), data, { algorithm });
  }

  override getPassword(): Promise<string | null> {
    if (this.#password === undefined || this.#passwordUsed) return Promise.resolve(null);
    if (this.lastAuth !== "password") this.#passwordUsed = true;
    return Promise.resolve(this.#password);
  }

  override noMoreMethods(): void {
    this.failed = true;
    super.noMoreMethods();
  }
}

/**
 * Runs a command over SSH and connects a protocol to it.
 *
 * @example
 * ```ts
 * import { SSHCommandClientEndpoint } from "@tw/core/conch";
 * import { getReactor } from "@tw/core";
 *
 * const endpoint = SSHCommandClientEndpoint.newConnection(
 *   getReactor(),
 *   "uname -a",
 *   "alice",
 *   "example.com",
 *   { password: "secret" },
 * );
 * console.log(typeof endpoint.connect); // "function"
 * ```
 */
export class SSHCommandClientEndpoint {
  readonly #open: (factory: IProtocolFactory, ready: Deferred<IProtocol>) => void;

  private constructor(open: (factory: IProtocolFactory, ready: Deferred<IProtocol>) => void) {
    this.#open = open;
  }

  /** An endpoint that makes a new SSH connection for each `connect`. */
  static newConnection(
    reactor: Reactor,
    command: string,
    username: string,
    hostname: string,
    options: SSHCommandEndpointOptions = {},
  ): SSHCommandClientEndpoint {
    return new SSHCommandClientEndpoint((factory, ready) => {
      const port = options.port ?? 22;
      const transport = new CommandTransport(command, username, hostname, port, options, {
        factory,
        ready,
      });
      const endpoint = new HostnameEndpoint(reactor, hostname, port);
      const single = new Factory();
      single.noisy = false;
      single.buildProtocol = () => transport;
      endpoint.connect(single).addErrback((failure: Failure) => {
        if (!ready.called) ready.errback(failure);
      });
    });
  }

  /** An endpoint that opens a channel on an existing connection for each `connect`. */
  static existingConnection(connection: SSHConnection, command: string): SSHCommandClientEndpoint {
    return new SSHCommandClientEndpoint((factory, ready) => {
      connection.openChannel(new CommandChannel(command, false, factory, ready, false));
    });
  }

  /** Connects `factory`'s protocol to the command; fires once the command runs. */
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    const ready = new Deferred<IProtocol>();
    this.#open(factory, ready);
    return ready;
  }
}

/** The client transport of a new connection: checks the host, logs in, opens the channel. */
class CommandTransport extends SSHClientTransport {
  readonly #command: string;
  readonly #username: string;
  readonly #hostname: string;
  readonly #port: number;
  readonly #options: SSHCommandEndpointOptions;
  readonly #target: { factory: IProtocolFactory; ready: Deferred<IProtocol> };
  #auth: EndpointAuth | null = null;
  #agent: Promise<SSHAgentClient | null> | null = null;

  constructor(
    command: string,
    username: string,
    hostname: string,
    port: number,
    options: SSHCommandEndpointOptions,
    target: { factory: IProtocolFactory; ready: Deferred<IProtocol> },
  ) {
    super();
    this.#command = command;
    this.#username = username;
    this.#hostname = hostname;
    this.#port = port;
    this.#options = options;
    this.#target = target;
  }

  override async verifyHostKey(hostKey: Key, _fingerprint: string): Promise<void> {
    let knownHosts = this.#options.knownHosts;
    if (knownHosts === undefined) {
      const home = getReactor().runtime.env("HOME") ?? ".";
      knownHosts = await KnownHostsFile.fromPath(`${home}/.ssh/known_hosts`);
    }
    const ui: KnownHostsUI = this.#options.ui ?? {
      prompt: () => Promise.resolve(false),
      warn: () => {},
    };
    const peer = this.transport.getPeer() as { host?: string };
    const name = this.#port === 22 ? this.#hostname : `[${this.#hostname}]:${this.#port}`;
    const ip = this.#port === 22 ? peer.host ?? "" : `[${peer.host ?? ""}]:${this.#port}`;
    if (!(await knownHosts.verifyHostKey(ui, name, ip, hostKey))) {
      throw new UserRejectedKey(`Host key for ${this.#hostname} was not accepted`);
    }
  }

  override hostKeyRejected(reason: unknown): void {
    if (!this.#target.ready.called) this.#target.ready.errback(reason);
  }

  override connectionSecure(): void {
    const { factory, ready } = this.#target;
    const command = this.#command;
    const subsystem = this.#options.subsystem ?? false;
    const conn = new (class extends SSHConnection {
      override serviceStarted(): void {
        super.serviceStarted();
        this.openChannel(new CommandChannel(command, subsystem, factory, ready, true));
      }
    })();
    const agentEndpoint = this.#options.agentEndpoint;
    const agent: Promise<SSHAgentClient | null> = agentEndpoint === undefined
      ? Promise.resolve(null)
      : new Promise((resolve) => {
        const factory = new Factory();
        factory.noisy = false;
        factory.buildProtocol = () => new SSHAgentClient();
        agentEndpoint.connect(factory).addCallbacks(
          (protocol) => resolve(protocol as SSHAgentClient),
          () => resolve(null),
        );
      });
    this.#agent = agent;
    this.#auth = new EndpointAuth(
      this.#username,
      conn,
      this.#options.keys ?? [],
      this.#options.password,
      agent,
    );
    this.requestService(this.#auth);
  }

  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    void this.#agent?.then((agent) => agent?.transport.loseConnection());
    const ready = this.#target.ready;
    if (ready.called) return;
    if (this.#auth?.failed) {
      ready.errback(new AuthenticationFailed(`The server refused ${this.#username}'s login`));
    } else ready.errback(reason);
  }
}
