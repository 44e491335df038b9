/**
 * `Cooperator` and `cooperate` (`twisted.internet.task`'s cooperative
 * multitasking): long jobs run as iterators, a few steps per turn of the event
 * loop, so they never block it. Re-exported by `task.ts`.
 *
 * @module
 */
import { Deferred } from "./defer.ts";
import { isThenable } from "./_defer_core.ts";
import { Failure } from "./failure.ts";
import type { IReactorTime } from "./interfaces.ts";
import { getReactor } from "./reactor.ts";

// ---- Cooperator ---------------------------------------------------------------

/**
 * Base class of the ways a `CooperativeTask` can be over (`task.TaskDone`).
 *
 * @example
 * ```ts
 * import { Clock, Cooperator, TaskDone } from "@tw/core/task";
 *
 * const clock = new Clock();
 * const task = new Cooperator({ clock }).cooperate([1, 2, 3]);
 * clock.advance(0); // one tick runs the three steps
 * try {
 *   task.pause();
 * } catch (e) {
 *   if (e instanceof TaskDone) console.log(e.name); // "TaskFinished"
 * }
 * ```
 */
export class TaskDone extends Error {
  /** Creates the error with an optional message. */
  constructor(message = "The task is done") {
    super(message);
    this.name = "TaskDone";
  }
}

/**
 * The task's iterator was exhausted.
 *
 * @example
 * ```ts
 * import { Clock, Cooperator, TaskFinished } from "@tw/core/task";
 *
 * const clock = new Clock();
 * const task = new Cooperator({ clock }).cooperate(["a", "b"]);
 * clock.advance(0);
 * try {
 *   task.stop();
 * } catch (e) {
 *   console.log(e instanceof TaskFinished); // true: the task had finished already
 * }
 * ```
 */
export class TaskFinished extends TaskDone {
  /** Creates the error with an optional message. */
  constructor(message = "The task has finished") {
    super(message);
    this.name = "TaskFinished";
  }
}

/**
 * The task was stopped with `stop()`: what `whenDone()` fails with.
 *
 * @example
 * ```ts
 * import { Clock, Cooperator, TaskStopped } from "@tw/core/task";
 *
 * const clock = new Clock();
 * const task = new Cooperator({ clock }).cooperate([1, 2, 3]);
 * task.whenDone().addErrback((f) => {
 *   f.trap(TaskStopped);
 *   console.log("stopped"); // stopped
 * });
 * task.stop();
 * ```
 */
export class TaskStopped extends TaskDone {
  /** Creates the error with an optional message. */
  constructor(message = "The task was stopped") {
    super(message);
    this.name = "TaskStopped";
  }
}

/**
 * The task's iterator threw, or a Deferred / Promise it yielded failed.
 *
 * @example
 * ```ts
 * import { Clock, Cooperator, TaskFailed } from "@tw/core/task";
 *
 * function* job(): Generator<void> {
 *   yield;
 *   throw new RangeError("bad input");
 * }
 * const clock = new Clock();
 * const task = new Cooperator({ clock }).cooperate(job());
 * task.whenDone().addErrback((f) => console.log(f.getErrorMessage())); // "bad input"
 * clock.advance(0);
 * try {
 *   task.pause();
 * } catch (e) {
 *   console.log(e instanceof TaskFailed); // true
 * }
 * ```
 */
export class TaskFailed extends TaskDone {
  /** Creates the error with an optional message. */
  constructor(message = "The task has failed") {
    super(message);
    this.name = "TaskFailed";
  }
}

/**
 * Base class of scheduler misuse errors (`task.SchedulerError`).
 *
 * @example
 * ```ts
 * import { Clock, Cooperator, SchedulerError } from "@tw/core/task";
 *
 * const coop = new Cooperator({ clock: new Clock() });
 * const task = coop.cooperate([1, 2]);
 * try {
 *   task.resume(); // not paused: NotPaused, a SchedulerError
 * } catch (e) {
 *   console.log(e instanceof SchedulerError); // true
 * }
 * coop.stop(); // the task ends with SchedulerStopped, also a SchedulerError
 * task.whenDone().addErrback((f) => console.log(f.check(SchedulerError) !== null)); // true
 * ```
 */
export class SchedulerError extends Error {
  /** Creates the error with an optional message. */
  constructor(message = "Scheduler error") {
    super(message);
    this.name = "SchedulerError";
  }
}

/**
 * The Cooperator was stopped: its tasks end with this.
 *
 * @example
 * ```ts
 * import { Clock, Cooperator, SchedulerStopped } from "@tw/core/task";
 *
 * const coop = new Cooperator({ clock: new Clock() });
 * const done = coop.coiterate([1, 2, 3]);
 * done.addErrback((f) => {
 *   f.trap(SchedulerStopped);
 *   console.log("the cooperator stopped"); // the cooperator stopped
 * });
 * coop.stop();
 * ```
 */
export class SchedulerStopped extends SchedulerError {
  /** Creates the error with an optional message. */
  constructor(message = "The cooperator was stopped") {
    super(message);
    this.name = "SchedulerStopped";
  }
}

/**
 * `resume()` was called on a task that was not paused.
 *
 * @example
 * ```ts
 * import { Clock, Cooperator, NotPaused } from "@tw/core/task";
 *
 * const coop = new Cooperator({ clock: new Clock() });
 * const task = coop.cooperate([1, 2]);
 * task.pause();
 * task.resume();
 * try {
 *   task.resume(); // one resume per pause
 * } catch (e) {
 *   console.log(e instanceof NotPaused); // true
 * }
 * coop.stop();
 * task.whenDone().addErrback(() => {});
 * ```
 */
export class NotPaused extends SchedulerError {
  /** Creates the error with an optional message. */
  constructor(message = "The task is not paused") {
    super(message);
    this.name = "NotPaused";
  }
}

/** Options for `new Cooperator()`. */
export interface CooperatorOptions {
  /**
   * The clock the ticks are scheduled on (`callLater(0, tick)`).
   * @default the installed reactor, looked up when first needed
   */
  clock?: IReactorTime;
  /**
   * Schedules one tick; overrides `clock`. Returns something cancellable.
   * @default `(tick) => clock.callLater(0, tick)`
   */
  scheduler?: (tick: () => void) => { cancel(): void };
  /**
   * Called at the start of each tick; the predicate it returns says when the
   * tick has used its time slice.
   * @default a 10 ms slice of real time (`performance.now()`)
   */
  terminationPredicateFactory?: () => () => boolean;
  /** Start at once; with false, nothing runs until `start()`. @default true */
  started?: boolean;
}

/** The time slice of the default termination predicate, in milliseconds. */
const TIME_SLICE_MS = 10;

function defaultTerminationPredicate(): () => boolean {
  const end = performance.now() + TIME_SLICE_MS;
  return () => performance.now() >= end;
}

type TaskControl = {
  add(task: CooperativeTask<unknown>): void;
  remove(task: CooperativeTask<unknown>): void;
};

/** What the Cooperator may do to a task: reachable only from this module. */
const internals = new WeakMap<
  CooperativeTask<unknown>,
  { step(): void; complete(error: SchedulerStopped): void }
>();

/**
 * One job run by a `Cooperator` (`task.CooperativeTask`): each step advances
 * its iterator once. Made by `Cooperator.cooperate` / `cooperate`.
 *
 * @example
 * ```ts
 * import { Clock, Cooperator } from "@tw/core/task";
 *
 * const clock = new Clock();
 * const seen: number[] = [];
 * function* count(): Generator<void> {
 *   for (let i = 1; i <= 3; i++) {
 *     seen.push(i);
 *     yield;
 *   }
 * }
 * const task = new Cooperator({ clock }).cooperate(count());
 * task.pause(); // no steps while paused
 * clock.advance(0);
 * console.log(seen); // []
 * task.resume();
 * clock.advance(0);
 * console.log(seen); // [ 1, 2, 3 ]
 * await task.whenDone();
 * ```
 */
export class CooperativeTask<T = unknown> {
  #iterator: Iterator<T>;
  #control: TaskControl;
  #waiters: Deferred<Iterator<T>>[] = [];
  #pauseCount = 0;
  #completion: TaskDone | SchedulerStopped | undefined;
  #result: Iterator<T> | Failure | undefined;

  /**
   * For `Cooperator` only; use `cooperator.cooperate(iterator)`.
   * @param iterator the job
   * @param control the cooperator's hooks
   */
  constructor(iterator: Iterator<T>, control: TaskControl) {
    this.#iterator = iterator;
    this.#control = control;
    internals.set(this as CooperativeTask<unknown>, {
      step: () => this.#oneWorkUnit(),
      complete: (error) => this.#completeWith(error, new Failure(error)),
    });
    control.add(this as CooperativeTask<unknown>);
  }

  /**
   * Returns a new Deferred that fires with the iterator when it is exhausted,
   * or fails with `TaskStopped`, `SchedulerStopped`, or the iterator's error.
   */
  whenDone(): Deferred<Iterator<T>> {
    const d = new Deferred<Iterator<T>>();
    if (this.#completion === undefined) this.#waiters.push(d);
    else this.#deliver(d);
    return d;
  }

  /** Pauses the task; pauses nest (each needs a `resume`). Throws when done. */
  pause(): void {
    this.#checkFinish();
    this.#pauseCount++;
    if (this.#pauseCount === 1) this.#control.remove(this as CooperativeTask<unknown>);
  }

  /** Undoes one `pause`; throws `NotPaused` when not paused. */
  resume(): void {
    if (this.#pauseCount === 0) throw new NotPaused();
    this.#pauseCount--;
    if (this.#pauseCount === 0 && this.#completion === undefined) {
      this.#control.add(this as CooperativeTask<unknown>);
    }
  }

  /** Stops the task for good: `whenDone()` fails with `TaskStopped`. Throws when done. */
  stop(): void {
    this.#checkFinish();
    this.#completeWith(new TaskStopped(), new Failure(new TaskStopped()));
  }

  #checkFinish(): void {
    if (this.#completion !== undefined) throw this.#completion;
  }

  #deliver(d: Deferred<Iterator<T>>): void {
    const result = this.#result!;
    if (result instanceof Failure) d.errback(result);
    else d.callback(result);
  }

  #completeWith(completion: TaskDone | SchedulerStopped, result: Iterator<T> | Failure): void {
    if (this.#completion !== undefined) return;
    this.#completion = completion;
    this.#result = result;
    if (this.#pauseCount === 0) this.#control.remove(this as CooperativeTask<unknown>);
    for (const d of this.#waiters.splice(0)) this.#deliver(d);
  }

  #oneWorkUnit(): void {
    let step: IteratorResult<T>;
    try {
      step = this.#iterator.next();
    } catch (error) {
      this.#completeWith(new TaskFailed(), new Failure(error));
      return;
    }
    if (step.done) {
      this.#completeWith(new TaskFinished(), this.#iterator);
      return;
    }
    const value: unknown = step.value;
    if (value instanceof Deferred || isThenable(value)) {
      // Wait for it: the task takes no steps until it settles.
      this.pause();
      const onFailure = (error: unknown): void => {
        this.#completeWith(new TaskFailed(), new Failure(error));
      };
      if (value instanceof Deferred) {
        (value as Deferred<unknown>).addCallbacks(() => {
          this.resume();
          return null;
        }, (failure: Failure) => {
          onFailure(failure);
          return null;
        });
      } else {
        value.then(() => this.resume(), onFailure);
      }
    }
  }
}

/**
 * Runs iterators in time slices (`twisted.internet.task.Cooperator`): each
 * tick takes one step of each task in turn until the slice is used up, then
 * yields the event loop and schedules the next tick. A task that yields a
 * Deferred or a Promise is paused until it settles.
 *
 * @example
 * ```ts
 * import { Clock, Cooperator } from "@tw/core/task";
 * const clock = new Clock();
 * const coop = new Cooperator({ clock });
 * function* job() {
 *   for (let i = 0; i < 3; i++) yield;
 * }
 * const done = coop.coiterate(job());
 * clock.pump([0, 0, 0, 0]);
 * await done;
 * ```
 */
export class Cooperator {
  #tasks: CooperativeTask<unknown>[] = [];
  #next = 0;
  #clock: IReactorTime | undefined;
  #scheduler: ((tick: () => void) => { cancel(): void }) | undefined;
  #terminationPredicateFactory: () => () => boolean;
  #pending: { cancel(): void } | undefined;
  #started: boolean;
  #stopped = false;
  #control: TaskControl = {
    add: (task) => this.#addTask(task),
    remove: (task) => this.#removeTask(task),
  };

  /**
   * Creates a Cooperator.
   * @param options clock, scheduler, time slice and start mode
   */
  constructor(options: CooperatorOptions = {}) {
    this.#clock = options.clock;
    this.#scheduler = options.scheduler;
    this.#terminationPredicateFactory = options.terminationPredicateFactory ??
      defaultTerminationPredicate;
    this.#started = options.started ?? true;
  }

  /** True once started and until stopped. */
  get running(): boolean {
    return this.#started && !this.#stopped;
  }

  /**
   * Starts running `iterator` (or an iterable's iterator) cooperatively.
   * @returns the task, to pause, resume, stop, or wait on with `whenDone`
   */
  cooperate<T>(iterator: Iterator<T> | Iterable<T>): CooperativeTask<T> {
    return new CooperativeTask(toIterator(iterator), this.#control);
  }

  /** Like `cooperate`, returning `whenDone()` of the task. */
  coiterate<T>(iterator: Iterator<T> | Iterable<T>): Deferred<Iterator<T>> {
    return this.cooperate(iterator).whenDone();
  }

  /** Starts ticking (for a Cooperator made with `started: false`). */
  start(): void {
    this.#stopped = false;
    this.#started = true;
    this.#reschedule();
  }

  /** Stops every running task with `SchedulerStopped`; later tasks end the same way. */
  stop(): void {
    this.#stopped = true;
    for (const task of this.#tasks.splice(0)) {
      internals.get(task)!.complete(new SchedulerStopped());
    }
    this.#next = 0;
    this.#pending?.cancel();
    this.#pending = undefined;
  }

  #addTask(task: CooperativeTask<unknown>): void {
    if (this.#stopped) {
      internals.get(task)!.complete(new SchedulerStopped());
      return;
    }
    this.#tasks.push(task);
    this.#reschedule();
  }

  #removeTask(task: CooperativeTask<unknown>): void {
    const i = this.#tasks.indexOf(task);
    if (i < 0) return;
    this.#tasks.splice(i, 1);
    if (i < this.#next) this.#next--;
    if (this.#tasks.length === 0 && this.#pending !== undefined) {
      this.#pending.cancel();
      this.#pending = undefined;
    }
  }

  #reschedule(): void {
    if (!this.#started || this.#stopped) return;
    if (this.#pending !== undefined || this.#tasks.length === 0) return;
    if (this.#scheduler) {
      this.#pending = this.#scheduler(this.#tick);
    } else {
      // No clock given: ask for the installed reactor each time, never pin one.
      this.#pending = (this.#clock ?? getReactor()).callLater(0, this.#tick);
    }
  }

  #tick = (): void => {
    this.#pending = undefined;
    const done = this.#terminationPredicateFactory();
    // Round robin, resuming where the last tick stopped so no task starves.
    while (this.#tasks.length > 0) {
      if (this.#next >= this.#tasks.length) this.#next = 0;
      const task = this.#tasks[this.#next++];
      internals.get(task)!.step();
      if (done()) break;
    }
    this.#reschedule();
  };
}

function toIterator<T>(source: Iterator<T> | Iterable<T>): Iterator<T> {
  if (typeof (source as Iterator<T>).next === "function") return source as Iterator<T>;
  return (source as Iterable<T>)[Symbol.iterator]();
}

let theCooperator: Cooperator | undefined;

/**
 * Runs `iterator` on the process-wide Cooperator (ticking on the installed
 * reactor) and returns its `CooperativeTask`.
 *
 * @example
 * ```ts
 * import { cooperate } from "@tw/core/task";
 *
 * let total = 0;
 * function* sum(): Generator<void> {
 *   for (let i = 1; i <= 100_000; i++) {
 *     total += i;
 *     yield; // other work runs between time slices
 *   }
 * }
 * const task = cooperate(sum());
 * await task.whenDone();
 * console.log(total); // 5000050000
 * ```
 */
export function cooperate<T>(iterator: Iterator<T> | Iterable<T>): CooperativeTask<T> {
  return (theCooperator ??= new Cooperator()).cooperate(iterator);
}

/**
 * Like `cooperate`, returning the task's `whenDone()` Deferred.
 *
 * @example
 * ```ts
 * import { coiterate } from "@tw/core/task";
 *
 * const lines: string[] = [];
 * function* render(): Generator<void> {
 *   for (let i = 0; i < 3; i++) {
 *     lines.push(`line ${i}`);
 *     yield;
 *   }
 * }
 * await coiterate(render());
 * console.log(lines.length); // 3
 * ```
 */
export function coiterate<T>(iterator: Iterator<T> | Iterable<T>): Deferred<Iterator<T>> {
  return cooperate(iterator).whenDone();
}
