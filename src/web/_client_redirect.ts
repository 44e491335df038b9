/**
 * `RedirectAgent` and `BrowserLikeRedirectAgent` (`twisted.web.client`):
 * follow 3xx responses. Private to src/web; client.ts re-exports them.
 *
 * @module
 */
import type { Deferred } from "../internet/defer.ts";
import { Failure } from "../internet/failure.ts";
import { Headers } from "./_headers.ts";
import type { IBodyProducer } from "./_client_body.ts";
import type { Response } from "./_client_response.ts";
import type { IAgent } from "./_client_agent.ts";
import {
  InfiniteRedirection,
  PageRedirect,
  RedirectWithNoLocation,
  ResponseFailed,
} from "./_client_errors.ts";
import { URI } from "./_client_uri.ts";

// Headers that must not follow a redirect to another origin.
const SENSITIVE = ["authorization", "cookie", "cookie2", "proxy-authorization", "www-authenticate"];

interface Replayable {
  replayable?: boolean;
  replay?(): IBodyProducer;
}

/**
 * Follows redirects (`RedirectAgent`): 301, 302, 307 and 308 are followed for
 * GET and HEAD (and for other methods when the body can be sent again, as
 * 307 and 308 require; otherwise the request fails with `ResponseFailed`
 * holding a `PageRedirect`); 303 is followed with GET (HEAD stays HEAD).
 * Relative Locations are resolved against the request's URI; credentials and
 * cookies are dropped when the redirect leaves the origin. After
 * `redirectLimit` redirects the request fails with `InfiniteRedirection`.
 * Each response's `previousResponse` is the redirect that led to it.
 *
 * @example
 * ```ts
 * import { Agent, RedirectAgent } from "@tw/core/web";
 * import { reactor } from "@tw/core";
 * const agent = new RedirectAgent(new Agent(reactor), 5);
 * console.log(typeof agent.request); // "function"
 * ```
 */
export class RedirectAgent implements IAgent {
  /** Statuses that keep the method. */
  protected redirectResponses: readonly number[] = [301, 302, 307, 308];
  /** Statuses that turn the request into a GET. */
  protected seeOtherResponses: readonly number[] = [303];
  #agent: IAgent;
  #limit: number;

  /**
   * Wraps an agent.
   * @param agent the agent that sends each request
   * @param redirectLimit most redirects followed
   */
  constructor(agent: IAgent, redirectLimit = 20) {
    this.#agent = agent;
    this.#limit = redirectLimit;
  }

  /** Sends a request, following redirects; see `IAgent.request`. */
  request(
    method: string,
    uri: string,
    headers: Headers | null = null,
    bodyProducer: IBodyProducer | null = null,
  ): Deferred<Response> {
    return this.#send(method, uri, headers ?? new Headers(), bodyProducer, 0);
  }

  #send(
    method: string,
    uri: string,
    headers: Headers,
    body: IBodyProducer | null,
    count: number,
  ): Deferred<Response> {
    return this.#agent.request(method, uri, headers, body).addCallback((response: Response) =>
      this.#handle(response, method, uri, headers, body, count)
    );
  }

  #handle(
    response: Response,
    method: string,
    uri: string,
    headers: Headers,
    body: IBodyProducer | null,
    count: number,
  ): Response | Deferred<Response> {
    const code = response.code;
    let newMethod = method;
    let newBody = body;
    if (this.seeOtherResponses.includes(code)) {
      newMethod = method === "HEAD" ? "HEAD" : "GET";
      newBody = null;
    } else if (this.redirectResponses.includes(code)) {
      if (method !== "GET" && method !== "HEAD") {
        const replay = body as Replayable | null;
        if (body !== null && !(replay!.replayable === true && replay!.replay !== undefined)) {
          const location = response.headers.getLast("location") ?? "";
          throw new ResponseFailed([new PageRedirect(code, location, response)], response);
        }
        newBody = body === null ? null : replay!.replay!();
      }
    } else {
      return response;
    }
    const location = response.headers.getLast("location");
    if (location === null) {
      throw new ResponseFailed([new RedirectWithNoLocation(code, uri, response)], response);
    }
    if (count >= this.#limit) {
      throw new ResponseFailed(
        [new InfiniteRedirection(code, "Infinite redirection detected", location, response)],
        response,
      );
    }
    let target: string;
    try {
      target = new URL(location, uri).href;
    } catch {
      throw new ResponseFailed([new Failure(new TypeError(`Bad Location: ${location}`))], response);
    }
    const newHeaders = headers.copy();
    if (URI.fromString(target).origin !== URI.fromString(uri).origin) {
      for (const name of SENSITIVE) newHeaders.removeHeader(name);
      newHeaders.removeHeader("host");
    }
    if (newBody === null && body !== null) {
      newHeaders.removeHeader("content-type");
      newHeaders.removeHeader("content-length");
    }
    return this.#send(newMethod, target, newHeaders, newBody, count + 1).addCallback(
      (next: Response) => {
        if (next.previousResponse === null) next.setPreviousResponse(response);
        return next;
      },
    );
  }
}

/**
 * Follows redirects the way browsers do (`BrowserLikeRedirectAgent`): 301,
 * 302 and 303 turn any request into a GET (HEAD stays HEAD); 307 and 308 keep
 * the method and body, as in `RedirectAgent`.
 *
 * @example
 * ```ts
 * import { BrowserLikeRedirectAgent, Headers, Response } from "@tw/core/web";
 * import { succeed } from "@tw/core";
 * const seen: string[] = [];
 * const agent = { // answers /form with a 302 to /done
 *   request(method: string, uri: string) {
 *     seen.push(`${method} ${uri}`);
 *     const moved = uri.endsWith("/form");
 *     const headers = new Headers(moved ? { Location: "/done" } : {});
 *     return succeed(new Response(["HTTP", 1, 1], moved ? 302 : 200, "", headers, 0));
 *   },
 * };
 * const response = await new BrowserLikeRedirectAgent(agent).request("POST", "http://a.test/form");
 * console.log(response.code, seen); // 200 ["POST http://a.test/form", "GET http://a.test/done"]
 * ```
 */
export class BrowserLikeRedirectAgent extends RedirectAgent {
  /** Statuses that keep the method. */
  protected override redirectResponses: readonly number[] = [307, 308];
  /** Statuses that turn the request into a GET. */
  protected override seeOtherResponses: readonly number[] = [301, 302, 303];
}
