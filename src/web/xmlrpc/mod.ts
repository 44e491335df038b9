/**
 * `@tw/core/web/xmlrpc` (`twisted.web.xmlrpc`): XML-RPC servers as web
 * resources (`XMLRPC`, with `xmlrpc_*` procedures, sub-handlers and
 * introspection) and a client (`Proxy`), interoperable with Python's
 * `xmlrpc` and Twisted's.
 *
 * Types: numbers (`int`, `i4`, `i8` and `double`; integers past 2^53 as
 * bigint), booleans, strings, `Uint8Array` as base64, `DateTime` (or
 * `Date`) as `dateTime.iso8601`, arrays, objects as structs, `null` as
 * `<nil/>` with `allowNone`.
 *
 * @example
 * ```ts
 * import { Site } from "@tw/core/web";
 * import { serverFromString } from "@tw/core/endpoints";
 * import { type IPv4Address, reactor } from "@tw/core";
 * import { Proxy, XMLRPC } from "@tw/core/web/xmlrpc";
 *
 * class Calculator extends XMLRPC {
 *   xmlrpc_add(a: number, b: number): number {
 *     return a + b;
 *   }
 * }
 * const port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1")
 *   .listen(new Site(new Calculator()));
 * const proxy = new Proxy(`http://127.0.0.1:${(port.getHost() as IPv4Address).port}/`);
 * console.log(await proxy.callRemote("add", 2, 3)); // 5
 * await port.stopListening();
 * ```
 *
 * @module
 */
export {
  DateTime,
  dumpCall,
  dumpResponse,
  Fault,
  loadCall,
  loadResponse,
  type MarshalOptions,
  ResponseError,
  type UnmarshalOptions,
} from "./_marshal.ts";
export {
  addIntrospection,
  FAILURE,
  NoSuchFunction,
  NOT_FOUND,
  type Procedure,
  Proxy,
  type ProxyOptions,
  withRequest,
  XMLRPC,
  type XMLRPCOptions,
} from "./_server.ts";
