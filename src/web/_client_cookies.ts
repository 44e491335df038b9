/**
 * `CookieJar` (RFC 6265 storage model, simplified) and `CookieAgent`
 * (`twisted.web.client.CookieAgent`). Private to src/web; client.ts
 * re-exports them.
 *
 * @module
 */
import type { Deferred } from "../internet/defer.ts";
import type { IReactorTime } from "../internet/interfaces.ts";
import { isIPv4, isIPv6 } from "../internet/address.ts";
import { Headers } from "./_headers.ts";
import type { IBodyProducer } from "./_client_body.ts";
import type { Response } from "./_client_response.ts";
import type { IAgent } from "./_client_agent.ts";
import { URI } from "./_client_uri.ts";

/** One stored cookie. */
export interface Cookie {
  /** The name. */
  name: string;
  /** The value. */
  value: string;
  /** The domain (lower case, no leading dot). */
  domain: string;
  /** Sent only to exactly `domain` (no Domain attribute was given). */
  hostOnly: boolean;
  /** The path. */
  path: string;
  /** Sent only over https. */
  secure: boolean;
  /** The HttpOnly flag (kept for completeness; an HTTP client sends it anyway). */
  httpOnly: boolean;
  /** Expiry in seconds since the epoch, or null for a session cookie. */
  expires: number | null;
  /** When it was first stored, in seconds. */
  creation: number;
}

/** Options for `CookieJar`. */
export interface CookieJarOptions {
  /** The time source for expiry. @default the system clock */
  clock?: IReactorTime;
  /** Most cookies kept; the oldest go first. @default 3000 */
  maxCookies?: number;
}

function defaultPath(path: string): string {
  if (!path.startsWith("/")) return "/";
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

function domainMatch(host: string, domain: string): boolean {
  if (host === domain) return true;
  return !isIPv4(host) && !isIPv6(host) && host.endsWith("." + domain);
}

function pathMatch(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath.charAt(cookiePath.length) === "/";
}

/**
 * Stores cookies from `Set-Cookie` headers and produces the `Cookie` header
 * for a request (RFC 6265 section 5: domain and path matching, Secure,
 * Expires and Max-Age). There is no public-suffix list: a site may set a
 * cookie for its parent domain (even `Domain=com`), so keep one jar per
 * trust domain.
 *
 * @example
 * ```ts
 * import { CookieJar } from "@tw/core/web";
 * const jar = new CookieJar();
 * jar.setCookie("sid=abc; Path=/; HttpOnly", "http://example.org/login");
 * console.log(jar.cookieHeader("http://example.org/account")); // "sid=abc"
 * console.log(jar.cookieHeader("http://other.example/")); // null
 * ```
 */
export class CookieJar {
  #cookies: Cookie[] = [];
  #clock: IReactorTime | null;
  #max: number;

  /**
   * Makes an empty jar.
   * @param options clock and size limit
   */
  constructor(options: CookieJarOptions = {}) {
    this.#clock = options.clock ?? null;
    this.#max = options.maxCookies ?? 3000;
  }

  #now(): number {
    return this.#clock !== null ? this.#clock.seconds() : Date.now() / 1000;
  }

  /**
   * Stores the cookie of one `Set-Cookie` header received from `url`.
   * @returns true when stored (or when it deleted an expired one), false when refused
   */
  setCookie(header: string, url: string): boolean {
    const uri = URI.fromString(url);
    const parts = header.split(";");
    const pair = parts[0];
    const eq = pair.indexOf("=");
    if (eq < 0) return false;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (name === "") return false;
    const now = this.#now();
    let expires: number | null = null;
    let maxAge: number | null = null;
    let domain = "";
    let path = "";
    let secure = false;
    let httpOnly = false;
    for (const attr of parts.slice(1)) {
      const i = attr.indexOf("=");
      const key = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase();
      const val = i < 0 ? "" : attr.slice(i + 1).trim();
      if (key === "expires") {
        const t = Date.parse(val);
        if (!Number.isNaN(t)) expires = t / 1000;
      } else if (key === "max-age") {
        if (/^-?\d+$/.test(val)) maxAge = Number(val);
      } else if (key === "domain") {
        domain = val.replace(/^\./, "").toLowerCase();
      } else if (key === "path") {
        path = val.startsWith("/") ? val : "";
      } else if (key === "secure") secure = true;
      else if (key === "httponly") httpOnly = true;
    }
    if (maxAge !== null) expires = maxAge <= 0 ? 0 : now + maxAge;
    let hostOnly = true;
    if (domain !== "") {
      if (!domainMatch(uri.host, domain)) return false;
      hostOnly = false;
    } else {
      domain = uri.host;
    }
    if (path === "") path = defaultPath(uri.path);
    if (secure && uri.scheme !== "https") return false;
    const i = this.#cookies.findIndex((c) =>
      c.name === name && c.domain === domain && c.path === path
    );
    const creation = i >= 0 ? this.#cookies[i].creation : now;
    if (i >= 0) this.#cookies.splice(i, 1);
    if (expires !== null && expires <= now) return true;
    this.#cookies.push({
      name,
      value,
      domain,
      hostOnly,
      path,
      secure,
      httpOnly,
      expires,
      creation,
    });
    if (this.#cookies.length > this.#max) this.#cookies.shift();
    return true;
  }

  /** Stores the cookies of a response to `url` (all its `Set-Cookie` headers). */
  extractCookies(headers: Headers, url: string): void {
    for (const header of headers.getRawHeaders("set-cookie") ?? []) this.setCookie(header, url);
  }

  /** The cookies to send to `url`, most specific path first. */
  cookiesFor(url: string): Cookie[] {
    const uri = URI.fromString(url);
    const now = this.#now();
    this.#cookies = this.#cookies.filter((c) => c.expires === null || c.expires > now);
    const path = uri.path === "" ? "/" : uri.path;
    return this.#cookies.filter((c) =>
      (c.hostOnly ? uri.host === c.domain : domainMatch(uri.host, c.domain)) &&
      pathMatch(path, c.path) && (!c.secure || uri.scheme === "https")
    ).sort((a, b) => b.path.length - a.path.length || a.creation - b.creation);
  }

  /** The `Cookie` header value for `url`, or null when no cookie applies. */
  cookieHeader(url: string): string | null {
    const cookies = this.cookiesFor(url);
    return cookies.length === 0 ? null : cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  }

  /** Every stored cookie (copies). */
  cookies(): Cookie[] {
    return this.#cookies.map((c) => ({ ...c }));
  }

  /** Removes every cookie (or those of `domain`). */
  clear(domain?: string): void {
    this.#cookies = domain === undefined ? [] : this.#cookies.filter((c) => c.domain !== domain);
  }
}

/**
 * Sends the jar's cookies with each request and stores those of each
 * response (`CookieAgent`). Put it inside a `RedirectAgent`
 * (`new RedirectAgent(new CookieAgent(agent, jar))`) so every hop's cookies
 * are kept. A `Cookie` header given by the caller is left as it is.
 *
 * @example
 * ```ts
 * import { Agent, CookieAgent, CookieJar } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * const jar = new CookieJar();
 * const agent = new CookieAgent(new Agent(reactor), jar);
 * console.log(agent.cookieJar === jar); // true
 * ```
 */
export class CookieAgent implements IAgent {
  /** The jar. */
  readonly cookieJar: CookieJar;
  #agent: IAgent;

  /**
   * Wraps an agent.
   * @param agent the agent that sends requests
   * @param cookieJar where cookies are kept
   */
  constructor(agent: IAgent, cookieJar: CookieJar) {
    this.#agent = agent;
    this.cookieJar = cookieJar;
  }

  /** Sends a request with cookies; see `IAgent.request`. */
  request(
    method: string,
    uri: string,
    headers: Headers | null = null,
    bodyProducer: IBodyProducer | null = null,
  ): Deferred<Response> {
    const h = headers === null ? new Headers() : headers.copy();
    if (!h.hasHeader("cookie")) {
      let cookie: string | null = null;
      try {
        cookie = this.cookieJar.cookieHeader(uri);
      } catch {
        // A bad URI: the wrapped agent reports it.
      }
      if (cookie !== null) h.setRawHeaders("Cookie", [cookie]);
    }
    return this.#agent.request(method, uri, h, bodyProducer).addCallback((r: Response) => {
      this.cookieJar.extractCookies(r.headers, uri);
      return r;
    });
  }
}
