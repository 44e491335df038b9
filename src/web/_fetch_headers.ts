/**
 * Request headers read from a fetch `Request` only when first asked for:
 * many resources (a hello world, a static page) never look at them, and
 * listing a native server's headers costs more than serving such a page.
 * Internal to the fetch bridge.
 *
 * @module
 */
import { Headers, HOP_BY_HOP } from "./_headers.ts";
import {
  eachValue,
  fieldList,
  hasLower,
  serialize,
  serializedLength,
  serializeTo,
  setOne,
  valuesOf,
} from "./_internal.ts";

// Not passed to the site: the hop's own fields, and those the bridge answers
// itself (the body was read whole, so its length is given below).
const SKIPPED = new Set([...HOP_BY_HOP, "expect", "content-length"]);

/** `Headers` filled from a fetch `Headers` on first use. */
export class LazyRequestHeaders extends Headers {
  #source: globalThis.Request | null;
  #host: string;
  #length: string | null;

  /**
   * @param source the fetch request (its headers are read later)
   * @param host the Host to give when the request has none
   * @param length the Content-Length to give (the body was read whole), or null
   */
  constructor(source: globalThis.Request, host: string, length: string | null) {
    super();
    this.#source = source;
    this.#host = host;
    this.#length = length;
  }

  #fill(): void {
    const source = this.#source;
    if (source === null) return;
    this.#source = null;
    let hasHost = false;
    for (const [name, value] of source.headers) {
      if (SKIPPED.has(name)) continue;
      if (name === "host") hasHost = true;
      super.addRawHeader(name, value);
    }
    if (!hasHost) super.addRawHeader("host", this.#host);
    if (this.#length !== null) super.addRawHeader("content-length", this.#length);
  }

  override hasHeader(name: string): boolean {
    this.#fill();
    return super.hasHeader(name);
  }

  override removeHeader(name: string): void {
    this.#fill();
    super.removeHeader(name);
  }

  override setRawHeaders(name: string, values: readonly string[]): void {
    this.#fill();
    super.setRawHeaders(name, values);
  }

  override addRawHeader(name: string, value: string): void {
    this.#fill();
    super.addRawHeader(name, value);
  }

  override getRawHeaders(name: string): string[] | undefined;
  override getRawHeaders<D>(name: string, defaultValue: D): string[] | D;
  override getRawHeaders<D>(name: string, defaultValue?: D): string[] | D | undefined {
    this.#fill();
    return super.getRawHeaders(name, defaultValue);
  }

  override getLast(name: string): string | null {
    this.#fill();
    return super.getLast(name);
  }

  override [valuesOf](lowerName: string): readonly string[] | undefined {
    this.#fill();
    return super[valuesOf](lowerName);
  }

  override [hasLower](lowerName: string): boolean {
    this.#fill();
    return super[hasLower](lowerName);
  }

  override [setOne](name: string, value: string): void {
    this.#fill();
    super[setOne](name, value);
  }

  override [eachValue](fn: (lowerName: string, value: string) => void): void {
    this.#fill();
    super[eachValue](fn);
  }

  override [fieldList](): readonly string[] | null {
    this.#fill();
    return super[fieldList]();
  }

  override getAllRawHeaders(): IterableIterator<[string, string[]]> {
    this.#fill();
    return super.getAllRawHeaders();
  }

  override [Symbol.iterator](): IterableIterator<[string, string]> {
    this.#fill();
    return super[Symbol.iterator]();
  }

  override copy(): Headers {
    this.#fill();
    return super.copy();
  }

  override get size(): number {
    this.#fill();
    return super.size;
  }

  override toWebHeaders(): globalThis.Headers {
    this.#fill();
    return super.toWebHeaders();
  }

  override [serialize](): string {
    this.#fill();
    return super[serialize]();
  }

  override [serializedLength](): number {
    this.#fill();
    return super[serializedLength]();
  }

  override [serializeTo](out: Uint8Array, at: number): number {
    this.#fill();
    return super[serializeTo](out, at);
  }
}
