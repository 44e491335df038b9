// The XMPP client stream through StringTransport, the server played by the test: STARTTLS,
// SCRAM, bind, session; the mechanism choice; SASL and TLS failures; IQ tracking and timeouts
// on a Clock; stream errors in and out, and bad XML answered with a stream error.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Clock, StringTransport } from "../../../src/testing/mod.ts";
import type { Failure } from "../../../src/internet/failure.ts";
import type { TlsOptions } from "../../../src/internet/socket.ts";
import { client, error, jid, sasl, xmlstream } from "../../../src/words/jabber/mod.ts";
import type { domish } from "../../../src/words/xish/mod.ts";

const enc = new TextEncoder();
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
const settle = async () => {
  for (let i = 0; i < 20; i++) await tick();
};

class TLSStringTransport extends StringTransport {
  tls: TlsOptions[] = [];
  secure = false;
  startTLS(options: TlsOptions): void {
    this.tls.push(options);
    this.secure = true;
  }
}

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.com' version='1.0'>";
const b64 = (s: string) => btoa(s);

function setup(options: client.XMPPClientOptions = {}, user = "juliet@example.com/balcony") {
  const factory = client.XMPPClientFactory(new jid.JID(user), "secret", options);
  const events: string[] = [];
  const failures: Failure[] = [];
  factory.addBootstrap(xmlstream.STREAM_AUTHD_EVENT, () => events.push("authd"));
  factory.addBootstrap(xmlstream.INIT_FAILED_EVENT, (f: Failure) => failures.push(f));
  factory.addBootstrap(xmlstream.STREAM_ERROR_EVENT, (f: Failure) => failures.push(f));
  const xs = factory.buildProtocol(null as never);
  const transport = new TLSStringTransport();
  xs.makeConnection(transport);
  const feed = (text: string) => xs.dataReceived(enc.encode(text));
  const sent = () => {
    const t = transport.valueText();
    transport.clear();
    return t;
  };
  factory.stopTrying();
  return { xs, transport, feed, sent, events, failures };
}

describe("client.XMPPClientFactory", () => {
  it("runs STARTTLS (verified, with the given CA), then SCRAM-SHA-256; a wrong server signature fails", async () => {
    const { xs, transport, feed, sent, events, failures } = setup({
      configurationForTLS: { ca: "CA" },
    });
    assert.equal(
      sent(),
      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' " +
        "to='example.com' version='1.0'>",
    );
    feed(
      HEADER + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>" +
        "<required/></starttls></stream:features>",
    );
    await settle();
    assert.equal(sent(), "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    feed("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert.deepEqual(transport.tls, [{ serverName: "example.com", ca: "CA" }]);
    assert.match(sent(), /^<stream:stream /);
    feed(
      HEADER + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
        "<mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism>" +
        "<mechanism>SCRAM-SHA-256</mechanism></mechanisms></stream:features>",
    );
    await settle();
    const auth = sent();
    const m =
      /^<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>(.*)<\/auth>$/
        .exec(auth);
    assert.ok(m, auth);
    const clientFirst = atob(m[1]);
    const cnonce = /r=([^,]*)/.exec(clientFirst)![1];
    assert.match(clientFirst, /^n,,n=juliet,r=/);
    feed(
      `<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${
        b64(`r=${cnonce}srv,s=${b64("salt")},i=4096`)
      }</challenge>`,
    );
    await settle();
    assert.match(sent(), /^<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>/);
    // a wrong server signature fails the authentication and closes the connection
    feed(`<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${b64("v=AAAA")}</success>`);
    await settle();
    assert.equal(failures.length, 1);
    assert.ok(failures[0].value instanceof sasl.SASLAuthError);
    assert.equal(transport.disconnecting, true);
    assert.deepEqual(events, []);
    void xs;
  });

  it("binds the server's JID after SASL, skips an optional session, queues nothing", async () => {
    const { xs, feed, sent, events, transport } = setup({ requireTLS: false });
    transport.secure = true; // as if the connection were TLS from the start
    sent();
    feed(
      HEADER + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
        "<mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    );
    await settle();
    assert.match(sent(), /mechanism='PLAIN'/);
    // <success/> and the restarted stream's header in one chunk: the new parser reads the header
    feed("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    await settle();
    assert.match(sent(), /^<stream:stream /);
    feed(
      HEADER + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" +
        "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session></stream:features>",
    );
    await settle();
    const bindIq = sent();
    const id = /id='([^']+)'/.exec(bindIq)![1];
    assert.equal(
      bindIq,
      `<iq id='${id}' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` +
        "<resource>balcony</resource></bind></iq>",
    );
    feed(
      `<iq type='result' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` +
        "<jid>juliet@example.com/balcony-42</jid></bind></iq>",
    );
    await settle();
    assert.deepEqual(events, ["authd"]);
    assert.equal(
      (xs.authenticator as client.XMPPAuthenticator).jid.full(),
      "juliet@example.com/balcony-42",
    );
    assert.equal(sent(), "");
  });

  it("refuses PLAIN without TLS and fails when no mechanism is acceptable", async () => {
    const { feed, failures } = setup({ requireTLS: false });
    feed(
      HEADER + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
        "<mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    );
    await settle();
    assert.ok(failures[0]?.value instanceof sasl.SASLNoAcceptableMechanism);
  });

  it("uses PLAIN over TLS, and reports the server's <failure/> condition", async () => {
    const { feed, sent, transport, failures } = setup({ requireTLS: false });
    transport.secure = true;
    sent();
    feed(
      HEADER + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
        "<mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    );
    await settle();
    assert.equal(
      sent(),
      `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${
        b64("\0juliet\0secret")
      }</auth>`,
    );
    feed("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
    await settle();
    assert.equal((failures[0].value as sasl.SASLAuthError).condition, "not-authorized");
  });

  it("fails when STARTTLS is required and not offered, or refused", async () => {
    const a = setup();
    a.feed(HEADER + "<stream:features/>");
    await settle();
    assert.ok(a.failures[0]?.value instanceof xmlstream.FeatureNotAdvertized);
    const b = setup();
    b.feed(
      HEADER + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" +
        "</stream:features>",
    );
    await settle();
    b.feed("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await settle();
    assert.ok(b.failures[0]?.value instanceof xmlstream.TLSFailed);
  });

  it("reads a stream error from the server and closes", () => {
    const { feed, failures, transport } = setup();
    feed(
      HEADER + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
        "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>nope</text></stream:error>",
    );
    const e = failures[0].value as error.StreamError;
    assert.ok(e instanceof error.StreamError);
    assert.equal(e.condition, "host-unknown");
    assert.equal(e.text, "nope");
    assert.equal(transport.disconnecting, true);
  });

  it("answers bad XML with a stream error naming the condition, then closes", () => {
    for (
      const [input, condition] of [
        ["<!DOCTYPE x [<!ENTITY a 'b'>]>", "restricted-xml"],
        [HEADER + "<message><!-- x --></message>", "restricted-xml"],
        [HEADER + "<message></iq>", "not-well-formed"],
        [HEADER + "<a>".repeat(200), "policy-violation"],
      ]
    ) {
      const { feed, sent, failures, transport } = setup();
      sent();
      feed(input);
      assert.equal(transport.disconnecting, true, input);
      assert.equal(
        sent(),
        `<stream:error><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>` +
          `<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>${
            (failures[0].value as Error).message.replaceAll("<", "&lt;").replaceAll(">", "&gt;")
              .replaceAll("'", "&apos;")
          }</text></stream:error></stream:stream>`,
        input,
      );
      feed("<more/>"); // ignored after the error
    }
  });
});

describe("xmlstream.IQ", () => {
  function stream() {
    const xs = new xmlstream.XmlStream(new xmlstream.ConnectAuthenticator("example.com"));
    const transport = new StringTransport();
    xs.makeConnection(transport);
    xs.dataReceived(enc.encode(HEADER));
    transport.clear();
    return { xs, transport };
  }

  it("fires with the result, fails with a StanzaError on an error", async () => {
    const { xs, transport } = stream();
    const iq = new xmlstream.IQ(xs, "get");
    iq.addElement(["jabber:iq:version", "query"]);
    const d = iq.send("example.com");
    const id = iq.getAttribute("id")!;
    assert.equal(
      transport.valueText(),
      `<iq id='${id}' type='get' to='example.com'><query xmlns='jabber:iq:version'/></iq>`,
    );
    xs.dataReceived(enc.encode(
      `<iq type='result' id='${id}'><query xmlns='jabber:iq:version'>` +
        "<name>x</name></query></iq>",
    ));
    const result = (await d) as domish.Element;
    assert.equal(String(result.child("query")!.child("name")), "x");
    const iq2 = new xmlstream.IQ(xs, "get");
    const d2 = iq2.send();
    xs.dataReceived(enc.encode(
      `<iq type='error' id='${iq2.getAttribute("id")}'>` +
        "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    ));
    await assert.rejects(
      Promise.resolve(d2),
      (e: unknown) => e instanceof error.StanzaError && e.condition === "item-not-found",
    );
  });

  it("times out on the stream's clock, and fails pending requests when the connection goes", async () => {
    const { xs } = stream();
    const clock = new Clock();
    xs.clock = clock;
    const iq = new xmlstream.IQ(xs, "get");
    iq.timeout = 5;
    const d = iq.send();
    clock.advance(5);
    await assert.rejects(Promise.resolve(d), xmlstream.TimeoutError);
    assert.equal(clock.getDelayedCalls().length, 0);
    const d2 = new xmlstream.IQ(xs).send();
    const { ConnectionLost } = await import("../../../src/internet/error.ts");
    const { Failure: F } = await import("../../../src/internet/failure.ts");
    xs.connectionLost(new F(new ConnectionLost()));
    await assert.rejects(Promise.resolve(d2), ConnectionLost);
  });

  it("toResponse swaps the addresses", () => {
    const { xs } = stream();
    const iq = new xmlstream.IQ(xs, "get");
    iq.setAttribute("from", "a@b/c");
    iq.setAttribute("to", "d");
    assert.equal(
      xmlstream.toResponse(iq, "result").toXml(),
      `<iq to='a@b/c' from='d' id='${iq.getAttribute("id")}' type='result'/>`,
    );
  });
});

describe("xmlstream.StreamManager", () => {
  it("queues sends until the stream is initialized and tells handlers", async () => {
    const factory = new xmlstream.XmlStreamFactory(
      new xmlstream.ConnectAuthenticator("example.com"),
    );
    factory.stopTrying();
    const manager = new xmlstream.StreamManager(factory);
    const seen: string[] = [];
    class H extends xmlstream.XMPPHandler {
      override connectionMade() {
        seen.push("made");
      }
      override connectionInitialized() {
        seen.push("initialized");
      }
      override connectionLost(reason: Failure) {
        super.connectionLost(reason);
        seen.push("lost");
      }
    }
    new H().setHandlerParent(manager);
    manager.send("<presence/>");
    const xs = factory.buildProtocol(null as never);
    const transport = new StringTransport();
    xs.makeConnection(transport);
    transport.clear();
    xs.dataReceived(enc.encode(HEADER + "<stream:features/>"));
    await settle();
    assert.equal(transport.valueText(), "<presence/>");
    const { ConnectionDone } = await import("../../../src/internet/error.ts");
    const { Failure: F } = await import("../../../src/internet/failure.ts");
    xs.connectionLost(new F(new ConnectionDone()));
    assert.deepEqual(seen, ["made", "initialized", "lost"]);
  });
});
