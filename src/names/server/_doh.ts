/**
 * DNS over HTTPS for the server (RFC 8484): `DNSOverHTTPSResource`, a web
 * resource that hands each DNS message it gets (GET `?dns=`, POST
 * `application/dns-message`) to a `DNSServerFactory` as a TCP query would
 * come, and answers with the reply. `tw dns --https` mounts it at
 * `/dns-query`. Private to src/names; server.ts re-exports it.
 *
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import { type Address, IPv4Address } from "../../internet/address.ts";
import type {
  IPullProducer,
  IPushProducer,
  IReactorTime,
  ITransport,
} from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Resource } from "../../web/resource.ts";
import type { Request } from "../../web/server.ts";
import { DNSProtocol, type IDNSController } from "../_protocols.ts";
import { DNSFormatError } from "../error.ts";
import { AXFR, ENOTIMP, IXFR, SOA } from "../wire/_constants.ts";
import { Message } from "../wire/_message.ts";
import type { Record_SOA } from "../wire/_records.ts";
import type { DNSServerFactory } from "./_server.ts";

/** The media type of DNS messages over HTTP (RFC 8484 s6). */
const DNS_MESSAGE = "application/dns-message";
/** The largest DNS message (RFC 1035 s4.2.2's two-byte length). */
const MAX_MESSAGE = 65535;
const NO_ADDRESS = new IPv4Address("TCP", "0.0.0.0", 0);

/** Options of {@link DNSOverHTTPSResource}. */
export interface DNSOverHTTPSResourceOptions {
  /** The reactor the per-request DNS protocols are given. @default getReactor() */
  reactor?: IReactorTime;
}

/**
 * The transport of one request's DNS protocol: keeps the first message the
 * factory writes (framed as over TCP) and says where the request came from.
 */
class ReplyTransport implements ITransport {
  readonly reply: Deferred<Uint8Array | null> = new Deferred<Uint8Array | null>();
  disconnecting = false;
  readonly #peer: Address;
  readonly #host: Address;

  constructor(peer: Address | null, host: Address | null) {
    this.#peer = peer ?? NO_ADDRESS;
    this.#host = host ?? NO_ADDRESS;
  }

  write(data: Uint8Array): void {
    if (this.reply.called || data.length < 2) return;
    this.reply.callback(data.slice(2, 2 + ((data[0] << 8) | data[1])));
  }
  writeSequence(data: Iterable<Uint8Array>): void {
    for (const chunk of data) this.write(chunk);
  }
  loseConnection(): void {
    this.disconnecting = true;
    if (!this.reply.called) this.reply.callback(null);
  }
  abortConnection(): void {
    this.loseConnection();
  }
  getPeer(): Address {
    return this.#peer;
  }
  getHost(): Address {
    return this.#host;
  }
  registerProducer(_producer: IPushProducer | IPullProducer, _streaming: boolean): void {}
  unregisterProducer(): void {}
  pauseProducing(): void {}
  resumeProducing(): void {}
  stopProducing(): void {}
}

/** Decodes base64url (RFC 4648 s5), with or without padding; null when malformed. */
export function decodeBase64URL(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return null;
  const bare = text.replace(/=+$/, "");
  if (bare.length % 4 === 1) return null;
  const standard = bare.replaceAll("-", "+").replaceAll("_", "/");
  let binary: string;
  try {
    binary = atob(standard + "=".repeat((4 - (standard.length % 4)) % 4));
  } catch {
    return null;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * The freshness lifetime of a reply (RFC 8484 s5.1): the smallest TTL of the
 * answer section; without answers, the negative-caching TTL of an SOA in the
 * authority section (the smaller of its TTL and MINIMUM, RFC 2308 s5); else 0.
 */
export function replyMaxAge(reply: Message): number {
  if (reply.answers.length > 0) return Math.min(...reply.answers.map((rr) => rr.ttl));
  const soa = reply.authority.find((rr) => rr.type === SOA);
  if (soa !== undefined) {
    const minimum = (soa.payload as Record_SOA | null)?.minimum ?? soa.ttl;
    return Math.min(soa.ttl, minimum);
  }
  return 0;
}

/**
 * DNS over HTTPS (RFC 8484) as a web resource: answers GET with the query
 * in `?dns=` (base64url, padding optional) and POST with an
 * `application/dns-message` body, through `factory` as if the query came
 * over TCP (so never truncated). Replies are `application/dns-message` with
 * `cache-control: max-age=` the smallest TTL of the answer section (for a
 * negative answer the SOA's negative-caching TTL, else 0). Bad input gets
 * 400 (no or bad `dns`, an empty or malformed message, a response instead of
 * a query), a POST of another content type 415, a body over 65535 bytes 413,
 * other methods 405 (HEAD is GET without a body, OPTIONS lists the methods).
 * Zone transfers (AXFR, IXFR), being several messages, are answered NOTIMP.
 * The factory's `allowQuery` sees the HTTP client's address as the peer.
 * It is a leaf: mount it where the URL path should be, `dns-query` by custom.
 *
 * @example
 * ```ts
 * import { A, DNSOverHTTPSResource, DNSServerFactory, FileAuthority, Message, Query, Record_A, Record_SOA } from "@tw/core/names";
 * import { Resource, Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/testing";
 *
 * const zone = new FileAuthority([
 *   ["example.com", new Record_SOA({ mname: "ns1.example.com", minimum: 300 })],
 *   ["www.example.com", new Record_A("192.0.2.80", 60)],
 * ]);
 * const clock = new Clock();
 * const factory = new DNSServerFactory({ authorities: [zone], reactor: clock });
 * const root = new Resource();
 * root.putChild("dns-query", new DNSOverHTTPSResource(factory, { reactor: clock }));
 * const handle = siteAsFetchHandler(new Site(root, { clock }));
 * const query = new Message({ id: 0, queries: [new Query("www.example.com", A)] }).toStr();
 * const res = await handle(
 *   new Request("https://dns.example/dns-query", {
 *     method: "POST",
 *     headers: { "content-type": "application/dns-message" },
 *     body: query.slice(),
 *   }),
 * );
 * console.log(res.status, res.headers.get("cache-control")); // 200 "max-age=60"
 * const reply = Message.fromStr(new Uint8Array(await res.arrayBuffer()));
 * console.log(reply.answers[0].toString()); // www.example.com. 60 IN A 192.0.2.80
 * ```
 */
export class DNSOverHTTPSResource extends Resource {
  /** A leaf: the rest of the path must be empty (404 otherwise). */
  override isLeaf = true;
  /** The server answering the queries. */
  readonly factory: DNSServerFactory;
  readonly #reactor: IReactorTime | undefined;

  /**
   * Makes the resource.
   * @param factory the DNS server that answers
   * @param options the reactor
   */
  constructor(factory: DNSServerFactory, options: DNSOverHTTPSResourceOptions = {}) {
    super();
    this.factory = factory;
    this.#reactor = options.reactor;
  }

  /** A query in `?dns=` (base64url). */
  render_GET(request: Request): string | Promise<Uint8Array | string> {
    const extra = this.#extraPath(request);
    if (extra !== null) return extra;
    const values = request.args.dns;
    if (values === undefined || values.length === 0) {
      return this.#error(request, 400, "No dns parameter: give the query as ?dns=BASE64URL");
    }
    const bytes = decodeBase64URL(values[0]);
    if (bytes === null) return this.#error(request, 400, "The dns parameter is no base64url");
    return this.#answer(request, bytes);
  }

  /** A query as an `application/dns-message` body. */
  render_POST(request: Request): string | Promise<Uint8Array | string> {
    const extra = this.#extraPath(request);
    if (extra !== null) return extra;
    const type = request.getHeader("content-type");
    const media = (type ?? "").split(";")[0].trim().toLowerCase();
    if (media !== DNS_MESSAGE) {
      return this.#error(
        request,
        415,
        `Give the query as ${DNS_MESSAGE}, not ${type ?? "nothing"}`,
      );
    }
    const body = request.content;
    if (body.length > MAX_MESSAGE) {
      return this.#error(request, 413, `A DNS message has at most ${MAX_MESSAGE} bytes`);
    }
    return this.#answer(request, body);
  }

  #extraPath(request: Request): string | null {
    const rest = request.postpath.filter((segment) => segment !== "");
    return rest.length === 0 ? null : this.#error(request, 404, "No such resource");
  }

  #error(request: Request, code: number, text: string): string {
    request.setResponseCode(code);
    request.setHeader("content-type", "text/plain; charset=utf-8");
    return `${text}\n`;
  }

  async #answer(request: Request, bytes: Uint8Array): Promise<Uint8Array | string> {
    if (bytes.length === 0) return this.#error(request, 400, "The DNS message is empty");
    let message: Message;
    try {
      message = Message.fromStr(bytes);
    } catch (error) {
      if (!(error instanceof DNSFormatError)) throw error;
      return this.#error(request, 400, `Bad DNS message: ${error.message}`);
    }
    if (message.answer) return this.#error(request, 400, "The DNS message is a response");
    const factory = this.factory;
    const transport = new ReplyTransport(request.getClientAddress(), request.getHost());
    const question = message.queries[0];
    if (question !== undefined && (question.type === AXFR || question.type === IXFR)) {
      const refused = factory.responseFromMessage(message, { rCode: ENOTIMP });
      transport.reply.callback(refused.toStr(MAX_MESSAGE));
    } else {
      // A protocol of its own, so that the factory answers as over TCP but does
      // not count it among its connections (no idle timer, no flow control).
      const controller: IDNSController = {
        messageReceived: (m, p, a) => factory.messageReceived(m, p, a),
      };
      const protocol = new DNSProtocol(controller, { reactor: this.#reactor ?? getReactor() });
      protocol.makeConnection(transport);
      factory.messageReceived(message, protocol);
    }
    const reply = await transport.reply;
    if (reply === null) return this.#error(request, 502, "The DNS server gave no reply");
    let maxAge = 0;
    try {
      maxAge = replyMaxAge(Message.fromStr(reply));
    } catch {
      // Our own reply decodes; if not, it is not cached.
    }
    request.setHeader("content-type", DNS_MESSAGE);
    request.setHeader("cache-control", `max-age=${maxAge}`);
    return reply;
  }
}
