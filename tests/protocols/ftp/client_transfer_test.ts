// FTPClient transfer units over StringTransport and MemoryReactor: passive
// (EPSV, PASV fallback, the 227 address ignored) and active (EPRT, PORT
// fallback, accepting only the server's host) data connections, REST, STOR's
// consumer, TLS on data connections in either order, ABOR on cancel.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError } from "../../../src/internet/defer.ts";
import { Failure } from "../../../src/internet/failure.ts";
import { IPv4Address, IPv6Address } from "../../../src/internet/address.ts";
import { StringTransport, trackLeaks } from "../../../src/testing/mod.ts";
import {
  BadResponse,
  CommandFailed,
  FTPError,
  FTPFileListProtocol,
} from "../../../src/protocols/ftp/mod.ts";
import {
  Collect,
  dataProtocol,
  done,
  enc,
  login,
  outcome,
  setup,
  TLSStringTransport,
} from "./_client_harness.ts";

trackLeaks({ beforeEach, afterEach });

describe("FTPClient: passive transfers", () => {
  it("RETR: EPSV, connects to the control peer, then RETR; fires after 226 and the close", () => {
    const h = setup();
    login(h);
    const file = new Collect();
    const result = outcome(h.client.retrieveFile("dir/f.txt", file));
    assert.equal(h.sent(), "EPSV\r\n");
    h.server("229 Entering Extended Passive Mode (|||5000|)\r\n");
    assert.equal(h.sent(), "");
    const [host, port] = h.reactor.tcpClients[0];
    assert.deepEqual([host, port], ["192.168.1.1", 5000]);
    const { protocol } = dataProtocol(h);
    assert.equal(h.sent(), "RETR dir/f.txt\r\n");
    h.server("150 Opening BINARY connection\r\n");
    protocol.dataReceived(enc.encode("hello "));
    protocol.dataReceived(enc.encode("world"));
    h.server("226 Transfer complete\r\n");
    assert.equal(result.value, undefined);
    // The control connection is free again before the data connection closed.
    const pwd = outcome(h.client.pwd());
    assert.equal(h.sent(), "PWD\r\n");
    protocol.connectionLost(done());
    assert.deepEqual(result.value, ["150 Opening BINARY connection", "226 Transfer complete"]);
    assert.equal(file.text, "hello world");
    assert.ok(file.lost !== null);
    h.server('257 "/"\r\n');
    assert.deepEqual(pwd.value, ['257 "/"']);
  });

  it("sends REST before RETR when given an offset", () => {
    const h = setup();
    login(h);
    const result = outcome(h.client.retrieveFile("f", new Collect(), 1024));
    h.server("229 (|||5000|)\r\n");
    assert.equal(h.sent(), "EPSV\r\n");
    const { protocol } = dataProtocol(h);
    assert.equal(h.sent(), "REST 1024\r\n");
    h.server("350 Restarting at 1024\r\n");
    assert.equal(h.sent(), "RETR f\r\n");
    protocol.connectionLost(done());
    h.server("150 go\r\n226 done\r\n");
    assert.deepEqual(result.value, ["150 go", "226 done"]);
    assert.throws(() => h.client.retrieveFile("f", new Collect(), -1), RangeError);
  });

  it("fails the transfer, not the client, when REST is refused", () => {
    const h = setup();
    login(h);
    const result = outcome(h.client.retrieveFile("f", new Collect(), 10));
    h.server("229 (|||5000|)\r\n");
    const { transport } = dataProtocol(h);
    h.sent();
    h.server("502 REST not implemented\r\n");
    assert.ok(result.error instanceof CommandFailed);
    assert.equal(transport.disconnecting, true);
    h.client.pwd();
    assert.equal(h.sent(), "PWD\r\n");
  });

  it("falls back to PASV when EPSV is refused, ignores the 227 address, and remembers", () => {
    const h = setup();
    login(h);
    const first = outcome(h.client.list("/", new FTPFileListProtocol()));
    assert.equal(h.sent(), "EPSV\r\n");
    h.server("500 EPSV not understood\r\n");
    assert.equal(h.sent(), "PASV\r\n");
    h.server("227 Entering Passive Mode (10,9,9,9,19,137).\r\n");
    assert.deepEqual(h.reactor.tcpClients[0].slice(0, 2), ["192.168.1.1", 5001]);
    const { protocol } = dataProtocol(h);
    assert.equal(h.sent(), "LIST /\r\n");
    h.server("150 here it comes\r\n226 done\r\n");
    protocol.connectionLost(done());
    assert.ok(first.value);
    h.client.nlst(null, new Collect());
    assert.equal(h.sent(), "PASV\r\n");
  });

  it("fails the transfer with BadResponse on a malformed 229 or 227, and goes on", () => {
    const h = setup();
    login(h);
    const a = outcome(h.client.retrieveFile("f", new Collect()));
    h.server("229 Entering Extended Passive Mode (|||99999|)\r\n");
    assert.ok(a.error instanceof BadResponse);
    const b = outcome(h.client.retrieveFile("f", new Collect()));
    h.sent();
    h.server("500 no\r\n227 no address here\r\n");
    assert.ok(b.error instanceof BadResponse);
    const c = outcome(h.client.retrieveFile("f", new Collect()));
    h.sent();
    h.server("425 cannot open passive connection\r\n");
    assert.ok(c.error instanceof CommandFailed);
    assert.equal(h.reactor.tcpClients.length, 0);
    h.client.pwd();
    assert.equal(h.sent(), "PWD\r\n");
  });

  it("fails the transfer when the data connection cannot be made", () => {
    const h = setup();
    login(h);
    const result = outcome(h.client.retrieveFile("f", new Collect()));
    h.server("229 (|||5000|)\r\n");
    const [, , factory] = h.reactor.tcpClients[0];
    (factory as unknown as { clientConnectionFailed(c: unknown, r: Failure): void })
      .clientConnectionFailed(h.reactor.connectors[0], new Failure(new Error("refused")));
    assert.ok(result.error instanceof FTPError);
    assert.match(result.error.message, /Cannot open the data connection/);
    h.client.pwd();
    assert.equal(h.sent(), "EPSV\r\nPWD\r\n");
  });

  it("fails with CommandFailed when RETR is refused, closing the data connection", () => {
    const h = setup();
    login(h);
    const result = outcome(h.client.retrieveFile("missing", new Collect()));
    h.server("229 (|||5000|)\r\n");
    const { transport } = dataProtocol(h);
    h.server("550 No such file\r\n");
    assert.ok(result.error instanceof CommandFailed);
    assert.equal(transport.disconnecting, true);
  });

  it("STOR: the consumer comes after the 1xx reply; finish closes; fires after 226", () => {
    const h = setup();
    login(h);
    const [consumerD, resultD] = h.client.storeFile("up.bin", 7);
    const consumer = outcome(consumerD);
    const result = outcome(resultD);
    h.server("229 (|||5000|)\r\n");
    const { protocol, transport } = dataProtocol(h);
    assert.equal(h.sent(), "EPSV\r\nREST 7\r\n");
    h.server("350 ok\r\n");
    assert.equal(h.sent(), "STOR up.bin\r\n");
    assert.equal(consumer.value, undefined);
    h.server("150 send it\r\n");
    const sink = consumer.value!;
    sink.write(enc.encode("bytes"));
    sink.finish();
    assert.equal(transport.valueText(), "bytes");
    assert.equal(transport.disconnecting, true);
    protocol.connectionLost(done());
    assert.equal(result.value, undefined);
    h.server("226 stored\r\n");
    assert.deepEqual(result.value, ["150 send it", "226 stored"]);
  });

  it("STOR refused: both Deferreds fail", () => {
    const h = setup();
    login(h);
    const [consumerD, resultD] = h.client.storeFile("ro/f");
    const consumer = outcome(consumerD);
    const result = outcome(resultD);
    h.server("229 (|||5000|)\r\n");
    dataProtocol(h);
    h.server("553 not allowed\r\n");
    assert.ok(consumer.error instanceof CommandFailed);
    assert.ok(result.error instanceof CommandFailed);
  });

  it("cancelling a running transfer sends ABOR, closes the data, and skips ABOR's replies", () => {
    const h = setup();
    login(h);
    const d = h.client.retrieveFile("big", new Collect());
    const result = outcome(d);
    h.server("229 (|||5000|)\r\n");
    const { transport } = dataProtocol(h);
    h.server("150 going\r\n");
    h.sent();
    const pwd = outcome(h.client.pwd());
    d.cancel();
    assert.ok(result.error instanceof CancelledError);
    assert.equal(h.sent(), "ABOR\r\nNOOP\r\n");
    assert.equal(transport.disconnecting, true);
    h.server("426 Transfer aborted\r\n");
    h.server("226 ABOR successful\r\n");
    assert.equal(h.sent(), "");
    h.server("200 NOOP ok\r\n");
    assert.equal(h.sent(), "PWD\r\n");
    h.server('257 "/"\r\n');
    assert.deepEqual(pwd.value, ['257 "/"']);
  });

  it("cancelling before the data connection or before the turn sends no ABOR", () => {
    const h = setup();
    login(h);
    h.client.cwd("x");
    const queued = h.client.retrieveFile("a", new Collect());
    const q = outcome(queued);
    queued.cancel();
    assert.ok(q.error instanceof CancelledError);
    h.server("250 ok\r\n");
    assert.equal(h.sent(), "CWD x\r\n");
    const waiting = h.client.retrieveFile("b", new Collect());
    assert.equal(h.sent(), "EPSV\r\n");
    waiting.cancel();
    h.client.pwd();
    h.server("229 (|||5000|)\r\n");
    assert.equal(h.reactor.tcpClients.length, 0);
    assert.equal(h.sent(), "PWD\r\n");
    h.server('257 "/"\r\n');
    const connecting = h.client.retrieveFile("c", new Collect());
    h.server("229 (|||5001|)\r\n");
    connecting.cancel();
    assert.equal(h.reactor.connectors[0].disconnected, true);
    h.client.pwd();
    assert.equal(h.sent(), "EPSV\r\nPWD\r\n");
  });
});

describe("FTPClient: active transfers", () => {
  it("listens on the control connection's address, sends EPRT, accepts only the server", () => {
    const h = setup({ passive: false });
    login(h);
    const file = new Collect();
    const result = outcome(h.client.retrieveFile("f", file));
    const [port, factory, , iface] = h.reactor.tcpServers[0];
    assert.deepEqual([port, iface], [0, "10.0.0.1"]);
    assert.equal(h.sent(), "EPRT |1|10.0.0.1|40000|\r\n");
    h.server("200 EPRT ok\r\n");
    assert.equal(h.sent(), "RETR f\r\n");
    assert.equal(factory.buildProtocol(new IPv4Address("TCP", "6.6.6.6", 20)), null);
    const protocol = factory.buildProtocol(new IPv4Address("TCP", "192.168.1.1", 20))!;
    assert.ok(protocol);
    assert.equal(h.reactor.ports[0].stopped, true);
    assert.equal(factory.buildProtocol(new IPv4Address("TCP", "192.168.1.1", 20)), null);
    protocol.makeConnection(new StringTransport());
    h.server("150 go\r\n");
    protocol.dataReceived(enc.encode("active data"));
    protocol.connectionLost(done());
    h.server("226 ok\r\n");
    assert.deepEqual(result.value, ["150 go", "226 ok"]);
    assert.equal(file.text, "active data");
  });

  it("falls back to PORT when EPRT is refused", () => {
    const h = setup({ passive: false });
    login(h);
    h.client.list("", new Collect());
    assert.equal(h.sent(), "EPRT |1|10.0.0.1|40000|\r\n");
    h.server("502 EPRT not implemented\r\n");
    assert.equal(h.sent(), "PORT 10,0,0,1,156,64\r\n");
    h.server("200 PORT ok\r\n");
    assert.equal(h.sent(), "LIST\r\n");
  });

  it("uses EPRT with family 2 over IPv6", () => {
    const h = setup({ passive: false });
    h.transport.hostAddr = new IPv6Address("TCP", "::1", 1234);
    h.transport.peerAddr = new IPv6Address("TCP", "::1", 21);
    login(h);
    h.client.nlst("", new Collect());
    assert.equal(h.reactor.tcpServers[0][3], "::1");
    assert.equal(h.sent(), "EPRT |2|::1|40000|\r\n");
  });
});

describe("FTPClient: more transfer orderings", () => {
  it("active with TLS: a 1xx before the server connects starts TLS once it does", () => {
    const h = setup({ passive: false, tls: {} });
    h.server("220 hi\r\n234 go\r\n230 ok\r\n200 pbsz\r\n200 prot\r\n200 type\r\n");
    h.sent();
    const [consumerD, resultD] = h.client.storeFile("f");
    const consumer = outcome(consumerD);
    const result = outcome(resultD);
    h.server("200 EPRT ok\r\n");
    assert.equal(h.sent(), "EPRT |1|10.0.0.1|40000|\r\nSTOR f\r\n");
    h.server("150 connecting to you\r\n");
    assert.equal(consumer.value, undefined);
    const [, factory] = h.reactor.tcpServers[0];
    const protocol = factory.buildProtocol(new IPv4Address("TCP", "192.168.1.1", 20))!;
    const data = new TLSStringTransport();
    protocol.makeConnection(data);
    assert.deepEqual(data.tls, [{ isServer: false }]);
    const sink = consumer.value!;
    sink.write(enc.encode("x"));
    sink.finish();
    protocol.connectionLost(done());
    h.server("226 ok\r\n");
    assert.deepEqual(result.value, ["150 connecting to you", "226 ok"]);
  });

  it("cancelling an upload's consumer before it fires sends ABOR and fails both", () => {
    const h = setup();
    login(h);
    const [consumerD, resultD] = h.client.storeFile("f");
    const result = outcome(resultD);
    h.server("229 (|||5000|)\r\n");
    dataProtocol(h);
    assert.equal(h.sent(), "EPSV\r\nSTOR f\r\n");
    consumerD.addErrback(() => {});
    consumerD.cancel();
    assert.ok(result.error instanceof CancelledError);
    assert.equal(h.sent(), "ABOR\r\nNOOP\r\n");
    h.server("150 late mark\r\n225 aborted\r\n200 noop\r\n");
    h.client.pwd();
    assert.equal(h.sent(), "PWD\r\n");
  });

  it("refuses paths with CR in transfers", () => {
    const h = setup();
    login(h);
    const a = outcome(h.client.retrieveFile("a\rDELE b", new Collect()));
    assert.ok(a.error instanceof SyntaxError);
    const [c, r] = h.client.storeFile("x\r");
    c.addErrback(() => {});
    assert.ok(outcome(r).error instanceof SyntaxError);
    assert.equal(h.sent(), "");
  });
});
