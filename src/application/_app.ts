/**
 * Application modules (the `.tac` equivalent) and running a service tree on
 * a reactor (what `twistd` / `tw` does with an application).
 * @module
 */
import { Deferred, maybeDeferred } from "../internet/defer.ts";
import type { IReactorCore, SystemEventTriggerId } from "../internet/reactor.ts";
import type { IService } from "./_service.ts";

/** The reactor facts `startApplication` uses: its lifecycle and system event triggers. */
export type ApplicationReactor = Pick<
  IReactorCore,
  "callWhenRunning" | "addSystemEventTrigger" | "removeSystemEventTrigger"
>;

const SERVICE_METHODS = ["privilegedStartService", "startService", "stopService"] as const;

/**
 * True when `value` looks like an `IService` (has the start and stop methods).
 *
 * @example
 * ```ts
 * import { isService, Service } from "@tw/core/application";
 * console.log(isService(new Service())); // true
 * console.log(isService({ startService() {} })); // false
 * ```
 */
export function isService(value: unknown): value is IService {
  if (value === null || typeof value !== "object") return false;
  const record = value as Record<string, unknown>;
  return SERVICE_METHODS.every((method) => typeof record[method] === "function");
}

/** Turns an absolute file path into a `file:` URL; URLs and relative specifiers pass through. */
function toSpecifier(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith("/")) {
    return "file://" + encodeURI(module).replace(/[?#]/g, encodeURIComponent);
  }
  if (/^[A-Za-z]:[\\/]/.test(module)) {
    return "file:///" + encodeURI(module.replace(/\\/g, "/")).replace(/[?#]/g, encodeURIComponent);
  }
  return module;
}

/**
 * Imports an application module (the `.tac` equivalent: a TS / JS module
 * that exports `application`, usually an `Application`) and returns that
 * export, checked.
 *
 * @param module the module's URL, or an absolute file path
 * @returns the module's `application`
 * @throws {TypeError} when the module has no `application` export or it is not a service
 * @example
 * ```ts ignore
 * import { loadApplication, startApplication } from "@tw/core/application";
 * import { reactor } from "@tw/core";
 *
 * const application = await loadApplication(new URL("./app.ts", import.meta.url));
 * startApplication(application, reactor);
 * await reactor.run();
 * ```
 */
export async function loadApplication(module: string | URL): Promise<IService> {
  const specifier = toSpecifier(module);
  const loaded = await import(specifier) as Record<string, unknown>;
  if (!("application" in loaded)) {
    throw new TypeError(`${specifier} does not export an application (export const application)`);
  }
  const application = loaded.application;
  if (!isService(application)) {
    throw new TypeError(
      `The application exported by ${specifier} is not a service (an Application or MultiService)`,
    );
  }
  return application;
}

const started = new WeakMap<
  IService,
  { reactor: ApplicationReactor; trigger: SystemEventTriggerId }
>();

/**
 * Runs a service tree on `reactor` as `twistd` does: `privilegedStartService`
 * now, `startService` once the reactor runs (at once if it already does),
 * and a "before shutdown" trigger that stops the tree, so the reactor's
 * shutdown waits until every service has stopped.
 *
 * @param application the root service
 * @param reactor the reactor it runs on
 * @returns a Deferred that fires once the tree has started (its ports bound),
 *   or fails with the first startup error (e.g. `CannotListenError`): the
 *   caller decides whether to stop the reactor
 * @throws whatever `privilegedStartService` throws
 * @example
 * ```ts ignore
 * import { Application, startApplication, strports } from "@tw/core/application";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * const application = new Application("demo");
 * strports.service("tcp:8000", Factory.forProtocol(Protocol)).setServiceParent(application);
 * startApplication(application, reactor).addErrback((f) => {
 *   console.error(f.getErrorMessage());
 *   reactor.stop();
 * });
 * await reactor.run();
 * ```
 */
export function startApplication(
  application: IService,
  reactor: ApplicationReactor,
): Deferred<void> {
  if (started.has(application)) throw new TypeError(`${String(application)} was already started`);
  application.privilegedStartService();
  const trigger = reactor.addSystemEventTrigger("before", "shutdown", () => {
    started.delete(application);
    return maybeDeferred(() => application.stopService());
  });
  started.set(application, { reactor, trigger });
  const done = new Deferred<void>();
  reactor.callWhenRunning(() => {
    maybeDeferred(() => application.startService()).addCallbacks(
      () => {
        done.callback(undefined);
        return null;
      },
      (failure) => {
        done.errback(failure);
        return null;
      },
    );
  });
  return done;
}

/**
 * Stops a tree started by `startApplication` without stopping the reactor:
 * removes the shutdown trigger and stops the services.
 *
 * @param application the root service
 * @returns a Deferred that fires once every service has stopped (at once
 *   when the tree is not running)
 * @example
 * ```ts
 * import { Application, Service, startApplication, stopApplication } from "@tw/core/application";
 * import { MemoryReactor } from "@tw/core/testing";
 *
 * const reactor = new MemoryReactor();
 * const application = new Application("demo");
 * const service = new Service();
 * service.setServiceParent(application);
 * startApplication(application, reactor);
 * await reactor.run(); // starts the tree
 * console.log(service.running); // true
 * await stopApplication(application);
 * console.log(service.running); // false
 * ```
 */
export function stopApplication(application: IService): Deferred<void> {
  const entry = started.get(application);
  if (entry !== undefined) {
    started.delete(application);
    try {
      entry.reactor.removeSystemEventTrigger(entry.trigger);
    } catch {
      // Already run: the reactor is shutting down and stops the tree itself.
    }
  }
  if (!application.running) return maybeDeferred(() => undefined);
  return maybeDeferred(() => application.stopService()).addCallback(() => undefined);
}
