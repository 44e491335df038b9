/**
 * The DNS server (twisted.names.server): `DNSServerFactory`, the controller
 * of a `DNSDatagramProtocol` for UDP and the factory of `DNSProtocol`s for
 * TCP, answering from a chain of authorities, then caches, then (recursion)
 * clients. Private to src/names; `server.ts` is the public face.
 *
 * @module
 */
import { type Deferred, succeed } from "../../internet/defer.ts";
import { TimeoutError } from "../../internet/error.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IReactorTime } from "../../internet/interfaces.ts";
import { type DatagramAddress, ServerFactory } from "../../internet/protocol.ts";
import type { Address } from "../../internet/address.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import { DNSDatagramProtocol, DNSProtocol, type IDNSController } from "../_protocols.ts";
import type { IResolver, LookupResult } from "../common.ts";
import {
  AuthoritativeDomainError,
  type DNSFormatError,
  DNSQueryRefusedError,
  DomainError,
  ZoneUnavailableError,
} from "../error.ts";
import {
  AXFR,
  EBADVERSION,
  EFORMAT,
  ENAME,
  ENOTIMP,
  EREFUSED,
  ESERVER,
  IXFR,
  OK,
  OP_INVERSE,
  OP_NOTIFY,
  OP_QUERY,
  OP_STATUS,
  SOA,
  typeToText,
} from "../wire/_constants.ts";
import { type EDNSOption, Message, Query, type RRHeader } from "../wire/_message.ts";
import {
  type Attempt,
  isNameError,
  orderAuthorities,
  peer,
  resolveChain,
  ServerChain,
  type Stage,
  TCPConnections,
  transferChunks,
} from "./_server_support.ts";
import { ReplyCache } from "./_reply_cache.ts";
import { AddressList, peerHost } from "./_acl.ts";
import { notifySecondaries, transferAnswer } from "./_transfer.ts";
import { RateLimiter, slipReply } from "./_rate_limit.ts";

/** What `cachedReply` returns for a query the rate limit drops. */
const DROP = new Uint8Array(0);

const log = new Logger("tw.names");

/** A cache resolver: answers from what it holds, and is told the answers clients found. */
export interface ICacheResolver extends IResolver {
  /** Stores a client's answer to `query` (Twisted's `CacheResolver.cacheResult`). */
  cacheResult?(query: Query, payload: LookupResult): void;
}

/** Options of `DNSServerFactory`. */
export interface DNSServerFactoryOptions {
  /** Resolvers that answer authoritatively, asked first. @default [] */
  authorities?: IResolver[];
  /** Resolvers answering from a cache, asked next; the last is told clients' answers. @default [] */
  caches?: ICacheResolver[];
  /** Resolvers that recurse, asked last and only for queries with RD set. @default [] */
  clients?: IResolver[];
  /** 0 logs nothing per query, 1 a line per query, 2 the answers too. @default 0 */
  verbose?: number;
  /** The reactor for the TCP idle timers and the protocols' timeouts. @default getReactor() */
  reactor?: IReactorTime;
  /** TCP connections open at once; more are refused. @default 100 */
  maxConnections?: number;
  /** Seconds a TCP connection may stay idle before it is closed; null for never. @default 30 */
  idleTimeout?: number | null;
  /** Queries one TCP connection may have unanswered; reading pauses there. @default 32 */
  maxPendingPerConnection?: number;
  /** Queries over UDP unanswered at once; more get SERVFAIL. @default 1000 */
  maxPendingUDP?: number;
  /** The UDP payload size advertised in our OPT record (RFC 9715's 1232). @default 1232 */
  ednsUDPSize?: number;
  /**
   * Keep encoded UDP replies by query bytes, and answer the same bytes from
   * them until a zone changes. Used only when every resolver is an authority
   * with a `generation` (FileAuthority and its subclasses), with no caches or
   * clients, and `allowQuery` is not overridden: then replies depend on the
   * query's bytes alone.
   * @default true
   */
  replyCache?: boolean;
  /**
   * Full answers a second per client network (/24, IPv6 /56) over UDP; of the
   * queries beyond, every second one gets an empty reply with TC set (the
   * client retries over TCP, which is not limited) and the rest none. 0: off.
   * @default 0
   */
  rateLimit?: number;
  /**
   * Who may transfer zones (AXFR and IXFR): IPv4 and IPv6 CIDR blocks
   * (`192.0.2.0/24`, `2001:db8::/32`, or one address); others get REFUSED.
   * Null lets anyone, as Twisted does.
   * @default null
   */
  allowTransfer?: readonly string[] | null;
}

/** The largest UDP reply, whatever size a client's EDNS advertises. */
export const MAX_UDP_REPLY = 4096;
/** A reply's size limit without EDNS (RFC 1035 s4.2.1). */
const PLAIN_UDP_REPLY = 512;
/** The largest TCP message (RFC 1035 s4.2.2's two-byte length). */
const MAX_TCP_MESSAGE = 65535;
/** The extended DNS error code "Not Authoritative" (RFC 8914 s4.21). */
const EDE_NOT_AUTHORITATIVE = 20;

/** The answer fields of a reply. */
export interface ResponseFields {
  /** The response code. @default OK */
  rCode?: number;
  /** Set AA. @default false */
  auth?: boolean;
  /** The answer section. @default [] */
  answers?: RRHeader[];
  /** The authority section. @default [] */
  authority?: RRHeader[];
  /** The additional section. @default [] */
  additional?: RRHeader[];
  /** EDNS options, sent only when the query had EDNS. @default [] */
  ednsOptions?: EDNSOption[];
}

/**
 * A DNS server (Twisted's `server.DNSServerFactory`): the factory of TCP
 * `DNSProtocol`s and the controller of a `DNSDatagramProtocol` for UDP. It
 * answers each query from its authorities (the zone closest to the name
 * first), then its caches, then, when the query asks for recursion (RD), its
 * clients; RA is set when it has clients. A name no authority holds is
 * REFUSED when not recursing (Twisted answers NXDOMAIN). Replies echo the
 * question as asked; EDNS queries get an OPT record back (version 0,
 * `ednsUDPSize`), a version above 0 gets BADVERS; UDP replies are cut to
 * 512 bytes, or the client's EDNS size up to 4096, whole RRsets at a time
 * with TC set. Malformed queries get FORMERR when their header is readable;
 * responses (QR=1) are dropped. What a client controls is bounded:
 * connections, idle time, pending queries.
 *
 * @example
 * ```ts
 * import { DNSDatagramProtocol, DNSServerFactory, FileAuthority, Record_SOA } from "@tw/core/names";
 * import { reactor } from "@tw/core";
 *
 * const zone = new FileAuthority([["example.com", new Record_SOA({ mname: "ns1.example.com" })]]);
 * const factory = new DNSServerFactory({ authorities: [zone] });
 * const udp = reactor.listenUDP(0, new DNSDatagramProtocol(factory, { reactor }), {
 *   interface: "127.0.0.1",
 * });
 * const tcp = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
 * // ... serve, then:
 * await udp.stopListening();
 * await tcp.stopListening();
 * ```
 */
export class DNSServerFactory extends ServerFactory implements IDNSController {
  /** Resolvers answering authoritatively. */
  readonly authorities: IResolver[];
  /** Resolvers answering from caches. */
  readonly caches: ICacheResolver[];
  /** Resolvers that recurse. */
  readonly clients: IResolver[];
  /** True when clients are given: RA is set and RD queries recurse. */
  readonly canRecurse: boolean;
  /** The cache told about clients' answers (Twisted's `cache`: the last of `caches`), or null. */
  readonly cache: ICacheResolver | null;
  /** The whole chain as one resolver (Twisted's `resolver`): authorities, caches, clients. */
  readonly resolver: IResolver;
  /** How much to log per query (0, 1 or 2). */
  verbose: number;
  /** The open TCP connections. */
  readonly connections: DNSProtocol[] = [];
  /** TCP connections open at once. */
  maxConnections: number;
  /** Seconds before an idle TCP connection is closed, or null. */
  idleTimeout: number | null;
  /** Unanswered queries per TCP connection. */
  maxPendingPerConnection: number;
  /** Unanswered queries over UDP. */
  maxPendingUDP: number;
  /** The UDP size our OPT record advertises. */
  ednsUDPSize: number;
  /** Quiet: no "Starting factory" lines. */
  override noisy = false;
  readonly #reactor: IReactorTime | undefined;
  readonly #tcp: TCPConnections;
  readonly #limits = new WeakMap<Message, number>();
  readonly #replyCache: ReplyCache | null;
  readonly #rateLimiter: RateLimiter | null;
  /** Query (or its response) -> the datagram it came in and the zones' generation then. */
  readonly #datagrams = new WeakMap<Message, [Uint8Array, number]>();
  readonly #transferACL: AddressList | null;
  #pendingUDP = 0;
  #refusing = false;

  /** Makes the server from its resolvers. */
  constructor(options: DNSServerFactoryOptions = {}) {
    super();
    this.authorities = [...options.authorities ?? []];
    this.caches = [...options.caches ?? []];
    this.clients = [...options.clients ?? []];
    this.canRecurse = this.clients.length > 0;
    this.cache = this.caches.at(-1) ?? null;
    this.verbose = options.verbose ?? 0;
    this.#reactor = options.reactor;
    this.maxConnections = options.maxConnections ?? 100;
    this.idleTimeout = options.idleTimeout === undefined ? 30 : options.idleTimeout;
    this.maxPendingPerConnection = options.maxPendingPerConnection ?? 32;
    this.maxPendingUDP = options.maxPendingUDP ?? 1000;
    this.ednsUDPSize = options.ednsUDPSize ?? 1232;
    this.#replyCache = options.replyCache === false ? null : new ReplyCache();
    this.#transferACL = options.allowTransfer == null
      ? null
      : new AddressList(options.allowTransfer);
    this.#rateLimiter = options.rateLimit ? new RateLimiter(options.rateLimit, this.#clock) : null;
    this.resolver = new ServerChain((query, attempt) => {
      return resolveChain(query, this.#stages(query, true), attempt);
    });
    this.#tcp = new TCPConnections(this, () => this.#clock);
  }

  /** The zones' generation when replies may be cached (see `replyCache`), else null. */
  #generation(): number | null {
    if (this.#replyCache === null || this.caches.length > 0 || this.clients.length > 0) return null;
    if (this.allowQuery !== DNSServerFactory.prototype.allowQuery) return null;
    let sum = 0;
    for (const a of this.authorities) {
      const g = (a as { generation?: unknown }).generation;
      if (typeof g !== "number") return null;
      sum += g;
    }
    return sum;
  }

  /**
   * Before a UDP query is decoded: the rate limit's verdict (empty bytes to
   * drop it, an empty TC reply to slip it), else a kept reply to these query
   * bytes (the protocol patches the id), else null.
   */
  cachedReply(datagram: Uint8Array, address: DatagramAddress): Uint8Array | null {
    if (this.#rateLimiter !== null) {
      const verdict = this.#rateLimiter.check(address[0]);
      if (verdict === "drop") return DROP;
      if (verdict === "slip") return slipReply(datagram) ?? DROP;
    }
    const generation = this.#generation();
    return generation === null ? null : this.#replyCache!.get(datagram, generation);
  }

  get #clock(): IReactorTime {
    return this.#reactor ?? getReactor();
  }

  /** A TCP `DNSProtocol` controlled by this factory, or null when `maxConnections` are open. */
  override buildProtocol(addr: Address): DNSProtocol | null {
    if (this.connections.length >= this.maxConnections) {
      if (!this.#refusing) {
        log.warn("DNS connections refused from {peer} on: {count} connections open", {
          peer: formatPeer(addr),
          count: this.connections.length,
        });
      }
      this.#refusing = true;
      return null;
    }
    const protocol = new DNSProtocol(this, { reactor: this.#clock });
    protocol.factory = this;
    return protocol;
  }

  /** Tracks a new TCP connection: its idle timer, and pausing reads while replies back up. */
  connectionMade(protocol: DNSProtocol): void {
    this.connections.push(protocol);
    this.#tcp.add(protocol);
  }

  /** Forgets a TCP connection. */
  connectionLost(protocol: DNSProtocol): void {
    const index = this.connections.indexOf(protocol);
    if (index >= 0) this.connections.splice(index, 1);
    this.#tcp.remove(protocol);
    this.#refusing = false;
  }

  /**
   * Sends a reply: over UDP cut to the client's size (`message.toStr(limit)`
   * sets TC), over TCP framed with its length (65535 bytes at most).
   */
  sendReply(
    protocol: DNSDatagramProtocol | DNSProtocol,
    message: Message,
    address?: DatagramAddress,
  ): void {
    if (this.verbose > 1) {
      const all = [...message.answers, ...message.authority, ...message.additional];
      log.info("Replying rcode {rCode} with {count} records: {records}", {
        rCode: message.rCode,
        count: all.length,
        records: all.map(String).join("; "),
      });
    }
    if (protocol instanceof DNSDatagramProtocol) {
      const limit = this.#limits.get(message) ?? PLAIN_UDP_REPLY;
      try {
        const bytes = message.toStr(limit);
        protocol.transport?.write(bytes, address);
        const came = this.#datagrams.get(message);
        if (came && message.rCode !== ESERVER) this.#replyCache!.put(came[0], bytes, came[1]);
      } catch (error) {
        // The port stopped while the answer was being looked up.
        if (this.verbose > 0) log.info("Reply dropped: {error}", { error: String(error) });
      }
      return;
    }
    const bytes = message.toStr(MAX_TCP_MESSAGE);
    const framed = new Uint8Array(bytes.length + 2);
    framed[0] = bytes.length >> 8;
    framed[1] = bytes.length & 0xff;
    framed.set(bytes, 2);
    protocol.transport.write(framed);
    this.#tcp.touch(protocol);
  }

  /**
   * The reply to `message` (Twisted's `_responseFromMessage`): its id, opcode,
   * RD, CD and question, RA when recursing, and an OPT record (version 0, our
   * UDP size, DO copied) when the query had one.
   */
  responseFromMessage(message: Message, fields: ResponseFields = {}): Message {
    const edns = message.ednsVersion !== null;
    const response = new Message({
      id: message.id,
      answer: true,
      opCode: message.opCode,
      recDes: message.recDes,
      recAv: this.canRecurse,
      checkingDisabled: message.checkingDisabled,
      auth: fields.auth ?? false,
      rCode: fields.rCode ?? OK,
      queries: message.queries,
      answers: fields.answers ?? [],
      authority: fields.authority ?? [],
      additional: fields.additional ?? [],
      ednsVersion: edns ? 0 : null,
      maxSize: this.ednsUDPSize,
      dnssecOK: edns && message.dnssecOK,
      ednsOptions: edns ? fields.ednsOptions ?? [] : [],
    });
    const limit = edns
      ? Math.min(Math.max(message.maxSize, PLAIN_UDP_REPLY), MAX_UDP_REPLY)
      : PLAIN_UDP_REPLY;
    this.#limits.set(response, limit);
    const came = this.#datagrams.get(message);
    if (came) this.#datagrams.set(response, came);
    return response;
  }

  #reply(
    protocol: DNSDatagramProtocol | DNSProtocol,
    message: Message,
    address: DatagramAddress | undefined,
    fields: ResponseFields,
  ): void {
    this.sendReply(protocol, this.responseFromMessage(message, fields), address);
  }

  /**
   * A message arrived (from `DNSDatagramProtocol` or `DNSProtocol`):
   * responses are dropped, EDNS versions above 0 get BADVERS, then
   * `allowQuery` decides, then the opcode picks the handler.
   */
  messageReceived(
    message: Message,
    protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): void {
    if (message.answer) {
      if (this.verbose > 0) {
        log.info("Dropped a response (QR=1) from {peer}", { peer: peer(protocol, address) });
      }
      return;
    }
    if (protocol instanceof DNSProtocol) this.#tcp.touch(protocol);
    else if (
      message.opCode === OP_QUERY && protocol.currentDatagram !== null &&
      message.queries[0]?.type !== AXFR && message.queries[0]?.type !== IXFR
    ) {
      const generation = this.#generation();
      if (generation !== null) this.#datagrams.set(message, [protocol.currentDatagram, generation]);
    }
    if (this.verbose > 0) {
      const what = this.verbose > 1
        ? message.queries.map(String).join(" ")
        : message.queries.map((q) => typeToText(q.type)).join(" ");
      log.info("{what} query from {peer}", {
        what: what || "Empty",
        peer: peer(protocol, address),
      });
    }
    if (message.ednsVersion !== null && message.ednsVersion > 0) {
      this.#reply(protocol, message, address, { rCode: EBADVERSION });
      return;
    }
    const allowed = this.allowQuery(message, protocol, address);
    if (allowed !== true) {
      this.#reply(protocol, message, address, { rCode: allowed === false ? EREFUSED : allowed });
      return;
    }
    switch (message.opCode) {
      case OP_QUERY:
        this.handleQuery(message, protocol, address);
        return;
      case OP_INVERSE:
        this.handleInverseQuery(message, protocol, address);
        return;
      case OP_STATUS:
        this.handleStatus(message, protocol, address);
        return;
      case OP_NOTIFY:
        this.handleNotify(message, protocol, address);
        return;
      default:
        this.handleOther(message, protocol, address);
    }
  }

  /**
   * Bytes that are no DNS message arrived: FORMERR, with the id and opcode
   * echoed, when the 12-byte header is readable and says query (QR=0);
   * nothing otherwise.
   */
  malformedReceived(
    bytes: Uint8Array,
    error: DNSFormatError,
    protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): void {
    if (this.verbose > 0) {
      log.info("Malformed message from {peer}: {error}", {
        peer: peer(protocol, address),
        error: error.message,
      });
    }
    if (bytes.length < 12 || (bytes[2] & 0x80) !== 0) return;
    const reply = new Message({
      id: (bytes[0] << 8) | bytes[1],
      answer: true,
      opCode: (bytes[2] >> 3) & 0xf,
      recDes: (bytes[2] & 1) !== 0,
      recAv: this.canRecurse,
      rCode: EFORMAT,
    });
    this.sendReply(protocol, reply, address);
  }

  /**
   * Whether to answer `message`: true to go on, false for REFUSED, or a
   * response code to answer with. The default wants exactly one question
   * (FORMERR otherwise); override for access control.
   */
  allowQuery(
    message: Message,
    _protocol: DNSDatagramProtocol | DNSProtocol,
    _address?: DatagramAddress,
  ): boolean | number {
    return message.queries.length === 1 ? true : EFORMAT;
  }

  /**
   * Answers a standard query: zone transfers (AXFR, IXFR) from the
   * authorities over TCP, everything else through the chain. The Deferred
   * fires once the reply is sent.
   */
  handleQuery(
    message: Message,
    protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): Deferred<void> {
    const query = message.queries[0];
    const udp = protocol instanceof DNSDatagramProtocol;
    if (query.type === AXFR || query.type === IXFR) {
      if (this.#transferACL !== null && !this.#transferACL.matches(peerHost(protocol, address))) {
        this.#reply(protocol, message, address, { rCode: EREFUSED });
        return succeed(undefined);
      }
      if (udp && query.type === AXFR) {
        // RFC 5936 s4.2: AXFR is not defined over UDP (BIND answers FORMERR too).
        this.#reply(protocol, message, address, { rCode: EFORMAT });
        return succeed(undefined);
      }
      if (!udp) return this.#transfer(message, protocol, query);
    }
    if (udp && this.#pendingUDP >= this.maxPendingUDP) {
      this.#reply(protocol, message, address, { rCode: ESERVER });
      return succeed(undefined);
    }
    // RFC 1995 s2: an IXFR over UDP that does not fit gets the current SOA.
    const asked = udp && query.type === IXFR ? new Query(query.name, SOA, query.cls) : query;
    const attempt: Attempt = { fromClient: false };
    if (udp) this.#pendingUDP++;
    else this.#tcp.begin(protocol);
    const done = () => {
      if (udp) this.#pendingUDP--;
      else this.#tcp.end(protocol);
    };
    const stages = this.#stages(asked, this.canRecurse && message.recDes);
    return resolveChain(asked, stages, attempt).addCallbacks(
      (result) => {
        done();
        this.gotResolverResponse(result, protocol, message, address, attempt.fromClient);
      },
      (failure) => {
        done();
        this.gotResolverError(failure, protocol, message, address, attempt.fromClient);
      },
    );
  }

  /** The chain for `query`: authorities, caches, and clients when `recurse` (true: a client). */
  #stages(query: Query, recurse: boolean): Stage[] {
    const stages: Stage[] = [];
    for (const r of orderAuthorities(this.authorities, query.name)) stages.push([r, false]);
    for (const r of this.caches) stages.push([r, false]);
    if (recurse) { for (const r of this.clients) stages.push([r, true]); }
    return stages;
  }

  /**
   * Replies with a lookup's sections (Twisted's `gotResolverResponse`): AA
   * when a record in the answer or authority section is authoritative; the
   * cache is told when a client answered.
   */
  gotResolverResponse(
    response: LookupResult,
    protocol: DNSDatagramProtocol | DNSProtocol,
    message: Message,
    address?: DatagramAddress,
    fromClient = false,
  ): void {
    const [answers, authority, additional] = response;
    const auth = answers.some((rr) => rr.auth) || authority.some((rr) => rr.auth);
    this.#reply(protocol, message, address, { auth, answers, authority, additional });
    if (fromClient && this.cache?.cacheResult && answers.length + authority.length > 0) {
      try {
        this.cache.cacheResult(message.queries[0], response);
      } catch (error) {
        log.failure("The cache failed to store an answer", error, "warn");
      }
    }
  }

  /**
   * Replies to a failed lookup (Twisted's `gotResolverError`): an
   * authoritative NXDOMAIN with the SOA (and the CNAME chain that led
   * there); REFUSED for a name no authority holds when not recursing; a
   * client's error as NXDOMAIN or REFUSED when it says so, else SERVFAIL.
   */
  gotResolverError(
    failure: Failure,
    protocol: DNSDatagramProtocol | DNSProtocol,
    message: Message,
    address?: DatagramAddress,
    fromClient = false,
  ): void {
    const error = failure.value;
    if (error instanceof AuthoritativeDomainError) {
      this.#reply(protocol, message, address, {
        rCode: ENAME,
        auth: true,
        answers: error.answers,
        authority: error.authority,
      });
      return;
    }
    if (error instanceof DomainError && !fromClient) {
      this.#reply(protocol, message, address, {
        rCode: EREFUSED,
        ednsOptions: [{ code: 15, data: Uint8Array.of(0, EDE_NOT_AUTHORITATIVE) }],
      });
      return;
    }
    if (error instanceof DomainError && isNameError(error)) {
      const authority = error.response?.authority ?? [];
      this.#reply(protocol, message, address, { rCode: ENAME, authority });
      return;
    }
    if (error instanceof DNSQueryRefusedError) {
      this.#reply(protocol, message, address, { rCode: EREFUSED });
      return;
    }
    const expected = error instanceof DomainError || error instanceof TimeoutError ||
      error instanceof ZoneUnavailableError;
    if (!expected) {
      log.failure("Lookup of {query} failed", failure, "error", {
        query: String(message.queries[0]),
      });
    } else if (this.verbose > 0) {
      log.info("Lookup of {query} failed: {error}", {
        query: String(message.queries[0]),
        error: error.message,
      });
    }
    this.#reply(protocol, message, address, { rCode: ESERVER });
  }

  /**
   * A zone transfer over TCP: the authority's records (AXFR, or IXFR's
   * differences) in messages of about 16 KiB.
   */
  #transfer(
    message: Message,
    protocol: DNSDatagramProtocol | DNSProtocol,
    query: Query,
  ): Deferred<void> {
    const answer = transferAnswer(message, query, this.authorities);
    if (typeof answer === "number") {
      this.#reply(protocol, message, undefined, { rCode: answer });
      return succeed(undefined);
    }
    return answer.addCallbacks(([records]) => {
      transferChunks(records).forEach((chunk, i) => {
        const reply = this.responseFromMessage(message, { auth: true, answers: chunk });
        if (i > 0) reply.queries = []; // RFC 5936 s2.2.1: the question once
        this.sendReply(protocol, reply);
      });
    }, (failure) => this.gotResolverError(failure, protocol, message));
  }

  /** An inverse query (obsolete, RFC 3425): NOTIMP. */
  handleInverseQuery(
    message: Message,
    protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): void {
    this.#reply(protocol, message, address, { rCode: ENOTIMP });
  }

  /** A status query: NOTIMP. */
  handleStatus(
    message: Message,
    protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): void {
    this.#reply(protocol, message, address, { rCode: ENOTIMP });
  }

  /**
   * A NOTIFY (RFC 1996): acknowledged (NOERROR, AA, the question echoed).
   * A secondary zone among the authorities (`SecondaryAuthority`) refreshes
   * when the NOTIFY comes from its primary, and it is REFUSED from any other
   * address. Override to act otherwise.
   */
  handleNotify(
    message: Message,
    protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): void {
    if (this.verbose > 0) {
      log.info("NOTIFY for {zone} from {peer}", {
        zone: message.queries[0]?.name.name,
        peer: peer(protocol, address),
      });
    }
    const rCode = notifySecondaries(message, peerHost(protocol, address), this.authorities);
    this.#reply(protocol, message, address, { auth: rCode === OK, rCode });
  }

  /** Any other opcode: NOTIMP. */
  handleOther(
    message: Message,
    protocol: DNSDatagramProtocol | DNSProtocol,
    address?: DatagramAddress,
  ): void {
    this.#reply(protocol, message, address, { rCode: ENOTIMP });
  }
}

function formatPeer(addr: Address): string {
  const at = addr as { host?: string; port?: number };
  return at.host === undefined ? String(addr) : `${at.host}:${at.port}`;
}
