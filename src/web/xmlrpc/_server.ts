/**
 * The XML-RPC resource (`twisted.web.xmlrpc.XMLRPC`), its sub-handlers and
 * introspection, and the `Proxy` client.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Deferred, maybeDeferred } from "../../internet/defer.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import { NOT_DONE_YET, Resource } from "../resource.ts";
import type { Request } from "../server.ts";
import { Agent } from "../_client_agent.ts";
import { BytesBodyProducer } from "../_client_body.ts";
import { readBody } from "../_client_response.ts";
import { Headers } from "../_headers.ts";
import type { IAgent } from "../_client_agent.ts";
import { dumpCall, dumpResponse, Fault, loadCall, loadResponse } from "./_marshal.ts";

const log = new Logger("tw.web.xmlrpc");
const te = new TextEncoder();
const td = new TextDecoder();

/** The fault code for an unknown procedure (Twisted's `XMLRPC.NOT_FOUND`). */
export const NOT_FOUND = 8001;
/** The fault code for a procedure that failed (Twisted's `XMLRPC.FAILURE`). */
export const FAILURE = 8002;

/**
 * No procedure by that name (Twisted's `xmlrpc.NoSuchFunction`), a `Fault`
 * with `NOT_FOUND`.
 *
 * @example
 * ```ts
 * import { NoSuchFunction } from "@tw/core/web/xmlrpc";
 * console.log(new NoSuchFunction(8001, "procedure x not found").faultCode); // 8001
 * ```
 */
export class NoSuchFunction extends Fault {}

/** A procedure as `lookupProcedure` finds it: `withRequest` ones take the request first. */
export type Procedure = ((...args: unknown[]) => unknown) & {
  /** Takes the request first. */
  withRequest?: boolean;
  /** Its help text, for `system.methodHelp`. */
  help?: string;
};

/**
 * Marks a procedure as taking the request first (Twisted's `withRequest`).
 *
 * @example
 * ```ts
 * import { withRequest, XMLRPC } from "@tw/core/web/xmlrpc";
 * class Echo extends XMLRPC {
 *   xmlrpc_peer = withRequest((request: { getClientAddress(): unknown }) =>
 *     String(request.getClientAddress())
 *   );
 * }
 * console.log(typeof new Echo().xmlrpc_peer); // "function"
 * ```
 */
export function withRequest<F extends (...args: never[]) => unknown>(procedure: F): F {
  (procedure as unknown as Procedure).withRequest = true;
  return procedure;
}

/** Options for `XMLRPC`. */
export interface XMLRPCOptions {
  /**
   * Answer `null` as `<nil/>`.
   * @default false
   */
  allowNone?: boolean;
  /**
   * Give procedures `Date`s for `dateTime.iso8601` (else `DateTime`).
   * @default false
   */
  useDateTime?: boolean;
}

/**
 * An XML-RPC server as a resource (Twisted's `XMLRPC`): a POST calls
 * `xmlrpc_NAME(...params)`, which returns the answer or a Deferred or
 * Promise of it; a thrown `Fault` is answered as it is, anything else as
 * `FAILURE` (and logged). `a.b` calls `b` on the sub-handler put under
 * `a`. Other methods than POST get 405; malformed XML or a DTD get a
 * `FAILURE` fault.
 *
 * @example
 * ```ts
 * import { Site } from "@tw/core/web";
 * import { XMLRPC } from "@tw/core/web/xmlrpc";
 * class Calculator extends XMLRPC {
 *   xmlrpc_add(a: number, b: number): number {
 *     return a + b;
 *   }
 * }
 * const site = new Site(new Calculator());
 * console.log(site instanceof Site); // true
 * ```
 */
export class XMLRPC extends Resource {
  /** Leaf: the whole path is this resource's. */
  override isLeaf = true;
  /** Between a sub-handler's prefix and the procedure's name. */
  separator = ".";
  /** Answer `null` as `<nil/>`. */
  allowNone: boolean;
  /** Read dates as `Date`. */
  useDateTime: boolean;
  #subHandlers = new Map<string, XMLRPC>();

  /** Makes the resource; see `XMLRPCOptions`. */
  constructor(options: XMLRPCOptions = {}) {
    super();
    this.allowNone = options.allowNone ?? false;
    this.useDateTime = options.useDateTime ?? false;
  }

  /** Serves `handler`'s procedures as `prefix.NAME`. */
  putSubHandler(prefix: string, handler: XMLRPC): void {
    this.#subHandlers.set(prefix, handler);
  }

  /** The sub-handler under `prefix`, or null. */
  getSubHandler(prefix: string): XMLRPC | null {
    return this.#subHandlers.get(prefix) ?? null;
  }

  /** The sub-handlers' prefixes. */
  getSubHandlerPrefixes(): string[] {
    return [...this.#subHandlers.keys()];
  }

  /** The procedure for a dotted path; throws `NoSuchFunction`. */
  lookupProcedure(path: string): Procedure {
    const at = path.indexOf(this.separator);
    if (at >= 0) {
      const handler = this.getSubHandler(path.slice(0, at));
      if (handler === null) {
        throw new NoSuchFunction(NOT_FOUND, `no such subHandler ${path.slice(0, at)}`);
      }
      return handler.lookupProcedure(path.slice(at + this.separator.length));
    }
    const f = (this as unknown as Record<string, unknown>)[`xmlrpc_${path}`];
    if (typeof f !== "function") throw new NoSuchFunction(NOT_FOUND, `procedure ${path} not found`);
    return (f as Procedure).withRequest
      ? Object.assign(f.bind(this), { withRequest: true })
      : f.bind(this);
  }

  /** The names of this resource's own procedures. */
  listProcedures(): string[] {
    const names = new Set<string>();
    const own = this as unknown as Record<string, unknown>;
    const layers: object[] = [own];
    for (let p = Object.getPrototypeOf(own); p !== null && p !== Object.prototype;) {
      layers.push(p);
      p = Object.getPrototypeOf(p);
    }
    for (const layer of layers) {
      for (const key of Object.getOwnPropertyNames(layer)) {
        if (key.startsWith("xmlrpc_") && typeof own[key] === "function") names.add(key.slice(7));
      }
    }
    return [...names];
  }

  /** Reads the call, runs the procedure, writes the response. */
  render_POST(request: Request): typeof NOT_DONE_YET {
    request.setHeader("content-type", "text/xml; charset=utf-8");
    const answer = (body: string): void => {
      const bytes = te.encode(body);
      request.setHeader("content-length", String(bytes.length));
      request.write(bytes);
      request.finish();
    };
    let method: string;
    let args: unknown[];
    try {
      [method, args] = loadCall(td.decode(request.content), { useDateTime: this.useDateTime });
    } catch (e) {
      answer(dumpResponse(new Fault(FAILURE, `Can't deserialize input: ${(e as Error).message}`)));
      return NOT_DONE_YET;
    }
    maybeDeferred(() => {
      const f = this.lookupProcedure(method);
      return f.withRequest ? f(request, ...args) : f(...args);
    }).then(
      (result) => {
        try {
          answer(dumpResponse(result === undefined ? null : result, { allowNone: this.allowNone }));
        } catch (e) {
          log.failure(`XML-RPC ${method} answered what XML-RPC cannot carry`, e, "error");
          answer(dumpResponse(new Fault(FAILURE, "can't serialize output")));
        }
      },
      (e) => {
        if (e instanceof Fault) return answer(dumpResponse(e));
        log.failure(`XML-RPC ${method} failed`, e, "error");
        answer(dumpResponse(new Fault(FAILURE, "error")));
      },
    );
    return NOT_DONE_YET;
  }
}

/**
 * The `system.*` procedures (Twisted's `XMLRPCIntrospection`):
 * `listMethods`, `methodHelp` (a procedure's `help` text) and
 * `methodSignature` (its `signature`).
 */
class XMLRPCIntrospection extends XMLRPC {
  readonly #parent: XMLRPC;
  constructor(parent: XMLRPC) {
    super();
    this.#parent = parent;
  }
  xmlrpc_listMethods(): string[] {
    const all: string[] = [];
    const walk = (handler: XMLRPC, prefix: string): void => {
      for (const name of handler.listProcedures()) all.push(prefix + name);
      for (const sub of handler.getSubHandlerPrefixes()) {
        walk(handler.getSubHandler(sub)!, prefix + sub + handler.separator);
      }
    };
    walk(this.#parent, "");
    return all.sort();
  }
  xmlrpc_methodHelp(method: string): string {
    return this.#parent.lookupProcedure(method).help ?? "";
  }
  xmlrpc_methodSignature(method: string): unknown {
    return (this.#parent.lookupProcedure(method) as { signature?: unknown }).signature ?? "";
  }
}

/**
 * Adds `system.listMethods`, `system.methodHelp` and
 * `system.methodSignature` to `resource` (Twisted's `addIntrospection`).
 *
 * @example
 * ```ts
 * import { addIntrospection, XMLRPC } from "@tw/core/web/xmlrpc";
 * const rpc = new XMLRPC();
 * addIntrospection(rpc);
 * console.log(rpc.getSubHandlerPrefixes()); // ["system"]
 * ```
 */
export function addIntrospection(resource: XMLRPC): void {
  resource.putSubHandler("system", new XMLRPCIntrospection(resource));
}

/** Options for `Proxy`. */
export interface ProxyOptions {
  /** HTTP basic authentication user. */
  user?: string;
  /** HTTP basic authentication password. */
  password?: string;
  /**
   * Send `null` as `<nil/>`.
   * @default false
   */
  allowNone?: boolean;
  /**
   * Read `dateTime.iso8601` as `Date` (else `DateTime`).
   * @default false
   */
  useDateTime?: boolean;
  /** Seconds to wait for the connection (the agent's default when absent). */
  connectTimeout?: number;
  /** The agent to send with (default: a new `Agent` on the global reactor). */
  agent?: IAgent;
}

/**
 * An XML-RPC client (Twisted's `xmlrpc.Proxy`), over our `Agent` (pooled
 * connections, TLS verified).
 *
 * @example
 * ```ts
 * import { Proxy } from "@tw/core/web/xmlrpc";
 * const proxy = new Proxy("http://127.0.0.1:7080/RPC2");
 * console.log(typeof proxy.callRemote); // "function"
 * // const sum = await proxy.callRemote("add", 1, 2);
 * ```
 */
export class Proxy {
  /** The server's URL. */
  readonly url: string;
  readonly #options: ProxyOptions;
  #agent: IAgent | null;

  /** Talks to `url`; see `ProxyOptions`. */
  constructor(url: string, options: ProxyOptions = {}) {
    this.url = url;
    this.#options = options;
    this.#agent = options.agent ?? null;
  }

  /**
   * Calls `method(...args)`; fires with the result, or fails with the
   * server's `Fault`, or an `Error` naming the HTTP status when it is not 200.
   */
  callRemote<T = unknown>(method: string, ...args: unknown[]): Deferred<T> {
    const headers = new Headers({ "content-type": "text/xml; charset=utf-8" });
    const { user, password } = this.#options;
    const url = new URL(this.url);
    const name = user ?? (url.username ? decodeURIComponent(url.username) : undefined);
    const secret = password ?? (url.password ? decodeURIComponent(url.password) : "");
    if (name !== undefined) {
      const raw = te.encode(`${name}:${secret}`);
      headers.addRawHeader("authorization", `Basic ${btoa(String.fromCharCode(...raw))}`);
    }
    url.username = "";
    url.password = "";
    let body: string;
    try {
      body = dumpCall(method, args, { allowNone: this.#options.allowNone });
    } catch (e) {
      const d = new Deferred<T>();
      d.errback(e);
      return d;
    }
    const timeout = this.#options.connectTimeout;
    this.#agent ??= new Agent(
      getReactor(),
      timeout === undefined ? {} : { connectTimeout: timeout },
    );
    return this.#agent.request("POST", url.href, headers, new BytesBodyProducer(body))
      .addCallback(async (response) => {
        const bytes = await readBody(response);
        if (response.code !== 200) throw new Error(`${response.code} ${response.phrase}`);
        return loadResponse(td.decode(bytes), { useDateTime: this.#options.useDateTime }) as T;
      }) as Deferred<T>;
  }
}
