/**
 * A base class whose instances are functions, so that Twisted's observer and
 * predicate classes (which Python calls through `__call__`) can be passed
 * anywhere a plain function is expected: `publisher.addObserver(new
 * FilteringLogObserver(...))`. The constructor returns a function whose
 * prototype is the subclass's; subclass fields, `#private` ones included, are
 * installed on that function, so `instanceof` and private state work as usual.
 * @module
 */
import type { LogEvent } from "./_types.ts";

/**
 * A class whose instances can be called with an event; subclasses implement `__call__`.
 * Declare an interface of the same name extending `ILogObserver` to call instances as functions.
 *
 * @example
 * ```ts
 * import { CallableWithEvent, type ILogObserver, type LogEvent, Logger } from "@tw/core/logger";
 *
 * interface Counter extends ILogObserver {}
 * class Counter extends CallableWithEvent {
 *   count = 0;
 *   protected __call__(_event: LogEvent): void {
 *     this.count++;
 *   }
 * }
 * const counter = new Counter();
 * new Logger("app", counter).info("hello");
 * console.log(counter.count); // 1
 * ```
 */
export abstract class CallableWithEvent {
  constructor() {
    const call = function (event: LogEvent): unknown {
      return (call as unknown as CallableWithEvent).__call__(event);
    };
    Object.setPrototypeOf(call, new.target.prototype);
    return call as unknown as CallableWithEvent;
  }

  /**
   * What calling the instance does.
   * @param event the event the instance is called with
   */
  protected abstract __call__(event: LogEvent): unknown;
}
// Instances keep `call`, `apply` and `bind`, as any function does.
Object.setPrototypeOf(CallableWithEvent.prototype, Function.prototype);
