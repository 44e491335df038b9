// WebSocket permessage-deflate (RFC 7692): the negotiation of section 7 both
// ways (with properties over any header text and any options), and our
// client with our server over iosim: what both asked is in force, messages
// round-trip compressed, and a property: any messages round-trip with either
// context mode and any fragmentation.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import "../../mod.ts"; // installs the reactor, whose runtime compresses
import { Clock } from "../../src/internet/task.ts";
import { connectedServerAndClient, flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";
import {
  type ConnectionResponse,
  Site,
  WebSocketClientFactory,
  WebSocketClientProtocol,
  WebSocketHandshakeError,
  WebSocketResource,
  WebSocketServerFactory,
} from "../../src/web/mod.ts";
import {
  clientAccept,
  clientOffer,
  type ExtensionOffer,
  parseExtensions,
  type PerMessageDeflateOptions,
  serverAccept,
} from "../../src/web/_websocket_deflate.ts";
import { OP_TEXT } from "../../src/web/_websocket_frame.ts";
import { closeCode, Echo, openConn, Recorder, td, te } from "./_websocket_helpers.ts";
import { deflateConn, end, PeerDeflate, sendRaw, until } from "./_websocket_deflate_helpers.ts";

trackLeaks({ beforeEach, afterEach });

const offersOf = (value: string): ExtensionOffer[] => parseExtensions([value])!;

// ---- negotiation ---------------------------------------------------------------------

describe("permessage-deflate negotiation (RFC 7692 section 7)", () => {
  it("parses extension lists with parameters, quoted values and several offers", () => {
    assert.deepEqual(
      parseExtensions([
        'permessage-deflate; client_max_window_bits="10"; server_no_context_takeover, foo',
        "x-webkit-deflate-frame",
      ]),
      [
        {
          name: "permessage-deflate",
          params: [["client_max_window_bits", "10"], ["server_no_context_takeover", null]],
        },
        { name: "foo", params: [] },
        { name: "x-webkit-deflate-frame", params: [] },
      ],
    );
    for (const bad of ["; a", "a;", 'a; b="1', "a b", "a; =1", "a; b=c d"]) {
      assert.equal(parseExtensions([bad]), null, bad);
    }
  });

  const matrix: [string, PerMessageDeflateOptions, string | null][] = [
    ["permessage-deflate", {}, "permessage-deflate"],
    [
      "permessage-deflate; client_max_window_bits",
      {},
      "permessage-deflate",
    ],
    [
      "permessage-deflate; client_max_window_bits",
      { clientMaxWindowBits: 10 },
      "permessage-deflate; client_max_window_bits=10",
    ],
    [
      "permessage-deflate; client_max_window_bits=12",
      { clientMaxWindowBits: 14 },
      "permessage-deflate; client_max_window_bits=12",
    ],
    // The server cannot limit a client that did not say it can limit itself.
    ["permessage-deflate", { clientMaxWindowBits: 9 }, "permessage-deflate"],
    [
      "permessage-deflate; server_max_window_bits=9",
      {},
      "permessage-deflate; server_max_window_bits=9",
    ],
    [
      "permessage-deflate; server_max_window_bits=12",
      { serverMaxWindowBits: 10 },
      "permessage-deflate; server_max_window_bits=10",
    ],
    [
      "permessage-deflate",
      { serverMaxWindowBits: 11 },
      "permessage-deflate; server_max_window_bits=11",
    ],
    [
      "permessage-deflate; server_no_context_takeover",
      {},
      "permessage-deflate; server_no_context_takeover",
    ],
    [
      "permessage-deflate",
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    ],
    [
      "permessage-deflate; client_no_context_takeover",
      {},
      "permessage-deflate; client_no_context_takeover",
    ],
    // Bad offers are declined; the next acceptable one is taken.
    ["permessage-deflate; server_max_window_bits=16", {}, null],
    ["permessage-deflate; server_max_window_bits=7", {}, null],
    ["permessage-deflate; server_max_window_bits=010", {}, null],
    ["permessage-deflate; server_max_window_bits", {}, null],
    ["permessage-deflate; client_max_window_bits=0", {}, null],
    ["permessage-deflate; server_no_context_takeover=1", {}, null],
    ["permessage-deflate; server_no_context_takeover; server_no_context_takeover", {}, null],
    ["permessage-deflate; client_max_window_bits; client_max_window_bits=9", {}, null],
    ["permessage-deflate; mystery", {}, null],
    [
      "permessage-deflate; mystery, permessage-deflate; server_max_window_bits=10",
      {},
      "permessage-deflate; server_max_window_bits=10",
    ],
    ["x-webkit-deflate-frame, permessage-deflate", {}, "permessage-deflate"],
    ["x-webkit-deflate-frame", {}, null],
  ];
  for (const [offer, options, response] of matrix) {
    it(`answers "${offer}" with ${JSON.stringify(options)}: ${response ?? "declined"}`, () => {
      assert.equal(serverAccept(offersOf(offer), options)?.response ?? null, response);
    });
  }

  it("makes the client's offer from its options", () => {
    assert.equal(clientOffer({}), "permessage-deflate; client_max_window_bits");
    assert.equal(
      clientOffer({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 9,
      }),
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; " +
        "server_max_window_bits=10; client_max_window_bits=9",
    );
  });

  it("takes the server's answer, and fails on one the RFC says to fail on", () => {
    assert.equal(clientAccept([], {}), null);
    assert.deepEqual(clientAccept(["permessage-deflate; server_max_window_bits=10"], {}), {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 15,
    });
    assert.deepEqual(
      clientAccept(["permessage-deflate; client_max_window_bits=9"], {
        clientNoContextTakeover: true,
      }),
      {
        serverNoContextTakeover: false,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 15,
        clientMaxWindowBits: 9,
      },
    );
    const fails: [string, PerMessageDeflateOptions][] = [
      ["permessage-deflate; mystery", {}],
      ["permessage-deflate; client_max_window_bits", {}],
      ["permessage-deflate; server_max_window_bits=10; server_max_window_bits=10", {}],
      ["permessage-deflate; server_max_window_bits=16", {}],
      ["permessage-deflate, permessage-deflate", {}],
      ["x-webkit-deflate-frame", {}],
      ["permessage-deflate", { serverNoContextTakeover: true }],
      ["permessage-deflate", { serverMaxWindowBits: 10 }],
      ["permessage-deflate; server_max_window_bits=12", { serverMaxWindowBits: 10 }],
      ["permessage-deflate; client_max_window_bits=12", { clientMaxWindowBits: 10 }],
      ["permessage-deflate; a=", {}],
    ];
    for (const [answer, options] of fails) {
      assert.throws(() => clientAccept([answer], options), Error, answer);
    }
  });

  it("never throws on any header text: offers are parsed or refused, answers taken or failed (property)", () => {
    const piece = fc.constantFrom(
      "permessage-deflate",
      "x-webkit-deflate-frame",
      "server_no_context_takeover",
      "client_no_context_takeover",
      "server_max_window_bits",
      "client_max_window_bits",
      "=",
      "10",
      "8",
      "16",
      "0",
      '"9"',
      '"',
      ";",
      ",",
      " ",
      "\\",
    );
    const header = fc.oneof(
      fc.array(piece, { maxLength: 14 }).map((p) => p.join("")),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(header, fc.boolean(), fc.boolean(), (value, reset, small) => {
        const options: PerMessageDeflateOptions = small
          ? { serverMaxWindowBits: 10, clientMaxWindowBits: 9, serverNoContextTakeover: reset }
          : { serverNoContextTakeover: reset };
        const offers = parseExtensions([value]);
        if (offers !== null) {
          const accepted = serverAccept(offers, options);
          if (accepted !== null) {
            const p = accepted.params;
            assert.ok(p.serverMaxWindowBits >= 8 && p.serverMaxWindowBits <= 15);
            assert.ok(p.clientMaxWindowBits >= 8 && p.clientMaxWindowBits <= 15);
            if (small) assert.ok(p.serverMaxWindowBits <= 10);
            // Our own client takes whatever our server answers to our own offer.
            if (value === clientOffer(options)) clientAccept([accepted.response], options);
          }
        }
        let params = null;
        try {
          params = clientAccept([value], options);
        } catch (e) {
          assert.ok(e instanceof Error);
        }
        if (params !== null) {
          assert.ok(params.serverMaxWindowBits <= (small ? 10 : 15));
          assert.ok(params.clientMaxWindowBits <= (small ? 9 : 15));
          if (reset) assert.equal(params.serverNoContextTakeover, true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("negotiates between our own client's offer and our own server for any options (property)", () => {
    const bits = fc.option(fc.integer({ min: 8, max: 15 }), { nil: undefined });
    const opts = fc.record({
      serverNoContextTakeover: fc.boolean(),
      clientNoContextTakeover: fc.boolean(),
      serverMaxWindowBits: bits,
      clientMaxWindowBits: bits,
    });
    fc.assert(
      fc.property(opts, opts, (client, server) => {
        const accepted = serverAccept(offersOf(clientOffer(client)), server)!;
        assert.ok(accepted !== null);
        const params = clientAccept([accepted.response], client)!;
        assert.deepEqual(params, accepted.params);
        const least = (a?: number, b?: number) => Math.min(a ?? 15, b ?? 15);
        assert.equal(
          params.serverMaxWindowBits,
          least(client.serverMaxWindowBits, server.serverMaxWindowBits),
        );
        assert.equal(
          params.clientMaxWindowBits,
          least(client.clientMaxWindowBits, server.clientMaxWindowBits),
        );
        assert.equal(
          params.serverNoContextTakeover,
          client.serverNoContextTakeover || server.serverNoContextTakeover,
        );
      }),
      { numRuns: 500 },
    );
  });

  it("refuses window bits outside 8-15 and a negative threshold in the options", () => {
    assert.throws(
      () => new WebSocketServerFactory(Echo, { perMessageDeflate: { serverMaxWindowBits: 16 } }),
      RangeError,
    );
    assert.throws(
      () =>
        new WebSocketClientFactory("ws://h/", null, {
          perMessageDeflate: { clientMaxWindowBits: 7 },
        }),
      RangeError,
    );
    assert.throws(
      () => new WebSocketServerFactory(Echo, { perMessageDeflate: { threshold: -1 } }),
      RangeError,
    );
  });

  it("is off by default: the server ignores offers and RSV1 stays a protocol error", async () => {
    const c = openConn(Echo, {}, { "Sec-WebSocket-Extensions": "permessage-deflate" });
    assert.equal(c.head.headers.has("sec-websocket-extensions"), false);
    assert.equal(c.protocol.perMessageDeflate, null);
    sendRaw(c, OP_TEXT, await new PeerDeflate().compress(te.encode("hi")), true, true);
    assert.equal(closeCode(c.frames()[0]), 1002);
    end(c);
  });

  it("declines a bad offer at the handshake and speaks uncompressed", () => {
    const c = deflateConn({}, "permessage-deflate; server_max_window_bits=99");
    assert.equal(c.head.headers.has("sec-websocket-extensions"), false);
    c.send(OP_TEXT, "plain");
    assert.deepEqual(c.protocol.messages, [["plain", false]]);
    end(c);
  });
});

// ---- client and server over iosim -------------------------------------------------------

class Client extends WebSocketClientProtocol {
  static last: Client | null = null;
  messages: (string | Uint8Array)[] = [];
  responses: ConnectionResponse[] = [];
  closes: [boolean, number, string][] = [];
  constructor() {
    super();
    Client.last = this;
  }
  override onConnect(response: ConnectionResponse): void {
    this.responses.push(response);
  }
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    this.messages.push(isBinary ? payload.slice() : td.decode(payload));
  }
  override onClose(wasClean: boolean, code: number, reason: string): void {
    this.closes.push([wasClean, code, reason]);
  }
}

function pair(server: PerMessageDeflateOptions | false, client: PerMessageDeflateOptions | false) {
  const clock = new Clock();
  Recorder.instances = [];
  const sfactory = new WebSocketServerFactory(Echo, { clock, perMessageDeflate: server });
  const site = new Site(new WebSocketResource(sfactory), { clock });
  const cfactory = new WebSocketClientFactory("ws://127.0.0.1/", Client, {
    clock,
    perMessageDeflate: client,
  });
  const [c, , pump] = connectedServerAndClient<Client>(site, cfactory, { clock });
  return { client: c, server: Recorder.instances.at(-1)!, pump };
}

describe("permessage-deflate between our client and our server", () => {
  it("negotiates what both sides asked, and echoes messages compressed both ways", async () => {
    const { client, server, pump } = pair(
      { clientMaxWindowBits: 11, threshold: 0 },
      { serverNoContextTakeover: true, serverMaxWindowBits: 12, threshold: 0 },
    );
    assert.deepEqual(client.responses[0].extensions, [
      "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11",
    ]);
    const want = {
      serverNoContextTakeover: true,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 12,
      clientMaxWindowBits: 11,
    };
    assert.deepEqual(client.perMessageDeflate, want);
    assert.deepEqual(server.perMessageDeflate, want);
    const big = new Uint8Array(200_000);
    for (let at = 0; at < big.length; at += 65536) {
      crypto.getRandomValues(big.subarray(at, at + 65536));
    }
    client.sendMessage("hello");
    client.sendMessage(big, true);
    client.sendMessage("");
    await until(() => client.messages.length === 3, () => pump.flush());
    assert.deepEqual(client.messages, ["hello", big, ""]);
    client.sendClose(1000);
    await until(() => client.closes.length === 1, () => pump.flush());
    assert.deepEqual(client.closes, [[true, 1000, ""]]);
  });

  it("speaks uncompressed when only one side enables it", () => {
    for (const [s, c] of [[{}, false], [false, {}]] as const) {
      const { client, server, pump } = pair(s, c);
      assert.equal(client.perMessageDeflate, null);
      assert.equal(server.perMessageDeflate, null);
      client.sendMessage("x".repeat(5000));
      pump.flush();
      assert.equal(client.messages.length, 1);
      client.sendClose(1000);
      pump.flush();
    }
  });

  it("fails the client's connection when the server answers an extension it did not offer", () => {
    class Bad extends Echo {
      override onConnect() {
        return { headers: { "Sec-WebSocket-Extensions": "permessage-deflate; mystery" } };
      }
    }
    for (const offer of [false, {}] as const) {
      const clock = new Clock();
      const site = new Site(new WebSocketResource(new WebSocketServerFactory(Bad, { clock })), {
        clock,
      });
      const cfactory = new WebSocketClientFactory("ws://h/", Client, {
        clock,
        perMessageDeflate: offer,
      });
      const [c, , pump] = connectedServerAndClient<Client>(site, cfactory, { clock });
      let error: unknown = null;
      c.whenOpen().addErrback((f) => (error = f.value));
      pump.flush();
      assert.ok(error instanceof WebSocketHandshakeError, String(error));
      assert.match((error as Error).message, offer ? /bad parameter/ : /not offered/);
    }
  });

  it("round-trips any messages with either context mode (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 300 }),
            fc.uint8Array({ maxLength: 3000 }),
            fc.constantFrom("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ""),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(0, 7, 100),
        async (messages, serverReset, clientReset, fragmentSize) => {
          const { client, pump } = pair(
            { threshold: 0, serverNoContextTakeover: serverReset },
            { threshold: 0, clientNoContextTakeover: clientReset },
          );
          client.setProtocolOptions({ fragmentSize });
          for (const m of messages) client.sendMessage(m, typeof m !== "string");
          await until(() => client.messages.length === messages.length, () => pump.flush());
          assert.deepEqual(client.messages, messages);
          client.sendClose(1000);
          await until(() => client.closes.length === 1, () => pump.flush());
        },
      ),
      { numRuns: 25 },
    );
    flushLoggedErrors();
  });
});
