/**
 * `clientFromString` types for the SOCKS client endpoints:
 * `socks5:HOST:PORT:proxy=DESCRIPTION[:username=U][:password=P][:timeout=S]`
 * and `socks4:HOST:PORT:proxy=DESCRIPTION[:userid=U][:timeout=S]` (`host=`
 * and `port=` may be named instead; escape the colons of the proxy's own
 * description: `proxy=tcp\:127.0.0.1\:1080`). Private to src/protocols.
 *
 * @module
 */
import {
  type ClientEndpointParser,
  clientFromString,
  type FromStringOptions,
  type IStreamClientEndpoint,
  registerClientParser,
} from "../internet/endpoints.ts";
import type { IReactorNetwork, IReactorTime } from "../internet/interfaces.ts";
import { SOCKS4ClientEndpoint, SOCKS5ClientEndpoint } from "./_socks_client.ts";

function common(
  prefix: string,
  args: string[],
  kwargs: Record<string, string>,
  allowed: string[],
): { host: string; port: number; proxy: string; timeout: number | undefined } {
  for (const key of Object.keys(kwargs)) {
    if (!["host", "port", "proxy", "timeout", ...allowed].includes(key)) {
      throw new TypeError(`Unknown parameter ${JSON.stringify(key)} for a ${prefix} endpoint`);
    }
  }
  if (args.length > 2) throw new TypeError(`Too many arguments for a ${prefix} endpoint`);
  const host = kwargs.host ?? args[0];
  const portText = kwargs.port ?? args[1];
  const proxy = kwargs.proxy;
  if (host === undefined || host === "") throw new TypeError(`A ${prefix} endpoint needs a host`);
  if (portText === undefined) throw new TypeError(`A ${prefix} endpoint needs a port`);
  if (proxy === undefined) {
    throw new TypeError(
      `A ${prefix} endpoint needs proxy=DESCRIPTION (e.g. tcp\\:127.0.0.1\\:1080)`,
    );
  }
  if (!/^\d+$/.test(portText)) {
    throw new SyntaxError(`Bad ${prefix} port ${JSON.stringify(portText)}`);
  }
  const port = Number(portText);
  if (port > 65535) throw new RangeError(`The ${prefix} port ${port} is above 65535`);
  let timeout: number | undefined;
  if (kwargs.timeout !== undefined) {
    timeout = Number(kwargs.timeout);
    if (!Number.isFinite(timeout) || timeout < 0) {
      throw new SyntaxError(`Bad ${prefix} timeout ${JSON.stringify(kwargs.timeout)}`);
    }
  }
  return { host, port, proxy, timeout };
}

function clockOf(reactor: unknown): IReactorTime | undefined {
  const r = reactor as Partial<IReactorTime>;
  return typeof r.callLater === "function" ? (r as IReactorTime) : undefined;
}

/**
 * The `socks5:` parser (see the module comment); `clientFromString` calls it.
 *
 * @example
 * ```ts
 * import { parseSOCKS5, type SOCKS5ClientEndpoint } from "@tw/core/protocols/socks";
 * import { reactor } from "@tw/core";
 *
 * const endpoint = parseSOCKS5(reactor, ["example.org", "80"], {
 *   proxy: "tcp:127.0.0.1:1080",
 *   username: "alice",
 *   password: "secret",
 * }, {}) as SOCKS5ClientEndpoint;
 * console.log(endpoint.host, endpoint.port); // example.org 80
 * ```
 */
export function parseSOCKS5(
  reactor: IReactorNetwork,
  args: string[],
  kwargs: Record<string, string>,
  options: FromStringOptions,
): IStreamClientEndpoint {
  const { host, port, proxy, timeout } = common("socks5", args, kwargs, ["username", "password"]);
  return new SOCKS5ClientEndpoint(host, port, clientFromString(reactor, proxy, options), {
    username: kwargs.username,
    password: kwargs.password,
    timeout,
    clock: clockOf(reactor),
  });
}

/**
 * The `socks4:` parser (see the module comment); `clientFromString` calls it.
 *
 * @example
 * ```ts
 * import { parseSOCKS4, type SOCKS4ClientEndpoint } from "@tw/core/protocols/socks";
 * import { reactor } from "@tw/core";
 *
 * const endpoint = parseSOCKS4(reactor, ["10.0.0.2", "22"], {
 *   proxy: "tcp:127.0.0.1:1080",
 *   userid: "alice",
 * }, {}) as SOCKS4ClientEndpoint;
 * console.log(endpoint.host, endpoint.port); // 10.0.0.2 22
 * ```
 */
export function parseSOCKS4(
  reactor: IReactorNetwork,
  args: string[],
  kwargs: Record<string, string>,
  options: FromStringOptions,
): IStreamClientEndpoint {
  const { host, port, proxy, timeout } = common("socks4", args, kwargs, ["userid"]);
  return new SOCKS4ClientEndpoint(host, port, clientFromString(reactor, proxy, options), {
    userid: kwargs.userid,
    timeout,
    clock: clockOf(reactor),
  });
}

/**
 * Registers `socks5:` and `socks4:` with `clientFromString` (done once when
 * socks.ts is first imported); a type someone else registered first is left alone.
 *
 * @example
 * ```ts
 * import { registerSOCKSParsers } from "@tw/core/protocols/socks";
 * import { clientFromString } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 *
 * registerSOCKSParsers(); // already done by the import: calling it again is harmless
 * const endpoint = clientFromString(reactor, "socks5:example.org:80:proxy=tcp\\:127.0.0.1\\:1080");
 * ```
 */
export function registerSOCKSParsers(): void {
  const parsers: [string, ClientEndpointParser][] = [
    ["socks5", parseSOCKS5],
    ["socks4", parseSOCKS4],
  ];
  for (const [prefix, parser] of parsers) {
    try {
      registerClientParser(prefix, parser);
    } catch (error) {
      // Already registered (a second copy of this module): keep the first.
      if (!(error instanceof TypeError)) throw error;
    }
  }
}
