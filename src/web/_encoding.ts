/**
 * Response encoding (`twisted.web.server.GzipEncoderFactory` and
 * `twisted.web.resource.EncodingResourceWrapper`), with the standard
 * `CompressionStream`, available on Deno, Bun and Node.
 * Re-exported by `mod.ts`.
 *
 * @module
 */
import type { IResponseEncoder } from "./_http_request.ts";
import { encoder as requestEncoder } from "./_internal.ts";
import type { Request } from "./server.ts";
import type { IResource, RenderResult } from "./resource.ts";

/** Makes an encoder for a request, or null when the client does not accept it. */
export interface IEncoderFactory {
  /** An encoder (having set Content-Encoding), or null. */
  encoderForRequest(request: Request): IResponseEncoder | null;
}

/** True when `accept` (an Accept-Encoding value) allows `coding` with q > 0. */
function accepts(accept: string, coding: string): boolean {
  let star = false;
  for (const item of accept.split(",")) {
    const [name, ...params] = item.trim().toLowerCase().split(";");
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m !== null) q = Number(m[1]);
    }
    if (name.trim() === coding) return q > 0;
    if (name.trim() === "*") star = q > 0;
  }
  return star;
}

/** Streams a response body through `CompressionStream("gzip")`. */
class GzipEncoder implements IResponseEncoder {
  #writer: WritableStreamDefaultWriter<BufferSource>;
  #pump: Promise<void>;

  constructor(request: Request) {
    const stream = new CompressionStream("gzip");
    this.#writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    this.#pump = (async (): Promise<void> => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        request.writeEncoded(value);
      }
    })();
    // A failure surfaces through finish(); keep it from being unhandled meanwhile.
    this.#pump.catch(() => {});
  }

  encode(data: Uint8Array): void {
    // Errors show up in close() below.
    this.#writer.write(data as Uint8Array<ArrayBuffer>).catch(() => {});
  }

  async finish(): Promise<void> {
    await this.#writer.close();
    await this.#pump;
  }
}

/**
 * Gzip-encodes responses for clients that accept it (`GzipEncoderFactory`).
 * Use with `EncodingResourceWrapper`.
 *
 * @example
 * ```ts
 * import { Data, EncodingResourceWrapper, GzipEncoderFactory } from "@tw/core/web";
 * import { Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const text = new Data("hello ".repeat(1000), "text/plain");
 * const page = new EncodingResourceWrapper(text, [new GzipEncoderFactory()]);
 * const handle = siteAsFetchHandler(new Site(page, { clock: new Clock() }));
 * const plain = await handle(new Request("http://localhost/"));
 * console.log(plain.headers.get("content-encoding"), (await plain.text()).length); // null 6000
 * const headers = { "Accept-Encoding": "gzip, br" };
 * const gzip = await handle(new Request("http://localhost/", { headers }));
 * const size = (await gzip.arrayBuffer()).byteLength;
 * console.log(gzip.headers.get("content-encoding"), size < 100); // "gzip" true
 * ```
 */
export class GzipEncoderFactory implements IEncoderFactory {
  /** The compression level (kept for parity; `CompressionStream` has no setting). @default 9 */
  compressLevel = 9;

  /** A gzip encoder when Accept-Encoding allows gzip; sets Content-Encoding and Vary. */
  encoderForRequest(request: Request): IResponseEncoder | null {
    const accept = request.getHeader("accept-encoding");
    request.responseHeaders.addRawHeader("Vary", "Accept-Encoding");
    if (accept === null || !accepts(accept, "gzip")) return null;
    request.setHeader("content-encoding", "gzip");
    return new GzipEncoder(request);
  }
}

/**
 * Wraps a resource so that its responses are encoded by the first factory
 * that accepts the request (`EncodingResourceWrapper`). As in Twisted, only
 * the wrapped resource's own rendering is encoded, not its children.
 *
 * @example
 * ```ts
 * import { EncodingResourceWrapper, GzipEncoderFactory, Resource, Site } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * class Report extends Resource {
 *   override isLeaf = true;
 *   render_GET(): string {
 *     return "<table>...</table>";
 *   }
 * }
 * const root = new Resource();
 * // Only this resource's responses are gzipped, for clients that accept it.
 * root.putChild("report", new EncodingResourceWrapper(new Report(), [new GzipEncoderFactory()]));
 * const site = new Site(root, { clock: new Clock() });
 * ```
 */
export class EncodingResourceWrapper implements IResource {
  /** The wrapped resource. */
  readonly wrapped: IResource;
  /** The encoder factories, tried in order. */
  readonly encoders: IEncoderFactory[];

  /**
   * Wraps `wrapped`.
   * @param wrapped the resource
   * @param encoders encoder factories, e.g. `[new GzipEncoderFactory()]`
   */
  constructor(wrapped: IResource, encoders: IEncoderFactory[]) {
    this.wrapped = wrapped;
    this.encoders = encoders;
  }

  /** Whether the wrapped resource is a leaf. */
  get isLeaf(): boolean {
    return this.wrapped.isLeaf;
  }

  /** The wrapped resource's child. */
  getChildWithDefault(path: string, request: Request): IResource {
    return this.wrapped.getChildWithDefault(path, request);
  }

  /** Adds a child to the wrapped resource. */
  putChild(path: string, child: IResource): void {
    this.wrapped.putChild(path, child);
  }

  /** Picks an encoder, then renders the wrapped resource. */
  render(request: Request): RenderResult {
    if (request.method !== "HEAD") {
      for (const factory of this.encoders) {
        const encoder = factory.encoderForRequest(request);
        if (encoder !== null) {
          request[requestEncoder] = encoder;
          break;
        }
      }
    }
    return this.wrapped.render(request);
  }
}
