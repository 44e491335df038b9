import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AccumulatingProtocol,
  connectedServerAndClient,
  type IOPump,
  MemoryReactorClock,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { Factory, IPv4Address, IPv6Address, Protocol } from "../../src/internet/protocol.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { Failure } from "../../src/internet/failure.ts";
import {
  ConnectError,
  ConnectionRefusedError,
  DNSLookupError,
  TimeoutError,
} from "../../src/internet/error.ts";
import { clientFromString, ConnectingCancelledError } from "../../src/internet/endpoints.ts";
import type { IProtocol, IProtocolFactory } from "../../src/internet/interfaces.ts";
import {
  encodeSOCKS4Request,
  encodeSOCKS5Greeting,
  encodeSOCKS5Reply,
  encodeSOCKS5Request,
  encodeSOCKS5UserPass,
  ISOCKSUser,
  parseSOCKS4Request,
  parseSOCKS5Reply,
  parseSOCKS5Request,
  replyForFailure,
  SOCKS4ClientEndpoint,
  SOCKS5ClientEndpoint,
  SOCKS5Reply,
  SOCKSCommand,
  SOCKSError,
  SOCKSFactory,
  type SOCKSFactoryOptions,
  type SOCKSServer,
  SOCKSv5Factory,
} from "../../src/protocols/socks.ts";
import { formatIPv6, parseIPv6 } from "../../src/protocols/_socks_codec.ts";
import {
  type AvatarId,
  InMemoryUsernamePasswordDatabaseDontUse,
  type InterfaceName,
  type IRealm,
  type LoginResult,
  Portal,
} from "../../src/cred/mod.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (...parts: (number[] | string | Uint8Array)[]): Uint8Array => {
  const chunks = parts.map((p) =>
    typeof p === "string" ? enc.encode(p) : p instanceof Uint8Array ? p : new Uint8Array(p)
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
};
const userAddr = new IPv4Address("TCP", "10.1.1.1", 40000);

describe("SOCKS codec", () => {
  it("parses SOCKS 4 and 4a requests only once they are complete", () => {
    const v4 = encodeSOCKS4Request("10.0.0.1", 8080, "bob");
    assert.deepEqual([...v4], [4, 1, 0x1f, 0x90, 10, 0, 0, 1, 98, 111, 98, 0]);
    assert.equal(parseSOCKS4Request(v4.subarray(0, 11)), null);
    assert.deepEqual(parseSOCKS4Request(v4), {
      value: { command: 1, port: 8080, host: "10.0.0.1", userid: "bob", v4a: false },
      size: 12,
    });
    const v4a = encodeSOCKS4Request("example.org", 80);
    assert.equal(parseSOCKS4Request(v4a.subarray(0, v4a.byteLength - 1)), null);
    assert.deepEqual(parseSOCKS4Request(v4a)?.value, {
      command: 1,
      port: 80,
      host: "example.org",
      userid: "",
      v4a: true,
    });
  });

  it("rejects a SOCKS 4 USERID that never ends", () => {
    const endless = bytes([4, 1, 0, 80, 1, 2, 3, 4], new Uint8Array(2000).fill(0x41));
    assert.throws(
      () => parseSOCKS4Request(endless),
      (e) => e instanceof SOCKSError && e.reply === 0x5b,
    );
  });

  it("round-trips SOCKS 5 requests for IPv4, IPv6 and host names", () => {
    for (const host of ["192.0.2.7", "2001:db8::1", "::1", "example.org"]) {
      const request = encodeSOCKS5Request(SOCKSCommand.CONNECT, host, 443);
      assert.equal(parseSOCKS5Request(request.subarray(0, request.byteLength - 1)), null);
      const parsed = parseSOCKS5Request(request);
      assert.equal(parsed?.value.host, host);
      assert.equal(parsed?.value.port, 443);
      assert.equal(parsed?.size, request.byteLength);
    }
  });

  it("answers an unknown address type with code 8", () => {
    assert.throws(
      () => parseSOCKS5Request(bytes([5, 1, 0, 9, 1, 2, 3, 4, 0, 80])),
      (e) => e instanceof SOCKSError && e.reply === SOCKS5Reply.ADDRESS_TYPE_NOT_SUPPORTED,
    );
  });

  it("formats and parses IPv6 addresses in their RFC 5952 form", () => {
    assert.equal(formatIPv6(parseIPv6("2001:0db8:0:0:0:0:2:1")), "2001:db8::2:1");
    assert.equal(formatIPv6(parseIPv6("::ffff:192.0.2.1")), "::ffff:c000:201");
    assert.equal(formatIPv6(parseIPv6("fe80::1%eth0")), "fe80::1");
    assert.equal(formatIPv6(parseIPv6("1:0:2:3:4:5:6:7")), "1:0:2:3:4:5:6:7");
    assert.equal(formatIPv6(new Uint8Array(16)), "::");
  });

  it("encodes a reply with the bound address, and zeros for a name", () => {
    const reply = encodeSOCKS5Reply(0, "::1", 1080);
    assert.deepEqual(parseSOCKS5Reply(reply)?.value, { reply: 0, host: "::1", port: 1080 });
    assert.deepEqual(
      [...encodeSOCKS5Reply(SOCKS5Reply.CONNECTION_REFUSED, "not-an-ip", 1)],
      [5, 5, 0, 1, 0, 0, 0, 0, 0, 1],
    );
  });

  it("maps connection failures to SOCKS 5 reply codes", () => {
    const f = (e: Error): number => replyForFailure(new Failure(e));
    assert.equal(f(new ConnectionRefusedError()), SOCKS5Reply.CONNECTION_REFUSED);
    assert.equal(f(new DNSLookupError("no such host")), SOCKS5Reply.HOST_UNREACHABLE);
    assert.equal(f(new TimeoutError()), SOCKS5Reply.HOST_UNREACHABLE);
    const net = Object.assign(new Error("connect ENETUNREACH"), { code: "ENETUNREACH" });
    assert.equal(f(new ConnectError("x", { cause: net })), SOCKS5Reply.NETWORK_UNREACHABLE);
    const host = new Error("No route to host (os error 113)");
    assert.equal(f(new ConnectError("x", { cause: host })), SOCKS5Reply.HOST_UNREACHABLE);
    assert.equal(f(new ConnectError("something else")), SOCKS5Reply.GENERAL_FAILURE);
  });
});

/** A SOCKS server protocol on a string transport, with its reactor. */
function accept(
  options: SOCKSFactoryOptions = {},
): [SOCKSServer, StringTransportWithDisconnection, MemoryReactorClock, SOCKSFactory] {
  const reactor = new MemoryReactorClock();
  const factory = new SOCKSFactory({ reactor, ...options });
  factory.noisy = false;
  const server = factory.buildProtocol(userAddr) as SOCKSServer;
  const transport = new StringTransportWithDisconnection({ peerAddress: userAddr });
  transport.protocol = server;
  server.makeConnection(transport);
  return [server, transport, reactor, factory];
}

/** Completes the outgoing connection the server asked the reactor for. */
function completeOutgoing(
  reactor: MemoryReactorClock,
  host = new IPv4Address("TCP", "10.9.9.9", 5555),
): [IProtocol, StringTransportWithDisconnection] {
  const clientFactory = reactor.tcpClients.at(-1)![2];
  const outgoing = clientFactory.buildProtocol(new IPv4Address("TCP", "10.2.2.2", 80))!;
  const transport = new StringTransportWithDisconnection({ hostAddress: host });
  transport.protocol = outgoing;
  outgoing.makeConnection(transport);
  return [outgoing, transport];
}

function failOutgoing(reactor: MemoryReactorClock, error: Error): void {
  const [, , factory] = reactor.tcpClients.at(-1)!;
  (factory as unknown as { clientConnectionFailed(c: unknown, f: Failure): void })
    .clientConnectionFailed(reactor.connectors.at(-1), new Failure(error));
}

describe("SOCKSServer handshake", () => {
  it("grants a SOCKS 4 CONNECT and relays both ways", () => {
    const [server, st, reactor] = accept();
    server.dataReceived(encodeSOCKS4Request("10.2.2.2", 80, "bob"));
    assert.equal(st.value().byteLength, 0);
    assert.equal(st.producerState, "paused");
    const [host, port] = reactor.tcpClients[0];
    assert.deepEqual([host, port], ["10.2.2.2", 80]);
    const [outgoing, ot] = completeOutgoing(reactor);
    assert.deepEqual([...st.value()], [0, 0x5a, 0x15, 0xb3, 10, 9, 9, 9]);
    assert.equal(st.producerState, "producing");
    st.clear();
    server.dataReceived(bytes("ping"));
    assert.equal(ot.valueText(), "ping");
    outgoing.dataReceived(bytes("pong"));
    assert.equal(st.valueText(), "pong");
    assert.equal(server.username, "bob");
    st.loseConnection();
    assert.equal(ot.disconnecting, true);
  });

  it("connects a SOCKS 4a request to the host name it carries", () => {
    const [server, st, reactor] = accept();
    // The request arrives one byte at a time.
    for (const b of encodeSOCKS4Request("db.internal", 5432)) {
      server.dataReceived(new Uint8Array([b]));
    }
    assert.deepEqual(reactor.tcpClients[0].slice(0, 2), ["db.internal", 5432]);
    completeOutgoing(reactor);
    assert.equal(st.value()[1], 0x5a);
    st.loseConnection();
  });

  it("rejects SOCKS 4 BIND with code 91 and closes", () => {
    const [server, st, reactor] = accept();
    const request = encodeSOCKS4Request("10.2.2.2", 80);
    request[1] = SOCKSCommand.BIND;
    server.dataReceived(request);
    assert.deepEqual([...st.value()], [0, 0x5b, 0, 0, 0, 0, 0, 0]);
    assert.equal(st.disconnecting, true);
    assert.equal(reactor.tcpClients.length, 0);
  });

  it("relays a SOCKS 5 CONNECT to an IPv6 destination and reports an IPv6 bound address", () => {
    const [server, st, reactor] = accept();
    server.dataReceived(encodeSOCKS5Greeting([0]));
    assert.deepEqual([...st.value()], [5, 0]);
    st.clear();
    // Early data right behind the request waits for the connection.
    server.dataReceived(bytes(encodeSOCKS5Request(1, "2001:db8::5", 22), "SSH-2.0-x\r\n"));
    assert.deepEqual(reactor.tcpClients[0].slice(0, 2), ["2001:db8::5", 22]);
    const [, ot] = completeOutgoing(reactor, new IPv6Address("TCP", "2001:db8::1", 4242));
    assert.deepEqual(parseSOCKS5Reply(st.value())?.value, {
      reply: 0,
      host: "2001:db8::1",
      port: 4242,
    });
    assert.equal(ot.valueText(), "SSH-2.0-x\r\n");
    ot.loseConnection();
    assert.equal(st.disconnecting, true);
  });

  it("couples the two transports as each other's streaming producers", () => {
    const [server, st, reactor] = accept();
    server.dataReceived(bytes(encodeSOCKS5Greeting([0]), encodeSOCKS5Request(1, "a.example", 1)));
    const [, ot] = completeOutgoing(reactor);
    assert.equal(ot.producer, st);
    assert.equal(st.producer, ot);
    assert.equal(ot.streaming, true);
    ot.producer!.pauseProducing();
    assert.equal(st.producerState, "paused");
    st.loseConnection();
    assert.equal(ot.producer, null);
  });

  it("answers a greeting without an acceptable method with 0xFF and closes", () => {
    const [server, st] = accept();
    server.dataReceived(encodeSOCKS5Greeting([1, 2]));
    assert.deepEqual([...st.value()], [5, 0xff]);
    assert.equal(st.disconnecting, true);
  });

  it("answers BIND and UDP ASSOCIATE with command not supported", () => {
    for (const command of [SOCKSCommand.BIND, SOCKSCommand.UDP_ASSOCIATE]) {
      const [server, st, reactor] = accept();
      server.dataReceived(
        bytes(encodeSOCKS5Greeting([0]), encodeSOCKS5Request(command, "1.2.3.4", 9)),
      );
      assert.equal(st.value()[3], SOCKS5Reply.COMMAND_NOT_SUPPORTED);
      assert.equal(st.disconnecting, true);
      assert.equal(reactor.tcpClients.length, 0);
    }
  });

  it("answers an unknown address type with code 8 and closes", () => {
    const [server, st] = accept();
    server.dataReceived(bytes(encodeSOCKS5Greeting([0]), [5, 1, 0, 7, 1, 2, 3, 4, 0, 80]));
    assert.equal(st.value()[3], SOCKS5Reply.ADDRESS_TYPE_NOT_SUPPORTED);
    assert.equal(st.disconnecting, true);
  });

  it("closes quietly on an unknown version byte", () => {
    const [server, st] = accept();
    server.dataReceived(bytes("GET / HTTP/1.1\r\n"));
    assert.equal(st.value().byteLength, 0);
    assert.equal(st.disconnecting, true);
  });

  it("replies with the failure code when the outgoing connection fails", () => {
    const cases: [Error, number][] = [
      [new ConnectionRefusedError(), SOCKS5Reply.CONNECTION_REFUSED],
      [new DNSLookupError("nope"), SOCKS5Reply.HOST_UNREACHABLE],
      [new TimeoutError(), SOCKS5Reply.HOST_UNREACHABLE],
      [new ConnectError("weird"), SOCKS5Reply.GENERAL_FAILURE],
    ];
    for (const [error, code] of cases) {
      const [server, st, reactor] = accept();
      server.dataReceived(bytes(encodeSOCKS5Greeting([0]), encodeSOCKS5Request(1, "h.example", 1)));
      st.clear();
      failOutgoing(reactor, error);
      assert.deepEqual([...st.value()], [5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
      assert.equal(st.disconnecting, true);
    }
    const [server4, st4, reactor4] = accept();
    server4.dataReceived(encodeSOCKS4Request("10.0.0.1", 1));
    failOutgoing(reactor4, new ConnectionRefusedError());
    assert.equal(st4.value()[1], 0x5b);
    assert.equal(st4.disconnecting, true);
  });

  it("refuses destinations allowConnect rejects, with code 2 (SOCKS 5) or 91 (SOCKS 4)", () => {
    const seen: unknown[] = [];
    const allowConnect = (host: string, port: number, info: unknown): boolean => {
      seen.push([host, port, info]);
      return port !== 25;
    };
    const [server, st, reactor] = accept({ allowConnect });
    server.dataReceived(bytes(encodeSOCKS5Greeting([0]), encodeSOCKS5Request(1, "mx.example", 25)));
    assert.equal(st.value()[3], SOCKS5Reply.NOT_ALLOWED);
    assert.equal(st.disconnecting, true);
    assert.equal(reactor.tcpClients.length, 0);
    assert.deepEqual(seen[0], ["mx.example", 25, { version: 5, username: "", peer: userAddr }]);

    const [server4, st4, reactor4] = accept({ allowConnect });
    server4.dataReceived(encodeSOCKS4Request("10.0.0.1", 25, "eve"));
    assert.deepEqual([...st4.value()], [0, 0x5b, 0, 0, 0, 0, 0, 0]);
    assert.equal(reactor4.tcpClients.length, 0);
    assert.equal((seen[1] as [string, number, { username: string }])[2].username, "eve");
  });

  it("waits for an asynchronous allowConnect", async () => {
    const answer = new Deferred<boolean>();
    const [server, st, reactor] = accept({ allowConnect: () => answer });
    server.dataReceived(bytes(encodeSOCKS5Greeting([0]), encodeSOCKS5Request(1, "h.example", 80)));
    assert.equal(reactor.tcpClients.length, 0);
    answer.callback(true);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(reactor.tcpClients.length, 1);
    st.loseConnection();
    assert.equal(reactor.connectors[0].disconnected, true);
  });

  it("gives up the outgoing attempt when the client goes away first", () => {
    const [server, st, reactor] = accept();
    server.dataReceived(encodeSOCKS4Request("10.0.0.1", 1));
    st.loseConnection();
    assert.equal(reactor.connectors[0].disconnected, true);
    // Should it complete anyway, the outgoing side closes at once.
    const [, ot] = completeOutgoing(reactor);
    assert.equal(ot.disconnecting, true);
  });

  it("closes a client that does not finish its handshake in time", () => {
    const [server, st, reactor] = accept({ handshakeTimeout: 5 });
    server.dataReceived(encodeSOCKS5Greeting([0]));
    reactor.advance(4.9);
    assert.equal(st.disconnecting, false);
    reactor.advance(0.2);
    assert.equal(st.disconnecting, true);
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("stops the handshake timer once the request is in", () => {
    const [server, st, reactor] = accept({ handshakeTimeout: 5 });
    server.dataReceived(encodeSOCKS4Request("10.0.0.1", 1));
    assert.equal(reactor.getDelayedCalls().length, 0);
    assert.equal(reactor.tcpClients[0][3], 30);
    st.loseConnection();
  });

  it("closes a client that sends EOF before its request is complete", () => {
    const [server, st] = accept();
    server.dataReceived(bytes([5, 1]));
    server.readConnectionLost();
    assert.equal(st.disconnecting, true);
  });

  it("passes on an EOF that follows a complete request once the destination is connected", async () => {
    const answer = new Deferred<boolean>();
    const [server, st, reactor] = accept({ allowConnect: () => answer });
    server.dataReceived(bytes(encodeSOCKS4Request("10.0.0.1", 7), "last words"));
    server.readConnectionLost();
    assert.equal(st.disconnecting, false);
    answer.callback(true);
    for (let i = 0; i < 50 && reactor.tcpClients.length === 0; i++) await Promise.resolve();
    const [, ot] = completeOutgoing(reactor);
    assert.equal(ot.valueText(), "last words");
    // The outgoing transport cannot half-close: it is closed after its bytes.
    assert.equal(ot.disconnecting, true);
    assert.equal(st.value()[1], 0x5a);
  });

  it("closes a client that floods the handshake", () => {
    const [server, st] = accept();
    server.dataReceived(bytes([4, 1, 0, 80, 1, 2, 3, 4, 65]));
    // A USERID that never ends is cut off well before memory matters.
    server.dataReceived(new Uint8Array(4096).fill(65));
    assert.equal(st.value()[1], 0x5b);
    assert.equal(st.disconnecting, true);
  });

  it("never throws on random input", () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let round = 0; round < 300; round++) {
      const [server, st] = accept({ checkPassword: () => random() < 0.5 });
      const input = new Uint8Array(1 + Math.floor(random() * 40)).map(() =>
        Math.floor(random() * 256)
      );
      input[0] = random() < 0.5 ? 4 : 5;
      if (random() < 0.5) input[1] = Math.floor(random() * 3);
      server.dataReceived(input);
      st.loseConnection();
    }
  });
});

describe("SOCKSServer authentication", () => {
  it("accepts a good RFC 1929 login and relays", async () => {
    const checked: string[] = [];
    const [server, st, reactor] = accept({
      checkPassword: (user, password) => {
        checked.push(`${user}:${password}`);
        return Promise.resolve(user === "alice" && password === "s3cret");
      },
    });
    server.dataReceived(encodeSOCKS5Greeting([0, 2]));
    assert.deepEqual([...st.value()], [5, 2]);
    st.clear();
    // The login and the request in one read: the request waits for the check.
    server.dataReceived(
      bytes(encodeSOCKS5UserPass("alice", "s3cret"), encodeSOCKS5Request(1, "h", 1)),
    );
    assert.equal(reactor.tcpClients.length, 0);
    await Promise.resolve();
    assert.deepEqual([...st.value()], [1, 0]);
    assert.deepEqual(checked, ["alice:s3cret"]);
    assert.equal(reactor.tcpClients.length, 1);
    assert.equal(server.username, "alice");
    st.loseConnection();
  });

  it("answers a bad login with status 1 and closes", () => {
    const [server, st, reactor] = accept({ checkPassword: () => false });
    server.dataReceived(bytes(encodeSOCKS5Greeting([2]), encodeSOCKS5UserPass("bob", "x")));
    assert.deepEqual([...st.value()], [5, 2, 1, 1]);
    assert.equal(st.disconnecting, true);
    assert.equal(reactor.tcpClients.length, 0);
  });

  it("refuses clients that offer no authentication when a login is required", () => {
    const [server, st] = accept({ checkPassword: () => true });
    server.dataReceived(encodeSOCKS5Greeting([0]));
    assert.deepEqual([...st.value()], [5, 0xff]);
    assert.equal(st.disconnecting, true);
  });

  it("refuses SOCKS 4, which has no password, when a login is required", () => {
    const [server, st] = accept({ checkPassword: () => true });
    server.dataReceived(encodeSOCKS4Request("10.0.0.1", 80));
    assert.deepEqual([...st.value()], [0, 0x5b, 0, 0, 0, 0, 0, 0]);
    assert.equal(st.disconnecting, true);
  });

  it("logs in through a cred Portal and logs out when the connection ends", async () => {
    const requests: unknown[][] = [];
    let loggedOut = 0;
    const realm: IRealm = {
      requestAvatar(id: AvatarId, _mind: unknown, ...interfaces: InterfaceName[]): LoginResult {
        requests.push([id, ...interfaces]);
        return [ISOCKSUser, { id }, () => loggedOut++];
      },
    };
    const users = new InMemoryUsernamePasswordDatabaseDontUse({ carol: "pw" });
    const portal = new Portal(realm, [users]);
    const [server, st, reactor] = accept({ portal });
    server.dataReceived(bytes(encodeSOCKS5Greeting([2]), encodeSOCKS5UserPass("carol", "pw")));
    for (let i = 0; i < 50 && st.value().byteLength < 4; i++) await Promise.resolve();
    assert.deepEqual([...st.value()], [5, 2, 1, 0]);
    assert.deepEqual(requests, [["carol", ISOCKSUser]]);
    server.dataReceived(encodeSOCKS5Request(1, "h.example", 80));
    completeOutgoing(reactor);
    st.loseConnection();
    assert.equal(loggedOut, 1);

    const [bad, badTransport] = accept({ portal });
    bad.dataReceived(bytes(encodeSOCKS5Greeting([2]), encodeSOCKS5UserPass("carol", "no")));
    for (let i = 0; i < 50 && badTransport.value().byteLength < 4; i++) await Promise.resolve();
    assert.deepEqual([...badTransport.value()], [5, 2, 1, 1]);
    assert.equal(badTransport.disconnecting, true);
    assert.equal(requests.length, 1);
  });

  it("needs both checkPassword and the portal to agree when both are set", async () => {
    const portal = new Portal(
      { requestAvatar: () => [ISOCKSUser, {}, () => {}] },
      [new InMemoryUsernamePasswordDatabaseDontUse({ dave: "pw" })],
    );
    const [server, st] = accept({ portal, checkPassword: () => false });
    server.dataReceived(bytes(encodeSOCKS5Greeting([2]), encodeSOCKS5UserPass("dave", "pw")));
    for (let i = 0; i < 50 && st.value().byteLength < 4; i++) await Promise.resolve();
    assert.deepEqual([...st.value()], [5, 2, 1, 1]);
  });

  it("serves only SOCKS 5 from SOCKSv5Factory", () => {
    const reactor = new MemoryReactorClock();
    const factory = new SOCKSv5Factory({ reactor });
    const server = factory.buildProtocol(userAddr)!;
    const st = new StringTransportWithDisconnection();
    st.protocol = server;
    server.makeConnection(st);
    server.dataReceived(encodeSOCKS4Request("10.0.0.1", 80));
    assert.equal(st.value()[1], 0x5b);
    assert.equal(st.disconnecting, true);
  });
});

/** A factory that builds this one protocol. */
function factoryFor(protocol: IProtocol): IProtocolFactory {
  return { doStart() {}, doStop() {}, buildProtocol: () => protocol };
}

/** A proxy endpoint that connects to a SOCKS factory in memory; records the pumps. */
class MemoryProxyEndpoint {
  pumps: IOPump[] = [];
  readonly socks: SOCKSFactory;
  constructor(socks: SOCKSFactory) {
    this.socks = socks;
  }
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    const [client, , pump] = connectedServerAndClient<IProtocol>(this.socks, factory);
    this.pumps.push(pump);
    const d = new Deferred<IProtocol>();
    d.callback(client);
    return d;
  }
}

/** Client -> SOCKSFactory -> backend, all in memory. */
function memoryChain(options: SOCKSFactoryOptions = {}) {
  const reactor = new MemoryReactorClock();
  const socks = new SOCKSFactory({ reactor, ...options });
  socks.noisy = false;
  const proxy = new MemoryProxyEndpoint(socks);
  const backends: [AccumulatingProtocol, IOPump][] = [];
  const flush = (): void => {
    for (let i = 0; i < 100; i++) {
      // Connect any outgoing attempt the server made to a fresh backend.
      while (backends.length < reactor.tcpClients.length) {
        const backendFactory = Factory.forProtocol(AccumulatingProtocol);
        backendFactory.noisy = false;
        const [, backend, pump] = connectedServerAndClient<IProtocol, AccumulatingProtocol>(
          backendFactory,
          reactor.tcpClients[backends.length][2],
        );
        backends.push([backend, pump]);
      }
      let moved = false;
      for (const p of [...proxy.pumps, ...backends.map(([, p]) => p)]) moved = p.flush() || moved;
      if (!moved && backends.length === reactor.tcpClients.length) return;
    }
  };
  return { reactor, proxy, backends, flush };
}

describe("SOCKS client endpoints through SOCKSFactory", () => {
  it("SOCKS5ClientEndpoint logs in, connects and hands the tunnel to the protocol", async () => {
    const { reactor, proxy, backends, flush } = memoryChain({
      checkPassword: (u, p) => u === "alice" && p === "pw",
    });
    const endpoint = new SOCKS5ClientEndpoint("service.example", 7000, proxy, {
      username: "alice",
      password: "pw",
      clock: reactor,
    });
    const user = new AccumulatingProtocol();
    let connected: IProtocol | null = null;
    endpoint.connect(factoryFor(user)).addCallback((
      p: IProtocol,
    ) => {
      connected = p;
    });
    flush();
    await Promise.resolve();
    flush();
    assert.equal(connected, user);
    assert.deepEqual(reactor.tcpClients[0].slice(0, 2), ["service.example", 7000]);
    user.transport.write(bytes("hello"));
    flush();
    const [backend] = backends[0];
    assert.equal(dec.decode(backend.data), "hello");
    backend.transport.write(bytes("world"));
    flush();
    assert.equal(dec.decode(user.data), "world");
    user.transport.loseConnection();
    flush();
    assert.equal(backend.closed, true);
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("slows a fast sender down to a slow destination without buffering everything", () => {
    const { reactor, proxy, backends, flush } = memoryChain();
    const endpoint = new SOCKS5ClientEndpoint("sink.example", 9, proxy, { clock: reactor });
    const user = new AccumulatingProtocol();
    endpoint.connect(factoryFor(user));
    flush();
    const front = proxy.pumps[0];
    const [backend, back] = backends[0];
    back.serverIO.pauseProducing(); // the destination stops reading
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    let maxBuffered = 0;
    for (let i = 0; i < 16; i++) {
      user.transport.write(chunk);
      flush();
      maxBuffered = Math.max(maxBuffered, back.clientIO.bufferedAmount);
    }
    // The proxy's outgoing buffer passed its high-water mark once, then the
    // client's side stopped being read: the rest waits in the client's transport.
    assert.equal(front.serverIO.paused, true);
    assert.ok(maxBuffered <= back.clientIO.bufferSize + chunk.byteLength, `${maxBuffered}`);
    assert.ok(front.clientIO.bufferedAmount > 0);
    assert.equal(backend.data.byteLength, 0);
    back.serverIO.resumeProducing();
    flush();
    assert.equal(front.serverIO.paused, false);
    assert.equal(backend.data.byteLength, 16 * chunk.byteLength);
    user.transport.loseConnection();
    flush();
    assert.equal(backend.closed, true);
  });

  it("SOCKS5ClientEndpoint fails with the proxy's reply code", async () => {
    const { reactor, proxy, flush } = memoryChain({ allowConnect: () => false });
    const endpoint = new SOCKS5ClientEndpoint("10.0.0.1", 25, proxy, { clock: reactor });
    let error: unknown = null;
    endpoint.connect(Factory.forProtocol(Protocol)).addErrback((f: Failure) => {
      error = f.value;
      return null;
    });
    flush();
    assert.ok(error instanceof SOCKSError);
    assert.equal((error as SOCKSError).reply, SOCKS5Reply.NOT_ALLOWED);
    assert.match((error as Error).message, /not allowed/);
    await Promise.resolve();
  });

  it("SOCKS5ClientEndpoint fails when the login is rejected", async () => {
    const { reactor, proxy, flush } = memoryChain({ checkPassword: () => false });
    const endpoint = new SOCKS5ClientEndpoint("h", 1, proxy, {
      username: "x",
      password: "y",
      clock: reactor,
    });
    const d = endpoint.connect(Factory.forProtocol(Protocol));
    flush();
    await Promise.resolve();
    flush();
    await assert.rejects(d.asPromise(), /rejected the login as x/);
  });

  it("SOCKS4ClientEndpoint connects with SOCKS 4a for a host name", () => {
    const { reactor, proxy, backends, flush } = memoryChain();
    const endpoint = new SOCKS4ClientEndpoint("name.example", 9, proxy, { clock: reactor });
    const user = new AccumulatingProtocol();
    let connected = false;
    endpoint.connect(factoryFor(user)).addCallback(
      () => {
        connected = true;
      },
    );
    flush();
    assert.equal(connected, true);
    assert.deepEqual(reactor.tcpClients[0].slice(0, 2), ["name.example", 9]);
    user.transport.loseConnection();
    flush();
    assert.equal(backends[0][0].closed, true);
  });

  it("times out a proxy that never answers, and can be cancelled", async () => {
    const reactor = new MemoryReactorClock();
    // A "proxy" that accepts and says nothing.
    const silent = {
      pumps: [] as IOPump[],
      connect(factory: IProtocolFactory): Deferred<IProtocol> {
        const [client, , pump] = connectedServerAndClient<IProtocol>(
          Factory.forProtocol(Protocol),
          factory,
        );
        this.pumps.push(pump);
        const d = new Deferred<IProtocol>();
        d.callback(client);
        return d;
      },
    };
    const slow = new SOCKS5ClientEndpoint("h", 1, silent, { clock: reactor, timeout: 10 });
    const d1 = slow.connect(Factory.forProtocol(Protocol));
    reactor.advance(10);
    silent.pumps[0].flush();
    await assert.rejects(d1.asPromise(), /did not answer within 10s/);

    const d2 = slow.connect(Factory.forProtocol(Protocol));
    d2.cancel();
    silent.pumps[1].flush();
    await assert.rejects(d2.asPromise(), (e) => e instanceof ConnectingCancelledError);
    assert.equal(reactor.getDelayedCalls().length, 0);
  });

  it("reports a failure to reach the proxy itself", async () => {
    const unreachable = {
      connect(): Deferred<IProtocol> {
        const d = new Deferred<IProtocol>();
        d.errback(new ConnectionRefusedError());
        return d;
      },
    };
    const endpoint = new SOCKS5ClientEndpoint("h", 1, unreachable, {
      clock: new MemoryReactorClock(),
    });
    await assert.rejects(
      endpoint.connect(Factory.forProtocol(Protocol)).asPromise(),
      (e) => e instanceof ConnectionRefusedError,
    );
  });

  it("rejects bad destinations and credentials at construction", () => {
    const proxy = new MemoryProxyEndpoint(new SOCKSFactory({ reactor: new MemoryReactorClock() }));
    assert.throws(() => new SOCKS5ClientEndpoint("", 1, proxy), TypeError);
    assert.throws(() => new SOCKS5ClientEndpoint("h", 70000, proxy), RangeError);
    assert.throws(() => new SOCKS5ClientEndpoint("x".repeat(256), 1, proxy), RangeError);
    assert.throws(
      () => new SOCKS5ClientEndpoint("h", 1, proxy, { username: "u".repeat(300) }),
      RangeError,
    );
    assert.throws(() => new SOCKS4ClientEndpoint("::1", 1, proxy), TypeError);
  });

  it("registers socks5: and socks4: with clientFromString", () => {
    const reactor = new MemoryReactorClock();
    const e5 = clientFromString(
      reactor,
      "socks5:host=example.org:port=443:proxy=tcp\\:127.0.0.1\\:1080:username=a:password=b",
    );
    assert.ok(e5 instanceof SOCKS5ClientEndpoint);
    assert.equal(e5.host, "example.org");
    assert.equal(e5.port, 443);
    const e4 = clientFromString(reactor, "socks4:10.0.0.1:22:proxy=tcp\\:127.0.0.1\\:1080");
    assert.ok(e4 instanceof SOCKS4ClientEndpoint);
    assert.throws(() => clientFromString(reactor, "socks5:h:1"), /proxy=/);
    assert.throws(
      () => clientFromString(reactor, "socks5:h:1:proxy=tcp\\:h\\:1:bogus=1"),
      TypeError,
    );
  });
});
