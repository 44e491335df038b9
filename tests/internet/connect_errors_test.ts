// One failure, one wording, on every runtime: a runtime's network errors become
// Twisted's classes with a message naming the address and the cause, the
// runtime's own error kept as `cause`; bad ports are a RangeError at the call.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CannotListenError,
  ClientCreator,
  ConnectError,
  ConnectionRefusedError,
  DNSLookupError,
  Factory,
  type IPv4Address,
  Protocol,
  reactor,
  TimeoutError,
} from "../../mod.ts";
import {
  causeText,
  checkPort,
  connectErrorFor,
  dnsLookupErrorFor,
  errorCode,
} from "../../src/internet/_error_causes.ts";
import { fromSocketAddress } from "../../src/internet/address.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const coded = (message: string, code: string): Error => Object.assign(new Error(message), { code });
const named = (message: string, name: string): Error => Object.assign(new Error(message), { name });

describe("network errors (unit)", () => {
  it("maps each runtime's refused connect to the same ConnectionRefusedError", () => {
    const fromRuntimes = [
      named("Connection refused (os error 111)", "ConnectionRefused"), // Deno
      coded("Failed to connect", "ECONNREFUSED"), // Bun
      coded("connect ECONNREFUSED 127.0.0.1:9", "ECONNREFUSED"), // Node
    ];
    for (const raw of fromRuntimes) {
      const error = connectErrorFor("127.0.0.1:9", raw);
      assert.ok(error instanceof ConnectionRefusedError);
      assert.equal(error.message, "Cannot connect to 127.0.0.1:9: connection refused");
      assert.equal(error.cause, raw);
    }
  });

  it("maps timeouts, resets, lookups and unknown causes", () => {
    const timeout = connectErrorFor("h:1", coded("x", "ETIMEDOUT"));
    assert.ok(timeout instanceof TimeoutError);
    assert.equal(timeout.message, "Cannot connect to h:1: timed out");
    const reset = connectErrorFor("h:1", coded("x", "ECONNRESET"));
    assert.equal(reset.constructor, ConnectError);
    assert.equal(reset.message, "Cannot connect to h:1: connection reset by peer");
    const lookup = connectErrorFor("nowhere.invalid", coded("getaddrinfo ENOTFOUND", "ENOTFOUND"));
    assert.ok(lookup instanceof DNSLookupError);
    assert.equal(lookup.message, "DNS lookup failed: nowhere.invalid: name not found");
    const odd = connectErrorFor("h:1", new Error("certificate has expired"));
    assert.equal(odd.message, "Cannot connect to h:1: certificate has expired");
    const ours = new ConnectionRefusedError("already ours");
    assert.equal(connectErrorFor("h:1", ours), ours);
    assert.equal(dnsLookupErrorFor("h", "no address").message, "DNS lookup failed: h: no address");
  });

  it("reads codes from `code` or from Deno's error names", () => {
    assert.equal(errorCode(coded("x", "EPIPE")), "EPIPE");
    assert.equal(errorCode(named("x", "AddrInUse")), "EADDRINUSE");
    assert.equal(errorCode(new Error("plain")), undefined);
    assert.equal(errorCode("a string"), undefined);
    assert.equal(causeText(named("Address in use (os error 98)", "AddrInUse")), "address in use");
    assert.equal(causeText(undefined), "unknown error");
    assert.equal(
      new CannotListenError("", 80, coded("x", "EACCES")).message,
      "Cannot listen on 0.0.0.0:80: permission denied",
    );
  });

  it("rejects ports outside 0-65535 (1-65535 to connect)", () => {
    for (const bad of [-1, 65536, 70000, 1.5, NaN]) {
      assert.throws(() => checkPort(bad, true), RangeError);
    }
    assert.throws(() => checkPort(0, false), /Invalid port: 0 \(expected an integer from 1/);
    checkPort(0, true);
    checkPort(65535, false);
  });

  it("converts an address the runtime could not read without throwing", () => {
    const missing = { transport: "tcp", hostname: undefined, port: undefined } as unknown as {
      transport: "tcp";
      hostname: string;
      port: number;
    };
    const address = fromSocketAddress(missing) as IPv4Address;
    assert.equal(address.host, "");
    assert.equal(address.port, 0);
  });
});

class Aborter extends Protocol {
  override connectionMade(): void {
    this.transport!.abortConnection();
  }
}

describe("network errors (real sockets)", () => {
  it("a refused connection says the same thing on every runtime", async () => {
    const port = reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
    await port.whenListening();
    const { port: number } = port.getHost() as IPv4Address;
    await port.stopListening();
    await assert.rejects(
      new ClientCreator(reactor, Protocol).connectTCP("127.0.0.1", number).asPromise(),
      (error: Error) => {
        assert.ok(error instanceof ConnectionRefusedError);
        assert.equal(error.message, `Cannot connect to 127.0.0.1:${number}: connection refused`);
        assert.ok(error.cause instanceof Error, "the runtime's error is kept as cause");
        return true;
      },
    );
  });

  it("a port out of range is a RangeError at the call", () => {
    const factory = Factory.forProtocol(Protocol);
    assert.throws(() => reactor.listenTCP(70000, factory), RangeError);
    assert.throws(() => reactor.listenTCP(-1, factory), RangeError);
    assert.throws(() => reactor.connectTCP("127.0.0.1", 65536, factory), RangeError);
  });

  it("a server aborting while the client connects never surfaces an internal error", async () => {
    const port = reactor.listenTCP(0, Factory.forProtocol(Aborter), { interface: "127.0.0.1" });
    await port.whenListening();
    const { port: number } = port.getHost() as IPv4Address;
    for (let i = 0; i < 20; i++) {
      // Either outcome is a real network outcome: connected then lost (Deno,
      // Bun), or a ConnectError for the reset (Node); never a TypeError.
      try {
        const client = await new ClientCreator(reactor, Protocol).connectTCP("127.0.0.1", number);
        client.transport!.abortConnection();
      } catch (error) {
        assert.ok(error instanceof ConnectError, `got ${(error as Error)?.stack}`);
        assert.match((error as Error).message, /^Cannot connect to 127\.0\.0\.1:\d+: /);
      }
    }
    // The port still accepts after twenty resets.
    assert.equal(port.listening, true);
    await port.stopListening();
  });
});
