// Stream protocols over WebSocket (autobahn's wrapping factories): in memory
// with the binary and base64 subprotocols, AMP carried end to end, and interop
// with autobahn itself both ways (Debian's python3-autobahn).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  ClientFactory,
  Deferred,
  Factory,
  type Failure,
  type IPv4Address,
  ProcessProtocol,
  Protocol,
  reactor,
} from "../../mod.ts";
import {
  connectWS,
  Site,
  WebSocketClientFactory,
  WebSocketClientProtocol,
  WebSocketResource,
  WrappingWebSocketClientFactory,
  WrappingWebSocketServerFactory,
} from "../../src/web/mod.ts";
import * as amp from "../../src/protocols/amp.ts";
import * as pb from "../../src/spread/pb.ts";
import { Clock, connectedServerAndClient, trackLeaks } from "../../src/testing/mod.ts";
import { exec } from "../cli/_program.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder(), dec = new TextDecoder();

class Upper extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(enc.encode(dec.decode(data).toUpperCase()));
  }
}

class Collect extends Protocol {
  static last: Collect | null = null;
  got = "";
  lost: Failure | null = null;
  override connectionMade(): void {
    Collect.last = this;
  }
  override dataReceived(data: Uint8Array): void {
    this.got += dec.decode(data);
  }
  override connectionLost(reason: Failure): void {
    this.lost = reason;
  }
}

function site(factory: WrappingWebSocketServerFactory, clock: Clock): Site {
  return new Site(new WebSocketResource(factory), { clock });
}

describe("Wrapping WebSocket factories in memory", () => {
  it("carry a stream protocol over binary messages, and close it when the socket closes", () => {
    const clock = new Clock();
    const server = new WrappingWebSocketServerFactory(Factory.forProtocol(Upper), { clock });
    const client = new WrappingWebSocketClientFactory(
      ClientFactory.forProtocol(Collect),
      "ws://127.0.0.1/ws",
      { clock },
    );
    const [, , pump] = connectedServerAndClient(site(server, clock), client, { clock });
    const inner = Collect.last!;
    inner.transport.write(enc.encode("hello "));
    inner.transport.write(enc.encode("world"));
    pump.flush();
    assert.equal(inner.got, "HELLO WORLD");
    inner.transport.loseConnection();
    pump.flush();
    assert.equal(inner.lost?.value.name, "ConnectionDone");
  });

  it("speaks base64 in text messages when the client asks for it", () => {
    const clock = new Clock();
    const server = new WrappingWebSocketServerFactory(Factory.forProtocol(Upper), { clock });
    const seen: [string, boolean][] = [];
    class Raw extends WebSocketClientProtocol {
      closes: [boolean, number, string][] = [];
      override onClose(wasClean: boolean, code: number, reason: string): void {
        this.closes.push([wasClean, code, reason]);
      }
      override onOpen(): void {
        this.sendMessage(btoa("abc"), false);
      }
      override onMessage(payload: Uint8Array, isBinary: boolean): void {
        seen.push([dec.decode(payload), isBinary]);
      }
    }
    const client = new WebSocketClientFactory("ws://127.0.0.1/ws", Raw, {
      clock,
      protocols: ["base64"],
    });
    const [raw, , pump] = connectedServerAndClient<Raw>(site(server, clock), client, { clock });
    pump.flush();
    assert.deepEqual(seen, [[btoa("ABC"), false]]);
    assert.equal(raw.connectionResponse?.protocol, "base64");
    raw.sendMessage(Uint8Array.of(1), true); // a binary message on a base64 connection
    pump.flush();
    assert.equal(raw.closes.at(-1)?.[1], 1003, "failed with 1003 (unsupported data)");
  });

  it("refuses a client that offers neither subprotocol (406)", async () => {
    const clock = new Clock();
    const server = new WrappingWebSocketServerFactory(Factory.forProtocol(Upper), { clock });
    const client = new WebSocketClientFactory("ws://127.0.0.1/ws", WebSocketClientProtocol, {
      clock,
      protocols: ["chat"],
    });
    const [raw, , pump] = connectedServerAndClient<WebSocketClientProtocol>(
      site(server, clock),
      client,
      {
        clock,
      },
    );
    pump.flush();
    await assert.rejects(Promise.resolve(raw.whenOpen()), /406/);
  });

  it("carries AMP calls", async () => {
    class Sum extends amp.Command {
      static override arguments = { a: new amp.Integer(), b: new amp.Integer() };
      static override response = { total: new amp.Integer() };
    }
    class Adder extends amp.CommandLocator {}
    Sum.responder(Adder, ({ a, b }) => ({ total: a + b }));
    const clock = new Clock();
    const server = new WrappingWebSocketServerFactory(
      Factory.forProtocol(
        class extends amp.AMP {
          constructor() {
            super({ locator: new Adder() });
          }
        },
      ),
      { clock },
    );
    let caller: amp.AMP | null = null;
    const client = new WrappingWebSocketClientFactory(
      ClientFactory.forProtocol(
        class extends amp.AMP {
          override connectionMade(): void {
            super.connectionMade();
            caller = this;
          }
        },
      ),
      "ws://127.0.0.1/amp",
      { clock },
    );
    const [, , pump] = connectedServerAndClient(site(server, clock), client, { clock });
    const answer = caller!.callRemote(Sum, { a: 20, b: 22 });
    pump.flush();
    assert.equal((await answer).total, 42);
    caller!.transport.loseConnection();
    pump.flush();
  });

  it("carries Perspective Broker calls", async () => {
    class Adder extends pb.Root {
      remote_add(a: number, b: number): number {
        return a + b;
      }
    }
    const clock = new Clock();
    const server = new WrappingWebSocketServerFactory(new pb.PBServerFactory(new Adder()), {
      clock,
    });
    const pbClient = new pb.PBClientFactory();
    const client = new WrappingWebSocketClientFactory(pbClient, "ws://127.0.0.1/pb", { clock });
    const [, , pump] = connectedServerAndClient(site(server, clock), client, { clock });
    const root = pbClient.getRootObject();
    pump.flush();
    const answer = (await root).callRemote("add", 20, 22);
    pump.flush();
    assert.equal(await answer, 42);
    pbClient.disconnect();
    pump.flush();
  });
});

const PYTHON = "/usr/bin/python3";
const HAS_AUTOBAHN = await exec([PYTHON, "-c", "import autobahn.twisted.websocket"]).then(
  (r) => r.code === 0,
  () => false,
);
const SKIP = HAS_AUTOBAHN || process.env.CI === "true"
  ? false
  : "no autobahn: install Debian's python3-autobahn package";
const PEER = fileURLToPath(new URL("./peers/autobahn_wrapping.py", import.meta.url));

class Peer extends ProcessProtocol {
  out = "";
  port = new Deferred<number>();
  ended = new Deferred<void>();
  override outReceived(data: Uint8Array): void {
    this.out += dec.decode(data);
    const m = /READY (\d+)/.exec(this.out);
    if (m && !this.port.called) this.port.callback(Number(m[1]));
  }
  override errReceived(data: Uint8Array): void {
    this.out += dec.decode(data);
  }
  override processEnded(): void {
    if (!this.port.called) this.port.errback(new Error(`autobahn peer ended: ${this.out}`));
    this.ended.callback(undefined);
  }
}

describe("Wrapping WebSocket factories with autobahn", { timeout: 60_000 }, () => {
  it(
    "our client carries a stream protocol to autobahn's wrapping server",
    { skip: SKIP },
    async () => {
      const peer = new Peer();
      const transport = reactor.spawnProcess(peer, PYTHON, [PYTHON, PEER, "server"]);
      try {
        const port = await peer.port.addTimeout(20, reactor);
        const done = new Deferred<string>();
        class Ask extends Protocol {
          got = "";
          override connectionMade(): void {
            this.transport.write(enc.encode("ping"));
          }
          override dataReceived(data: Uint8Array): void {
            this.got += dec.decode(data);
            if (this.got.length >= 4) this.transport.loseConnection();
          }
          override connectionLost(): void {
            done.callback(this.got);
          }
        }
        const factory = new WrappingWebSocketClientFactory(
          ClientFactory.forProtocol(Ask),
          `ws://127.0.0.1:${port}/ws`,
        );
        await connectWS(factory, { reactor });
        assert.equal(await done.addTimeout(10, reactor), "PING");
      } finally {
        transport.signalProcess("TERM");
        await peer.ended.addTimeout(10, reactor).addErrback(() => transport.signalProcess("KILL"));
      }
    },
  );

  it(
    "autobahn's wrapping client carries a stream protocol to our server",
    { skip: SKIP },
    async () => {
      const factory = new WrappingWebSocketServerFactory(Factory.forProtocol(Upper));
      const listening = reactor.listenTCP(0, new Site(new WebSocketResource(factory)), {
        interface: "127.0.0.1",
      });
      await listening.whenListening();
      try {
        const { port } = listening.getHost() as IPv4Address;
        const run = await exec([PYTHON, PEER, "client", `ws://127.0.0.1:${port}/ws`]);
        assert.match(run.out, /GOT HELLO/, run.out + run.err);
      } finally {
        await listening.stopListening();
      }
    },
  );
});
