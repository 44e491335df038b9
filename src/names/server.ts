/**
 * The DNS server (twisted.names.server): `DNSServerFactory` answers queries
 * over UDP (as the controller of a `DNSDatagramProtocol`) and TCP (as the
 * factory of `DNSProtocol`s) from authorities, caches and recursive
 * clients. `tw dns` runs one. `DNSOverHTTPSResource` serves it over
 * HTTPS (RFC 8484) in a web `Site`. Also exported flat from `@tw/core/names`.
 *
 * @example
 * ```ts
 * import { A, DNSDatagramProtocol, FileAuthority, Message, Query, Record_A, Record_SOA, server } from "@tw/core/names";
 * import { Clock, FakeDatagramTransport } from "@tw/core/testing";
 *
 * const zone = new FileAuthority([
 *   ["example.com", new Record_SOA({ mname: "ns1.example.com", minimum: 300 })],
 *   ["www.example.com", new Record_A("192.0.2.80", 60)],
 * ]);
 * const clock = new Clock();
 * const factory = new server.DNSServerFactory({ authorities: [zone], reactor: clock });
 * const udp = new DNSDatagramProtocol(factory, { reactor: clock });
 * const transport = new FakeDatagramTransport();
 * udp.makeConnection(transport);
 * const query = new Message({ id: 7, queries: [new Query("www.example.com", A)] });
 * udp.datagramReceived(query.toStr(), ["192.0.2.9", 5353]);
 * await Promise.resolve();
 * const reply = Message.fromStr(transport.written[0][0]);
 * console.log(reply.auth, reply.answers[0].toString()); // true www.example.com. 60 IN A 192.0.2.80
 * ```
 * @module
 */
export {
  DNSServerFactory,
  type DNSServerFactoryOptions,
  type ICacheResolver,
  MAX_UDP_REPLY,
  type ResponseFields,
} from "./server/_server.ts";
export { DNSOverHTTPSResource, type DNSOverHTTPSResourceOptions } from "./server/_doh.ts";
export { NotifySender, type NotifySenderOptions } from "./server/_notify.ts";
