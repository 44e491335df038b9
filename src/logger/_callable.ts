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

/** A class whose instances can be called with an event; subclasses implement `__call__`. */
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
