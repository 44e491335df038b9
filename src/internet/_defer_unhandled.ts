/**
 * Reporting of unhandled Deferred failures (private to `src/internet`).
 *
 * A Deferred whose chain ends in a Failure that nobody handled is reported to
 * the logger when it is garbage-collected, as Twisted does from `__del__`. The
 * registry holds a small record (the failure and the debug stacks), never the
 * Deferred itself, so tracking does not keep the Deferred alive. Tests swap the
 * registry for one they can "collect" on demand (`fakeCollectionForTesting`).
 *
 * @module
 */
import type { Failure } from "./failure.ts";
import { Logger } from "../logger/_publisher.ts";

/** What is kept for a Deferred whose current result is an unhandled failure. */
export interface UnhandledRecord {
  /** The unhandled failure. */
  readonly failure: Failure;
  /** The stack where the Deferred was created (debug mode only). */
  readonly created: string | undefined;
  /** The stack where the Deferred was first fired (debug mode only). */
  readonly invoked: string | undefined;
}

/** The part of `FinalizationRegistry` that tracking uses. */
interface Registry {
  register(target: object, held: UnhandledRecord, token: object): void;
  unregister(token: object): void;
}

const log = new Logger("defer");
// Failures seen by an awaiting Promise (`then`, `asPromise`): the error went
// somewhere, so the Deferred still holding it is not reported.
const handled = new WeakSet<Failure>();

const noRegistry: Registry = { register() {}, unregister() {} };
const realRegistry: Registry = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<UnhandledRecord>(reportUnhandled)
  : noRegistry;
let registry: Registry = realRegistry;

/** Marks a failure as delivered to an observer, so it is not reported. */
export function markHandled(failure: Failure): void {
  handled.add(failure);
}

/** True when the failure was delivered to an observer. */
export function isHandled(failure: Failure): boolean {
  return handled.has(failure);
}

/** Reports `record.failure` when `target` is garbage-collected. */
export function trackUnhandled(target: object, record: UnhandledRecord): void {
  registry.register(target, record, record);
}

/** Stops tracking a record: its failure was handled or replaced. */
export function untrackUnhandled(record: UnhandledRecord): void {
  registry.unregister(record);
}

/** Formats the debug stacks the way Twisted's `DebugInfo` does. */
export function formatDebugInfo(created?: string, invoked?: string): string | undefined {
  if (created === undefined && invoked === undefined) return undefined;
  const lines: string[] = [];
  if (created !== undefined) {
    lines.push(" C: Deferred was created:", ...prefix(" C:", created));
  }
  if (invoked !== undefined) {
    lines.push(" I: First Invoker was:", ...prefix(" I:", invoked));
  }
  return `(debug: ${lines.join("\n").trimStart()})`;
}

function prefix(tag: string, stack: string): string[] {
  return stack.split("\n").map((line) => `${tag} ${line.trim()}`);
}

/**
 * Logs an unhandled failure ("Unhandled error in Deferred:") at level critical,
 * with the debug stacks in `failure.debugInfo` when they were recorded.
 */
export function reportUnhandled(record: UnhandledRecord): void {
  const { failure } = record;
  if (handled.has(failure)) return;
  const info = formatDebugInfo(record.created, record.invoked);
  if (info !== undefined) failure.debugInfo = info;
  log.failure("Unhandled error in Deferred:", failure);
}

/** Control over a fake registry installed by `fakeCollectionForTesting`. */
export interface FakeCollection {
  /** The records currently tracked. */
  tracked(): UnhandledRecord[];
  /** Reports every tracked record as if its Deferred had been collected; returns how many. */
  collect(): number;
  /** Puts the real `FinalizationRegistry` back. */
  restore(): void;
}

/**
 * Replaces the registry with one where collection happens only when the test
 * says so, to check tracking without depending on the garbage collector.
 */
export function fakeCollectionForTesting(): FakeCollection {
  const records = new Set<UnhandledRecord>();
  registry = {
    register(_target, held) {
      records.add(held);
    },
    unregister(token) {
      records.delete(token as UnhandledRecord);
    },
  };
  return {
    tracked: () => [...records],
    collect() {
      const all = [...records];
      records.clear();
      for (const record of all) reportUnhandled(record);
      return all.length;
    },
    restore() {
      registry = realRegistry;
    },
  };
}
