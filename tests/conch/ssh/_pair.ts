// Test helpers: host keys made once per file, an SSH server factory over a cred
// portal, and in-memory server/client pairs joined by loopbackAsync.
import {
  ConchUser,
  type ISession,
  Key,
  SSHChannel,
  SSHClientTransport,
  SSHConnection,
  SSHFactory,
  type SSHServerTransport,
  SSHSession,
  type SSHSessionProcessProtocol,
  SSHUserAuthClient,
} from "../../../src/conch/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../../src/cred/mod.ts";
import type { ICredentialsChecker } from "../../../src/cred/mod.ts";
import { IPv4Address } from "../../../src/internet/address.ts";
import type { IReactorTime } from "../../../src/internet/interfaces.ts";
import { loopbackAsync, type PumpPolicy } from "../../../src/protocols/loopback.ts";

let hostKeys: Promise<Key[]> | null = null;

/** One host key of each kind (RSA 2048 to keep generation quick). */
export function getHostKeys(): Promise<Key[]> {
  hostKeys ??= Promise.all([
    Key.generate("ed25519"),
    Key.generate("ecdsa", { bits: 256 }),
    Key.generate("ecdsa", { bits: 384 }),
    Key.generate("ecdsa", { bits: 521 }),
    Key.generate("rsa", { bits: 2048 }),
  ]);
  return hostKeys;
}

/** A session whose "commands" echo their argument, or echo stdin for "cat". */
export class EchoSession implements ISession {
  env: Record<string, string> = {};
  openShell(protocol: SSHSessionProcessProtocol): void {
    this.execCommand(protocol, "cat");
  }
  execCommand(protocol: SSHSessionProcessProtocol, command: string): void {
    const channel = protocol.session;
    if (command === "cat") {
      const original = channel.dataReceived.bind(channel);
      channel.dataReceived = (data: Uint8Array) => {
        void original;
        channel.write(data);
      };
      channel.eofReceived = () => {
        channel.conn!.sendRequest(channel, "exit-status", new Uint8Array([0, 0, 0, 0]))
          .catch(() => {});
        channel.loseConnection();
      };
      return;
    }
    channel.write(new TextEncoder().encode(command));
    channel.writeExtended(1, new TextEncoder().encode("to stderr"));
    channel.whenDrained().then(() => {
      channel.conn!.sendRequest(channel, "exit-status", new Uint8Array([0, 0, 0, 7]))
        .catch(() => {});
      channel.loseConnection();
    });
  }
  setEnv(name: string, value: string): void {
    this.env[name] = value;
  }
}

/** The avatar of the test server. */
export class TestUser extends ConchUser {
  constructor() {
    super();
    this.channelLookup["session"] = SSHSession;
  }
  sessionFor(): ISession {
    return new EchoSession();
  }
}

/** A server factory with every host key and the given checkers (default: alice/secret). */
export async function makeFactory(
  options: { checkers?: ICredentialsChecker[]; clock?: IReactorTime } = {},
): Promise<SSHFactory> {
  const factory = new SSHFactory();
  factory.noisy = false;
  for (const key of await getHostKeys()) factory.privateKeys[key.sshType()] = key;
  const checkers = options.checkers ??
    [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })];
  const realm = {
    requestAvatar: (
      _id: unknown,
      _mind: unknown,
      iface: unknown,
    ) => [iface, new TestUser(), () => {}],
  };
  factory.portal = new Portal(realm as never, checkers);
  factory.reactor = options.clock ?? null;
  return factory;
}

/** A server transport from `factory`. */
export function serverOf(factory: SSHFactory): SSHServerTransport {
  return factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 22)) as SSHServerTransport;
}

/** A client that trusts any host key and records what happens. */
export class TestClient extends SSHClientTransport {
  secured = 0;
  errors: [number, string][] = [];
  hostKeysSeen: Key[] = [];
  onSecure: (client: TestClient) => void = (client) => client.sendDisconnect(11, "done");

  override verifyHostKey(hostKey: Key): Promise<void> {
    this.hostKeysSeen.push(hostKey);
    return Promise.resolve();
  }
  override connectionSecure(): void {
    this.secured++;
    this.onSecure(this);
  }
  override receiveError(code: number, description: string): void {
    this.errors.push([code, description]);
  }
}

/** Runs server and client in memory until both have closed. */
export async function run(
  server: SSHServerTransport,
  client: SSHClientTransport,
  pumpPolicy?: PumpPolicy,
): Promise<void> {
  // Deno may not count a pending WebCrypto call as keeping the event loop alive
  // (nothing else is pending in memory): hold it open while the pair talks.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    await loopbackAsync(server, client, pumpPolicy ? { pumpPolicy } : {});
    await Promise.all([server.whenClosed(), client.whenClosed()]);
  } finally {
    clearInterval(keepAlive);
  }
}

/** A password login client that starts `connection` once in. */
export class PasswordAuth extends SSHUserAuthClient {
  passwords: string[];
  constructor(user: string, connection: SSHConnection, passwords: string[]) {
    super(user, connection);
    this.passwords = [...passwords];
  }
  override getPassword(): Promise<string | null> {
    return Promise.resolve(this.passwords.shift() ?? null);
  }
}

/** A client channel that runs `command` and collects what comes back. */
export class CollectingChannel extends SSHChannel {
  override name = "session";
  out: Uint8Array[] = [];
  err: Uint8Array[] = [];
  exitStatus: number | null = null;
  closedCalled = false;
  readonly command: string;
  readonly input: Uint8Array | null;
  constructor(command: string, input: Uint8Array | null = null, window?: number) {
    super(window === undefined ? {} : { localWindow: window });
    this.command = command;
    this.input = input;
  }
  override channelOpen(): void {
    const name = new TextEncoder().encode(this.command);
    const request = new Uint8Array(4 + name.length);
    new DataView(request.buffer).setUint32(0, name.length);
    request.set(name, 4);
    void this.conn!.sendRequest(this, "exec", request, { wantReply: true }).then(() => {
      if (this.input !== null) {
        this.write(this.input);
        this.loseWriteConnection();
      }
    }, () => {});
  }
  override dataReceived(data: Uint8Array): void {
    this.out.push(data);
  }
  override extReceived(_type: number, data: Uint8Array): void {
    this.err.push(data);
  }
  request_exit_status(data: Uint8Array): boolean {
    this.exitStatus = new DataView(data.buffer, data.byteOffset).getUint32(0);
    return true;
  }
  override closed(): void {
    this.closedCalled = true;
    this.conn!.transport.sendDisconnect(11, "done");
  }
  text(): string {
    return new TextDecoder().decode(concat(this.out));
  }
}

/** Joins chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** A client that logs in with a password and opens `channel`. */
export function loginAndOpen(
  client: TestClient,
  password: string,
  channel: SSHChannel,
  user = "alice",
): SSHConnection {
  const conn = new (class extends SSHConnection {
    override serviceStarted(): void {
      super.serviceStarted();
      this.openChannel(channel);
    }
  })();
  client.onSecure = (c) => c.requestService(new PasswordAuth(user, conn, [password]));
  return conn;
}
