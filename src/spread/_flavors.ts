/**
 * PB's flavors (`twisted.spread.flavors`): how an object crosses a broker.
 * A `Referenceable` goes as a reference the peer calls (`remote_*`), a
 * `Viewable` as one that also names the caller (`view_*`), a `Copyable` as
 * a copy of its state, a `Cacheable` as a copy kept up to date
 * (`observe_*` on the peer's `RemoteCache`).
 * Private: re-exported by `pb.ts`.
 * @module
 */
import type { BananaValue } from "./_banana_codec.ts";
import { InsecureJelly, type Jellier, type Unjellier } from "./_jelly.ts";
import type { Deferred } from "../internet/defer.ts";

/** What the flavors need of the broker serializing them (`Broker` has it all). */
export interface FlavorBroker {
  /** The perspective the current value is serialized for. */
  readonly serializingPerspective: unknown;
  /** Registers a local object and returns its ID (counted once per call). */
  registerReference(object: object): number;
  /** The ID under which this broker cached `instance` on the peer (counting one more use). */
  cachedRemotelyAs(instance: Cacheable, incref: boolean): number | undefined;
  /** Caches `instance` on the peer: a new ID, with its observer. */
  cacheRemotely(instance: Cacheable): [number, RemoteCacheObserver];
  /** Keeps a cache the peer sent. */
  cacheLocally(luid: number, instance: RemoteCache<unknown>): void;
  /** Sends a message to the peer's cache of `cached`. */
  sendCacheMessage(
    cached: Cacheable,
    perspective: unknown,
    name: string,
    args: unknown[],
  ): Deferred<unknown>;
  /** Tells the peer this side no longer uses cache `luid`. */
  decCacheRef(luid: number): void;
}

/**
 * An object a broker can call (`remote_*`, `view_*`, `perspective_*`,
 * `observe_*`): it gets the message name, the arguments, and the keyword
 * arguments (empty when none were sent).
 */
export interface IRemotelyCallable {
  /** The perspective answers are serialized for (null: none). */
  readonly perspective?: unknown;
  /** Handles one message; returns the answer or a Deferred / Promise of it. */
  remoteMessageReceived(
    broker: unknown,
    message: string,
    args: unknown[],
    kw: Record<string, unknown>,
  ): unknown;
}

/**
 * The object has no such remote method (Twisted's `flavors.NoSuchMethod`).
 *
 * @example
 * ```ts
 * import { NoSuchMethod } from "@tw/core/spread";
 * console.log(new NoSuchMethod("No such method: remote_x").name); // "NoSuchMethod"
 * ```
 */
export class NoSuchMethod extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Calls `object[prefix + message](...before, ...args, kw?)`: the keyword
 * arguments come last, as one plain object, only when some were sent.
 */
export function dispatchMessage(
  object: object,
  prefix: string,
  message: string,
  args: unknown[],
  kw: Record<string, unknown>,
  before: unknown[] = [],
): unknown {
  const method = (object as Record<string, unknown>)[prefix + message];
  if (typeof method !== "function") throw new NoSuchMethod(`No such method: ${prefix}${message}`);
  const call = Object.keys(kw).length > 0 ? [...before, ...args, kw] : [...before, ...args];
  return method.apply(object, call);
}

function brokerOf(jellier: Jellier | Unjellier): FlavorBroker | null {
  const invoker = jellier.invoker as Partial<FlavorBroker> | null;
  return typeof invoker?.registerReference === "function" ? invoker as FlavorBroker : null;
}

/**
 * An object the peer gets a reference to (Twisted's `pb.Referenceable`):
 * its `remote_NAME` methods answer the peer's `callRemote("NAME", ...)`.
 * A method returns the answer, or a Deferred or Promise of it; what it
 * throws is sent back as the caller's error.
 *
 * @example
 * ```ts
 * import { Referenceable } from "@tw/core/spread";
 * class Echoer extends Referenceable {
 *   remote_echo(text: string): string {
 *     return text;
 *   }
 * }
 * console.log(new Echoer().remote_echo("hi")); // "hi"
 * ```
 */
export class Referenceable implements IRemotelyCallable {
  /** The perspective answers are serialized for (null: none). */
  perspective: unknown = null;

  /** Dispatches to `remote_<message>`. */
  remoteMessageReceived(
    _broker: unknown,
    message: string,
    args: unknown[],
    kw: Record<string, unknown>,
  ): unknown {
    return dispatchMessage(this, "remote_", message, args, kw);
  }

  /** Sent as `["remote", id]`, registered with the broker. */
  jellyFor(jellier: Jellier): BananaValue {
    const broker = brokerOf(jellier);
    if (broker === null) throw new InsecureJelly("A Referenceable is sent only through a broker");
    return ["remote", broker.registerReference(this)];
  }
}

/**
 * The object a broker publishes as `"root"` (`IPBRoot`): `rootObject` may
 * give each connection its own.
 */
export interface IPBRoot {
  /** The root object for `broker`. */
  rootObject(broker: unknown): object;
}

/**
 * A `Referenceable` that is its own root object (Twisted's `pb.Root`).
 *
 * @example
 * ```ts
 * import { Root } from "@tw/core/spread";
 * class Service extends Root {
 *   remote_add(a: number, b: number): number {
 *     return a + b;
 *   }
 * }
 * const root = new Service();
 * console.log(root.rootObject(null) === root); // true
 * ```
 */
export class Root extends Referenceable implements IPBRoot {
  /** Returns this object, for every broker. */
  rootObject(_broker: unknown): object {
    return this;
  }
}

const viewKeys = new WeakMap<object, WeakMap<object, object>>();
const viewKeysNoPerspective = new WeakMap<object, object>();

/**
 * A reference to a `Viewable` for one perspective (Twisted's
 * `pb.ViewPoint`): the peer's calls reach `view_NAME(perspective, ...)`.
 *
 * @example
 * ```ts
 * import { Viewable, ViewPoint } from "@tw/core/spread";
 * class Board extends Viewable {
 *   view_who(perspective: { name: string }): string {
 *     return perspective.name;
 *   }
 * }
 * const point = new ViewPoint({ name: "alice" }, new Board());
 * console.log(point.remoteMessageReceived(null, "who", [], {})); // "alice"
 * ```
 */
export class ViewPoint extends Referenceable {
  /** What the calls are made on. */
  readonly object: object;

  /** Joins a perspective and an object. */
  constructor(perspective: unknown, object: object) {
    super();
    this.perspective = perspective;
    this.object = object;
  }

  /** One key per perspective and object, so both share one reference ID. */
  processUniqueID(): object {
    const p = this.perspective;
    let byObject = typeof p === "object" && p !== null ? viewKeys.get(p) : undefined;
    if (typeof p === "object" && p !== null && byObject === undefined) {
      byObject = new WeakMap();
      viewKeys.set(p, byObject);
    }
    const table = byObject ?? viewKeysNoPerspective;
    let key = table.get(this.object);
    if (key === undefined) {
      key = {};
      table.set(this.object, key);
    }
    return key;
  }

  /** Dispatches to the object's `view_<message>(perspective, ...)`. */
  override remoteMessageReceived(
    _broker: unknown,
    message: string,
    args: unknown[],
    kw: Record<string, unknown>,
  ): unknown {
    return dispatchMessage(this.object, "view_", message, args, kw, [this.perspective]);
  }
}

/**
 * An object sent as a `ViewPoint` for the perspective it is sent to
 * (Twisted's `pb.Viewable`): its `view_NAME(perspective, ...)` methods
 * know who calls.
 *
 * @example
 * ```ts
 * import { Viewable } from "@tw/core/spread";
 * class Room extends Viewable {
 *   view_enter(perspective: { name: string }): string {
 *     return `welcome ${perspective.name}`;
 *   }
 * }
 * console.log(new Room().view_enter({ name: "bob" })); // "welcome bob"
 * ```
 */
export class Viewable {
  /** Sent as the `ViewPoint` of the perspective being served. */
  jellyFor(jellier: Jellier): BananaValue {
    const broker = brokerOf(jellier);
    if (broker === null) throw new InsecureJelly("A Viewable is sent only through a broker");
    return new ViewPoint(broker.serializingPerspective, this).jellyFor(jellier);
  }
}

/**
 * An object sent as a copy of its state (Twisted's `pb.Copyable`): the
 * peer makes the class registered for `getTypeToCopy()` (default: the
 * class name; use the Python class path for Twisted peers) and gives it
 * the state.
 *
 * @example
 * ```ts
 * import { Copyable } from "@tw/core/spread";
 * class Point extends Copyable {
 *   constructor(public x = 0, public y = 0) {
 *     super();
 *   }
 *   override getTypeToCopy(): string {
 *     return "geo.Point";
 *   }
 * }
 * console.log(new Point(1, 2).getStateToCopy()); // { x: 1, y: 2 }
 * ```
 */
export class Copyable {
  /** The state sent: the own enumerable properties (Python's `__dict__`). */
  getStateToCopy(): unknown {
    return { ...this };
  }

  /** The state sent to `perspective` (default: `getStateToCopy()`). */
  getStateToCopyFor(_perspective: unknown): unknown {
    return this.getStateToCopy();
  }

  /** The copy tag (default: the class name). */
  getTypeToCopy(): string {
    return this.constructor.name;
  }

  /** The copy tag for `perspective` (default: `getTypeToCopy()`). */
  getTypeToCopyFor(_perspective: unknown): string {
    return this.getTypeToCopy();
  }

  /** Sent as `[tag, state]`. */
  jellyFor(jellier: Jellier): BananaValue {
    const perspective = brokerOf(jellier)?.serializingPerspective ?? null;
    return [
      this.getTypeToCopyFor(perspective),
      jellier.jelly(this.getStateToCopyFor(perspective)),
    ];
  }
}

/**
 * The local copy of a peer's `Copyable` (Twisted's `pb.RemoteCopy`):
 * register it with `setUnjellyableForClass(tag, cls)`; it is made with
 * `new cls()` and given the state by `setCopyableState` (default: the
 * state's fields assigned to it).
 *
 * @example
 * ```ts
 * import { RemoteCopy, setUnjellyableForClass } from "@tw/core/spread";
 * class PointCopy extends RemoteCopy<{ x: number; y: number }> {
 *   x = 0;
 *   y = 0;
 * }
 * setUnjellyableForClass("geo.Point", PointCopy);
 * const p = new PointCopy();
 * p.setCopyableState({ x: 3, y: 4 });
 * console.log(p.x + p.y); // 7
 * ```
 */
export class RemoteCopy<S = Record<string, unknown>> {
  /** Takes the peer's state (default: its fields assigned to this object). */
  setCopyableState(state: S): void {
    if (typeof state === "object" && state !== null) Object.assign(this, state);
  }
}

/**
 * An object copied once to each peer and kept up to date there (Twisted's
 * `pb.Cacheable`): `getStateToCacheAndObserveFor` gives the state and
 * receives the observer through which changes reach the peer's
 * `RemoteCache` (`observer.callRemote("NAME", ...)` calls its
 * `observe_NAME`); `stoppedObserving` is called with the same observer
 * when the peer lets go or disconnects.
 *
 * @example
 * ```ts
 * import { Cacheable, type RemoteCacheObserver } from "@tw/core/spread";
 * class Counter extends Cacheable {
 *   value = 0;
 *   observers = new Set<RemoteCacheObserver>();
 *   override getStateToCacheAndObserveFor(_p: unknown, observer: RemoteCacheObserver): unknown {
 *     this.observers.add(observer);
 *     return { value: this.value };
 *   }
 *   override stoppedObserving(_p: unknown, observer: RemoteCacheObserver): void {
 *     this.observers.delete(observer);
 *   }
 *   increment(): void {
 *     this.value++;
 *     for (const o of this.observers) o.callRemote("setValue", this.value);
 *   }
 * }
 * console.log(new Counter().value); // 0
 * ```
 */
export class Cacheable extends Copyable {
  /** The state to cache on the peer; keep `observer` to send it changes. */
  getStateToCacheAndObserveFor(perspective: unknown, _observer: RemoteCacheObserver): unknown {
    return this.getStateToCopyFor(perspective);
  }

  /** Called when a peer stops observing (default: nothing). */
  stoppedObserving(_perspective: unknown, _observer: RemoteCacheObserver): void {}

  /** Sent whole (`[tag, id, state]`) the first time, then as `["cached", id]`. */
  override jellyFor(jellier: Jellier): BananaValue {
    const broker = brokerOf(jellier);
    if (broker === null) return super.jellyFor(jellier);
    const known = broker.cachedRemotelyAs(this, true);
    if (known !== undefined) return ["cached", known];
    const [luid, observer] = broker.cacheRemotely(this);
    const perspective = broker.serializingPerspective;
    const state = this.getStateToCacheAndObserveFor(perspective, observer);
    return [this.getTypeToCopyFor(perspective), luid, jellier.jelly(state)];
  }
}

/**
 * The peer's side of a `Cacheable` (Twisted's `pb.RemoteCache`): the
 * state arrives through `setCopyableState`, updates through `observe_NAME`
 * methods. The same object stands for every later copy of that cacheable.
 * `[Symbol.dispose]()` tells the peer this side is done with it (it is
 * otherwise kept until the connection closes).
 *
 * @example
 * ```ts
 * import { RemoteCache, setUnjellyableForClass } from "@tw/core/spread";
 * class CounterCache extends RemoteCache<{ value: number }> {
 *   value = 0;
 *   observe_setValue(value: number): void {
 *     this.value = value;
 *   }
 * }
 * setUnjellyableForClass("demo.Counter", CounterCache);
 * const cache = new CounterCache();
 * cache.observe_setValue(5);
 * console.log(cache.value); // 5
 * ```
 */
export class RemoteCache<S = Record<string, unknown>> extends RemoteCopy<S>
  implements IRemotelyCallable {
  /** The broker it came through (null once released). */
  broker: FlavorBroker | null = null;
  /** Its ID on that broker. */
  luid: number | null = null;
  /** Caches answer with no perspective. */
  readonly perspective: unknown = null;

  /** Dispatches to `observe_<message>`. */
  remoteMessageReceived(
    _broker: unknown,
    message: string,
    args: unknown[],
    kw: Record<string, unknown>,
  ): unknown {
    return dispatchMessage(this, "observe_", message, args, kw);
  }

  /** Sent back to its own broker as `["lcache", id]`. */
  jellyFor(jellier: Jellier): BananaValue {
    if (this.broker === null || jellier.invoker !== this.broker || this.luid === null) {
      throw new InsecureJelly("A RemoteCache goes back only to the broker it came from");
    }
    return ["lcache", this.luid];
  }

  /** Reads `[tag, id, state]` from its broker. */
  unjellyFor(unjellier: Unjellier, expression: readonly unknown[]): unknown {
    const broker = brokerOf(unjellier);
    const luid = expression[1];
    if (broker === null || typeof luid !== "number" || expression.length !== 3) {
      throw new InsecureJelly("A RemoteCache comes only through a broker, as [tag, id, state]");
    }
    this.broker = broker;
    this.luid = luid;
    broker.cacheLocally(luid, this as RemoteCache<unknown>);
    this.setCopyableState(unjellier.unjelly(expression[2]) as S);
    return this;
  }

  /** Tells the peer this side is done with the cache. */
  [Symbol.dispose](): void {
    if (this.broker !== null && this.luid !== null) this.broker.decCacheRef(this.luid);
  }
}

/**
 * The way back to one peer's `RemoteCache` of a `Cacheable` (Twisted's
 * `pb.RemoteCacheObserver`), given to `getStateToCacheAndObserveFor`; the
 * same object is later given to `stoppedObserving`.
 *
 * @example
 * ```ts
 * import type { RemoteCacheObserver } from "@tw/core/spread";
 * function announce(observers: Iterable<RemoteCacheObserver>, text: string): void {
 *   for (const o of observers) o.callRemote("news", text);
 * }
 * announce([], "nothing to say");
 * ```
 */
export class RemoteCacheObserver {
  /** The broker of the peer observing. */
  readonly broker: FlavorBroker;
  /** The cacheable observed. */
  readonly cached: Cacheable;
  /** The perspective it was sent for. */
  readonly perspective: unknown;

  /** Made by the broker. */
  constructor(broker: FlavorBroker, cached: Cacheable, perspective: unknown) {
    this.broker = broker;
    this.cached = cached;
    this.perspective = perspective;
  }

  /** Calls `observe_<name>` on the peer's cache; the answer comes as a Deferred. */
  callRemote<T = unknown>(name: string, ...args: unknown[]): Deferred<T> {
    return this.broker.sendCacheMessage(this.cached, this.perspective, name, args) as Deferred<T>;
  }
}
