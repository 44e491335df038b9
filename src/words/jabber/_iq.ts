/**
 * IQ requests with response tracking (Twisted's `IQ`,
 * `upgradeWithIQResponseTracker`, `TimeoutError`) and `toResponse`.
 * Private: re-exported by `xmlstream.ts`.
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import { Failure } from "../../internet/failure.ts";
import { ConnectionLost } from "../../internet/error.ts";
import { Element } from "../xish/_element.ts";
import { STREAM_END_EVENT } from "../xish/xmlstream.ts";
import { exceptionFromStanza } from "./error.ts";
import type { XmlStream } from "./xmlstream.ts";

/**
 * An IQ request timed out (Twisted's `xmlstream.TimeoutError`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * console.log(new xmlstream.TimeoutError().message); // "IQ timed out"
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Makes the error.
   * @param message why
   */
  constructor(message = "IQ timed out") {
    super(message);
    this.name = "TimeoutError";
  }
}

/**
 * Makes `xs` track IQ responses (`upgradeWithIQResponseTracker`): a result
 * or error with a pending id fires that request's Deferred; a lost
 * connection fails them all with `ConnectionLost`.
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * const xs = new xmlstream.XmlStream(new xmlstream.ConnectAuthenticator("example.com"));
 * xmlstream.upgradeWithIQResponseTracker(xs);
 * console.log(xs.iqDeferreds?.size); // 0
 * ```
 */
export function upgradeWithIQResponseTracker(xs: XmlStream): void {
  if (xs.iqDeferreds !== null) return;
  xs.iqDeferreds = new Map();
  const callback = (iq: Element) => {
    const id = iq.getAttribute("id");
    const d = id === null ? undefined : xs.iqDeferreds?.get(id);
    if (d === undefined) return;
    xs.iqDeferreds!.delete(id!);
    if (iq.getAttribute("type") === "error") d.errback(new Failure(exceptionFromStanza(iq)));
    else d.callback(iq);
  };
  xs.addObserver(STREAM_END_EVENT, () => {
    const pending = xs.iqDeferreds!;
    xs.iqDeferreds = new Map();
    for (const d of pending.values()) d.errback(new Failure(new ConnectionLost()));
  });
  xs.addObserver('/iq[@type="result"]', callback);
  xs.addObserver('/iq[@type="error"]', callback);
}

/**
 * An IQ request (Twisted's `IQ`): an `<iq/>` with a unique id; `send(to)`
 * returns a Deferred of the response (errback with a `StanzaError`).
 *
 * @example
 * ```ts
 * import { xmlstream } from "@tw/core/words/jabber";
 * import { StringTransport } from "@tw/core/testing";
 * const xs = new xmlstream.XmlStream(new xmlstream.ConnectAuthenticator("example.com"));
 * xs.makeConnection(new StringTransport());
 * const iq = new xmlstream.IQ(xs, "get");
 * iq.addElement(["jabber:iq:version", "query"]);
 * const reply = iq.send("example.com"); // fires when the result arrives
 * ```
 */
export class IQ extends Element {
  /** Seconds before the request fails with `TimeoutError`; null: the stream's default. */
  timeout: number | null = null;
  readonly #xs: XmlStream;

  /**
   * Makes the request.
   * @param xmlstream the stream to send it on
   * @param stanzaType `set`, `get` ...
   */
  constructor(xmlstream: XmlStream, stanzaType = "set") {
    super([null, "iq"]);
    this.addUniqueId();
    this.setAttribute("type", stanzaType);
    this.#xs = xmlstream;
  }

  /** Sends the request (to `to` when given); the Deferred fires with the response. */
  send(to?: string): Deferred<Element> {
    if (to !== undefined) this.setAttribute("to", to);
    const xs = this.#xs;
    upgradeWithIQResponseTracker(xs);
    const id = this.getAttribute("id")!;
    const d = new Deferred<Element>();
    xs.iqDeferreds!.set(id, d);
    const timeout = this.timeout ?? xs.iqDefaultTimeout;
    if (timeout !== null) {
      const clock = xs.clock;
      if (clock === null) throw new TypeError("IQ timeouts need xmlstream.clock");
      const call = clock.callLater(timeout, () => {
        xs.iqDeferreds?.delete(id);
        d.errback(new Failure(new TimeoutError()));
      });
      d.addBoth((r) => {
        if (call.active()) call.cancel();
        return r;
      });
    }
    xs.send(this);
    return d;
  }
}

/**
 * The reply skeleton to `stanza`: same name, addresses swapped, same id (`toResponse`).
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * import { xmlstream } from "@tw/core/words/jabber";
 * const iq = new domish.Element([null, "iq"]);
 * iq.setAttribute("from", "a@b/c");
 * iq.setAttribute("id", "7");
 * console.log(xmlstream.toResponse(iq, "result").toXml()); // "<iq to='a@b/c' id='7' type='result'/>"
 * ```
 */
export function toResponse(stanza: Element, stanzaType?: string): Element {
  const response = new Element([null, stanza.name]);
  const to = stanza.getAttribute("from");
  const from = stanza.getAttribute("to");
  const id = stanza.getAttribute("id");
  if (to) response.setAttribute("to", to);
  if (from) response.setAttribute("from", from);
  if (id) response.setAttribute("id", id);
  if (stanzaType) response.setAttribute("type", stanzaType);
  return response;
}
