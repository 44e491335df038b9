// Shared by the FTP server unit tests: a session on a StringTransport with a
// MemoryReactorClock (data connections are made by hand from the factory the
// server gave the fake reactor), over a real temporary folder.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate } from "node:timers";
import { Failure, IPv4Address, type IPv6Address } from "../../../mod.ts";
import { ConnectionDone, ConnectionLost } from "../../../src/internet/error.ts";
import type { IProtocol, IProtocolFactory } from "../../../src/internet/interfaces.ts";
import {
  AllowAnonymousAccess,
  InMemoryUsernamePasswordDatabaseDontUse,
  Portal,
} from "../../../src/cred/mod.ts";
import {
  MemoryReactorClock,
  StringTransport,
  StringTransportWithDisconnection,
} from "../../../src/testing/mod.ts";
import {
  type FTP,
  FTPFactory,
  type FTPFactoryOptions,
  FTPRealm,
} from "../../../src/protocols/ftp/mod.ts";

export const enc = new TextEncoder();
export const dec = new TextDecoder();

/** The control connection's addresses in these tests. */
export const SERVER = new IPv4Address("TCP", "10.0.0.1", 21);
export const CLIENT = new IPv4Address("TCP", "192.168.1.1", 50000);

/** A data connection the test opened to (or from) the server. */
export interface DataConnection {
  protocol: IProtocol;
  transport: StringTransportWithDisconnection;
  /** Ends the connection from the client's side (cleanly, or with a reset). */
  close(clean?: boolean): void;
  /** What the server wrote on it. */
  text(): string;
}

/** A session under test. */
export class Session {
  readonly root: string;
  readonly reactor = new MemoryReactorClock();
  readonly factory: FTPFactory;
  readonly ftp: FTP;
  readonly transport: StringTransport;

  constructor(
    options: FTPFactoryOptions = {},
    addresses: { host?: IPv4Address | IPv6Address; peer?: IPv4Address | IPv6Address } = {},
  ) {
    this.root = mkdtempSync(join(tmpdir(), "tw-ftp-unit-"));
    mkdirSync(join(this.root, "pub", "dir"), { recursive: true });
    mkdirSync(join(this.root, "home", "alice", "sub"), { recursive: true });
    writeFileSync(join(this.root, "pub", "hello.txt"), "hello\nworld\n");
    writeFileSync(join(this.root, "home", "alice", "data.bin"), "0123456789");
    writeFileSync(join(this.root, "home", "alice", "lines.txt"), "a\nb\n");
    const portal = new Portal(
      new FTPRealm(join(this.root, "pub"), { userHome: join(this.root, "home") }),
      [
        new AllowAnonymousAccess(),
        new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }),
      ],
    );
    this.factory = new FTPFactory(portal, {
      reactor: this.reactor,
      passivePortRange: [40000, 40000],
      ...options,
    });
    this.ftp = this.factory.buildProtocol(addresses.peer ?? CLIENT);
    this.transport = new StringTransport({
      hostAddress: addresses.host ?? SERVER,
      peerAddress: addresses.peer ?? CLIENT,
    });
    this.ftp.makeConnection(this.transport);
  }

  /** Sends lines (CRLF added to each). */
  send(...lines: string[]): void {
    for (const line of lines) this.ftp.dataReceived(enc.encode(line + "\r\n"));
  }

  /** Everything written on the control connection since the last take. */
  take(): string {
    const text = this.transport.valueText();
    this.transport.clear();
    return text;
  }

  /**
   * Waits (event-loop turns, while the real file system works) until the output
   * matches; fails after 10 s.
   */
  async waitFor(pattern: RegExp): Promise<string> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const text = this.transport.valueText();
      if (pattern.test(text)) {
        this.transport.clear();
        return text;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`No ${pattern} in ${JSON.stringify(this.transport.valueText())}`);
  }

  /** Sends a command and waits for a final reply to it. */
  async command(line: string, code?: RegExp): Promise<string> {
    this.send(line);
    return await this.waitFor(code ?? /^\d{3} .*\r\n$/m);
  }

  /** Logs in as alice (or anonymous). */
  async login(user = "alice", password = "secret"): Promise<void> {
    this.take();
    this.send(`USER ${user}`, `PASS ${password}`);
    await this.waitFor(/^230 /m);
  }

  /** Connects a data connection to the newest passive listener, from `host`. */
  connectPassive(host = CLIENT.host): DataConnection | null {
    const servers = this.reactor.tcpServers;
    const factory = servers[servers.length - 1][1] as IProtocolFactory;
    const protocol = factory.buildProtocol(new IPv4Address("TCP", host, 50001));
    if (protocol === null) return null;
    return connect(protocol);
  }

  /** Completes the newest active connection (after PORT/EPRT). */
  connectActive(): DataConnection {
    const clients = this.reactor.tcpClients;
    const factory = clients[clients.length - 1][2] as IProtocolFactory;
    return connect(factory.buildProtocol(CLIENT)!);
  }

  /** Ends the session and removes the folder. */
  close(): void {
    if (this.ftp.connected) this.ftp.connectionLost(new Failure(new ConnectionDone()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

function connect(protocol: IProtocol): DataConnection {
  const transport = new StringTransportWithDisconnection({
    hostAddress: CLIENT,
    peerAddress: SERVER,
  });
  transport.protocol = protocol;
  protocol.makeConnection(transport);
  return {
    protocol,
    transport,
    close(clean = true) {
      if (!transport.connected) return;
      transport.connected = false;
      protocol.connectionLost(new Failure(clean ? new ConnectionDone() : new ConnectionLost()));
    },
    text: () => transport.valueText(),
  };
}
