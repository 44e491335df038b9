/**
 * The Perspective Broker protocol (`pb.Broker`): Banana expressions that
 * send messages to objects on either side, answer them, and count the
 * references each side holds.
 * Private: re-exported by `pb.ts`.
 * @module
 */
import { Deferred, fail } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import { Logger } from "../logger/mod.ts";
import type { BananaValue } from "./_banana_codec.ts";
import { Banana } from "./banana.ts";
import { LoginFailed } from "../cred/mod.ts";
import {
  globalSecurity,
  InsecureJelly,
  jelly,
  SecurityOptions,
  setUnjellyableForClass,
  unjelly,
} from "./_jelly.ts";
import {
  type Cacheable,
  type FlavorBroker,
  type IRemotelyCallable,
  type RemoteCache,
  RemoteCacheObserver,
} from "./_flavors.ts";
import {
  CopiedFailure,
  CopyableFailure,
  DeadReferenceError,
  PBConnectionLost,
  PBError,
  ProtocolError,
  RemoteError,
} from "./_pb_errors.ts";
import { Keywords, type ReferenceBroker, RemoteReference } from "./_remote.ts";

setUnjellyableForClass("twisted.spread.pb.CopyableFailure", CopiedFailure);

const log = new Logger("tw.spread.pb");
const te = new TextEncoder();
const td = new TextDecoder();

/** The most objects one broker lends the peer at once (Twisted's `MAX_BROKER_REFS`). */
export const MAX_BROKER_REFS = 1024;

// The jelly types only a broker reads: references and caches.
const BROKER_TYPES = new Set(["remote", "local", "cached", "lcache"]);

class BrokerTaster extends SecurityOptions {
  #base: SecurityOptions;
  constructor(base: SecurityOptions) {
    super();
    this.#base = base;
  }
  override isTypeAllowed(type: string): boolean {
    return BROKER_TYPES.has(type) || this.#base.isTypeAllowed(type);
  }
}

/** An object lent to the peer, with how many references the peer holds. */
class Local {
  refcount = 1;
  readonly object: object;
  readonly perspective: unknown;
  readonly observer: RemoteCacheObserver | null;
  constructor(
    object: object,
    perspective: unknown = null,
    observer: RemoteCacheObserver | null = null,
  ) {
    this.object = object;
    this.perspective = perspective;
    this.observer = observer;
  }
}

/** Options for `Broker`. */
export interface BrokerOptions {
  /**
   * True for the connecting side.
   * @default true
   */
  isClient?: boolean;
  /**
   * The jelly types accepted from the peer.
   * @default globalSecurity
   */
  security?: SecurityOptions;
}

const text = (v: unknown): string | null =>
  v instanceof Uint8Array ? td.decode(v) : typeof v === "string" ? v : null;
const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof (v as PromiseLike<unknown> | null)?.then === "function";
const objectKey = (id: unknown): number | string | null => typeof id === "number" ? id : text(id);

/**
 * One end of a Perspective Broker connection (Twisted's `pb.Broker`).
 * Made by `PBServerFactory` and `PBClientFactory`; use it directly only to
 * publish names (`setNameForLocal`) or reach them (`remoteForName`).
 *
 * @example
 * ```ts
 * import { Broker, Root } from "@tw/core/spread";
 * import { StringTransport } from "@tw/core/testing";
 * class Adder extends Root {
 *   remote_add(a: number, b: number): number {
 *     return a + b;
 *   }
 * }
 * const server = new Broker({ isClient: false });
 * server.setNameForLocal("root", new Adder());
 * server.makeConnection(new StringTransport());
 * console.log(server.localObjectForID("root") instanceof Adder); // true
 * ```
 */
export class Broker extends Banana implements FlavorBroker, ReferenceBroker {
  /** The PB protocol version (6, as Twisted). */
  static readonly version = 6;
  /** The jelly types accepted from the peer. */
  readonly security: SecurityOptions;
  /** True once the connection is gone. */
  disconnected = false;
  /** The perspective the value being sent is serialized for. */
  serializingPerspective: unknown = null;
  /** The perspective the value being read is unserialized for. */
  unserializingPerspective: unknown = null;
  /** How often the peer went past `MAX_BROKER_REFS` (four times: closed). */
  maxBrokerRefsViolations = 0;
  #taster: BrokerTaster;
  #disconnects: (() => void)[] = [];
  #connects: (() => void)[] | null = [];
  #localObjects = new Map<number | string, Local>();
  #luids = new Map<unknown, number>();
  #cachedOnPeer = new Map<number, Local>();
  #cachedOnPeerIDs = new Map<object, number>();
  #cachedHere = new Map<number, { cache: RemoteCache<unknown>; held: boolean }>();
  #waiting = new Map<number, Deferred<unknown>>();
  #cleanups = new Map<unknown, () => void>();
  #requestID = 0;
  #localID = 0;

  /** Makes a broker; see `BrokerOptions`. */
  constructor(options: BrokerOptions = {}) {
    super({ isClient: options.isClient ?? true });
    this.security = options.security ?? globalSecurity;
    this.#taster = new BrokerTaster(this.security);
  }

  /** Whether failures carry the stack (the factory's `unsafeTracebacks`). */
  get unsafeTracebacks(): boolean {
    return (this.factory as { unsafeTracebacks?: boolean } | null)?.unsafeTracebacks === true;
  }

  /** Sends the version, runs `notifyOnConnect` callbacks, tells the factory. */
  override connectionReady(): void {
    this.sendCall("version", Broker.version);
    const connects = this.#connects ?? [];
    this.#connects = null;
    for (const fn of connects) this.#safely(fn);
    const factory = this.factory as { clientConnectionMade?: (b: Broker) => void } | null;
    factory?.clientConnectionMade?.(this);
  }

  /** Sends one PB command: `[name, ...args]`. */
  sendCall(...expression: BananaValue[]): void {
    this.sendEncoded(expression);
  }

  /** Reads one PB command; a malformed one closes the connection. */
  override expressionReceived(sexp: BananaValue): void {
    try {
      this.#dispatch(sexp);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      log.warn("PB protocol error from the peer: closing the connection: {error}", {
        error: e.message,
      });
      this.transport.loseConnection();
    }
  }

  #dispatch(sexp: BananaValue): void {
    if (!Array.isArray(sexp) || sexp.length === 0) {
      throw new ProtocolError("Non-list expression received");
    }
    const command = text(sexp[0]);
    const args = sexp.slice(1) as unknown[];
    const arity = (n: number): void => {
      if (args.length !== n) throw new ProtocolError(`${command} takes ${n} arguments`);
    };
    const id = (v: unknown): number => {
      if (typeof v !== "number" || !Number.isSafeInteger(v)) {
        throw new ProtocolError(`${command}: bad ID`);
      }
      return v;
    };
    switch (command) {
      case "version":
        arity(1);
        if (args[0] !== Broker.version) {
          throw new ProtocolError(`Version incompatibility: ${Broker.version} ${args[0]}`);
        }
        return;
      case "didNotUnderstand":
        log.info("The peer did not understand {command}", { command: text(args[0]) });
        return;
      case "message":
      case "cachemessage": {
        arity(6);
        const name = text(args[2]);
        if (name === null) throw new ProtocolError(`${command}: bad method name`);
        this.#receiveMessage(command === "cachemessage", id(args[0]), args[1], name, args);
        return;
      }
      case "answer":
      case "error": {
        arity(2);
        const d = this.#waiting.get(id(args[0]));
        if (d === undefined) throw new ProtocolError(`${command} to unknown request ${args[0]}`);
        this.#waiting.delete(id(args[0]));
        this.#settle(d, command === "error", args[1]);
        return;
      }
      case "decref":
        arity(1);
        return this.#decref(objectKey(args[0]));
      case "decache":
        arity(1);
        return this.#decache(id(args[0]));
      case "uncache": {
        arity(1);
        const entry = this.#cachedHere.get(id(args[0]));
        if (entry === undefined) throw new ProtocolError(`uncache of unknown cache ${args[0]}`);
        this.#cachedHere.delete(id(args[0]));
        entry.cache.broker = null;
        return;
      }
    }
    this.sendCall("didNotUnderstand", te.encode(String(command)));
  }

  // -- Sending messages --------------------------------------------------

  /**
   * Sends `name(...args)` to object `luid` (a last `keywords({...})` gives
   * keyword arguments); what `RemoteReference.callRemote` uses.
   */
  sendMessage(
    perspective: unknown,
    luid: number | string,
    name: string,
    args: unknown[],
    prefix = "",
  ): Deferred<unknown> {
    if (this.disconnected) return fail(new DeadReferenceError("Calling Stale Broker"));
    let kw: Record<string, unknown> = {};
    if (args.at(-1) instanceof Keywords) {
      kw = { ...(args.at(-1) as Keywords).values };
      args = args.slice(0, -1);
    }
    const requestID = ++this.#requestID;
    const d = new Deferred<unknown>();
    this.#waiting.set(requestID, d);
    try {
      const netArgs = this.serialize(args, perspective) as BananaValue[];
      const tuple = netArgs[0] === "list" ? ["tuple", ...netArgs.slice(1)] : netArgs;
      const netKw = this.serialize(kw, perspective);
      const objectID = typeof luid === "number" ? luid : te.encode(luid);
      this.sendCall(`${prefix}message`, requestID, objectID, te.encode(name), 1, tuple, netKw);
    } catch (e) {
      this.#waiting.delete(requestID);
      return fail(e);
    }
    return d;
  }

  /** Sends `name(...args)` to the peer's cache of `cached`. */
  sendCacheMessage(
    cached: Cacheable,
    perspective: unknown,
    name: string,
    args: unknown[],
  ): Deferred<unknown> {
    const luid = this.#cachedOnPeerIDs.get(cached);
    if (luid === undefined) {
      return fail(new ProtocolError("The cacheable has not been sent to this peer"));
    }
    return this.sendMessage(perspective, luid, name, args, "cache");
  }

  // -- Receiving messages ------------------------------------------------

  #receiveMessage(
    toCache: boolean,
    requestID: number,
    objectID: unknown,
    name: string,
    args: unknown[],
  ): void {
    const answerRequired = args[3] !== 0 && args[3] !== false;
    let target: IRemotelyCallable | undefined;
    let result: unknown;
    try {
      const key = objectKey(objectID);
      target = (toCache
        ? this.#cachedHere.get(key as number)?.cache
        : this.#localObjects.get(key as number)?.object) as IRemotelyCallable | undefined;
      if (target === undefined || typeof target.remoteMessageReceived !== "function") {
        throw new PBError("Invalid Object ID");
      }
      const perspective = target.perspective ?? null;
      const callArgs = this.unserialize(args[4], perspective);
      const kw = this.unserialize(args[5], perspective);
      if (!Array.isArray(callArgs) || typeof kw !== "object" || kw === null) {
        throw new PBError("Arguments must be a tuple and a dictionary");
      }
      const kwObject = kw instanceof Map ? Object.fromEntries(kw) : { ...kw };
      result = target.remoteMessageReceived(this, name, callArgs, kwObject);
    } catch (e) {
      if (answerRequired) this.#sendError(requestID, e);
      else if (!(e instanceof PBError)) log.failure(`PB method ${name} failed`, e, "error");
      return;
    }
    if (!answerRequired) return;
    const perspective = target.perspective ?? null;
    if (isThenable(result)) {
      result.then(
        (value) => this.#sendAnswer(requestID, value, perspective),
        (e) => this.#sendError(requestID, e),
      );
    } else this.#sendAnswer(requestID, result, perspective);
  }

  #sendAnswer(requestID: number, value: unknown, perspective: unknown): void {
    if (this.disconnected) return;
    let sexp: BananaValue;
    try {
      // A method that returns nothing answers None, as in Python.
      sexp = this.serialize(value === undefined ? null : value, perspective);
      this.sendCall("answer", requestID, sexp);
    } catch (e) {
      this.#sendError(requestID, e);
    }
  }

  #sendError(requestID: number, error: unknown): void {
    if (this.disconnected) return;
    const e = error instanceof Error
      ? error
      : (error as Failure)?.value ?? new Error(String(error));
    // Twisted logs all but pb.Error; a refused login is routine, not an error here.
    if (e instanceof LoginFailed) log.info("PB login refused: {error}", { error: e.message });
    else if (!(e instanceof PBError)) {
      log.failure("Peer will receive following PB traceback", e, "error");
    }
    const copied = typeof (e as { jellyFor?: unknown }).jellyFor === "function"
      ? e
      : new CopyableFailure(e, this.unsafeTracebacks);
    try {
      this.sendCall("error", requestID, this.serialize(copied));
    } catch (again) {
      // The error itself could not be sent: send a plain one.
      this.sendCall("error", requestID, this.serialize(new CopyableFailure(again as Error)));
    }
  }

  #settle(d: Deferred<unknown>, isError: boolean, sexp: unknown): void {
    let value: unknown;
    try {
      value = this.unserialize(sexp);
    } catch (e) {
      d.errback(e);
      return;
    }
    if (!isError) return d.callback(value);
    if (value instanceof CopiedFailure) d.errback(value.toError());
    else if (value instanceof Error) d.errback(value);
    else d.errback(new RemoteError("unknown", String(value), "", []));
  }

  // -- Serializing -------------------------------------------------------

  /** Jellies `value` for the peer, as seen by `perspective`. */
  serialize(value: unknown, perspective: unknown = null): BananaValue {
    const before = this.serializingPerspective;
    this.serializingPerspective = perspective;
    try {
      return jelly(value, { invoker: this });
    } finally {
      this.serializingPerspective = before;
    }
  }

  /** Unjellies what the peer sent, with this broker's security options. */
  unserialize(sexp: unknown, perspective: unknown = null): unknown {
    const before = this.unserializingPerspective;
    this.unserializingPerspective = perspective;
    try {
      return unjelly(sexp, {
        taster: this.#taster,
        invoker: this,
        unjellyOther: (tag, x) => this.#unjellyBrokerType(tag, x),
      });
    } finally {
      this.unserializingPerspective = before;
    }
  }

  #unjellyBrokerType(tag: string, x: readonly unknown[]): unknown {
    const key = objectKey(x[1]);
    if (x.length !== 2 || key === null) throw new InsecureJelly(`Bad ${tag}`);
    switch (tag) {
      case "remote":
        if (typeof key !== "number") throw new InsecureJelly("Bad remote reference ID");
        return new RemoteReference(this.unserializingPerspective, this, key, true);
      case "local": {
        const local = this.#localObjects.get(key);
        if (local === undefined) throw new InsecureJelly(`Unknown local object ${key}`);
        return local.object;
      }
      case "cached": {
        const entry = this.#cachedHere.get(key as number);
        if (entry === undefined) throw new InsecureJelly(`Unknown cache ${key}`);
        // One cache object stands for every copy: hold one count on the peer.
        if (entry.held) this.decCacheRef(key as number);
        entry.held = true;
        return entry.cache;
      }
      case "lcache": {
        const local = this.#cachedOnPeer.get(key as number);
        if (local === undefined) throw new InsecureJelly(`Unknown cached object ${key}`);
        return local.object;
      }
    }
    return undefined;
  }

  // -- References --------------------------------------------------------

  /** The local object published under `id` (a number or a name), or null. */
  localObjectForID(id: number | string | Uint8Array): object | null {
    return this.#localObjects.get(objectKey(id) ?? "")?.object ?? null;
  }

  /**
   * Lends `object` to the peer: its ID, counting one more reference.
   * Throws `PBError` past `MAX_BROKER_REFS` (the fourth time, it closes).
   */
  registerReference(object: object): number {
    const key = (object as { processUniqueID?: () => unknown }).processUniqueID?.() ?? object;
    const luid = this.#luids.get(key);
    if (luid !== undefined) {
      this.#localObjects.get(luid)!.refcount++;
      return luid;
    }
    if (this.#localObjects.size > MAX_BROKER_REFS) {
      this.#tooMany("reference");
    }
    const fresh = ++this.#localID;
    this.#localObjects.set(fresh, new Local(object));
    this.#luids.set(key, fresh);
    return fresh;
  }

  #tooMany(what: string): never {
    if (++this.maxBrokerRefsViolations > 3) {
      this.transport.loseConnection();
      throw new PBError(`Maximum PB ${what} count exceeded.  Goodbye.`);
    }
    throw new PBError(`Maximum PB ${what} count exceeded.`);
  }

  /** Publishes `object` under `name` (the factories publish "root"). */
  setNameForLocal(name: string, object: object): void {
    this.#localObjects.set(name, new Local(object));
  }

  /** A reference to the peer's object named `name` (not counted). */
  remoteForName(name: string): RemoteReference {
    return new RemoteReference(null, this, name, false);
  }

  /** Runs `fn` once the peer releases `object` (or on disconnect, if given there too). */
  setLocalCleanup(object: object, fn: () => void): void {
    const key = (object as { processUniqueID?: () => unknown }).processUniqueID?.() ?? object;
    this.#cleanups.set(key, fn);
  }

  /** Tells the peer one reference to `luid` is gone. */
  sendDecRef(luid: number): void {
    if (!this.disconnected) this.sendCall("decref", luid);
  }

  #decref(key: number | string | null): void {
    const local = key === null ? undefined : this.#localObjects.get(key);
    if (local === undefined || typeof key !== "number") {
      throw new ProtocolError(`decref of unknown object ${key}`);
    }
    if (--local.refcount > 0) return;
    const object = local.object as { processUniqueID?: () => unknown };
    const puid = object.processUniqueID?.() ?? object;
    this.#luids.delete(puid);
    this.#localObjects.delete(key);
    const cleanup = this.#cleanups.get(puid);
    this.#cleanups.delete(puid);
    if (cleanup) this.#safely(cleanup);
  }

  // -- Caches ------------------------------------------------------------

  /** The ID `instance` is cached under on the peer, counting one more use. */
  cachedRemotelyAs(instance: Cacheable, incref: boolean): number | undefined {
    const luid = this.#cachedOnPeerIDs.get(instance);
    if (luid !== undefined && incref) this.#cachedOnPeer.get(luid)!.refcount++;
    return luid;
  }

  /** Caches `instance` on the peer: a new ID and the observer for it. */
  cacheRemotely(instance: Cacheable): [number, RemoteCacheObserver] {
    if (this.#cachedOnPeer.size > MAX_BROKER_REFS) this.#tooMany("cache");
    const luid = ++this.#localID;
    const observer = new RemoteCacheObserver(this, instance, this.serializingPerspective);
    this.#cachedOnPeerIDs.set(instance, luid);
    this.#cachedOnPeer.set(luid, new Local(instance, this.serializingPerspective, observer));
    return [luid, observer];
  }

  /** Keeps a cache the peer sent, until it uncaches it. */
  cacheLocally(luid: number, instance: RemoteCache<unknown>): void {
    this.#cachedHere.set(luid, { cache: instance, held: true });
  }

  /** Tells the peer this side is done with cache `luid`. */
  decCacheRef(luid: number): void {
    const entry = this.#cachedHere.get(luid);
    if (entry !== undefined) entry.held = false;
    if (!this.disconnected) this.sendCall("decache", luid);
  }

  #decache(luid: number): void {
    const local = this.#cachedOnPeer.get(luid);
    if (local === undefined) throw new ProtocolError(`decache of unknown cache ${luid}`);
    if (--local.refcount > 0) return;
    this.#cachedOnPeer.delete(luid);
    this.#cachedOnPeerIDs.delete(local.object);
    this.#stopObserving(local);
    this.sendCall("uncache", luid);
  }

  #stopObserving(local: Local): void {
    this.#safely(() =>
      (local.object as Cacheable).stoppedObserving(local.perspective, local.observer!)
    );
  }

  // -- Connection state --------------------------------------------------

  /** Calls `fn` when the connection closes. */
  notifyOnDisconnect(fn: () => void): void {
    if (this.disconnected) this.#safely(fn);
    else this.#disconnects.push(fn);
  }

  /** Forgets `fn`. */
  dontNotifyOnDisconnect(fn: () => void): void {
    const at = this.#disconnects.indexOf(fn);
    if (at >= 0) this.#disconnects.splice(at, 1);
  }

  /** Calls `fn` once the connection is ready (now, if it is). */
  notifyOnConnect(fn: () => void): void {
    if (this.#connects === null) this.#safely(fn);
    else this.#connects.push(fn);
  }

  /** Fails pending calls, stops cache observers, runs disconnect callbacks. */
  override connectionLost(reason: Failure): void {
    this.disconnected = true;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const d of waiting) d.errback(new PBConnectionLost(String(reason?.value?.message ?? "")));
    for (const local of this.#cachedOnPeer.values()) this.#stopObserving(local);
    const disconnects = this.#disconnects;
    this.#disconnects = [];
    for (const fn of disconnects) this.#safely(fn);
    this.#localObjects.clear();
    this.#luids.clear();
    this.#cachedOnPeer.clear();
    this.#cachedOnPeerIDs.clear();
    this.#cachedHere.clear();
    this.#cleanups.clear();
    super.connectionLost(reason);
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      log.failure("PB callback failed", e, "error");
    }
  }
}
