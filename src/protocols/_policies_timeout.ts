/**
 * Idle timeouts: `TimeoutHelper` (composition), `TimeoutMixin(Base)` (a
 * class-returning mixin with Twisted's `TimeoutMixin` methods), and the
 * wrapper pair `TimeoutProtocol` / `TimeoutFactory`.
 *
 * @module
 */
import type { Address } from "../internet/address.ts";
import type { Failure } from "../internet/failure.ts";
import type {
  IDelayedCall,
  IProtocol,
  IProtocolFactory,
  IReactorTime,
  ITransport,
} from "../internet/interfaces.ts";
import { getReactor } from "../internet/reactor.ts";
import { ProtocolWrapper, WrappingFactory } from "./_policies_wrapper.ts";

/** Cancels a delayed call that may already have run or been cancelled. */
function cancelQuietly(call: IDelayedCall): void {
  if (call.active()) call.cancel();
}

/** The pending timeout call that `TimeoutHelper` and `TimeoutMixin` share the logic of. */
class TimeoutCall {
  #call: IDelayedCall | null = null;

  /** Restarts a pending call for `period` more seconds. */
  reset(period: number | null): void {
    if (this.#call !== null && period !== null) this.#call.reset(period);
  }

  /** Applies a new period: cancels (null), reschedules, or schedules `onTimeout`. */
  set(
    period: number | null,
    schedule: (period: number, fn: () => void) => IDelayedCall,
    onTimeout: () => void,
  ): void {
    if (this.#call !== null) {
      if (period === null) {
        cancelQuietly(this.#call);
        this.#call = null;
      } else {
        this.#call.reset(period);
      }
    } else if (period !== null) {
      this.#call = schedule(period, () => {
        this.#call = null;
        onTimeout();
      });
    }
  }
}

/** Options of {@link TimeoutHelper}. */
export interface TimeoutHelperOptions {
  /** Where the timeout is scheduled. @default the installed reactor (`getReactor()`) */
  clock?: IReactorTime;
}

/**
 * Twisted's `TimeoutMixin` as an object a protocol holds: `setTimeout(seconds)`
 * arms an idle timer, `resetTimeout()` restarts it (call it on traffic), and
 * when it runs out `timeoutConnection()` calls the function given to the
 * constructor. Use it by composition; `TimeoutMixin(Base)` builds the same
 * methods into a class.
 *
 * @example
 * ```ts
 * import { TimeoutHelper } from "@tw/core/protocols/policies";
 * import { Protocol } from "@tw/core/protocol";
 * import { Clock } from "@tw/core/task";
 *
 * const clock = new Clock();
 * class Idle extends Protocol {
 *   timeout = new TimeoutHelper(() => this.transport.loseConnection(), { clock });
 *   override connectionMade(): void {
 *     this.timeout.setTimeout(30);
 *   }
 *   override dataReceived(_data: Uint8Array): void {
 *     this.timeout.resetTimeout();
 *   }
 *   override connectionLost(): void {
 *     this.timeout.setTimeout(null);
 *   }
 * }
 * ```
 */
export class TimeoutHelper {
  /** The idle period in seconds, or null when no timeout is set. */
  timeOut: number | null = null;
  /** Where the timeout is scheduled; null means the installed reactor. */
  clock: IReactorTime | null;
  /** What `timeoutConnection` calls. */
  onTimeout: () => void;
  #timer = new TimeoutCall();

  /**
   * Makes a helper with no timeout set.
   * @param onTimeout called when the timeout runs out
   * @param options the clock
   */
  constructor(onTimeout: () => void, options: TimeoutHelperOptions = {}) {
    this.onTimeout = onTimeout;
    this.clock = options.clock ?? null;
  }

  /** Schedules `fn` after `period` seconds on `clock` (override to schedule elsewhere). */
  callLater(period: number, fn: () => void): IDelayedCall {
    return (this.clock ?? getReactor()).callLater(period, fn);
  }

  /** Restarts the timer from now, when a timeout is set. */
  resetTimeout(): void {
    this.#timer.reset(this.timeOut);
  }

  /**
   * Sets the idle period (null cancels the timeout) and returns the previous one.
   * @param period seconds, or null for none
   */
  setTimeout(period: number | null): number | null {
    const previous = this.timeOut;
    this.timeOut = period;
    this.#timer.set(period, (p, fn) => this.callLater(p, fn), () => this.timeoutConnection());
    return previous;
  }

  /** The timeout ran out: calls `onTimeout`. */
  timeoutConnection(): void {
    this.onTimeout();
  }
}

/** The members `TimeoutMixin` adds to a class (Twisted's `TimeoutMixin`). */
export interface TimeoutMixinMembers {
  /** The idle period in seconds, or null when no timeout is set. */
  timeOut: number | null;
  /** Where the timeout is scheduled; null means the installed reactor. */
  clock: IReactorTime | null;
  /** Schedules `fn` after `period` seconds on `clock`. */
  callLater(period: number, fn: () => void): IDelayedCall;
  /** Restarts the timer from now, when a timeout is set. */
  resetTimeout(): void;
  /** Sets the idle period (null cancels) and returns the previous one. */
  setTimeout(period: number | null): number | null;
  /** The timeout ran out; the default loses the connection (`this.transport.loseConnection()`). */
  timeoutConnection(): void;
}

/** Any class, as `TimeoutMixin` accepts it. */
// deno-lint-ignore no-explicit-any
export type AnyConstructor<T = object> = new (...args: any[]) => T;

/**
 * Returns a subclass of `Base` with Twisted's `TimeoutMixin` methods
 * (`setTimeout`, `resetTimeout`, `timeoutConnection`, `callLater`, `timeOut`,
 * `clock`). The default `timeoutConnection` calls `this.transport.loseConnection()`,
 * as Twisted's does. Set `clock` (a reactor or `Clock`) before `setTimeout`,
 * or the installed reactor is used.
 *
 * @example
 * ```ts
 * import { TimeoutMixin } from "@tw/core/protocols/policies";
 * import { Protocol } from "@tw/core/protocol";
 * import { Clock } from "@tw/core/task";
 *
 * class Idle extends TimeoutMixin(Protocol) {
 *   override connectionMade(): void {
 *     this.setTimeout(30);
 *   }
 *   override dataReceived(_data: Uint8Array): void {
 *     this.resetTimeout();
 *   }
 * }
 * const p = new Idle();
 * p.clock = new Clock();
 * ```
 * @param Base the class to extend
 */
export function TimeoutMixin<B extends AnyConstructor>(
  Base: B,
): B & AnyConstructor<TimeoutMixinMembers> {
  return class extends Base implements TimeoutMixinMembers {
    timeOut: number | null = null;
    clock: IReactorTime | null = null;
    #timer = new TimeoutCall();

    callLater(period: number, fn: () => void): IDelayedCall {
      return (this.clock ?? getReactor()).callLater(period, fn);
    }

    resetTimeout(): void {
      this.#timer.reset(this.timeOut);
    }

    setTimeout(period: number | null): number | null {
      const previous = this.timeOut;
      this.timeOut = period;
      this.#timer.set(period, (p, fn) => this.callLater(p, fn), () => this.timeoutConnection());
      return previous;
    }

    timeoutConnection(): void {
      (this as { transport?: ITransport }).transport?.loseConnection();
    }
  };
}

/**
 * A wrapper that closes the connection after `timeoutPeriod` seconds without
 * traffic either way (`twisted.protocols.policies.TimeoutProtocol`).
 *
 * @example
 * ```ts
 * import { TimeoutFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 * import { Clock, StringTransport } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const clock = new Clock();
 * const factory = new TimeoutFactory(Factory.forProtocol(Protocol), { timeoutPeriod: 10, clock });
 * const wrapper = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 1234))!;
 * const transport = new StringTransport();
 * wrapper.makeConnection(transport);
 * clock.advance(9);
 * wrapper.dataReceived(new Uint8Array([1])); // traffic restarts the 10 seconds
 * clock.advance(9);
 * console.log(transport.disconnecting); // false
 * clock.advance(1);
 * console.log(transport.disconnecting); // true
 * ```
 */
export class TimeoutProtocol extends ProtocolWrapper {
  /** The factory that built this wrapper. */
  declare factory: TimeoutFactory;
  /** The pending timeout call, or null. */
  timeoutCall: IDelayedCall | null = null;
  /** The idle period in seconds, or null. */
  timeoutPeriod: number | null = null;

  /**
   * Makes a wrapper and arms its timeout.
   * @param factory the timeout factory (its `callLater` schedules the timeout)
   * @param wrappedProtocol the protocol to wrap
   * @param timeoutPeriod seconds of idleness allowed, or null for none
   */
  constructor(factory: TimeoutFactory, wrappedProtocol: IProtocol, timeoutPeriod: number | null) {
    super(factory, wrappedProtocol);
    this.setTimeout(timeoutPeriod);
  }

  /** Cancels the current timeout and arms a new one (null: none). */
  setTimeout(timeoutPeriod: number | null = null): void {
    this.cancelTimeout();
    this.timeoutPeriod = timeoutPeriod;
    if (timeoutPeriod !== null) {
      this.timeoutCall = this.factory.callLater(timeoutPeriod, () => this.timeoutFunc());
    }
  }

  /** Cancels the timeout. */
  cancelTimeout(): void {
    this.timeoutPeriod = null;
    if (this.timeoutCall !== null) {
      cancelQuietly(this.timeoutCall);
      this.timeoutCall = null;
    }
  }

  /** Restarts the timer from now. */
  resetTimeout(): void {
    if (this.timeoutCall !== null && this.timeoutPeriod !== null) {
      this.timeoutCall.reset(this.timeoutPeriod);
    }
  }

  /** Resets the timer and writes. */
  override write(data: Uint8Array): void {
    this.resetTimeout();
    super.write(data);
  }

  /** Resets the timer and writes. */
  override writeSequence(data: Iterable<Uint8Array>): void {
    this.resetTimeout();
    super.writeSequence(data);
  }

  /** Resets the timer and delivers. */
  override dataReceived(data: Uint8Array): void {
    this.resetTimeout();
    super.dataReceived(data);
  }

  /** Cancels the timer and tells the wrapped protocol. */
  override connectionLost(reason: Failure): void {
    this.cancelTimeout();
    super.connectionLost(reason);
  }

  /** The timeout ran out: loses the connection. */
  timeoutFunc(): void {
    this.timeoutCall = null;
    this.loseConnection();
  }
}

/** Options of {@link TimeoutFactory}. */
export interface TimeoutFactoryOptions {
  /** Seconds of idleness before a connection is closed. @default 1800 */
  timeoutPeriod?: number;
  /** Where timeouts are scheduled. @default the installed reactor (`getReactor()`) */
  clock?: IReactorTime;
}

/**
 * Closes connections idle for `timeoutPeriod` seconds
 * (`twisted.protocols.policies.TimeoutFactory`).
 *
 * @example
 * ```ts
 * import { TimeoutFactory } from "@tw/core/protocols/policies";
 * import { Factory, Protocol } from "@tw/core/protocol";
 * import { Clock } from "@tw/core/task";
 *
 * const factory = new TimeoutFactory(Factory.forProtocol(Protocol), {
 *   timeoutPeriod: 60,
 *   clock: new Clock(),
 * });
 * ```
 */
export class TimeoutFactory extends WrappingFactory {
  /** Seconds of idleness before a connection is closed. */
  timeoutPeriod: number;
  /** Where timeouts are scheduled; null means the installed reactor. */
  clock: IReactorTime | null;

  /**
   * Makes the factory.
   * @param wrappedFactory the factory whose protocols are wrapped
   * @param options the period and the clock
   */
  constructor(wrappedFactory: IProtocolFactory, options: TimeoutFactoryOptions = {}) {
    super(wrappedFactory);
    this.timeoutPeriod = options.timeoutPeriod ?? 30 * 60;
    this.clock = options.clock ?? null;
  }

  /** Wraps the protocol in a `TimeoutProtocol` armed with `timeoutPeriod`. */
  override buildProtocol(addr: Address): TimeoutProtocol | null {
    const wrapped = this.wrappedFactory.buildProtocol(addr);
    if (wrapped === null) return null;
    return new TimeoutProtocol(this, wrapped, this.timeoutPeriod);
  }

  /** Schedules `fn` after `period` seconds on `clock`. */
  callLater(period: number, fn: () => void): IDelayedCall {
    return (this.clock ?? getReactor()).callLater(period, fn);
  }
}
