import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { StreamTransport } from "../../src/internet/_stream_transport.ts";
import { socketPair } from "../../src/internet/memory_socket.ts";
import { ConnectionDone, ConnectionLost } from "../../src/internet/error.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import type { Socket, TlsOptions } from "../../src/internet/socket.ts";
import type { IPullProducer, IPushProducer } from "../../src/internet/interfaces.ts";
import {
  abortAll,
  bytes,
  capturingLogger,
  concat,
  connect,
  HalfCloseRecorder,
  MODES,
  Recorder,
  settle,
  until,
} from "./_transport_helpers.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

for (const mode of MODES) {
  const pair = { fastPath: mode.fastPath };

  describe(`StreamTransport (${mode.name})`, () => {
    afterEach(abortAll);

    it("calls connectionMade once and delivers written bytes to the peer", async () => {
      const a = new Recorder();
      const b = new Recorder();
      const [ta] = connect(a, b, pair);
      assert.equal(a.made, 1);
      assert.equal(b.made, 1);
      assert.equal(a.transport, ta);
      ta.write(bytes("hello "));
      ta.writeSequence([bytes("wor"), bytes("ld")]);
      ta.write(new Uint8Array(0));
      await settle();
      assert.equal(b.received, "hello world");
      assert.deepEqual(b.lost, []);
    });

    it("write() refuses text with a TypeError", () => {
      const [ta] = connect(new Recorder(), new Recorder(), pair);
      assert.throws(() => ta.write("text" as unknown as Uint8Array), TypeError);
    });

    it("reports typed addresses from getPeer() and getHost()", () => {
      const [ta, tb] = connect(new Recorder(), new Recorder(), pair);
      const peer = ta.getPeer();
      assert.ok(peer instanceof IPv4Address);
      assert.equal(peer.type, "TCP");
      assert.equal(peer.port, 10002);
      assert.equal((tb.getHost() as IPv4Address).port, 10002);
    });

    it("loseConnection() flushes, then both sides get ConnectionDone exactly once", async () => {
      const a = new Recorder();
      const b = new Recorder();
      const [ta] = connect(a, b, { ...pair, bufferLimit: 16 });
      ta.write(new Uint8Array(1000).fill(7));
      ta.loseConnection();
      assert.equal(ta.disconnecting, true);
      ta.loseConnection();
      await until(() => a.lost.length > 0 && b.lost.length > 0);
      await settle();
      assert.equal(b.receivedBytes, 1000);
      assert.equal(a.lost.length, 1);
      assert.equal(b.lost.length, 1);
      assert.ok(a.lost[0].check(ConnectionDone));
      assert.ok(b.lost[0].check(ConnectionDone));
    });

    it("drops writes after the connection closed, silently", async () => {
      const a = new Recorder();
      const b = new Recorder();
      const [ta] = connect(a, b, pair);
      ta.loseConnection();
      await until(() => a.lost.length === 1);
      ta.write(bytes("late"));
      ta.loseConnection();
      ta.abortConnection();
      await settle();
      assert.equal(b.received, "");
      assert.equal(a.lost.length, 1);
      assert.equal(ta.disconnected, true);
    });

    it("abortConnection() gives ConnectionLost on both sides and discards pending data", async () => {
      const a = new Recorder();
      const b = new Recorder();
      const [ta] = connect(a, b, { ...pair, bufferLimit: 8 });
      b.transport.pauseProducing();
      await settle();
      ta.write(new Uint8Array(100));
      ta.abortConnection();
      await until(() => a.lost.length > 0 && b.lost.length > 0);
      await settle();
      assert.equal(a.lost.length, 1);
      assert.equal(b.lost.length, 1);
      assert.ok(a.lost[0].check(ConnectionLost));
      assert.ok(b.lost[0].check(ConnectionLost));
      assert.ok(b.receivedBytes < 100);
    });

    it("closes on the peer's EOF when the protocol is not half-closeable", async () => {
      const a = new HalfCloseRecorder();
      const b = new Recorder();
      const [ta] = connect(a, b, pair);
      ta.write(bytes("bye"));
      ta.loseWriteConnection();
      await until(() => b.lost.length > 0 && a.lost.length > 0);
      assert.equal(b.received, "bye");
      assert.ok(b.lost[0].check(ConnectionDone));
      assert.ok(a.lost[0].check(ConnectionDone));
      assert.equal(a.writeLost, 1);
      assert.equal(a.readLost, 1);
    });

    it("keeps a half-closeable protocol writable after the peer's EOF", async () => {
      const a = new HalfCloseRecorder();
      const b = new HalfCloseRecorder();
      const [ta, tb] = connect(a, b, pair);
      ta.write(bytes("question"));
      ta.loseWriteConnection();
      await until(() => b.readLost === 1);
      assert.equal(b.received, "question");
      assert.equal(b.lost.length, 0);
      tb.write(bytes("answer"));
      tb.loseConnection();
      await until(() => a.lost.length === 1 && b.lost.length === 1);
      assert.equal(a.received, "answer");
      assert.equal(a.writeLost, 1);
      assert.ok(a.lost[0].check(ConnectionDone));
      assert.ok(b.lost[0].check(ConnectionDone));
    });

    it("drops only the connection whose dataReceived throws, and logs the error", async () => {
      const { logger, events } = capturingLogger();
      class Exploding extends Recorder {
        override dataReceived(data: Uint8Array): void {
          super.dataReceived(data);
          throw new RangeError("boom");
        }
      }
      const bad = new Exploding();
      const badPeer = new Recorder();
      const good = new Recorder();
      const goodPeer = new Recorder();
      const [tBadPeer] = connect(badPeer, bad, pair, { logger });
      const [tGoodPeer, tGood] = connect(goodPeer, good, pair, { logger });
      tBadPeer.write(bytes("x"));
      tGoodPeer.write(bytes("y"));
      await until(() => bad.lost.length === 1 && badPeer.lost.length === 1);
      await settle();
      assert.ok(bad.lost[0].check(ConnectionLost));
      assert.ok(bad.lost[0].value.cause instanceof RangeError);
      assert.ok(badPeer.lost[0].check(ConnectionLost));
      assert.equal(events.length, 1);
      assert.equal(events[0].log_level, "critical");
      assert.ok(events[0].log_failure?.value instanceof RangeError);
      assert.equal(good.received, "y");
      assert.deepEqual(good.lost, []);
      tGood.write(bytes("still here"));
      await settle();
      assert.equal(goodPeer.received, "still here");
      tGood.loseConnection();
      await until(() => good.lost.length === 1);
    });

    it("drops the connection when connectionMade throws", async () => {
      const { logger, events } = capturingLogger();
      class Failing extends Recorder {
        override connectionMade(): void {
          super.connectionMade();
          throw new Error("no");
        }
      }
      const a = new Failing();
      const b = new Recorder();
      connect(a, b, pair, { logger });
      await until(() => a.lost.length === 1 && b.lost.length === 1);
      assert.ok(a.lost[0].check(ConnectionLost));
      assert.equal(events.length, 1);
    });

    it("pauseProducing() stops dataReceived until resumeProducing()", async () => {
      const a = new Recorder();
      const b = new Recorder();
      const [ta, tb] = connect(a, b, pair);
      tb.pauseProducing();
      await settle();
      ta.write(bytes("held"));
      await settle();
      assert.equal(b.received, "");
      tb.resumeProducing();
      await until(() => b.received === "held");
      ta.loseConnection();
      await until(() => b.lost.length === 1);
    });

    it("pauses a streaming producer inside write() past the high-water mark and resumes it on drain", async () => {
      const a = new Recorder();
      const b = new Recorder();
      const [ta, tb] = connect(a, b, { ...pair, bufferLimit: 1024 }, { bufferSize: 4096 });
      tb.pauseProducing(); // a slow reader: reads nothing for now
      await settle();
      const chunk = new Uint8Array(512).fill(1);
      const calls: string[] = [];
      let maxBuffered = 0;
      let written = 0;
      const total = 64 * 1024;
      let paused = false;
      const producer: IPushProducer = {
        pauseProducing: () => {
          calls.push("pause");
          paused = true;
        },
        resumeProducing: () => {
          calls.push("resume");
          paused = false;
          pump();
        },
        stopProducing: () => calls.push("stop"),
      };
      const pump = (): void => {
        while (!paused && written < total) {
          ta.write(chunk);
          written += chunk.byteLength;
          maxBuffered = Math.max(maxBuffered, ta.bufferedAmount);
        }
        if (written >= total) {
          ta.unregisterProducer();
          ta.loseConnection();
        }
      };
      ta.registerProducer(producer, true);
      pump();
      // Paused synchronously, before the write that crossed the mark returned.
      assert.deepEqual(calls, ["pause"]);
      assert.ok(written < total);
      await settle(5);
      // The reader still reads nothing: the writer stays paused and bounded.
      assert.deepEqual(calls, ["pause"]);
      assert.ok(ta.bufferedAmount <= 4096 + chunk.byteLength);
      tb.resumeProducing();
      await until(() => b.lost.length === 1, 2000);
      assert.equal(b.receivedBytes, total);
      assert.ok(calls.includes("resume"));
      assert.ok(maxBuffered <= 4096 + chunk.byteLength, `buffered up to ${maxBuffered}`);
      assert.ok(!calls.includes("stop"));
    });

    it("asks a pull producer for more each time the buffer drains", async () => {
      const a = new Recorder();
      const b = new Recorder();
      const [ta] = connect(a, b, { ...pair, bufferLimit: 100 });
      let n = 0;
      const producer: IPullProducer = {
        resumeProducing: () => {
          n++;
          ta.write(new Uint8Array(60).fill(n));
          if (n === 10) ta.unregisterProducer();
        },
        stopProducing: () => {},
      };
      ta.registerProducer(producer, false);
      assert.equal(n, 1);
      await until(() => b.receivedBytes === 600);
      assert.equal(n, 10);
      assert.deepEqual([...new Set(concat(b.chunks))], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it("closes after flushing with an active streaming producer, and stops it", async () => {
      const a = new Recorder();
      const b = new Recorder();
      const [ta] = connect(a, b, pair);
      const stopped: number[] = [];
      ta.registerProducer({
        pauseProducing() {},
        resumeProducing() {},
        stopProducing: () => stopped.push(1),
      }, true);
      ta.write(bytes("part"));
      ta.loseConnection();
      await until(() => a.lost.length === 1 && b.lost.length === 1);
      assert.equal(b.received, "part");
      assert.deepEqual(stopped, [1]);
    });

    it("waits for unregisterProducer() before closing with a pull producer registered", async () => {
      const a = new Recorder();
      const b = new Recorder();
      const [ta] = connect(a, b, pair);
      const stopped: number[] = [];
      ta.registerProducer({
        resumeProducing() {},
        stopProducing: () => stopped.push(1),
      }, false);
      ta.write(bytes("part"));
      ta.loseConnection();
      await settle();
      assert.deepEqual(a.lost, []);
      ta.write(bytes(" two"));
      ta.unregisterProducer();
      await until(() => a.lost.length === 1 && b.lost.length === 1);
      assert.equal(b.received, "part two");
      assert.deepEqual(stopped, []);
    });

    it("refuses a second producer and stops a producer registered after the loss", async () => {
      const a = new Recorder();
      const [ta] = connect(a, new Recorder(), pair);
      const p = { pauseProducing() {}, resumeProducing() {}, stopProducing() {} };
      ta.registerProducer(p, true);
      assert.throws(() => ta.registerProducer(p, true), /producer/);
      ta.abortConnection();
      await until(() => a.lost.length === 1);
      let stopped = 0;
      ta.registerProducer({ resumeProducing() {}, stopProducing: () => stopped++ }, false);
      assert.equal(stopped, 1);
    });

    it("stops a registered producer when the connection is lost", async () => {
      const a = new Recorder();
      const [ta, tb] = connect(a, new Recorder(), pair);
      let stopped = 0;
      ta.registerProducer({
        pauseProducing() {},
        resumeProducing() {},
        stopProducing: () => stopped++,
      }, true);
      tb.abortConnection();
      await until(() => a.lost.length === 1);
      assert.equal(stopped, 1);
      assert.ok(a.lost[0].check(ConnectionLost));
    });

    it("startTLS() sends earlier writes in clear and later ones over the new socket", async () => {
      const seen: (TlsOptions & { isServer?: boolean })[] = [];
      const [sa, sb] = socketPair(pair);
      const spy = (s: Socket): Socket => {
        const original = s.startTls.bind(s);
        Object.defineProperty(s, "startTls", {
          value: (o: TlsOptions & { isServer?: boolean }) => {
            seen.push(o);
            return original(o);
          },
        });
        return s;
      };
      const ta = new StreamTransport(spy(sa), { isServer: false });
      const tb = new StreamTransport(spy(sb), { isServer: true });
      const a = new Recorder();
      const b = new Recorder();
      ta.attach(a);
      tb.attach(b);
      ta.write(bytes("STARTTLS\n"));
      ta.startTLS({ alpnProtocols: ["h2"] });
      ta.write(bytes("secret"));
      tb.startTLS({});
      await until(() => b.received === "STARTTLS\nsecret");
      assert.deepEqual(seen.map((o) => o.isServer).sort(), [false, true]);
      assert.equal(ta.negotiatedProtocol, "h2");
      assert.notEqual(ta.socket, sa);
      tb.write(bytes("ok"));
      await until(() => a.received === "ok");
      ta.loseConnection();
      await until(() => a.lost.length === 1 && b.lost.length === 1);
      assert.ok(a.lost[0].check(ConnectionDone));
    });

    it("loses the connection with ConnectionLost when the TLS upgrade fails", async () => {
      const [sa, sb] = socketPair(pair);
      Object.defineProperty(sa, "startTls", {
        value: () => Promise.reject(new Error("handshake failed")),
      });
      const a = new Recorder();
      const ta = new StreamTransport(sa);
      ta.attach(a);
      new StreamTransport(sb).attach(new Recorder());
      ta.startTLS({});
      await until(() => a.lost.length === 1);
      assert.ok(a.lost[0].check(ConnectionLost));
      assert.match(a.lost[0].getErrorMessage(), /handshake failed/);
    });

    it("stopProducing() closes the connection", async () => {
      const a = new Recorder();
      const [ta] = connect(a, new Recorder(), pair);
      ta.stopProducing();
      await until(() => a.lost.length === 1);
      assert.ok(a.lost[0].check(ConnectionDone));
    });
  });
}
