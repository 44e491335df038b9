/**
 * The SSH connection of `tw cftp`: a client transport restricted to the
 * ciphers and MACs of `-c` / `-m`, publickey authentication with the keys of
 * `-i`, and a session channel running the "sftp" subsystem with a
 * `FileTransferClient` on it (what `SSHCommandClientEndpoint` does, with
 * algorithm lists it has no option for).
 * @module
 */
import { HostnameEndpoint } from "../../internet/endpoints.ts";
import { ConnectionDone } from "../../internet/error.ts";
import { Failure } from "../../internet/failure.ts";
import { Factory } from "../../internet/protocol.ts";
import type { IReactorResolve, IReactorTCP, IReactorTime } from "../../internet/interfaces.ts";
import { SSHChannel } from "../../conch/ssh/_channel.ts";
import { SSHConnection } from "../../conch/ssh/_connection.ts";
import { SSHClientTransport } from "../../conch/ssh/_transport_client.ts";
import { AuthenticationFailed, SSHUserAuthClient } from "../../conch/ssh/_userauth_client.ts";
import { SSHWriter } from "../../conch/ssh/_wire.ts";
import type { Key } from "../../conch/keys/_key.ts";
import type { KnownHostsFile, KnownHostsUI } from "../../conch/keys/_known_hosts.ts";
import { UserRejectedKey } from "../../conch/keys/_errors.ts";
import { FileTransferClient } from "../../conch/sftp/_client.ts";

/** What `connectSftp` needs. */
export interface SftpConnectOptions {
  host: string;
  port: number;
  user: string;
  keys: Key[];
  knownHosts: KnownHostsFile;
  ui: KnownHostsUI;
  ciphers?: string[];
  macs?: string[];
}

interface Settle {
  resolve(client: FileTransferClient): void;
  reject(error: unknown): void;
}

/** The session channel running the sftp subsystem. */
class SftpChannel extends SSHChannel {
  override name = "session";
  readonly #settle: Settle;
  #client: FileTransferClient | null = null;

  constructor(settle: Settle) {
    super();
    this.#settle = settle;
  }

  override channelOpen(_data: Uint8Array): void {
    const request = new SSHWriter().string("sftp").bytes();
    this.conn!.sendRequest(this, "subsystem", request, { wantReply: true }).then(() => {
      const client = new FileTransferClient();
      this.#client = client;
      client.makeConnection(this);
      this.#settle.resolve(client);
    }, () => {
      this.#settle.reject(new Error("The server refused to run the sftp subsystem"));
      this.loseConnection();
    });
  }

  override openFailed(reason: Error): void {
    this.#settle.reject(reason);
    this.conn?.transport.loseConnection();
  }

  override dataReceived(data: Uint8Array): void {
    this.#client?.dataReceived(data);
  }

  override closed(): void {
    this.#settle.reject(new Error("The server closed the sftp channel"));
    this.#client?.connectionLost(new Failure(new ConnectionDone()));
    this.#client = null;
    this.conn?.transport.loseConnection();
  }
}

/** Offers the keys in order. */
class KeyAuth extends SSHUserAuthClient {
  readonly #keys: Key[];
  #index = 0;
  failed = false;

  constructor(user: string, instance: SSHConnection, keys: Key[]) {
    super(user, instance);
    this.#keys = keys;
  }

  override getPublicKey(): Promise<Key | null> {
    const key = this.#keys[this.#index++];
    return Promise.resolve(key === undefined ? null : key.public());
  }

  override getPrivateKey(): Promise<Key> {
    return Promise.resolve(this.#keys[this.#index - 1]);
  }

  override noMoreMethods(): void {
    this.failed = true;
    super.noMoreMethods();
  }
}

class SftpTransport extends SSHClientTransport {
  readonly #options: SftpConnectOptions;
  readonly #settle: Settle;
  #auth: KeyAuth | null = null;

  constructor(options: SftpConnectOptions, settle: Settle) {
    super();
    this.#options = options;
    this.#settle = settle;
    if (options.ciphers !== undefined) this.supportedCiphers = options.ciphers;
    if (options.macs !== undefined) this.supportedMACs = options.macs;
  }

  override async verifyHostKey(hostKey: Key, _fingerprint: string): Promise<void> {
    const { host, port, knownHosts, ui } = this.#options;
    const peer = this.transport.getPeer() as { host?: string };
    const name = port === 22 ? host : `[${host}]:${port}`;
    const ip = port === 22 ? peer.host ?? "" : `[${peer.host ?? ""}]:${port}`;
    if (!(await knownHosts.verifyHostKey(ui, name, ip, hostKey))) {
      throw new UserRejectedKey(`Host key for ${host} was not accepted`);
    }
  }

  override hostKeyRejected(reason: unknown): void {
    this.#settle.reject(reason);
  }

  override connectionSecure(): void {
    const channel = new SftpChannel(this.#settle);
    const conn = new (class extends SSHConnection {
      override serviceStarted(): void {
        super.serviceStarted();
        this.openChannel(channel);
      }
    })();
    this.#auth = new KeyAuth(this.#options.user, conn, this.#options.keys);
    this.requestService(this.#auth);
  }

  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    if (this.#auth?.failed) {
      this.#settle.reject(
        new AuthenticationFailed(`The server refused ${this.#options.user}'s login`),
      );
    } else this.#settle.reject(reason.value);
  }
}

/** Connects, checks the host key, logs in and starts the sftp subsystem. */
export function connectSftp(
  reactor: IReactorTCP & IReactorTime & IReactorResolve,
  options: SftpConnectOptions,
): Promise<FileTransferClient> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle: Settle = {
      resolve(client) {
        if (!settled) resolve(client);
        settled = true;
      },
      reject(error) {
        if (!settled) reject(error);
        settled = true;
      },
    };
    const transport = new SftpTransport(options, settle);
    const factory = new Factory();
    factory.noisy = false;
    factory.buildProtocol = () => transport;
    new HostnameEndpoint(reactor, options.host, options.port).connect(factory).addErrback(
      (failure: Failure) => settle.reject(failure.value),
    );
  });
}
