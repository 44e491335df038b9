/**
 * The SOCKS server (`twisted.protocols.socks.SOCKSv4`, grown to 4a and 5):
 * one protocol that reads the version from the first byte, negotiates, opens
 * the outgoing connection through the reactor and then relays like the port
 * forwarder (`portforward.ts`), with each transport the other's producer.
 * Private to src/protocols; socks.ts re-exports it.
 *
 * @module
 */
import type { Address } from "../internet/address.ts";
import { ConnectionRefusedError, DNSLookupError, TimeoutError } from "../internet/error.ts";
import type { Failure } from "../internet/failure.ts";
import type {
  IConnector,
  IDelayedCall,
  IReactorTCP,
  IReactorTime,
} from "../internet/interfaces.ts";
import { ClientFactory } from "../internet/protocol.ts";
import { type ICredentials, type InterfaceName, interfaceName } from "../cred/mod.ts";
import { Logger } from "../logger/mod.ts";
import { Proxy } from "./portforward.ts";
import type { SOCKSFactory } from "./_socks_factory.ts";
import {
  encodeSOCKS4Reply,
  encodeSOCKS5Reply,
  parseSOCKS4Request,
  parseSOCKS5Greeting,
  parseSOCKS5Request,
  parseSOCKS5UserPass,
  SOCKS4Reply,
  SOCKS5Method,
  SOCKS5Reply,
  SOCKSCommand,
  SOCKSError,
} from "./_socks_codec.ts";

const log = new Logger("tw.protocols.socks");

/** What a server knows about a CONNECT request when it asks `allowConnect`. */
export interface SOCKSRequestInfo {
  /** 4 for SOCKS 4 and 4a, 5 for SOCKS 5. */
  version: 4 | 5;
  /** The SOCKS 4 USERID, or the SOCKS 5 user name when the client authenticated; else "". */
  username: string;
  /** The client's address. */
  peer: Address;
}

/** A value, or a promise of it: what the server's callbacks may return. */
export type MaybePromise<T> = T | PromiseLike<T>;

/**
 * The avatar interface the server asks a cred realm for by default: a realm
 * that serves SOCKS users answers `requestAvatar(id, mind, ISOCKSUser)`. The
 * avatar itself is not used; `logout` runs when the connection ends.
 */
export const ISOCKSUser: InterfaceName<unknown> = interfaceName("ISOCKSUser");

/**
 * The part of a cred `Portal` (`@tw/core/cred`) the server uses:
 * `login(credentials, mind, ...interfaces)` fires with `[interface, avatar,
 * logout]` or fails (`UnauthorizedLogin`) for bad credentials.
 */
export interface SOCKSPortal {
  /** Logs in with `credentials`; fails for bad ones. */
  login(
    credentials: ICredentials,
    mind: unknown,
    ...interfaces: InterfaceName[]
  ): PromiseLike<readonly [unknown, unknown, () => void]>;
}

/** Options of {@link SOCKSFactory}. */
export interface SOCKSFactoryOptions {
  /**
   * Makes the outgoing connections (`connectTCP`, which also resolves host
   * names) and times the handshake (`callLater`).
   * @default the installed reactor (`getReactor()`)
   */
  reactor?: IReactorTCP & IReactorTime;
  /**
   * Checks SOCKS 5 username/password logins (RFC 1929) through cred: the
   * server logs in with `makeCredentials(username, password)` and the
   * interfaces in `interfaces`. Setting it (or `checkPassword`) makes
   * authentication mandatory. @default none
   */
  portal?: SOCKSPortal;
  /** Builds the credentials given to `portal.login`. @default `new UsernamePassword(username, password)` */
  makeCredentials?: (username: string, password: string) => ICredentials;
  /** The avatar interfaces asked of the portal. @default [ISOCKSUser] */
  interfaces?: InterfaceName[];
  /**
   * Checks a SOCKS 5 username/password without cred; authentication is
   * mandatory when it is set. Both this and `portal` may be set: both must agree.
   * @default none
   */
  checkPassword?: (username: string, password: string) => MaybePromise<boolean>;
  /**
   * Decides whether a client may connect to `host:port` (a false answer is
   * "connection not allowed by ruleset"). @default every destination is allowed
   */
  allowConnect?: (host: string, port: number, request: SOCKSRequestInfo) => MaybePromise<boolean>;
  /**
   * The SOCKS versions served. SOCKS 4 carries no password, so it is refused
   * when authentication is required, unless listed here explicitly.
   * @default [4, 5] without authentication, [5] with it
   */
  versions?: readonly (4 | 5)[];
  /** Seconds a client has to finish its handshake (0 for no limit). @default 30 */
  handshakeTimeout?: number;
  /** Seconds the outgoing connection may take (`connectTCP`'s timeout). @default 30 */
  connectTimeout?: number;
}

/** Bytes a client may send during the handshake (request plus early data). */
const MAX_HANDSHAKE_BUFFER = 256 * 1024;

type State =
  | "version"
  | "v4"
  | "greeting"
  | "auth"
  | "waiting"
  | "request"
  | "connecting"
  | "relay"
  | "done";

/** Runs `next` with the value, at once when it is not a promise. */
function whenReady<T>(
  value: MaybePromise<T>,
  next: (value: T) => void,
  failed: (error: unknown) => void,
): void {
  if (value !== null && typeof (value as PromiseLike<T>)?.then === "function") {
    (value as PromiseLike<T>).then(next, failed);
  } else {
    next(value as T);
  }
}

/** The `code` properties along an error's `cause` chain, and its messages. */
function errorFacts(error: unknown): { codes: string[]; text: string } {
  const codes: string[] = [];
  let text = "";
  for (let e = error, depth = 0; e !== null && e !== undefined && depth < 8; depth++) {
    const o = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
    if (typeof o.code === "string") codes.push(o.code);
    if (typeof o.name === "string") codes.push(o.name);
    if (typeof o.message === "string") text += ` ${o.message}`;
    e = o.cause;
  }
  return { codes, text: text.toLowerCase() };
}

/**
 * The SOCKS 5 reply code for why an outgoing connection failed: refused,
 * unreachable network or host (a failed name lookup or a timeout counts as an
 * unreachable host), else general failure.
 *
 * @example
 * ```ts
 * import { replyForFailure, SOCKS5Reply } from "@tw/core/protocols/socks";
 * import { ConnectionRefusedError } from "@tw/core/error";
 * const code = replyForFailure(new ConnectionRefusedError());
 * console.log(code === SOCKS5Reply.CONNECTION_REFUSED); // true
 * ```
 */
export function replyForFailure(reason: Failure | Error): number {
  const error = "value" in reason && !(reason instanceof Error) ? reason.value : reason;
  const { codes, text } = errorFacts(error);
  if (error instanceof ConnectionRefusedError || codes.includes("ECONNREFUSED")) {
    return SOCKS5Reply.CONNECTION_REFUSED;
  }
  if (codes.includes("ENETUNREACH") || text.includes("network is unreachable")) {
    return SOCKS5Reply.NETWORK_UNREACHABLE;
  }
  if (
    error instanceof DNSLookupError || error instanceof TimeoutError ||
    codes.includes("EHOSTUNREACH") || codes.includes("EHOSTDOWN") ||
    codes.includes("ETIMEDOUT") || text.includes("no route to host") ||
    text.includes("host is unreachable")
  ) {
    return SOCKS5Reply.HOST_UNREACHABLE;
  }
  return SOCKS5Reply.GENERAL_FAILURE;
}

/**
 * One SOCKS client's connection: negotiation, then relay. Built by
 * {@link SOCKSFactory}; the version is taken from the first byte.
 *
 * @example
 * ```ts
 * import {
 *   encodeSOCKS5Greeting,
 *   encodeSOCKS5Request,
 *   SOCKS5Method,
 *   SOCKSCommand,
 *   SOCKSFactory,
 *   type SOCKSServer,
 * } from "@tw/core/protocols/socks";
 * import { MemoryReactorClock, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const reactor = new MemoryReactorClock();
 * const addr = new IPv4Address("TCP", "192.0.2.1", 5000);
 * const server = new SOCKSFactory({ reactor }).buildProtocol(addr) as SOCKSServer;
 * const transport = new StringTransport();
 * server.makeConnection(transport);
 * server.dataReceived(encodeSOCKS5Greeting([SOCKS5Method.NO_AUTH]));
 * server.dataReceived(encodeSOCKS5Request(SOCKSCommand.CONNECT, "example.org", 80));
 * console.log(server.version, server.host, server.port); // 5 example.org 80
 * console.log(reactor.tcpClients[0][0], reactor.tcpClients[0][1]); // example.org 80
 * ```
 */
export class SOCKSServer extends Proxy {
  /** The factory that built this protocol. */
  declare factory: SOCKSFactory;
  /** The SOCKS version the client speaks, once known. */
  version: 4 | 5 | null = null;
  /** The destination host, once requested. */
  host: string | null = null;
  /** The destination port, once requested. */
  port: number | null = null;
  /** The user name the client authenticated as (or its SOCKS 4 USERID). */
  username = "";
  /** The outgoing connection attempt, once started. */
  connector: IConnector | null = null;
  #state: State = "version";
  #buffer: Uint8Array = new Uint8Array(0);
  #timer: IDelayedCall | null = null;
  #logout: (() => void) | null = null;

  /** Starts the handshake timer. */
  override connectionMade(): void {
    // Until the relay is up, this side has nothing to report if it fails.
    this.noisy = false;
    const seconds = this.factory.handshakeTimeout;
    if (seconds > 0) {
      this.#timer = this.factory.clock().callLater(seconds, () => {
        this.#timer = null;
        log.info("SOCKS handshake from {peer} timed out", { peer: this.#peerText() });
        this.#close();
      });
    }
  }

  /** Negotiates, or relays once the outgoing connection is up. */
  override dataReceived(data: Uint8Array): void {
    if (this.#state === "relay") {
      super.dataReceived(data);
      return;
    }
    if (this.#state === "done") return;
    this.#append(data);
    if (this.#buffer.byteLength > MAX_HANDSHAKE_BUFFER) {
      log.info("SOCKS client {peer} sent too much before its handshake ended", {
        peer: this.#peerText(),
      });
      this.#close();
      return;
    }
    this.#advance();
  }

  /** The client sent EOF: during the handshake that ends the connection. */
  override readConnectionLost(): void {
    // Once the request is complete an EOF is only the end of the client's data:
    // it is passed on once relaying (flushPending runs it then).
    if (this.#state === "relay" || this.#state === "connecting" || this.host !== null) {
      super.readConnectionLost();
      return;
    }
    this.readClosed = true;
    this.#close();
  }

  /** Stops the timer and the outgoing attempt, logs out, and closes the peer. */
  override connectionLost(reason: Failure): void {
    this.#cancelTimer();
    const wasConnecting = this.#state === "connecting";
    this.#state = "done";
    if (wasConnecting && this.peer === null && this.connector !== null) {
      this.connector.disconnect();
    }
    const logout = this.#logout;
    this.#logout = null;
    try {
      logout?.();
    } catch (error) {
      log.error("SOCKS logout failed: {error}", { error: String(error) });
    }
    super.connectionLost(reason);
  }

  /** Relays what arrived after the request, then a pending EOF (called by the outgoing side). */
  flushPending(): void {
    const rest = this.#buffer;
    this.#buffer = new Uint8Array(0);
    if (rest.byteLength > 0) super.dataReceived(rest);
    if (this.readClosed) super.readConnectionLost();
  }

  #append(data: Uint8Array): void {
    if (this.#buffer.byteLength === 0) {
      this.#buffer = data;
      return;
    }
    const joined = new Uint8Array(this.#buffer.byteLength + data.byteLength);
    joined.set(this.#buffer);
    joined.set(data, this.#buffer.byteLength);
    this.#buffer = joined;
  }

  #consume(size: number): void {
    this.#buffer = this.#buffer.subarray(size);
  }

  #advance(): void {
    try {
      while (this.#step()) { /* each step consumed one message */ }
    } catch (error) {
      if (!(error instanceof SOCKSError)) throw error;
      log.info("Bad SOCKS input from {peer}: {message}", {
        peer: this.#peerText(),
        message: error.message,
      });
      this.#refuse(error.reply);
    }
  }

  /** Handles one message; false when more bytes (or an answer) are needed. */
  #step(): boolean {
    switch (this.#state) {
      case "version": {
        if (this.#buffer.byteLength === 0) return false;
        const version = this.#buffer[0];
        if ((version !== 4 && version !== 5) || !this.factory.versions.includes(version)) {
          log.info("Refused SOCKS version {version} from {peer}", {
            version,
            peer: this.#peerText(),
          });
          if (version === 4) this.#write(encodeSOCKS4Reply(SOCKS4Reply.REJECTED));
          else if (version === 5) this.#write(new Uint8Array([5, SOCKS5Method.NO_ACCEPTABLE]));
          this.#close();
          return false;
        }
        this.version = version;
        this.#state = version === 4 ? "v4" : "greeting";
        return true;
      }
      case "v4": {
        const parsed = parseSOCKS4Request(this.#buffer);
        if (parsed === null) return false;
        this.#consume(parsed.size);
        const { command, host, port, userid } = parsed.value;
        this.username = userid;
        if (command !== SOCKSCommand.CONNECT) {
          log.info("Unsupported SOCKS 4 command {command} from {peer}", {
            command,
            peer: this.#peerText(),
          });
          this.#refuse(SOCKS4Reply.REJECTED);
          return false;
        }
        this.#decide(host, port);
        return false;
      }
      case "greeting": {
        const parsed = parseSOCKS5Greeting(this.#buffer);
        if (parsed === null) return false;
        this.#consume(parsed.size);
        const wanted = this.factory.authRequired
          ? SOCKS5Method.USERNAME_PASSWORD
          : SOCKS5Method.NO_AUTH;
        if (!parsed.value.includes(wanted)) {
          this.#write(new Uint8Array([5, SOCKS5Method.NO_ACCEPTABLE]));
          this.#close();
          return false;
        }
        this.#write(new Uint8Array([5, wanted]));
        this.#state = wanted === SOCKS5Method.NO_AUTH ? "request" : "auth";
        return true;
      }
      case "auth": {
        const parsed = parseSOCKS5UserPass(this.#buffer);
        if (parsed === null) return false;
        this.#consume(parsed.size);
        this.#authenticate(parsed.value.username, parsed.value.password);
        return false;
      }
      case "request": {
        const parsed = parseSOCKS5Request(this.#buffer);
        if (parsed === null) return false;
        this.#consume(parsed.size);
        const { command, host, port } = parsed.value;
        if (command !== SOCKSCommand.CONNECT) {
          log.info("Unsupported SOCKS 5 command {command} from {peer}", {
            command,
            peer: this.#peerText(),
          });
          this.#refuse(SOCKS5Reply.COMMAND_NOT_SUPPORTED);
          return false;
        }
        this.#decide(host, port);
        return false;
      }
      default:
        // "waiting", "connecting": bytes wait in the buffer until there is an answer.
        return false;
    }
  }

  /** Checks a SOCKS 5 login with `checkPassword` and the portal. */
  #authenticate(username: string, password: string): void {
    this.#state = "waiting";
    this.transport.pauseProducing();
    const factory = this.factory;
    const done = (ok: boolean, logout: (() => void) | null = null): void => {
      if (this.#state === "done") {
        logout?.();
        return;
      }
      if (!ok) {
        log.info("SOCKS 5 login as {username} from {peer} failed", {
          username,
          peer: this.#peerText(),
        });
        this.#write(new Uint8Array([1, 1]));
        this.#close();
        return;
      }
      this.#logout = logout;
      this.username = username;
      this.#write(new Uint8Array([1, 0]));
      this.#state = "request";
      this.transport.resumeProducing();
      this.#advance();
    };
    const failed = (error: unknown): void => {
      // A checker that throws denies the login; a cred failure is the usual "no".
      log.debug("SOCKS 5 login check failed: {error}", { error: String(error) });
      done(false);
    };
    const viaPortal = (): void => {
      const portal = factory.portal;
      if (portal === null) {
        done(true);
        return;
      }
      let result: PromiseLike<readonly [unknown, unknown, () => void]>;
      try {
        result = portal.login(
          factory.makeCredentials(username, password),
          null,
          ...factory.interfaces,
        );
      } catch (error) {
        failed(error);
        return;
      }
      result.then((answer) => done(true, answer[2] ?? null), failed);
    };
    const check = factory.checkPassword;
    if (check === null) {
      viaPortal();
      return;
    }
    let first: MaybePromise<boolean>;
    try {
      first = check(username, password);
    } catch (error) {
      failed(error);
      return;
    }
    whenReady(first, (ok) => (ok === true ? viaPortal() : done(false)), failed);
  }

  /** Asks `allowConnect`, then connects or refuses. */
  #decide(host: string, port: number): void {
    this.host = host;
    this.port = port;
    this.#state = "waiting";
    // Nothing more is read until there is somewhere to send it.
    this.transport.pauseProducing();
    const allow = this.factory.allowConnect;
    const go = (ok: boolean): void => {
      if (this.#state === "done") return;
      if (ok !== true) {
        log.info("SOCKS {version} CONNECT {host}:{port} from {peer} not allowed", {
          version: this.version,
          host,
          port,
          peer: this.#peerText(),
        });
        this.#refuse(this.version === 4 ? SOCKS4Reply.REJECTED : SOCKS5Reply.NOT_ALLOWED);
        return;
      }
      this.#connect(host, port);
    };
    if (allow === null) {
      go(true);
      return;
    }
    const request: SOCKSRequestInfo = {
      version: this.version!,
      username: this.username,
      peer: this.transport.getPeer(),
    };
    let answer: MaybePromise<boolean>;
    try {
      answer = allow(host, port, request);
    } catch (error) {
      log.error("SOCKS allowConnect threw: {error}", { error: String(error) });
      go(false);
      return;
    }
    whenReady(answer, go, (error) => {
      log.error("SOCKS allowConnect failed: {error}", { error: String(error) });
      go(false);
    });
  }

  #connect(host: string, port: number): void {
    // The handshake timer covered a slow allowConnect too; connectTCP's own timeout takes over.
    this.#cancelTimer();
    this.#state = "connecting";
    log.debug("SOCKS {version} CONNECT {host}:{port} from {peer}", {
      version: this.version,
      host,
      port,
      peer: this.#peerText(),
    });
    const client = new SOCKSOutgoingFactory(this);
    this.connector = this.factory.connector().connectTCP(host, port, client, {
      timeout: this.factory.connectTimeout,
    });
  }

  /** The outgoing connection failed: answer with the matching code and close. */
  outgoingFailed(reason: Failure): void {
    if (this.#state !== "connecting") return;
    const code = replyForFailure(reason);
    log.info("SOCKS CONNECT {host}:{port} failed: {message}", {
      host: this.host,
      port: this.port,
      message: reason.getErrorMessage(),
    });
    this.#refuse(this.version === 4 ? SOCKS4Reply.REJECTED : code);
  }

  /** The outgoing connection is up: reply, couple the producers and relay. */
  outgoingMade(outgoing: SOCKSOutgoing): boolean {
    if (this.#state !== "connecting") return false;
    this.#state = "relay";
    this.noisy = true;
    this.setPeer(outgoing);
    outgoing.setPeer(this);
    const bound = outgoing.transport.getHost() as { host?: string; port?: number };
    const host = typeof bound.host === "string" ? bound.host : "0.0.0.0";
    const port = typeof bound.port === "number" ? bound.port : 0;
    this.transport.write(
      this.version === 4
        ? encodeSOCKS4Reply(SOCKS4Reply.GRANTED, host, port)
        : encodeSOCKS5Reply(SOCKS5Reply.SUCCEEDED, host, port),
    );
    // A slow side slows the other (see portforward.ts).
    outgoing.transport.registerProducer(this.transport, true);
    this.transport.registerProducer(outgoing.transport, true);
    this.flushPending();
    this.transport.resumeProducing();
    return true;
  }

  /** Sends a failure reply (in the client's version) and closes. */
  #refuse(code: number | null): void {
    const version = this.version;
    if (version === 4) this.#write(encodeSOCKS4Reply(code ?? SOCKS4Reply.REJECTED));
    else if (this.#state === "auth") this.#write(new Uint8Array([1, 1])); // RFC 1929 failure
    else if (version === 5 && this.#state !== "greeting") {
      this.#write(encodeSOCKS5Reply(code ?? SOCKS5Reply.GENERAL_FAILURE));
    }
    this.#close();
  }

  #write(data: Uint8Array): void {
    if (this.#state !== "done") this.transport.write(data);
  }

  /** Ends the connection after what was written (a paused transport still flushes its writes). */
  #close(): void {
    this.#cancelTimer();
    if (this.#state === "done") return;
    this.#state = "done";
    this.#buffer = new Uint8Array(0);
    this.transport.loseConnection();
  }

  #cancelTimer(): void {
    if (this.#timer?.active()) this.#timer.cancel();
    this.#timer = null;
  }

  #peerText(): string {
    const peer = this.transport?.getPeer() as { host?: string; port?: number } | undefined;
    return peer?.host !== undefined ? `${peer.host}:${peer.port}` : String(peer);
  }
}

/**
 * The outgoing side of a SOCKS relay: reports to its server once connected.
 *
 * @example
 * ```ts
 * import {
 *   encodeSOCKS5Greeting,
 *   encodeSOCKS5Request,
 *   SOCKS5Method,
 *   SOCKSCommand,
 *   SOCKSFactory,
 *   type SOCKSOutgoing,
 * } from "@tw/core/protocols/socks";
 * import { MemoryReactorClock, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const reactor = new MemoryReactorClock();
 * const addr = new IPv4Address("TCP", "192.0.2.1", 5000);
 * const server = new SOCKSFactory({ reactor }).buildProtocol(addr)!;
 * server.makeConnection(new StringTransport());
 * server.dataReceived(encodeSOCKS5Greeting([SOCKS5Method.NO_AUTH]));
 * server.dataReceived(encodeSOCKS5Request(SOCKSCommand.CONNECT, "example.org", 80));
 * // Complete the connection the server asked the reactor for: relaying starts.
 * const outgoing = new StringTransport();
 * const relay = reactor.tcpClients[0][2].buildProtocol(addr) as SOCKSOutgoing;
 * relay.makeConnection(outgoing);
 * server.dataReceived(new TextEncoder().encode("GET /"));
 * console.log(outgoing.valueText()); // "GET /"
 * ```
 */
export class SOCKSOutgoing extends Proxy {
  /** The client's side, which asked for this connection. */
  server: SOCKSServer | null = null;

  /** Hands the connection to the server side, or closes when it is gone. */
  override connectionMade(): void {
    if (this.server === null || !this.server.outgoingMade(this)) {
      this.noisy = false;
      this.transport.loseConnection();
    }
  }
}

/**
 * Builds the outgoing side for one SOCKS request.
 *
 * @example
 * ```ts
 * import {
 *   encodeSOCKS5Greeting,
 *   encodeSOCKS5Request,
 *   SOCKS5Method,
 *   SOCKSCommand,
 *   SOCKSFactory,
 *   SOCKSOutgoingFactory,
 * } from "@tw/core/protocols/socks";
 * import { MemoryReactorClock, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const reactor = new MemoryReactorClock();
 * const addr = new IPv4Address("TCP", "192.0.2.1", 5000);
 * const server = new SOCKSFactory({ reactor }).buildProtocol(addr)!;
 * server.makeConnection(new StringTransport());
 * server.dataReceived(encodeSOCKS5Greeting([SOCKS5Method.NO_AUTH]));
 * server.dataReceived(encodeSOCKS5Request(SOCKSCommand.CONNECT, "example.org", 80));
 * const factory = reactor.tcpClients[0][2];
 * console.log(factory instanceof SOCKSOutgoingFactory && factory.server === server); // true
 * ```
 */
export class SOCKSOutgoingFactory extends ClientFactory {
  /** The client's side. */
  readonly server: SOCKSServer;

  /**
   * Makes the factory for one request.
   * @param server the client's side the connection is for
   */
  constructor(server: SOCKSServer) {
    super();
    this.server = server;
    this.protocol = SOCKSOutgoing;
    // One per request: "Starting factory" lines would be noise.
    this.noisy = false;
  }

  /** Builds a `SOCKSOutgoing` tied to the server side. */
  override buildProtocol(addr: Address): SOCKSOutgoing {
    const p = super.buildProtocol(addr) as SOCKSOutgoing;
    p.server = this.server;
    p.noisy = false;
    return p;
  }

  /** Tells the server side why the connection failed. */
  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    this.server.outgoingFailed(reason);
  }
}
