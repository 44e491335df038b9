/**
 * PB's factories and login (`pb.PBServerFactory`, `pb.PBClientFactory`,
 * the portal root, `pb.Avatar`): Twisted's challenge-response login, so
 * Twisted clients log in to our servers and ours to theirs.
 * Private: re-exported by `pb.ts`.
 * @module
 */
import { Deferred, fail, succeed } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import { ClientFactory, ServerFactory } from "../internet/protocol.ts";
import type { IConnector } from "../internet/interfaces.ts";
import type { Address } from "../internet/address.ts";
import {
  Anonymous,
  IAnonymous,
  type ICredentials,
  type InterfaceName,
  interfaceName,
  IUsernameHashedPassword,
  type IUsernamePassword,
  type LoginResult,
  Portal,
  providedBy,
  timingSafeEqual,
} from "../cred/mod.ts";
import { md5 } from "../cred/_md5.ts";
import type { SecurityOptions } from "./_jelly.ts";
import { dispatchMessage, type IPBRoot, Referenceable } from "./_flavors.ts";
import { PBError } from "./_pb_errors.ts";
import type { RemoteReference } from "./_remote.ts";
import { Broker } from "./_broker.ts";

const te = new TextEncoder();
const td = new TextDecoder();

/**
 * A PB avatar (`IPerspective`): what a realm returns for PB logins. Any
 * object will do; its `perspective_NAME` methods answer the client.
 */
export interface IPerspective {
  /** Optional: handles every message itself (as `Avatar` does). */
  perspectiveMessageReceived?(
    broker: Broker,
    message: string,
    args: unknown[],
    kw: Record<string, unknown>,
  ): unknown;
}

/** The avatar interface PB logins ask the realm for. */
export const IPerspective: InterfaceName<IPerspective> = interfaceName<IPerspective>(
  "IPerspective",
);

/**
 * A base for PB avatars (Twisted's `pb.Avatar`): the client's
 * `callRemote("NAME", ...)` on it calls `perspective_NAME(...)`.
 *
 * @example
 * ```ts
 * import { Avatar } from "@tw/core/spread";
 * class User extends Avatar {
 *   constructor(public name: string) {
 *     super();
 *   }
 *   perspective_whoami(): string {
 *     return this.name;
 *   }
 * }
 * console.log(new User("alice").perspectiveMessageReceived(null, "whoami", [], {})); // "alice"
 * ```
 */
export class Avatar implements IPerspective {
  /** Dispatches to `perspective_<message>`. */
  perspectiveMessageReceived(
    _broker: unknown,
    message: string,
    args: unknown[],
    kw: Record<string, unknown>,
  ): unknown {
    return dispatchMessage(this, "perspective_", message, args, kw);
  }
}

/**
 * Lends an object that is not a `Referenceable` (Twisted's
 * `pb.AsReferenceable`): messages go to its `<type>MessageReceived` when
 * it has one, else to its `<type>_NAME` methods.
 *
 * @example
 * ```ts
 * import { AsReferenceable } from "@tw/core/spread";
 * const avatar = { perspective_ping: () => "pong" };
 * const ref = new AsReferenceable(avatar, "perspective");
 * console.log(ref.remoteMessageReceived(null, "ping", [], {})); // "pong"
 * ```
 */
export class AsReferenceable extends Referenceable {
  /** The object lent. */
  readonly object: object;
  /** The message type: "remote", "perspective" ... */
  readonly messageType: string;

  /** Lends `object`; a perspective is its own perspective. */
  constructor(object: object, messageType = "remote") {
    super();
    this.object = object;
    this.messageType = messageType;
    if (messageType === "perspective") this.perspective = object;
  }

  /** Dispatches to the object. */
  override remoteMessageReceived(
    broker: unknown,
    message: string,
    args: unknown[],
    kw: Record<string, unknown>,
  ): unknown {
    const handler = (this.object as Record<string, unknown>)[`${this.messageType}MessageReceived`];
    if (typeof handler === "function") return handler.call(this.object, broker, message, args, kw);
    return dispatchMessage(this.object, `${this.messageType}_`, message, args, kw);
  }
}

/**
 * The answer to a PB login challenge (Twisted's `pb.respond`):
 * `md5(md5(password) + challenge)`.
 *
 * @example
 * ```ts
 * import { respond } from "@tw/core/spread";
 * console.log(respond(new Uint8Array(16), "secret").length); // 16
 * ```
 */
export function respond(challenge: Uint8Array, password: Uint8Array | string): Uint8Array {
  const hashed = md5(typeof password === "string" ? te.encode(password) : password);
  const both = new Uint8Array(hashed.length + challenge.length);
  both.set(hashed);
  both.set(challenge, hashed.length);
  return md5(both);
}

/**
 * A fresh login challenge (Twisted's `pb.challenge`): 16 random bytes.
 *
 * @example
 * ```ts
 * import { challenge } from "@tw/core/spread";
 * console.log(challenge().length); // 16
 * ```
 */
export function challenge(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

const asBytes = (v: unknown): Uint8Array =>
  v instanceof Uint8Array ? v : te.encode(typeof v === "string" ? v : "");

// The avatar as lent to the client; logout runs once, on release or disconnect.
function lendAvatar(broker: Broker, [, avatar, logout]: LoginResult): object {
  const lent = typeof (avatar as { jellyFor?: unknown })?.jellyFor === "function"
    ? avatar as object
    : new AsReferenceable(avatar as object, "perspective");
  let pending = true;
  const once = (): void => {
    if (!pending) return;
    pending = false;
    logout();
  };
  broker.setLocalCleanup(lent, once);
  broker.notifyOnDisconnect(once);
  return lent;
}

/** The challenger a client answers (IUsernameHashedPassword for the portal). */
class PortalAuthChallenger extends Referenceable {
  readonly credentialInterfaces: readonly InterfaceName[] = [IUsernameHashedPassword];
  response: Uint8Array | null = null;
  readonly portal: Portal;
  readonly broker: Broker;
  readonly username: string;
  readonly challenge: Uint8Array;

  constructor(portal: Portal, broker: Broker, username: string, challenge: Uint8Array) {
    super();
    this.portal = portal;
    this.broker = broker;
    this.username = username;
    this.challenge = challenge;
  }

  remote_respond(response: unknown, mind: unknown): Deferred<object> {
    if (this.response !== null) return fail(new PBError("This challenge was already answered"));
    this.response = asBytes(response);
    return this.portal.login(this, mind, IPerspective).addCallback((result) =>
      lendAvatar(this.broker, result as LoginResult)
    );
  }

  checkPassword(password: string): boolean {
    return this.checkMD5Password(md5(te.encode(password)));
  }

  checkMD5Password(md5Password: Uint8Array): boolean {
    const both = new Uint8Array(md5Password.length + this.challenge.length);
    both.set(md5Password);
    both.set(this.challenge, md5Password.length);
    const correct = md5(both);
    return this.response !== null && timingSafeEqual(correct, this.response);
  }
}

/** The root a portal publishes: `login(username)` and `loginAnonymous(mind)`. */
class PortalWrapper extends Referenceable {
  readonly portal: Portal;
  readonly broker: Broker;

  constructor(portal: Portal, broker: Broker) {
    super();
    this.portal = portal;
    this.broker = broker;
  }

  remote_login(username: unknown): [Uint8Array, PortalAuthChallenger] {
    const c = challenge();
    const name = username instanceof Uint8Array ? td.decode(username) : String(username);
    return [c, new PortalAuthChallenger(this.portal, this.broker, name, c)];
  }

  remote_loginAnonymous(mind: unknown): Deferred<object> {
    return this.portal.login(new Anonymous(), mind, IPerspective).addCallback((result) =>
      lendAvatar(this.broker, result as LoginResult)
    );
  }
}

/** Options for `PBServerFactory` and `PBClientFactory`. */
export interface PBFactoryOptions {
  /**
   * Send the stack of failures to the peer (only for trusted peers).
   * @default false
   */
  unsafeTracebacks?: boolean;
  /**
   * The jelly types accepted from the peer.
   * @default globalSecurity
   */
  security?: SecurityOptions;
}

/**
 * Serves PB (Twisted's `pb.PBServerFactory`): each connection's broker
 * publishes `root.rootObject(broker)` as "root". Given a `Portal`, it
 * serves Twisted's login instead (`PBClientFactory.login`, or Python's
 * `PBClientFactory.login`): the realm is asked for `IPerspective` avatars,
 * and their logout runs when the client lets go or disconnects.
 *
 * @example
 * ```ts
 * import { PBServerFactory, Root } from "@tw/core/spread";
 * import { serverFromString } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 * class Calculator extends Root {
 *   remote_add(a: number, b: number): number {
 *     return a + b;
 *   }
 * }
 * const port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1")
 *   .listen(new PBServerFactory(new Calculator()));
 * await port.stopListening();
 * ```
 */
export class PBServerFactory extends ServerFactory {
  /** What each broker publishes as "root". */
  readonly root: IPBRoot;
  /** Send the stack of failures to clients. */
  unsafeTracebacks: boolean;
  /** The jelly types accepted from clients. */
  readonly security: SecurityOptions | undefined;

  /** Serves `root` (an `IPBRoot`, or a `Portal` to log in to). */
  constructor(root: IPBRoot | Portal, options: PBFactoryOptions = {}) {
    super();
    this.root = root instanceof Portal
      ? { rootObject: (broker) => new PortalWrapper(root, broker as Broker) }
      : root;
    this.unsafeTracebacks = options.unsafeTracebacks ?? false;
    this.security = options.security;
  }

  /** A server-side broker with its root object. */
  override buildProtocol(_addr: Address): Broker {
    const broker = new Broker({ isClient: false, security: this.security });
    broker.factory = this;
    broker.setNameForLocal("root", this.root.rootObject(broker));
    return broker;
  }
}

/**
 * Connects to a PB server (Twisted's `pb.PBClientFactory`):
 * `getRootObject()` gives the server's root, `login(credentials, mind)`
 * logs in through Twisted's challenge-response and gives the avatar.
 * Both may be called before the connection is made.
 *
 * @example
 * ```ts
 * import { PBClientFactory } from "@tw/core/spread";
 * import { UsernamePassword } from "@tw/core/cred";
 * import { clientFromString } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 * async function whoami(port: number): Promise<string> {
 *   const factory = new PBClientFactory();
 *   await clientFromString(reactor, `tcp:127.0.0.1:${port}`).connect(factory);
 *   const avatar = await factory.login(new UsernamePassword("alice", "secret"));
 *   const name = await avatar.callRemote<string>("whoami");
 *   factory.disconnect();
 *   return name;
 * }
 * console.log(typeof whoami); // "function"
 * ```
 */
export class PBClientFactory extends ClientFactory {
  /** Send the stack of failures to the server. */
  unsafeTracebacks: boolean;
  /** The jelly types accepted from the server. */
  readonly security: SecurityOptions | undefined;
  #broker: Broker | null = null;
  #root: RemoteReference | null = null;
  #waiting: Deferred<RemoteReference>[] = [];

  /** Makes the factory; see `PBFactoryOptions`. */
  constructor(options: PBFactoryOptions = {}) {
    super();
    this.unsafeTracebacks = options.unsafeTracebacks ?? false;
    this.security = options.security;
  }

  /** A client-side broker. */
  override buildProtocol(_addr: Address): Broker {
    const broker = new Broker({ isClient: true, security: this.security });
    broker.factory = this;
    return broker;
  }

  /** Called by the broker once the connection is ready. */
  clientConnectionMade(broker: Broker): void {
    this.#broker = broker;
    this.#root = broker.remoteForName("root");
    broker.notifyOnDisconnect(() => {
      if (this.#broker !== broker) return;
      this.#broker = null;
      this.#root = null;
    });
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const d of waiting) d.callback(this.#root);
  }

  /** Fails the waiting `getRootObject` / `login` calls. */
  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    this.#failAll(reason);
  }

  /** Fails the waiting calls (a reconnecting subclass may keep them instead). */
  override clientConnectionLost(_connector: IConnector, reason: Failure): void {
    this.#failAll(reason);
  }

  #failAll(reason: Failure): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#broker = null;
    this.#root = null;
    for (const d of waiting) d.errback(reason);
  }

  /** The server's root object, once connected. */
  getRootObject(): Deferred<RemoteReference> {
    if (this.#root !== null && this.#broker?.disconnected === false) return succeed(this.#root);
    const d = new Deferred<RemoteReference>();
    this.#waiting.push(d);
    return d;
  }

  /**
   * Logs in: `UsernamePassword` through Twisted's challenge (the password
   * never crosses the wire), or `Anonymous`. `mind` is handed to the
   * server's realm (a `Referenceable` arrives there as a reference).
   * Fires with the avatar's reference; fails with `UnauthorizedLogin`.
   */
  login(credentials: ICredentials, mind: unknown = null): Deferred<RemoteReference> {
    return this.getRootObject().addCallback((root: RemoteReference) => {
      if (providedBy(IAnonymous, credentials)) {
        return root.callRemote<RemoteReference>("loginAnonymous", mind);
      }
      const { username, password } = credentials as IUsernamePassword;
      return root.callRemote<[Uint8Array, RemoteReference]>("login", te.encode(username))
        .addCallback(([challengeBytes, challenger]) =>
          challenger.callRemote<RemoteReference>(
            "respond",
            respond(challengeBytes, password),
            mind,
          ).addBoth((result) => {
            challenger[Symbol.dispose]();
            return result;
          }) as Deferred<RemoteReference>
        );
    });
  }

  /** Closes the connection, if any. */
  disconnect(): void {
    this.#broker?.transport.loseConnection();
  }
}
