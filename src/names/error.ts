/**
 * The errors of DNS lookups (twisted.names.error). A lookup that got an error
 * response fails with the class for its response code; the response itself is
 * kept as `response` when there was one.
 *
 * @example
 * ```ts
 * import { DNSNameError, DomainError } from "@tw/core/names/error";
 * const e = new DNSNameError("example.invalid: name not found");
 * console.log(e instanceof DomainError, e.name); // true DNSNameError
 * ```
 * @module
 */
import { TimeoutError } from "../internet/error.ts";
import type { Message, RRHeader } from "./wire/_message.ts";

/** What the DNS errors take besides their text. */
export interface DNSErrorOptions extends ErrorOptions {
  /** The response that carried the error, if any. */
  response?: Message;
}

/**
 * No records match the name, class and type asked (Twisted's `DomainError`).
 *
 * @example
 * ```ts
 * import { DomainError } from "@tw/core/names/error";
 * console.log(new DomainError("no such name").name); // DomainError
 * ```
 */
export class DomainError extends Error {
  /** The response that carried the error, if any. */
  readonly response: Message | undefined;
  /** Creates the error. */
  constructor(text = "Domain lookup failed", options: DNSErrorOptions = {}) {
    super(text, options);
    this.name = "DomainError";
    this.response = options.response;
  }
}

/**
 * No records match, and we are authoritative for the name (Twisted's
 * `AuthoritativeDomainError`): the server answers NXDOMAIN or NODATA.
 *
 * @example
 * ```ts
 * import { AuthoritativeDomainError } from "@tw/core/names/error";
 * console.log(new AuthoritativeDomainError("nope.example.com").name); // AuthoritativeDomainError
 * ```
 */
export class AuthoritativeDomainError extends Error {
  /** What a negative answer carries in its authority section: the zone's SOA (RFC 2308). */
  readonly authority: RRHeader[];
  /**
   * The CNAME or DNAME chain that led to the missing name, which an NXDOMAIN
   * answer carries in its answer section (RFC 6604 s2); usually empty.
   */
  readonly answers: RRHeader[];
  /** Creates the error. */
  constructor(
    text = "Authoritative domain lookup failed",
    options: ErrorOptions & { authority?: RRHeader[]; answers?: RRHeader[] } = {},
  ) {
    super(text, options);
    this.name = "AuthoritativeDomainError";
    this.authority = options.authority ?? [];
    this.answers = options.answers ?? [];
  }
}

/**
 * No answer came in time from any server (Twisted's `DNSQueryTimeoutError`).
 *
 * @example
 * ```ts
 * import { DNSQueryTimeoutError } from "@tw/core/names/error";
 * console.log(new DNSQueryTimeoutError(4711).id); // 4711
 * ```
 */
export class DNSQueryTimeoutError extends TimeoutError {
  /** The id of the query that timed out. */
  readonly id: number;
  /** Creates the error for the query `id`. */
  constructor(id: number, text = `DNS query ${id} timed out`) {
    super(text);
    this.name = "DNSQueryTimeoutError";
    this.id = id;
  }
}

/**
 * The server could not parse the query (FORMERR), or a message was malformed.
 *
 * @example
 * ```ts
 * import { DNSFormatError } from "@tw/core/names/error";
 * console.log(new DNSFormatError("label longer than 63 bytes").name); // DNSFormatError
 * ```
 */
export class DNSFormatError extends DomainError {
  /** Creates the error. */
  constructor(text = "Malformed DNS message", options?: DNSErrorOptions) {
    super(text, options);
    this.name = "DNSFormatError";
  }
}

/**
 * The server failed (SERVFAIL).
 *
 * @example
 * ```ts
 * import { DNSServerError } from "@tw/core/names/error";
 * console.log(new DNSServerError().name); // DNSServerError
 * ```
 */
export class DNSServerError extends DomainError {
  /** Creates the error. */
  constructor(text = "DNS server failure", options?: DNSErrorOptions) {
    super(text, options);
    this.name = "DNSServerError";
  }
}

/**
 * The name does not exist (NXDOMAIN).
 *
 * @example
 * ```ts
 * import { DNSNameError } from "@tw/core/names/error";
 * console.log(new DNSNameError().name); // DNSNameError
 * ```
 */
export class DNSNameError extends DomainError {
  /** Creates the error. */
  constructor(text = "DNS name does not exist", options?: DNSErrorOptions) {
    super(text, options);
    this.name = "DNSNameError";
  }
}

/**
 * The server does not implement the query (NOTIMP).
 *
 * @example
 * ```ts
 * import { DNSNotImplementedError } from "@tw/core/names/error";
 * console.log(new DNSNotImplementedError().name); // DNSNotImplementedError
 * ```
 */
export class DNSNotImplementedError extends DomainError {
  /** Creates the error. */
  constructor(text = "DNS query not implemented", options?: DNSErrorOptions) {
    super(text, options);
    this.name = "DNSNotImplementedError";
  }
}

/**
 * The server refused the query (REFUSED).
 *
 * @example
 * ```ts
 * import { DNSQueryRefusedError } from "@tw/core/names/error";
 * console.log(new DNSQueryRefusedError().name); // DNSQueryRefusedError
 * ```
 */
export class DNSQueryRefusedError extends DomainError {
  /** Creates the error. */
  constructor(text = "DNS query refused", options?: DNSErrorOptions) {
    super(text, options);
    this.name = "DNSQueryRefusedError";
  }
}

/**
 * The server answered with a response code we do not know.
 *
 * @example
 * ```ts
 * import { DNSUnknownError } from "@tw/core/names/error";
 * console.log(new DNSUnknownError().name); // DNSUnknownError
 * ```
 */
export class DNSUnknownError extends DomainError {
  /** Creates the error. */
  constructor(text = "Unknown DNS error", options?: DNSErrorOptions) {
    super(text, options);
    this.name = "DNSUnknownError";
  }
}

/**
 * A resolver could not do its work (Twisted's `ResolverError`), e.g. a
 * resolv.conf with no servers, or too many referrals.
 *
 * @example
 * ```ts
 * import { ResolverError } from "@tw/core/names/error";
 * console.log(new ResolverError("no name servers").name); // ResolverError
 * ```
 */
export class ResolverError extends Error {
  /** Creates the error. */
  constructor(text = "Resolver error", options?: ErrorOptions) {
    super(text, options);
    this.name = "ResolverError";
  }
}

/**
 * A zone we serve cannot be answered from now: a secondary zone not yet
 * transferred from its primary, or expired (no refresh for the SOA's expire
 * time, RFC 1034 s4.3.5). `DNSServerFactory` answers SERVFAIL, as nsd and
 * BIND do, and the chain stops there (it is no `DomainError`).
 *
 * @example
 * ```ts
 * import { DomainError, ZoneUnavailableError } from "@tw/core/names/error";
 * const e = new ZoneUnavailableError("example.com: expired");
 * console.log(e.name, e instanceof DomainError); // ZoneUnavailableError false
 * ```
 */
export class ZoneUnavailableError extends Error {
  /** Creates the error. */
  constructor(text = "The zone is not available", options?: ErrorOptions) {
    super(text, options);
    this.name = "ZoneUnavailableError";
  }
}
