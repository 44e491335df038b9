/**
 * Twisted's `twisted.words.protocols.jabber.error`: XMPP stream and stanza
 * errors as exceptions that render to, and are read from, their elements.
 *
 * @example
 * ```ts
 * import { error } from "@tw/core/words/jabber";
 * const e = new error.StanzaError("item-not-found");
 * console.log(e.type, e.code, e.getElement().toXml());
 * // "cancel" "404" "<error type='cancel' code='404'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
 * ```
 * @module
 */
import { Element, NS_XML } from "../../words/xish/_element.ts";

/** The namespace of stream error conditions. */
export const NS_XMPP_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";
/** The namespace of stanza error conditions. */
export const NS_XMPP_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const NS_STREAMS = "http://etherx.jabber.org/streams";

/** Each stanza condition's legacy code and default type (`STANZA_CONDITIONS`). */
export const STANZA_CONDITIONS: Record<string, { code: string; type: string | null }> = {
  "bad-request": { code: "400", type: "modify" },
  "conflict": { code: "409", type: "cancel" },
  "feature-not-implemented": { code: "501", type: "cancel" },
  "forbidden": { code: "403", type: "auth" },
  "gone": { code: "302", type: "modify" },
  "internal-server-error": { code: "500", type: "wait" },
  "item-not-found": { code: "404", type: "cancel" },
  "jid-malformed": { code: "400", type: "modify" },
  "not-acceptable": { code: "406", type: "modify" },
  "not-allowed": { code: "405", type: "cancel" },
  "not-authorized": { code: "401", type: "auth" },
  "payment-required": { code: "402", type: "auth" },
  "policy-violation": { code: "406", type: "modify" },
  "recipient-unavailable": { code: "404", type: "wait" },
  "redirect": { code: "302", type: "modify" },
  "registration-required": { code: "407", type: "auth" },
  "remote-server-not-found": { code: "404", type: "cancel" },
  "remote-server-timeout": { code: "504", type: "wait" },
  "resource-constraint": { code: "500", type: "wait" },
  "service-unavailable": { code: "503", type: "cancel" },
  "subscription-required": { code: "407", type: "auth" },
  "undefined-condition": { code: "500", type: null },
  "unexpected-request": { code: "400", type: "wait" },
};

/** Legacy codes to `[condition, type]` (`CODES_TO_CONDITIONS`). */
export const CODES_TO_CONDITIONS: Record<string, [string, string]> = {
  "302": ["gone", "modify"],
  "400": ["bad-request", "modify"],
  "401": ["not-authorized", "auth"],
  "402": ["payment-required", "auth"],
  "403": ["forbidden", "auth"],
  "404": ["item-not-found", "cancel"],
  "405": ["not-allowed", "cancel"],
  "406": ["not-acceptable", "modify"],
  "407": ["registration-required", "auth"],
  "408": ["remote-server-timeout", "wait"],
  "409": ["conflict", "cancel"],
  "500": ["internal-server-error", "wait"],
  "501": ["feature-not-implemented", "cancel"],
  "502": ["service-unavailable", "wait"],
  "503": ["service-unavailable", "cancel"],
  "504": ["remote-server-timeout", "wait"],
  "510": ["service-unavailable", "cancel"],
};

/**
 * An XMPP error with a defined condition (Twisted's `BaseError`).
 *
 * @example
 * ```ts
 * import { error } from "@tw/core/words/jabber";
 * const e: error.BaseError = new error.StreamError("host-unknown", "no such host");
 * console.log(e.message); // "StreamError with condition 'host-unknown': no such host"
 * ```
 */
export class BaseError extends Error {
  /** The namespace of the condition element. */
  namespace: string | null = null;
  /** The defined condition, such as `not-authorized`. */
  condition: string | null;
  /** Descriptive text, if any. */
  text: string | null;
  /** The language of `text`. */
  textLang: string | null;
  /** An application-specific condition element. */
  appCondition: Element | null;

  /**
   * Makes the error.
   * @param condition the defined condition
   * @param text descriptive text
   * @param textLang the language of `text`
   * @param appCondition an application-specific condition
   */
  constructor(
    condition: string | null,
    text: string | null = null,
    textLang: string | null = null,
    appCondition: Element | null = null,
  ) {
    super();
    this.name = new.target.name;
    this.condition = condition;
    this.text = text;
    this.textLang = textLang;
    this.appCondition = appCondition;
    this.message = `${this.name} with condition '${condition}'${text ? `: ${text}` : ""}`;
  }

  /** The error as an element. */
  getElement(): Element {
    const error = new Element([null, "error"]);
    error.addElement([this.namespace, this.condition ?? "undefined-condition"]);
    if (this.text) {
      const text = error.addElement([this.namespace, "text"], null, this.text);
      if (this.textLang) text.setAttribute([NS_XML, "lang"], this.textLang);
    }
    if (this.appCondition) error.addChild(this.appCondition);
    return error;
  }
}

/**
 * A stream-level error (Twisted's `StreamError`): `<stream:error>`, after
 * which the stream closes.
 *
 * @example
 * ```ts
 * import { error } from "@tw/core/words/jabber";
 * console.log(new error.StreamError("not-well-formed").getElement().toXml({
 *   prefixes: { "http://etherx.jabber.org/streams": "stream" },
 *   prefixesInScope: ["stream"],
 * }));
 * // "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
 * ```
 */
export class StreamError extends BaseError {
  /** The stream error namespace. */
  override namespace: string | null = NS_XMPP_STREAMS;

  /** The `<stream:error/>` element. */
  override getElement(): Element {
    const error = super.getElement();
    error.uri = NS_STREAMS;
    return error;
  }
}

/**
 * A stanza-level error (Twisted's `StanzaError`) with its `type` and legacy
 * `code`; `toResponse(stanza)` makes the error reply.
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * import { error } from "@tw/core/words/jabber";
 * const iq = new domish.Element([null, "iq"]);
 * iq.setAttribute("from", "a@b/c");
 * iq.setAttribute("id", "1");
 * const reply = new error.StanzaError("service-unavailable").toResponse(iq);
 * console.log(reply.getAttribute("to"), reply.getAttribute("type")); // "a@b/c" "error"
 * ```
 */
export class StanzaError extends BaseError {
  /** The stanza error namespace. */
  override namespace: string | null = NS_XMPP_STANZAS;
  /** The error type: cancel, continue, modify, auth or wait. */
  type: string | null;
  /** The legacy error code. */
  code: string | null;
  /** The other children of the error stanza. */
  children: Element[] = [];
  /** The stanza this error was read from. */
  stanza: Element | null = null;

  /**
   * Makes the error.
   * @param condition the defined condition
   * @param type the error type (default: the condition's)
   * @param text descriptive text
   * @param textLang the language of `text`
   * @param appCondition an application-specific condition
   */
  constructor(
    condition: string | null,
    type: string | null = null,
    text: string | null = null,
    textLang: string | null = null,
    appCondition: Element | null = null,
  ) {
    super(condition, text, textLang, appCondition);
    const known = condition !== null ? STANZA_CONDITIONS[condition] : undefined;
    this.type = type ?? known?.type ?? null;
    this.code = known?.code ?? null;
  }

  /** The `<error/>` element. */
  override getElement(): Element {
    const error = super.getElement();
    if (this.type) error.setAttribute("type", this.type);
    if (this.code) error.setAttribute("code", this.code);
    return error;
  }

  /** The error reply to `stanza`: addresses swapped, its children copied, this error added. */
  toResponse(stanza: Element): Element {
    const response = new Element([null, stanza.name]);
    const to = stanza.getAttribute("from");
    const from = stanza.getAttribute("to");
    const id = stanza.getAttribute("id");
    if (to) response.setAttribute("to", to);
    if (from) response.setAttribute("from", from);
    if (id) response.setAttribute("id", id);
    response.setAttribute("type", "error");
    response.children = [...stanza.children];
    response.addChild(this.getElement());
    return response;
  }
}

function parseError(error: Element, ns: string) {
  let condition: string | null = null;
  let text: string | null = null;
  let textLang: string | null = null;
  let appCondition: Element | null = null;
  for (const element of error.elements()) {
    if (element.uri === ns) {
      if (element.name === "text") {
        text = String(element);
        textLang = element.getAttribute([NS_XML, "lang"]);
      } else condition = element.name;
    } else appCondition = element;
  }
  return { condition, text, textLang, appCondition };
}

/**
 * Reads a `<stream:error/>` into a `StreamError` (`exceptionFromStreamError`).
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * import { error } from "@tw/core/words/jabber";
 * const el = new error.StreamError("conflict").getElement();
 * console.log(error.exceptionFromStreamError(el).condition); // "conflict"
 * ```
 */
export function exceptionFromStreamError(element: Element): StreamError {
  const e = parseError(element, NS_XMPP_STREAMS);
  return new StreamError(e.condition, e.text, e.textLang, e.appCondition);
}

/**
 * Reads an error stanza into a `StanzaError` (`exceptionFromStanza`),
 * mapping a legacy code when there is no condition.
 *
 * @example
 * ```ts
 * import { domish } from "@tw/core/words/xish";
 * import { error } from "@tw/core/words/jabber";
 * const iq = new error.StanzaError("forbidden").toResponse(new domish.Element([null, "iq"]));
 * console.log(error.exceptionFromStanza(iq).condition); // "forbidden"
 * ```
 */
export function exceptionFromStanza(stanza: Element): StanzaError {
  const children: Element[] = [];
  let found: ReturnType<typeof parseError> | null = null;
  let type: string | null = null;
  for (const element of stanza.elements()) {
    if (element.name === "error" && element.uri === stanza.uri) {
      const code = element.getAttribute("code");
      type = element.getAttribute("type");
      found = parseError(element, NS_XMPP_STANZAS);
      if (!found.condition && code && CODES_TO_CONDITIONS[code]) {
        [found.condition, type] = CODES_TO_CONDITIONS[code];
        found.text = String(element);
      }
    } else children.push(element);
  }
  if (found === null || found.condition === null) return new StanzaError(null);
  const exception = new StanzaError(
    found.condition,
    type,
    found.text,
    found.textLang,
    found.appCondition,
  );
  exception.children = children;
  exception.stanza = stanza;
  return exception;
}
