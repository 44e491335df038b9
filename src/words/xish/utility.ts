/**
 * Twisted's `twisted.words.xish.utility`: `EventDispatcher` (observers of
 * named events and of XPath queries, with priorities and one-time
 * observers), `CallbackList` and `XmlPipe`.
 *
 * @example
 * ```ts
 * import { domish, utility } from "@tw/core/words/xish";
 * const d = new utility.EventDispatcher();
 * d.addObserver("/message[@type='chat']", (m: domish.Element) => console.log(m.name));
 * const m = new domish.Element([null, "message"]);
 * m.setAttribute("type", "chat");
 * d.dispatch(m); // logs "message"
 * ```
 * @module
 */
import { Logger } from "../../logger/mod.ts";
import type { Element } from "./_element.ts";
import { internQuery, XPathQuery } from "./xpath.ts";

const log = new Logger("tw.words.xish");

/** An observer: called with the dispatched object. */
// deno-lint-ignore no-explicit-any
export type Observer = (obj: any) => unknown;

/**
 * Observers of one event (Twisted's `CallbackList`): each called in order;
 * a one-time one is removed after its call; a throwing one is logged, the
 * others still run.
 *
 * @example
 * ```ts
 * import { utility } from "@tw/core/words/xish";
 * const list = new utility.CallbackList();
 * list.addCallback(true, (x: number) => console.log(x));
 * list.callback(1); // logs 1
 * console.log(list.isEmpty()); // true
 * ```
 */
export class CallbackList {
  /** The observers and whether each is one-time. */
  readonly callbacks: Map<Observer, boolean> = new Map();

  /** Adds `method` (once; a second add is ignored). */
  addCallback(onetime: boolean, method: Observer): void {
    if (!this.callbacks.has(method)) this.callbacks.set(method, onetime);
  }

  /** Removes `method`. */
  removeCallback(method: Observer): void {
    this.callbacks.delete(method);
  }

  /** Calls every observer with `obj`. */
  callback(obj: unknown): void {
    for (const [method, onetime] of [...this.callbacks]) {
      try {
        method(obj);
      } catch (e) {
        log.failure("Error in an XML stream observer", e, "error");
      }
      if (onetime) this.callbacks.delete(method);
    }
  }

  /** True when no observer is left. */
  isEmpty(): boolean {
    return this.callbacks.size === 0;
  }
}

type Observers = Map<number, Map<string | XPathQuery, CallbackList>>;

/**
 * Dispatches named events (strings starting with `prefix`, `//event/` by
 * default) and XPath events (an element matched against each query) to
 * observers, higher priority first (Twisted's `EventDispatcher`). Observers
 * added or removed during a dispatch take effect after it.
 *
 * @example
 * ```ts
 * import { utility } from "@tw/core/words/xish";
 * const d = new utility.EventDispatcher();
 * const order: string[] = [];
 * d.addObserver("//event/test", () => order.push("low"));
 * d.addObserver("//event/test", () => order.push("high"), 10);
 * d.addOnetimeObserver("//event/test", () => order.push("once"));
 * d.dispatch(null, "//event/test");
 * d.dispatch(null, "//event/test");
 * console.log(order); // ["high", "low", "once", "high", "low"]
 * ```
 */
export class EventDispatcher {
  /** The prefix of named events. */
  prefix: string;
  readonly #eventObservers: Observers = new Map();
  readonly #xpathObservers: Observers = new Map();
  #depth = 0;
  #queue: (() => void)[] = [];

  /**
   * Makes a dispatcher.
   * @param eventprefix the prefix that marks named events
   */
  constructor(eventprefix = "//event/") {
    this.prefix = eventprefix;
  }

  #eventAndObservers(event: string | XPathQuery): [string | XPathQuery, Observers] {
    if (event instanceof XPathQuery) return [event, this.#xpathObservers];
    if (event.startsWith(this.prefix)) return [event, this.#eventObservers];
    return [internQuery(event), this.#xpathObservers];
  }

  /** Like `addObserver`, but the observer runs at most once. */
  addOnetimeObserver(event: string | XPathQuery, observerfn: Observer, priority = 0): void {
    this.#addObserver(true, event, observerfn, priority);
  }

  /**
   * Registers `observerfn` for a named event or an XPath query (a string
   * not starting with `prefix`, or an `XPathQuery`).
   */
  addObserver(event: string | XPathQuery, observerfn: Observer, priority = 0): void {
    this.#addObserver(false, event, observerfn, priority);
  }

  #addObserver(
    onetime: boolean,
    event: string | XPathQuery,
    fn: Observer,
    priority: number,
  ): void {
    if (this.#depth > 0) {
      this.#queue.push(() => this.#addObserver(onetime, event, fn, priority));
      return;
    }
    const [key, observers] = this.#eventAndObservers(event);
    let level = observers.get(priority);
    if (!level) observers.set(priority, level = new Map());
    let list = level.get(key);
    if (!list) level.set(key, list = new CallbackList());
    list.addCallback(onetime, fn);
  }

  /** Removes `observerfn` from `event` at every priority. */
  removeObserver(event: string | XPathQuery, observerfn: Observer): void {
    if (this.#depth > 0) {
      this.#queue.push(() => this.removeObserver(event, observerfn));
      return;
    }
    const [key, observers] = this.#eventAndObservers(event);
    for (const level of observers.values()) {
      const list = level.get(key);
      if (!list) continue;
      list.removeCallback(observerfn);
      if (list.isEmpty()) level.delete(key);
    }
  }

  /**
   * Dispatches `obj`: to the observers of the named `event`, or, without
   * `event`, to the observers whose query matches the element `obj`.
   * Returns true when some observer was called.
   */
  dispatch(obj: unknown, event?: string | null): boolean {
    let found = false;
    this.#depth++;
    try {
      const observers = event != null ? this.#eventObservers : this.#xpathObservers;
      const priorities = [...observers.keys()].sort((a, b) => b - a);
      for (const priority of priorities) {
        const level = observers.get(priority)!;
        for (const [query, list] of [...level]) {
          const hit = event != null
            ? query === event
            : (query as XPathQuery).matches(obj as Element);
          if (!hit) continue;
          list.callback(obj);
          found = true;
          if (list.isEmpty()) level.delete(query);
        }
      }
    } finally {
      this.#depth--;
      if (this.#depth === 0) {
        const queue = this.#queue;
        this.#queue = [];
        for (const f of queue) f();
      }
    }
    return found;
  }
}

/**
 * An end of an `XmlPipe`: a dispatcher that can `send` to the other end.
 *
 * @example
 * ```ts
 * import { utility } from "@tw/core/words/xish";
 * const end: utility.XmlPipeEnd = new utility.XmlPipe().source;
 * console.log(end instanceof utility.EventDispatcher); // true
 * ```
 */
export class XmlPipeEnd extends EventDispatcher {
  /** Sends `obj` to the other end, which dispatches it. */
  send: (obj: Element) => void = () => {};
}

/**
 * Two connected ends that pass elements to each other, for tests (Twisted's
 * `XmlPipe`): `source.send(el)` dispatches `el` on `sink`, and back.
 *
 * @example
 * ```ts
 * import { domish, utility } from "@tw/core/words/xish";
 * const pipe = new utility.XmlPipe();
 * pipe.sink.addObserver("/presence", () => console.log("got it"));
 * pipe.source.send(new domish.Element([null, "presence"])); // logs "got it"
 * ```
 */
export class XmlPipe {
  /** The initiating end. */
  readonly source: XmlPipeEnd = new XmlPipeEnd();
  /** The accepting end. */
  readonly sink: XmlPipeEnd = new XmlPipeEnd();
  /** Connects the two ends. */
  constructor() {
    this.source.send = (obj) => void this.sink.dispatch(obj);
    this.sink.send = (obj) => void this.source.dispatch(obj);
  }
}
