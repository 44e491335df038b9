/**
 * `RemoteReference`, the local stand-in for a peer's `Referenceable`, and
 * `keywords`, the way to send keyword arguments.
 * Private: re-exported by `pb.ts`.
 * @module
 */
import type { BananaValue } from "./_banana_codec.ts";
import { InsecureJelly, type Jellier } from "./_jelly.ts";
import { type Deferred, fail } from "../internet/defer.ts";
import { DeadReferenceError } from "./_pb_errors.ts";

/** What a reference needs of its broker (`Broker` has it). */
export interface ReferenceBroker {
  /** True once the connection is gone. */
  readonly disconnected: boolean;
  /** Sends a message to object `luid`; see `RemoteReference.callRemote`. */
  sendMessage(
    perspective: unknown,
    luid: number | string,
    name: string,
    args: unknown[],
  ): Deferred<unknown>;
  /** Tells the peer one reference to `luid` is gone. */
  sendDecRef(luid: number): void;
  /** Calls `fn` when the connection closes. */
  notifyOnDisconnect(fn: () => void): void;
  /** Forgets `fn`. */
  dontNotifyOnDisconnect(fn: () => void): void;
}

/**
 * Keyword arguments for `callRemote`, made by `keywords`: as the last
 * argument they travel as Python's `**kw`.
 *
 * @example
 * ```ts
 * import { Keywords, keywords } from "@tw/core/spread";
 * console.log(keywords({ name: "Bob" }) instanceof Keywords); // true
 * ```
 */
export class Keywords {
  /** The keyword arguments. */
  readonly values: Readonly<Record<string, unknown>>;

  /** Wraps `values`. */
  constructor(values: Record<string, unknown>) {
    this.values = values;
  }
}

/**
 * Marks the last argument of `callRemote` as keyword arguments (Python's
 * `f(x, name=value)`). A `remote_*` method here receives them as a
 * trailing plain object, only when some were sent.
 *
 * @example
 * ```ts
 * import { keywords } from "@tw/core/spread";
 * const kw = keywords({ count: 12, name: "Bob" });
 * console.log(kw.values.count); // 12
 * // ref.callRemote("getPeopleNamed", kw) calls Python's remote_getPeopleNamed(count=12, name="Bob")
 * ```
 */
export function keywords(values: Record<string, unknown>): Keywords {
  return new Keywords(values);
}

const collected = new FinalizationRegistry<{ broker: ReferenceBroker; luid: number }>(
  ({ broker, luid }) => {
    if (!broker.disconnected) broker.sendDecRef(luid);
  },
);

/**
 * A reference to an object on the peer (Twisted's `pb.RemoteReference`):
 * `callRemote("NAME", ...)` calls its `remote_NAME` (or `perspective_*`,
 * `view_*`). Each reference the peer sends is counted there; release it
 * with `[Symbol.dispose]()` (or `using`), else when it is garbage
 * collected. Sent back to its peer, it arrives as the original object.
 *
 * @example
 * ```ts
 * import { PBClientFactory, type RemoteReference } from "@tw/core/spread";
 * async function add(factory: PBClientFactory): Promise<number> {
 *   const root: RemoteReference = await factory.getRootObject();
 *   return await root.callRemote<number>("add", 1, 2);
 * }
 * console.log(typeof add); // "function"
 * ```
 */
export class RemoteReference {
  /** The broker it came through. */
  readonly broker: ReferenceBroker;
  /** The object's ID on the peer (a number, or a name such as "root"). */
  readonly luid: number | string;
  /** The perspective it arrived for (arguments are serialized for it). */
  readonly perspective: unknown;
  #counted: boolean;
  #released = false;
  #onDisconnect: ((ref: RemoteReference) => void)[] = [];
  #disconnected = (): void => {
    const callbacks = this.#onDisconnect;
    this.#onDisconnect = [];
    for (const callback of callbacks) callback(this);
  };

  /**
   * Made by the broker.
   * @param counted true when the peer counted this reference (it gets a decref)
   */
  constructor(
    perspective: unknown,
    broker: ReferenceBroker,
    luid: number | string,
    counted = true,
  ) {
    this.perspective = perspective;
    this.broker = broker;
    this.luid = luid;
    this.#counted = counted && typeof luid === "number";
    if (this.#counted) collected.register(this, { broker, luid: luid as number }, this);
  }

  /**
   * Calls the remote method `name` with `args` (a last `keywords({...})`
   * sends keyword arguments). The Deferred fires with the answer, or fails
   * with the remote error (`PBError`, `NoSuchMethod`, `RemoteError` ...),
   * `PBConnectionLost`, or `DeadReferenceError` when the connection is gone.
   */
  callRemote<T = unknown>(name: string, ...args: unknown[]): Deferred<T> {
    if (this.#released) {
      return fail<T>(new DeadReferenceError(`Calling a released reference: ${name}`));
    }
    return this.broker.sendMessage(this.perspective, this.luid, name, args) as Deferred<T>;
  }

  /** A function that calls `callRemote(name, ...)`. */
  remoteMethod<T = unknown>(name: string): (...args: unknown[]) => Deferred<T> {
    return (...args) => this.callRemote<T>(name, ...args);
  }

  /** Calls `callback(this)` when the connection closes. */
  notifyOnDisconnect(callback: (ref: RemoteReference) => void): void {
    this.#onDisconnect.push(callback);
    if (this.#onDisconnect.length === 1) this.broker.notifyOnDisconnect(this.#disconnected);
  }

  /** Forgets a callback given to `notifyOnDisconnect`. */
  dontNotifyOnDisconnect(callback: (ref: RemoteReference) => void): void {
    const at = this.#onDisconnect.indexOf(callback);
    if (at >= 0) this.#onDisconnect.splice(at, 1);
    if (this.#onDisconnect.length === 0) this.broker.dontNotifyOnDisconnect(this.#disconnected);
  }

  /** Sent back to its own broker as `["local", id]`. */
  jellyFor(jellier: Jellier): BananaValue {
    if (jellier.invoker !== this.broker || this.#released) {
      throw new InsecureJelly("A RemoteReference goes back only to the broker it came from");
    }
    return ["local", this.luid];
  }

  /** Releases the reference: the peer may free the object. Later calls fail. */
  [Symbol.dispose](): void {
    if (this.#released) return;
    this.#released = true;
    if (!this.#counted) return;
    collected.unregister(this);
    if (!this.broker.disconnected) this.broker.sendDecRef(this.luid as number);
  }
}
