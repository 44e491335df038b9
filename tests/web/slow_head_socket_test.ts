// Over a real socket: a client dripping its request head a byte at a time,
// fast enough to keep the idle timeout quiet, gets 408 and a closed connection
// once headerTimeout has passed since its first byte.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { type IPv4Address, reactor } from "../../mod.ts";
import { Data, Site } from "../../src/web/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("a slow request head over a real socket", () => {
  it("is cut with 408 after headerTimeout, whatever trickles in", { timeout: 20_000 }, async () => {
    const site = new Site(new Data("hello", "text/plain"), { headerTimeout: 0.5, timeout: 5 });
    const port = reactor.listenTCP(0, site, { interface: "127.0.0.1" });
    await port.whenListening();
    const started = Date.now();
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect((port.getHost() as IPv4Address).port, "127.0.0.1");
        const head = "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(200);
        let sent = 0;
        const drip = setInterval(() => {
          // Once the server has closed, a write would fail (Deno's node:net throws at once).
          if (sent < head.length && socket.writable && !socket.destroyed) {
            socket.write(head[sent++], () => {});
          }
        }, 50);
        socket.on("end", () => clearInterval(drip));
        let text = "";
        socket.on("data", (chunk) => (text += String(chunk)));
        socket.on("close", () => {
          clearInterval(drip);
          resolve(text);
        });
        socket.on("error", (error) => {
          clearInterval(drip);
          reject(error);
        });
      });
      const elapsed = Date.now() - started;
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.match(answer, /Request head timed out/);
      assert.ok(elapsed >= 450 && elapsed < 5000, `cut after ${elapsed} ms`);
    } finally {
      await port.stopListening();
    }
  });
});
