// XEP-0114 components and the router over in-memory connections (iosim): the handshake on
// both sides, routing between components, remote-server-not-found for unknown domains,
// invalid-from for a forged sender, a wrong secret, a wrong namespace, and bad XML.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  connectedServerAndClient,
  type IOPump,
  StringTransport,
} from "../../../src/testing/mod.ts";
import type { Failure } from "../../../src/internet/failure.ts";
import fc from "fast-check";
import { component, xmlstream } from "../../../src/words/jabber/mod.ts";
import { domish } from "../../../src/words/xish/mod.ts";

const enc = new TextEncoder();
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
async function settle(pump: IOPump): Promise<void> {
  for (let i = 0; i < 30; i++) {
    pump.flush();
    await tick();
  }
}

function attach(server: component.XMPPComponentServerFactory, domain: string, secret = "secret") {
  const factory = component.componentFactory(domain, secret);
  factory.stopTrying();
  const got: domish.Element[] = [];
  const events: string[] = [];
  const errors: Failure[] = [];
  factory.addBootstrap(xmlstream.STREAM_AUTHD_EVENT, (xs: xmlstream.XmlStream) => {
    events.push("authd");
    xs.addObserver("/*", (el: domish.Element) => got.push(el));
  });
  factory.addBootstrap(xmlstream.INIT_FAILED_EVENT, (f: Failure) => errors.push(f));
  factory.addBootstrap(xmlstream.STREAM_ERROR_EVENT, (f: Failure) => errors.push(f));
  factory.addBootstrap(xmlstream.STREAM_END_EVENT, () => events.push("end"));
  const [c, s, pump] = connectedServerAndClient<xmlstream.XmlStream, xmlstream.XmlStream>(
    server,
    factory,
  );
  return { c, s, pump, got, events, errors };
}

function message(from: string, to: string, body: string): domish.Element {
  const m = new domish.Element([null, "message"]);
  m.setAttribute("from", from);
  m.setAttribute("to", to);
  m.addElement("body", null, body);
  return m;
}

describe("component and router", () => {
  it("authenticates components and routes stanzas between them by domain", async () => {
    const router = new component.Router();
    const server = new component.XMPPComponentServerFactory(router, "secret");
    const a = attach(server, "a.example");
    const b = attach(server, "b.example");
    await settle(a.pump);
    await settle(b.pump);
    assert.deepEqual(a.events, ["authd"]);
    assert.deepEqual(b.events, ["authd"]);
    assert.deepEqual([...router.routes.keys()].sort(), ["a.example", "b.example"]);
    a.c.send(message("user@a.example/r", "bot@b.example", "hello"));
    await settle(a.pump);
    await settle(b.pump);
    assert.equal(b.got.length, 1);
    assert.equal(b.got[0].getAttribute("from"), "user@a.example/r");
    assert.equal(String(b.got[0].child("body")), "hello");
    // unknown domain: an error comes back to the sender
    a.c.send(message("user@a.example", "x@nowhere.example", "lost"));
    await settle(a.pump);
    assert.equal(a.got.length, 1);
    const bounce = a.got[0];
    assert.equal(bounce.getAttribute("type"), "error");
    assert.equal(bounce.getAttribute("to"), "user@a.example");
    assert.ok(bounce.child("error")?.child("remote-server-not-found"));
    // a component that disconnects loses its route
    a.c.transport.loseConnection();
    await settle(a.pump);
    assert.deepEqual([...router.routes.keys()], ["b.example"]);
  });

  it("closes a component that sends from another domain with invalid-from", async () => {
    const router = new component.Router();
    const server = new component.XMPPComponentServerFactory(router, "secret");
    const a = attach(server, "a.example");
    const b = attach(server, "b.example");
    await settle(a.pump);
    await settle(b.pump);
    a.c.send(message("user@b.example", "bot@b.example", "forged"));
    await settle(a.pump);
    await settle(b.pump);
    assert.equal(b.got.length, 0);
    assert.ok(a.events.includes("end"));
    assert.equal((a.errors[0]?.value as { condition?: string })?.condition, "invalid-from");
  });

  it("refuses a wrong secret with not-authorized", async () => {
    const server = new component.XMPPComponentServerFactory(new component.Router(), "secret");
    const a = attach(server, "a.example", "wrong");
    await settle(a.pump);
    assert.ok(!a.events.includes("authd"));
    assert.ok(a.events.includes("end"));
    assert.equal((a.errors[0]?.value as { condition?: string })?.condition, "not-authorized");
    assert.equal(server.router.routes.size, 0);
  });

  it("refuses a second component for the same domain with conflict", async () => {
    const server = new component.XMPPComponentServerFactory(new component.Router(), "secret");
    const a = attach(server, "a.example");
    await settle(a.pump);
    const a2 = attach(server, "a.example");
    await settle(a2.pump);
    assert.ok(a2.events.includes("end"));
    assert.equal(server.router.routes.get("a.example"), a.s);
  });

  it("answers a wrong namespace, a missing to, the wrong first element and bad XML", async () => {
    const server = new component.XMPPComponentServerFactory(new component.Router(), "secret");
    const cases: [string, string][] = [
      [
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='a'>",
        "invalid-namespace",
      ],
      [
        "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>",
        "improper-addressing",
      ],
      [
        "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='a'><message/>",
        "not-authorized",
      ],
      [
        "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='a'><!DOCTYPE x>",
        "restricted-xml",
      ],
      ["<!DOCTYPE lolz [<!ENTITY lol 'lol'>]>", "restricted-xml"],
      [
        "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='a'>" +
        "<x>".repeat(150),
        "policy-violation",
      ],
      ["\u00ff\u00fe<garbage", "not-well-formed"],
    ];
    for (const [input, condition] of cases) {
      const xs = server.buildProtocol(null as never);
      const t = new StringTransport();
      xs.makeConnection(t);
      xs.dataReceived(enc.encode(input));
      await tick();
      assert.match(t.valueText(), new RegExp(`<stream:error><${condition} `), input);
      assert.match(t.valueText(), /<\/stream:stream>$/);
      assert.equal(t.disconnecting, true, input);
    }
  });

  it("takes any bytes, any split, without throwing: a stream error and a close, or more input", () => {
    const server = new component.XMPPComponentServerFactory(new component.Router(), "secret");
    const header = enc.encode(
      "<stream:stream xmlns='jabber:component:accept' " +
        "xmlns:stream='http://etherx.jabber.org/streams' to='a'>",
    );
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (
        withHeader,
        chunks,
      ) => {
        const xs = server.buildProtocol(null as never);
        const t = new StringTransport();
        xs.makeConnection(t);
        if (withHeader) xs.dataReceived(header);
        for (const c of chunks) xs.dataReceived(c);
        if (t.disconnecting) assert.match(t.valueText(), /<stream:error>.*<\/stream:stream>$/s);
      }),
      { numRuns: 500 },
    );
  });

  it("limits stanzas to 1 MiB when accepting", () => {
    const server = new component.XMPPComponentServerFactory(new component.Router(), "secret");
    const xs = server.buildProtocol(null as never);
    const t = new StringTransport();
    xs.makeConnection(t);
    xs.dataReceived(enc.encode(
      "<stream:stream xmlns='jabber:component:accept' " +
        "xmlns:stream='http://etherx.jabber.org/streams' to='a'><message><body>",
    ));
    const chunk = enc.encode("x".repeat(64 * 1024));
    for (let i = 0; i < 20 && !t.disconnecting; i++) xs.dataReceived(chunk);
    assert.equal(t.disconnecting, true);
    assert.match(t.valueText(), /<policy-violation /);
  });
});
