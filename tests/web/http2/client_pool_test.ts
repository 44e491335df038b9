/**
 * Agent and HTTPConnectionPool over HTTP/2 on the in-memory network (its
 * pretend TLS picks the first ALPN name offered, so h2 is driven
 * explicitly): one connection per origin for concurrent requests, requests
 * waiting for the first connection's ALPN answer, GOAWAY retried on a new
 * connection, cancel resetting one stream, idle connections closed by
 * closeCachedConnections, and `http2: false` staying on HTTP/1.1.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tcp from "../../../src/internet/tcp.ts";
import { MemoryNetwork } from "../../../src/internet/memory_socket.ts";
import { Clock } from "../../../src/internet/task.ts";
import type { Deferred } from "../../../src/internet/defer.ts";
import { Protocol } from "../../../src/internet/protocol.ts";
import type {
  ConnectTCPOptions,
  ConnectUNIXOptions,
  IConnector,
  IListeningPort,
  IProtocol,
  IProtocolFactory,
  IReactorNetwork,
  ListenTCPOptions,
  ListenUNIXOptions,
} from "../../../src/internet/interfaces.ts";
import type { TlsOptions } from "../../../src/internet/socket.ts";
import type { Address } from "../../../src/internet/address.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { TCP4ClientEndpoint } from "../../../src/internet/endpoints.ts";
import { NOT_DONE_YET, Resource } from "../../../src/web/resource.ts";
import { type Request, Site, type SiteOptions } from "../../../src/web/server.ts";
import {
  Agent,
  HTTPConnectionPool,
  type IAgentEndpointFactory,
  readBody,
  type Response,
  ResponseNeverReceived,
} from "../../../src/web/mod.ts";
import {
  dataFrame,
  ErrorCode,
  FrameReader,
  FrameType,
  goawayFrame,
  headersFrames,
  PREFACE,
  settingsFrame,
} from "../../../src/web/http2/_frames.ts";
import { HpackEncoder } from "../../../src/web/http2/_hpack.ts";

trackLeaks({ beforeEach, afterEach });

class MemoryReactor extends Clock implements IReactorNetwork {
  readonly runtime: MemoryNetwork = new MemoryNetwork();
  listenTCP(port: number, f: IProtocolFactory, o?: ListenTCPOptions): IListeningPort {
    return tcp.listenTCP(this.runtime, port, f, o);
  }
  connectTCP(host: string, port: number, f: IProtocolFactory, o?: ConnectTCPOptions): IConnector {
    return tcp.connectTCP(this.runtime, this, host, port, f, o);
  }
  listenSSL(port: number, f: IProtocolFactory, tls: TlsOptions, o?: ListenTCPOptions) {
    return tcp.listenSSL(this.runtime, port, f, tls, o);
  }
  connectSSL(
    host: string,
    port: number,
    f: IProtocolFactory,
    tls: TlsOptions,
    o?: ConnectTCPOptions,
  ): IConnector {
    return tcp.connectSSL(this.runtime, this, host, port, f, tls, o);
  }
  listenUNIX(address: string, f: IProtocolFactory, o?: ListenUNIXOptions): IListeningPort {
    return tcp.listenUNIX(this.runtime, address, f, o);
  }
  connectUNIX(address: string, f: IProtocolFactory, o?: ConnectUNIXOptions): IConnector {
    return tcp.connectUNIX(this.runtime, this, address, f, o);
  }
  resolve(name: string): Deferred<string[]> {
    return tcp.resolve(this.runtime, name);
  }
}

class App extends Resource {
  override isLeaf = true;
  waiting: Request[] = [];
  render_GET(request: Request): string | typeof NOT_DONE_YET {
    if (request.path === "/wait") {
      this.waiting.push(request);
      return NOT_DONE_YET;
    }
    return `${request.clientproto} ${request.path}`;
  }
}

const dec = new TextDecoder();

/**
 * Endpoints over the memory network whose connections say ALPN chose h2
 * (the memory network's connectSSL carries no TLS).
 */
function h2Endpoints(reactor: MemoryReactor, alpn: string | null = "h2"): IAgentEndpointFactory {
  return {
    endpointForURI: (uri) => {
      const tcpEndpoint = new TCP4ClientEndpoint(reactor, uri.host, uri.port);
      return {
        connect: (factory: IProtocolFactory) =>
          tcpEndpoint.connect({
            doStart: () => factory.doStart(),
            doStop: () => factory.doStop(),
            buildProtocol: (addr: Address) => {
              const p = factory.buildProtocol(addr)!;
              const made = p.makeConnection.bind(p);
              p.makeConnection = (t) => {
                Object.defineProperty(t, "negotiatedProtocol", { value: alpn, configurable: true });
                made(t);
              };
              return p;
            },
          }),
      };
    },
  };
}

/** A factory counting the connections it serves. */
function counting(factory: IProtocolFactory): IProtocolFactory & { count: number } {
  const f = {
    count: 0,
    doStart: () => factory.doStart(),
    doStop: () => factory.doStop(),
    buildProtocol: (addr: Address): IProtocol | null => {
      f.count++;
      return factory.buildProtocol(addr);
    },
    acceptableProtocols: () => ["h2", "http/1.1"],
  };
  return f;
}

async function setup(options: SiteOptions = {}) {
  const reactor = new MemoryReactor();
  const app = new App();
  const site = new Site(app, { clock: reactor, ...options });
  const factory = counting(site);
  const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
  await port.whenListening!();
  const base = `https://127.0.0.1:${(port.getHost() as { port: number }).port}`;
  const pool = new HTTPConnectionPool(reactor);
  const close = async () => {
    await pool.closeCachedConnections();
    await site.shutdown();
    await port.stopListening();
  };
  return { reactor, app, site, factory, port, base, pool, close };
}

describe("Agent and HTTPConnectionPool over HTTP/2 (memory network)", () => {
  it("multiplexes concurrent requests on one connection per origin", async () => {
    const s = await setup();
    try {
      const agent = new Agent(s.reactor, {
        pool: s.pool,
        endpointFactory: h2Endpoints(s.reactor),
        http2: true,
      });
      const ds = Array.from(
        { length: 25 },
        (_, i) =>
          agent.request("GET", `${s.base}/r${i}`).addCallback((r: Response) => {
            assert.deepEqual(r.version, ["HTTP", 2, 0]);
            return readBody(r);
          }),
      );
      for (let i = 0; i < 25; i++) assert.equal(dec.decode(await ds[i]), `HTTP/2 /r${i}`);
      assert.equal(s.factory.count, 1, "one connection for all");
      assert.equal(s.pool.cachedConnectionCount(), 1);
      // Later requests reuse it.
      const again = await agent.request("GET", `${s.base}/again`);
      assert.equal(dec.decode(await readBody(again)), "HTTP/2 /again");
      assert.equal(s.factory.count, 1);
    } finally {
      await s.close();
    }
  });

  it("a non-persistent pool shares while busy and closes when idle", async () => {
    const s = await setup();
    try {
      const agent = new Agent(s.reactor, { endpointFactory: h2Endpoints(s.reactor), http2: true });
      const ds = [1, 2, 3].map((i) =>
        agent.request("GET", `${s.base}/n${i}`).addCallback((r: Response) => readBody(r))
      );
      for (const d of ds) await d;
      assert.equal(s.factory.count, 1);
    } finally {
      await s.close();
    }
  });

  it("cancelling a request resets its stream; the connection serves others", async () => {
    const s = await setup();
    try {
      const agent = new Agent(s.reactor, {
        pool: s.pool,
        endpointFactory: h2Endpoints(s.reactor),
        http2: true,
      });
      const waiting = agent.request("GET", `${s.base}/wait`);
      const first = await agent.request("GET", `${s.base}/x`);
      await readBody(first);
      // /wait went first on the connection: the server rendered it before /x.
      assert.equal(s.app.waiting.length, 1);
      let finished = false;
      s.app.waiting[0].notifyFinish().addErrback(() => {
        finished = true;
        return null;
      });
      waiting.cancel();
      await assert.rejects(Promise.resolve(waiting), ResponseNeverReceived);
      const r = await agent.request("GET", `${s.base}/y`);
      assert.equal(dec.decode(await readBody(r)), "HTTP/2 /y");
      assert.ok(finished, "the server saw RST_STREAM");
      assert.equal(s.factory.count, 1);
    } finally {
      await s.close();
    }
  });

  it("http2: false speaks HTTP/1.1", async () => {
    const s = await setup({ http2: false });
    try {
      const agent = new Agent(s.reactor, {
        pool: s.pool,
        endpointFactory: h2Endpoints(s.reactor, null),
      });
      const r = await agent.request("GET", `${s.base}/one`);
      assert.deepEqual(r.version, ["HTTP", 1, 1]);
      assert.equal(dec.decode(await readBody(r)), "HTTP/1.1 /one");
    } finally {
      await s.close();
    }
  });

  it("retries idempotent requests above a GOAWAY's last stream on a new connection", async () => {
    const reactor = new MemoryReactor();
    const site = new Site(new App(), { clock: reactor });
    let connections = 0;
    // The first connection answers stream 1 and sends GOAWAY(last 1); the next is our Site.
    class GoAwayServer extends Protocol {
      #reader = new FrameReader(1 << 20);
      #preface = false;
      #heads = 0;
      override dataReceived(data: Uint8Array): void {
        if (!this.#preface) {
          data = data.subarray(PREFACE.length);
          this.#preface = true;
          this.transport.write(settingsFrame([]));
        }
        this.#reader.push(data);
        for (let f = this.#reader.next(); f !== null; f = this.#reader.next()) {
          if (f.type !== FrameType.HEADERS) continue;
          if (++this.#heads < 3) continue;
          const enc = new HpackEncoder();
          this.transport.write(goawayFrame(1, ErrorCode.NO_ERROR));
          this.transport.write(headersFrames(1, enc.encode([[":status", "200"]]), false, 16384));
          this.transport.write(dataFrame(1, new TextEncoder().encode("first"), true));
        }
      }
    }
    const factory: IProtocolFactory = {
      doStart() {},
      doStop() {},
      buildProtocol: (addr: Address) =>
        ++connections === 1 ? new GoAwayServer() : site.buildProtocol(addr),
    };
    (factory as { acceptableProtocols?: () => string[] }).acceptableProtocols = () => ["h2"];
    const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    await port.whenListening!();
    const base = `https://127.0.0.1:${(port.getHost() as { port: number }).port}`;
    const pool = new HTTPConnectionPool(reactor);
    try {
      const agent = new Agent(reactor, {
        pool,
        endpointFactory: h2Endpoints(reactor),
        http2: true,
      });
      const ds = ["/a", "/b", "/c"].map((p) =>
        agent.request("GET", base + p).addCallback((r: Response) => readBody(r))
      );
      const bodies = [];
      for (const d of ds) bodies.push(dec.decode(await d));
      assert.deepEqual(bodies, ["first", "HTTP/2 /b", "HTTP/2 /c"]);
      assert.equal(connections, 2);
    } finally {
      await pool.closeCachedConnections();
      await site.shutdown();
      await port.stopListening();
    }
  });
});
