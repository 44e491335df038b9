/**
 * Services and service collections (`twisted.application.service`): the
 * tree an application is made of, started and stopped as one.
 * @module
 */
import { type Deferred, DeferredList, maybeDeferred } from "../internet/defer.ts";
import { Failure } from "../internet/failure.ts";
import { Logger } from "../logger/mod.ts";

const log = new Logger("application");

/** What `startService` / `stopService` may return: nothing, or something to wait for. */
export type ServiceResult = void | PromiseLike<unknown>;

/**
 * A service (`IService`): something started when its application starts and
 * stopped when it stops. `Service` implements it; subclass that.
 */
export interface IService {
  /** The name, unique among its parent's children, or null. */
  name: string | null;
  /** The collection this service belongs to, or null. */
  parent: IServiceCollection | null;
  /** True between `startService` and `stopService`. */
  running: boolean;
  /** Names the service; throws once it has a parent. */
  setName(name: string): void;
  /** Adds the service to `parent` (leaving its current parent first). */
  setServiceParent(parent: IServiceCollection): ServiceResult;
  /** Removes the service from its parent; returns what stopping it returned. */
  disownServiceParent(): ServiceResult;
  /** Does what needs privileges (binding low ports) before they are dropped. */
  privilegedStartService(): void;
  /** Starts the service; may return a Deferred / Promise that fails when startup fails. */
  startService(): ServiceResult;
  /** Stops the service; may return a Deferred / Promise that fires once it has stopped. */
  stopService(): ServiceResult;
}

/** A service holding other services (`IServiceCollection`); iterating yields them in order. */
export interface IServiceCollection extends Iterable<IService> {
  /** The child named `name`; throws RangeError when there is none. */
  getServiceNamed(name: string): IService;
  /** Adds a child (started at once when this collection runs). */
  addService(service: IService): ServiceResult;
  /** Removes a child (stopped when this collection runs); returns what stopping returned. */
  removeService(service: IService): ServiceResult;
}

/**
 * The base service (`twisted.application.service.Service`). Subclasses
 * override `startService` / `stopService` and call `super` first, which sets
 * `running`.
 *
 * @example
 * ```ts
 * import { MultiService, Service } from "@tw/core/application";
 *
 * class Hello extends Service {
 *   override startService(): void {
 *     super.startService();
 *     console.log("started", this.name);
 *   }
 * }
 * const root = new MultiService();
 * const hello = new Hello();
 * hello.setName("hello");
 * hello.setServiceParent(root);
 * root.startService(); // "started hello"
 * ```
 */
export class Service implements IService {
  /** The service's name, or null. @default null */
  name: string | null = null;
  /** The parent collection, or null. @default null */
  parent: IServiceCollection | null = null;
  /** True while started. @default false */
  running = false;

  /**
   * Names the service.
   * @throws {TypeError} when it already has a parent (the parent indexes it by name)
   */
  setName(name: string): void {
    if (this.parent !== null) {
      throw new TypeError(`Cannot change the name of a service that has a parent: ${this.name}`);
    }
    this.name = name;
  }

  /**
   * Makes `parent` this service's parent, leaving the old one first; the
   * parent starts it when the parent is running.
   * @returns what the parent's `addService` returned (the start, when running)
   */
  setServiceParent(parent: IServiceCollection): ServiceResult {
    if (this.parent !== null) this.disownServiceParent();
    this.parent = parent;
    try {
      return parent.addService(this);
    } catch (error) {
      // A refused child (a duplicate name) stays an orphan.
      this.parent = null;
      throw error;
    }
  }

  /**
   * Leaves the parent (which stops this service if it is running).
   * @returns what stopping returned, or undefined
   */
  disownServiceParent(): ServiceResult {
    const parent = this.parent;
    if (parent === null) return undefined;
    const result = parent.removeService(this);
    this.parent = null;
    return result;
  }

  /** Does nothing here: override for work needing privileges. */
  privilegedStartService(): void {}

  /** Marks the service running. */
  startService(): ServiceResult {
    this.running = true;
  }

  /** Marks the service stopped. */
  stopService(): ServiceResult {
    this.running = false;
  }

  /** Describes the service, for logs. */
  toString(): string {
    return `<${this.constructor.name}${this.name === null ? "" : ` ${this.name}`}>`;
  }
}

/**
 * A service made of services (`MultiService`): starts its children in the
 * order they were added and stops them in reverse order, waiting for all of
 * their stops (as Twisted's `DeferredList`: a failed stop is logged and does
 * not keep the others from finishing).
 *
 * `startService` starts every child synchronously and returns a Deferred that
 * fires once every Deferred / Promise the children returned has settled, or
 * fails with the first child's failure (e.g. a port that cannot be bound).
 *
 * @example
 * ```ts
 * import { MultiService, Service } from "@tw/core/application";
 *
 * const web = new MultiService();
 * const cache = new Service();
 * cache.setName("cache");
 * cache.setServiceParent(web);
 * await web.startService();
 * console.log(web.getServiceNamed("cache").running); // true
 * await web.stopService();
 * console.log([...web].length, cache.running); // 1 false
 * ```
 */
export class MultiService extends Service implements IServiceCollection {
  #services: IService[] = [];
  #named = new Map<string, IService>();

  /** Iterates over the children in the order they were added. */
  [Symbol.iterator](): Iterator<IService> {
    return this.#services[Symbol.iterator]();
  }

  /** Runs `privilegedStartService` on itself and every child, in order. */
  override privilegedStartService(): void {
    super.privilegedStartService();
    for (const service of [...this.#services]) service.privilegedStartService();
  }

  /**
   * Starts itself and every child, in order.
   * @returns a Deferred that fires when every child has started, or fails
   *   with the first failure among them once all have settled
   */
  override startService(): Deferred<void> {
    super.startService();
    const waits: Deferred<unknown>[] = [];
    for (const service of [...this.#services]) {
      const started = maybeDeferred(() => service.startService());
      waits.push(started);
    }
    return allSettled(waits).addCallback((failures) => {
      if (failures.length > 0) throw failures[0];
    });
  }

  /**
   * Stops itself and every child, in reverse order.
   * @returns a Deferred that fires once every child has stopped (failures
   *   are logged; the Deferred still fires)
   */
  override stopService(): Deferred<void> {
    super.stopService();
    const waits = [...this.#services].reverse().map((service) =>
      maybeDeferred(() => service.stopService())
    );
    return allSettled(waits).addCallback((failures) => {
      for (const failure of failures) log.failure("Error stopping a service", failure);
    });
  }

  /**
   * The child named `name`.
   * @throws {RangeError} when there is none
   */
  getServiceNamed(name: string): IService {
    const service = this.#named.get(name);
    if (service === undefined) throw new RangeError(`No service named ${JSON.stringify(name)}`);
    return service;
  }

  /**
   * Adds a child; when this collection is running, the child is started at
   * once (`privilegedStartService` then `startService`). Prefer
   * `child.setServiceParent(collection)`, which also sets `parent`.
   * @returns what the child's `startService` returned, when started
   * @throws {TypeError} when another child has the same name
   */
  addService(service: IService): ServiceResult {
    if (service.name !== null) {
      if (this.#named.has(service.name)) {
        throw new TypeError(
          `Cannot have two services with the same name: ${JSON.stringify(service.name)}`,
        );
      }
      this.#named.set(service.name, service);
    }
    this.#services.push(service);
    if (!this.running) return undefined;
    service.privilegedStartService();
    return service.startService();
  }

  /**
   * Removes a child, stopping it when this collection is running.
   * @returns what the child's `stopService` returned, or undefined
   * @throws {RangeError} when it is not a child
   */
  removeService(service: IService): ServiceResult {
    const index = this.#services.indexOf(service);
    if (index < 0) throw new RangeError(`${String(service)} is not a child of ${String(this)}`);
    if (service.name !== null) this.#named.delete(service.name);
    this.#services.splice(index, 1);
    return this.running ? service.stopService() : undefined;
  }
}

/**
 * The root of an application (Twisted's `service.Application(name)`): a
 * `MultiService` with a name. An application module (the `.tac` equivalent)
 * exports one as `application`; `loadApplication` and `startApplication` run it.
 *
 * @example
 * ```ts
 * import { Application, TimerService } from "@tw/core/application";
 *
 * export const application = new Application("ticker");
 * new TimerService(60, () => console.log("tick")).setServiceParent(application);
 * ```
 */
export class Application extends MultiService {
  /**
   * Makes an empty application.
   * @param name its name (for logs and the `tw` command)
   */
  constructor(name: string) {
    super();
    this.name = name;
  }

  /** Applications are roots: adding one to a collection is a mistake. */
  override setServiceParent(_parent: IServiceCollection): ServiceResult {
    throw new TypeError("An Application is the root of a service tree: it cannot have a parent");
  }
}

/** Waits for every Deferred; fires with the failures among them (in input order). */
function allSettled(waits: Deferred<unknown>[]): Deferred<Failure[]> {
  return new DeferredList(waits, { consumeErrors: true }).addCallback((results) => {
    const failures: Failure[] = [];
    for (const [ok, value] of results) {
      if (!ok) failures.push(value instanceof Failure ? value : new Failure(value));
    }
    return failures;
  });
}
