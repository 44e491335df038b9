/**
 * WebSocket over real sockets on loopback: our client and server end to end
 * (ws: and wss:), the runtime's built-in `WebSocket` against our server, and
 * our client against the runtime's native WebSocket server (`Deno.serve` with
 * `Deno.upgradeWebSocket`, `Bun.serve`), each guarded by runtime detection.
 */
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type IPv4Address, type Port, reactor } from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import {
  type ConnectionRequest,
  connectWS,
  Resource,
  Site,
  WebSocketClientFactory,
  WebSocketClientProtocol,
  WebSocketResource,
  WebSocketServerFactory,
  WebSocketServerProtocol,
} from "../../src/web/mod.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url), "utf8");

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const isDeno = typeof g.Deno?.serve === "function";
const isBun = typeof g.Bun?.serve === "function";

/** Waits, bounded, until `cond()` holds. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + 3) % 251;
  return out;
}

const serverCloses: [boolean, number, string][] = [];

class EchoServer extends WebSocketServerProtocol {
  override onConnect(request: ConnectionRequest): string | null {
    return request.protocols.includes("echo") ? "echo" : null;
  }
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    if (!isBinary && td.decode(payload) === "close-me") this.sendClose(4002, "bye");
    else this.sendMessage(payload, isBinary);
  }
  override onClose(wasClean: boolean, code: number, reason: string): void {
    serverCloses.push([wasClean, code, reason]);
  }
}

class Client extends WebSocketClientProtocol {
  messages: [Uint8Array, boolean][] = [];
  closes: [boolean, number, string][] = [];
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    this.messages.push([payload.slice(), isBinary]);
  }
  override onClose(wasClean: boolean, code: number, reason: string): void {
    this.closes.push([wasClean, code, reason]);
  }
}

/**
 * Sends CAP messages of 64 KiB as fast as flow control lets it: until
 * `sendMessage` returns false, then again at each `onDrain`; closes after the last.
 */
class Pusher extends WebSocketServerProtocol {
  static readonly CAP = 400;
  static last: Pusher | null = null;
  sent = 0;
  drains = 0;
  #chunk = pattern(65536);
  override onOpen(): void {
    Pusher.last = this;
  }
  override onMessage(): void {
    this.#push();
  }
  override onDrain(): void {
    this.drains++;
    this.#push();
  }
  #push(): void {
    while (this.sent < Pusher.CAP) {
      this.sent++;
      if (!this.sendMessage(this.#chunk, true)) return;
    }
    this.sendClose(1000);
  }
}

// A function, so that TypeScript does not narrow `Pusher.last` to null after the reset.
function currentPusher(): Pusher | null {
  return Pusher.last;
}

function site(): Site {
  const root = new Resource();
  root.putChild("push", new WebSocketResource(new WebSocketServerFactory(Pusher)));
  root.putChild(
    "ws",
    new WebSocketResource(new WebSocketServerFactory(EchoServer, { fragmentSize: 16384 })),
  );
  return new Site(root);
}

let port: Port;
let tlsPort: Port;
let portNumber = 0;
let tlsPortNumber = 0;

describe("WebSocket on loopback", () => {
  let plainSite: Site;
  before(async () => {
    plainSite = site();
    port = reactor.listenTCP(0, plainSite, { interface: "127.0.0.1" });
    await port.whenListening!();
    portNumber = (port.getHost() as IPv4Address).port;
    tlsPort = reactor.listenSSL(0, site(), {
      cert: fixture("server.pem"),
      key: fixture("server.key"),
    }, {
      interface: "127.0.0.1",
    });
    await tlsPort.whenListening!();
    tlsPortNumber = (tlsPort.getHost() as IPv4Address).port;
  });

  after(async () => {
    await port.stopListening();
    await tlsPort.stopListening();
  });

  trackLeaks({ beforeEach, afterEach });

  async function exchange(url: string, options = {}): Promise<void> {
    serverCloses.length = 0;
    const factory = new WebSocketClientFactory(url, Client, { protocols: ["echo"] });
    const client = await connectWS<Client>(factory, options).addTimeout(10, reactor);
    assert.equal(client.connectionResponse!.protocol, "echo");
    const big = pattern(300_000);
    client.sendMessage("hello ✓");
    client.sendMessage(big, true);
    await until(() => client.messages.length === 2);
    assert.equal(td.decode(client.messages[0][0]), "hello ✓");
    assert.equal(client.messages[0][1], false);
    assert.deepEqual(client.messages[1][0], big);
    client.sendClose(1000, "done");
    await until(() => client.closes.length === 1 && serverCloses.length === 1);
    assert.deepEqual(client.closes, [[true, 1000, ""]]);
    assert.deepEqual(serverCloses, [[true, 1000, "done"]]);
  }

  describe("WebSocket over real sockets", () => {
    it("our client and server exchange text and a large binary message, then close cleanly", async () => {
      await exchange(`ws://127.0.0.1:${portNumber}/ws`);
    });

    it("our client and server do the same over TLS (wss:)", async () => {
      await exchange(`wss://localhost:${tlsPortNumber}/ws`, { tls: { ca: fixture("ca.pem") } });
    });

    it("connectWS fails with the server's status for a path that is not a WebSocket", async () => {
      const factory = new WebSocketClientFactory(`ws://127.0.0.1:${portNumber}/nothing`, Client);
      await assert.rejects(
        Promise.resolve(connectWS(factory).addTimeout(10, reactor)),
        (e: Error) => e.name === "WebSocketHandshakeError" && /404/.test(e.message),
      );
      // The client dropped the connection: wait for the server to see it.
      await until(() => plainSite.channels.size === 0);
    });

    it("a paused reader pushes back on the writer through TCP, and the writer drains", async () => {
      Pusher.last = null;
      const factory = new WebSocketClientFactory(`ws://127.0.0.1:${portNumber}/push`, Client);
      const client = await connectWS<Client>(factory).addTimeout(10, reactor);
      client.pauseProducing();
      client.sendMessage("go");
      // Wait until the writer is stuck: its count stops moving for 200 ms.
      let last = -1;
      let still = 0;
      for (let i = 0; i < 100 && still < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = currentPusher()?.sent ?? 0;
        still = now > 0 && now === last ? still + 1 : 0;
        last = now;
      }
      const pusher = currentPusher()!;
      assert.ok(pusher.sent < Pusher.CAP, `the writer is held back (sent ${pusher.sent})`);
      assert.ok(pusher.bufferedAmount > pusher.highWaterMark, "it waits for a drain");
      assert.equal(client.messages.length, 0, "a paused client delivers nothing");
      client.resumeProducing();
      await until(() => client.closes.length === 1, 30_000);
      assert.ok(pusher.drains > 0);
      assert.equal(client.messages.length, Pusher.CAP);
      assert.deepEqual(client.messages[Pusher.CAP - 1][0], pattern(65536));
      assert.deepEqual(client.closes, [[true, 1000, ""]]);
      await until(() => plainSite.channels.size === 0);
    });

    it("connectWS fails when nothing listens", async () => {
      const closed = reactor.listenTCP(0, site(), { interface: "127.0.0.1" });
      await closed.whenListening!();
      const n = (closed.getHost() as IPv4Address).port;
      await closed.stopListening();
      const factory = new WebSocketClientFactory(`ws://127.0.0.1:${n}/ws`, Client);
      await assert.rejects(Promise.resolve(connectWS(factory).addTimeout(10, reactor)));
    });
  });

  describe("the runtime's built-in WebSocket against our server", {
    skip: typeof g.WebSocket !== "function",
  }, () => {
    function open(protocols: string[] = ["echo"]): Promise<{ ws: WebSocket; events: unknown[] }> {
      const ws: WebSocket = new g.WebSocket(`ws://127.0.0.1:${portNumber}/ws`, protocols);
      ws.binaryType = "arraybuffer";
      const events: unknown[] = [];
      ws.onmessage = (e: MessageEvent) => events.push(e.data);
      return new Promise((resolve, reject) => {
        ws.onopen = () => resolve({ ws, events });
        ws.onerror = () => reject(new Error("WebSocket error"));
      });
    }
    function closed(ws: WebSocket): Promise<CloseEvent> {
      return new Promise((resolve) =>
        ws.addEventListener("close", (e) => resolve(e as CloseEvent))
      );
    }

    it("echoes text and binary, and the client's close code reaches the server", async () => {
      serverCloses.length = 0;
      const { ws, events } = await open();
      assert.equal(ws.protocol, "echo");
      ws.send("héllo");
      const big = pattern(200_000);
      ws.send(big);
      await until(() => events.length === 2);
      assert.equal(events[0], "héllo");
      assert.deepEqual(new Uint8Array(events[1] as ArrayBuffer), big);
      const done = closed(ws);
      ws.close(4001, "finished");
      const event = await done;
      assert.equal(event.code, 4001);
      assert.equal(event.wasClean, true);
      await until(() => serverCloses.length === 1);
      assert.deepEqual(serverCloses, [[true, 4001, "finished"]]);
    });

    it("receives the server's close code and reason", async () => {
      serverCloses.length = 0;
      const { ws } = await open([]);
      assert.equal(ws.protocol, "");
      const done = closed(ws);
      ws.send("close-me");
      const event = await done;
      assert.equal(event.code, 4002);
      assert.equal(event.reason, "bye");
      assert.equal(event.wasClean, true);
      await until(() => serverCloses.length === 1);
      assert.equal(serverCloses[0][0], true);
    });
  });

  describe("our client against the runtime's native WebSocket server", () => {
    it("talks to Deno.serve with Deno.upgradeWebSocket", { skip: !isDeno }, async () => {
      const ac = new AbortController();
      const server = g.Deno.serve(
        { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
        (req: Request) => {
          const { socket, response } = g.Deno.upgradeWebSocket(req, { protocol: "echo" });
          socket.binaryType = "arraybuffer";
          socket.onmessage = (e: MessageEvent) => socket.send(e.data);
          return response;
        },
      );
      try {
        const factory = new WebSocketClientFactory(`ws://127.0.0.1:${server.addr.port}/`, Client, {
          protocols: ["echo"],
        });
        const client = await connectWS<Client>(factory).addTimeout(10, reactor);
        client.sendMessage("from tw");
        client.sendMessage(pattern(100_000), true);
        await until(() => client.messages.length === 2);
        assert.equal(td.decode(client.messages[0][0]), "from tw");
        assert.deepEqual(client.messages[1][0], pattern(100_000));
        client.sendClose(1000);
        await until(() => client.closes.length === 1);
        assert.equal(client.closes[0][0], true);
        assert.equal(client.closes[0][1], 1000);
      } finally {
        ac.abort();
        await server.finished;
      }
    });

    it("talks to Bun.serve's websocket handler", { skip: !isBun }, async () => {
      const server = g.Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch(req: Request, srv: { upgrade(r: Request): boolean }) {
          if (srv.upgrade(req)) return undefined;
          return new Response("no", { status: 400 });
        },
        websocket: {
          message(ws: { send(d: unknown): void; close(c: number, r: string): void }, msg: unknown) {
            if (msg === "close-me") ws.close(4003, "bun says bye");
            else ws.send(msg);
          },
        },
      });
      try {
        const factory = new WebSocketClientFactory(`ws://127.0.0.1:${server.port}/`, Client);
        const client = await connectWS<Client>(factory).addTimeout(10, reactor);
        client.sendMessage(te.encode("bytes"), true);
        client.sendMessage("text");
        await until(() => client.messages.length === 2);
        assert.deepEqual(client.messages.map(([p, b]) => [td.decode(p), b]), [["bytes", true], [
          "text",
          false,
        ]]);
        client.sendMessage("close-me");
        await until(() => client.closes.length === 1);
        assert.deepEqual(client.closes, [[true, 4003, "bun says bye"]]);
      } finally {
        server.stop(true);
      }
    });
  });
});
