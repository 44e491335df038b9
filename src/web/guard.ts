/**
 * HTTP authentication in front of a resource tree (`twisted.web.guard`):
 * `HTTPAuthSessionWrapper` logs each request in through a cred `Portal`
 * with Basic (RFC 7617) or Digest (RFC 7616) credentials and renders the
 * avatar resource the realm returns.
 *
 * @example
 * ```ts
 * import { BasicCredentialFactory, HTTPAuthSessionWrapper, Resource, Site } from "@tw/core/web";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 * import type { IRealm, LoginResult } from "@tw/core/cred";
 * import { Clock } from "@tw/core/task";
 *
 * class Secret extends Resource {
 *   override isLeaf = true;
 *   render_GET(): string {
 *     return "the secret";
 *   }
 * }
 * const realm: IRealm = {
 *   // The guard asks for IResource: answer with the interface asked for.
 *   requestAvatar(_id, _mind, ...interfaces): LoginResult {
 *     return [interfaces[0], new Secret(), () => {}];
 *   },
 * };
 * const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })]);
 * const guarded = new HTTPAuthSessionWrapper(portal, [new BasicCredentialFactory("example")]);
 * const site = new Site(guarded, { clock: new Clock() });
 * ```
 * @module
 */
import { Anonymous, UsernamePassword } from "../cred/_credentials.ts";
import {
  type DigestAlgorithm,
  DigestCredentialFactory as DigestCore,
  type DigestCredentialFactoryOptions,
} from "../cred/_digest.ts";
import { LoginFailed } from "../cred/_errors.ts";
import { fromBase64 } from "../cred/_hash.ts";
import type { ICredentials } from "../cred/mod.ts";
import type { Portal } from "../cred/mod.ts";
import { Failure } from "../internet/failure.ts";
import { Logger } from "../logger/mod.ts";
import {
  ErrorPage,
  getChildForRequest,
  IResource,
  type IResource as IResourceType,
  type RenderResult,
  Resource,
} from "./resource.ts";
import type { Request } from "./server.ts";

const log = new Logger("web.guard");

/** What a render promise settles with. */
type Rendered = Awaited<Exclude<RenderResult, PromiseLike<unknown>>> | void | null | undefined;

/** Turns an HTTP authorization scheme's response into credentials (`ICredentialFactory`). */
export interface ICredentialFactory {
  /** The scheme, lowercase ("basic", "digest"). */
  readonly scheme: string;
  /** The challenge's parameters for WWW-Authenticate. */
  getChallenge(request: Request): Record<string, string> | PromiseLike<Record<string, string>>;
  /**
   * Decodes the Authorization header's value after the scheme.
   * @throws {LoginFailed} when it is malformed
   */
  decode(response: string, request: Request): ICredentials | PromiseLike<ICredentials>;
}

/**
 * HTTP Basic (`BasicCredentialFactory`): `UsernamePassword` from
 * `base64(user:password)`, decoded as UTF-8 (the challenge says
 * `charset="UTF-8"`, RFC 7617).
 *
 * @example
 * ```ts
 * import { BasicCredentialFactory, Request } from "@tw/core/web";
 * const basic = new BasicCredentialFactory("example");
 * const request = new Request(null);
 * console.log(basic.getChallenge(request)); // { realm: "example", charset: "UTF-8" }
 * const credentials = basic.decode(btoa("alice:secret"), request); // what a browser sends
 * console.log(credentials.username, credentials.password); // "alice" "secret"
 * // Offered by new HTTPAuthSessionWrapper(portal, [basic]).
 * ```
 */
export class BasicCredentialFactory implements ICredentialFactory {
  /** "basic". */
  readonly scheme: string = "basic";
  /** The realm shown to users. */
  readonly authenticationRealm: string;

  /**
   * Makes the factory.
   * @param authenticationRealm the realm shown to users
   */
  constructor(authenticationRealm: string) {
    this.authenticationRealm = authenticationRealm;
  }

  /** `{realm, charset: "UTF-8"}`. */
  getChallenge(_request: Request): Record<string, string> {
    return { realm: this.authenticationRealm, charset: "UTF-8" };
  }

  /**
   * Decodes `base64(user:password)`.
   * @throws {LoginFailed} for bad base64 or a missing colon
   */
  decode(response: string, _request: Request): UsernamePassword {
    const text = response.trim();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new LoginFailed("Invalid credentials");
    let decoded: string;
    try {
      decoded = new TextDecoder("utf-8", { fatal: true }).decode(fromBase64(text));
    } catch {
      throw new LoginFailed("Invalid credentials");
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new LoginFailed("Invalid credentials");
    return new UsernamePassword(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
}

function clientAddressOf(request: Request): string {
  const peer = request.getClientAddress() as { host?: string; name?: string } | null;
  return peer?.host ?? peer?.name ?? "";
}

/**
 * HTTP Digest (`DigestCredentialFactory`, RFC 7616) with MD5 or SHA-256 and
 * qop=auth. Challenges expire after `challengeLifetime` seconds on the
 * clock and are bound to the client's address; the response's `uri` must
 * be the request's. The credentials check against a plaintext password
 * (`InMemoryUsernamePasswordDatabaseDontUse`, `FilePasswordDB` with
 * `hash: "plain"`) or `H(user:realm:password)` (`checkHash`); PBKDF2-hashed
 * password files cannot check Digest responses (no plaintext to digest).
 * Not implemented: `auth-int`, `userhash`, `username*`, nonce counting.
 *
 * @example
 * ```ts
 * import { DigestCredentialFactory, Request } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const digest = new DigestCredentialFactory("sha-256", "example", { clock: new Clock() });
 * const challenge = await digest.getChallenge(new Request(null));
 * console.log(challenge.realm, challenge.algorithm, challenge.qop); // "example" "SHA-256" "auth"
 * // Offered by new HTTPAuthSessionWrapper(portal, [digest]).
 * ```
 */
export class DigestCredentialFactory implements ICredentialFactory {
  /** "digest". */
  readonly scheme: string = "digest";
  /** The protocol-free part: challenges and response checks. */
  readonly digest: DigestCore;

  /**
   * Makes the factory.
   * @param algorithm "md5" (what most clients support) or "sha-256"
   * @param authenticationRealm the realm shown to users
   * @param options clock and challenge lifetime
   */
  constructor(
    algorithm: DigestAlgorithm,
    authenticationRealm: string,
    options: DigestCredentialFactoryOptions = {},
  ) {
    this.digest = new DigestCore(algorithm, authenticationRealm, options);
  }

  /** A fresh challenge for this client. */
  getChallenge(request: Request): Promise<Record<string, string>> {
    return this.digest.getChallenge(clientAddressOf(request));
  }

  /**
   * Checks the response's challenge and returns its credentials.
   * @throws {LoginFailed} for a malformed, stale or foreign response
   */
  async decode(response: string, request: Request): Promise<ICredentials> {
    const credentials = await this.digest.decode(
      response,
      request.method,
      clientAddressOf(request),
    );
    if (credentials.fields.get("uri") !== request.uri) {
      throw new LoginFailed("Digest uri does not match the request");
    }
    return credentials;
  }
}

/** Characters allowed unquoted in a challenge parameter (token chars). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function formatChallenge(scheme: string, params: Record<string, string>): string {
  const parts = Object.entries(params).map(([key, value]) =>
    // RFC 7616 wants algorithm as a token; the others as quoted strings, as Twisted sends them.
    key === "algorithm" && TOKEN.test(value)
      ? `${key}=${value}`
      : `${key}="${value.replace(/["\\]/g, (c) => "\\" + c)}"`
  );
  const name = scheme.charAt(0).toUpperCase() + scheme.slice(1);
  return parts.length === 0 ? name : `${name} ${parts.join(", ")}`;
}

/**
 * Answers 401 with a WWW-Authenticate challenge per factory
 * (`UnauthorizedResource`).
 *
 * @example
 * ```ts
 * import { BasicCredentialFactory, UnauthorizedResource } from "@tw/core/web";
 * import { Site, siteAsFetchHandler } from "@tw/core/web";
 * import { Clock } from "@tw/core/task";
 * const page = new UnauthorizedResource([new BasicCredentialFactory("example")]);
 * const handle = siteAsFetchHandler(new Site(page, { clock: new Clock() }));
 * const res = await handle(new Request("http://localhost/"));
 * console.log(res.status, res.headers.get("www-authenticate"));
 * // 401 'Basic realm="example", charset="UTF-8"'
 * ```
 */
export class UnauthorizedResource extends Resource {
  #factories: readonly ICredentialFactory[];

  /**
   * Makes the resource.
   * @param factories one challenge each
   */
  constructor(factories: readonly ICredentialFactory[]) {
    super();
    this.#factories = factories;
    this.isLeaf = true;
  }

  /** 401, the challenges, and a short body. */
  override render(request: Request): RenderResult {
    return this.#render(request);
  }

  async #render(request: Request): Promise<string> {
    const challenges: string[] = [];
    for (const factory of this.#factories) {
      challenges.push(formatChallenge(factory.scheme, await factory.getChallenge(request)));
    }
    request.setResponseCode(401);
    request.responseHeaders.setRawHeaders("WWW-Authenticate", challenges);
    request.setHeader("content-type", "text/plain; charset=utf-8");
    // For HEAD the server sends the length without the body.
    return "Unauthorized";
  }
}

/**
 * Guards a resource tree with HTTP authentication
 * (`twisted.web.guard.HTTPAuthSessionWrapper`). Each request is logged in
 * through `portal`, asking for `IResource`: without an Authorization header
 * as `Anonymous` (so a portal with `AllowAnonymousAccess` serves guests),
 * otherwise with the credentials the matching factory decodes. A failed
 * login answers 401 with every factory's challenge; the avatar resource
 * renders the request (the rest of the path is traversed from it), and its
 * logout runs when the request finishes or its connection is lost.
 *
 * @example
 * ```ts
 * import { BasicCredentialFactory, Data, HTTPAuthSessionWrapper } from "@tw/core/web";
 * import { Site, siteAsFetchHandler } from "@tw/core/web";
 * import { InMemoryUsernamePasswordDatabaseDontUse, type IRealm, Portal } from "@tw/core/cred";
 * import { Clock } from "@tw/core/task";
 * const realm: IRealm = {
 *   // The guard asks for IResource: answer with the interface asked for.
 *   requestAvatar: (_id, _mind, ...asked) => [asked[0], new Data("hi", "text/plain"), () => {}],
 * };
 * const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })]);
 * const guarded = new HTTPAuthSessionWrapper(portal, [new BasicCredentialFactory("example")]);
 * const handle = siteAsFetchHandler(new Site(guarded, { clock: new Clock() }));
 * const guest = await handle(new Request("http://localhost/"));
 * const authorization = `Basic ${btoa("alice:pw")}`;
 * const alice = await handle(new Request("http://localhost/", { headers: { authorization } }));
 * console.log(guest.status, await alice.text()); // 401 "hi"
 * ```
 */
export class HTTPAuthSessionWrapper extends Resource {
  #portal: Portal;
  #factories: readonly ICredentialFactory[];

  /**
   * Makes the wrapper.
   * @param portal logs requests in; its realm returns `IResource` avatars
   * @param credentialFactories the schemes offered, in the order offered
   */
  constructor(portal: Portal, credentialFactories: readonly ICredentialFactory[]) {
    super();
    this.#portal = portal;
    this.#factories = credentialFactories;
    // The wrapper traverses the avatar's tree itself, once logged in.
    this.isLeaf = true;
  }

  /** Logs in, then renders the avatar's resource for the rest of the path. */
  override render(request: Request): RenderResult {
    return this.#render(request);
  }

  async #render(request: Request): Promise<Rendered> {
    const resource = await this.#authorizedResource(request);
    const child = getChildForRequest(resource, request);
    return await child.render(request);
  }

  #selectFactory(header: string): [ICredentialFactory, string] | null {
    const space = header.indexOf(" ");
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const rest = space < 0 ? "" : header.slice(space + 1);
    const factory = this.#factories.find((f) => f.scheme.toLowerCase() === scheme);
    return factory === undefined ? null : [factory, rest];
  }

  async #authorizedResource(request: Request): Promise<IResourceType> {
    const header = request.getHeader("authorization");
    if (header === null || header.trim() === "") return this.#login(new Anonymous(), request);
    const selected = this.#selectFactory(header.trim());
    if (selected === null) return new UnauthorizedResource(this.#factories);
    let credentials: ICredentials;
    try {
      credentials = await selected[0].decode(selected[1], request);
    } catch (error) {
      if (error instanceof LoginFailed) return new UnauthorizedResource(this.#factories);
      log.failure("Unexpected failure from a credentials factory", error);
      return internalError();
    }
    return this.#login(credentials, request);
  }

  async #login(credentials: ICredentials, request: Request): Promise<IResourceType> {
    let result;
    try {
      result = await this.#portal.login(credentials, null, IResource);
    } catch (error) {
      const reason = error instanceof Failure ? error.value : error;
      if (reason instanceof LoginFailed) return new UnauthorizedResource(this.#factories);
      log.failure("HTTPAuthSessionWrapper.getChildWithDefault encountered an error", error);
      return internalError();
    }
    const [, avatar, logout] = result;
    let loggedOut = false;
    request.notifyFinish().addBoth(() => {
      if (loggedOut) return null;
      loggedOut = true;
      try {
        logout();
      } catch (error) {
        log.failure("Error in an avatar's logout", error);
      }
      return null;
    });
    return avatar;
  }
}

function internalError(): IResourceType {
  return new ErrorPage(500, "Internal Server Error", "An error occurred while logging in.");
}
