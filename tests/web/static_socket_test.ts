import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reactor } from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { File, Resource, Site } from "../../src/web/mod.ts";

trackLeaks({ beforeEach, afterEach });

let dir = "";
// Not a multiple of the chunk size, and no repeating 64 KiB pattern.
const SIZE = 8 * 1024 * 1024 + 12345;
let content = new Uint8Array(0);

before(() => {
  dir = mkdtempSync(join(tmpdir(), "tw-static-socket-"));
  content = new Uint8Array(SIZE);
  let x = 0x12345678;
  for (let i = 0; i < SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    content[i] = x & 0xff;
  }
  writeFileSync(join(dir, "big.bin"), content);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function sha256(data: Uint8Array | ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as ArrayBuffer));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("File over a real socket", () => {
  it("streams a large file intact to an HTTP client", async () => {
    const root = new Resource();
    root.putChild("static", new File(dir));
    const site = new Site(root);
    const port = reactor.listenTCP(0, site, { interface: "127.0.0.1" });
    try {
      await port.whenListening?.();
      const { port: number } = port.getHost() as unknown as { port: number };
      const res = await fetch(`http://127.0.0.1:${number}/static/big.bin`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-length"), String(SIZE));
      const body = new Uint8Array(await res.arrayBuffer());
      assert.equal(body.length, SIZE);
      assert.equal(await sha256(body), await sha256(content));
      const ranged = await fetch(`http://127.0.0.1:${number}/static/big.bin`, {
        headers: { Range: "bytes=1000000-1999999" },
      });
      assert.equal(ranged.status, 206);
      const part = new Uint8Array(await ranged.arrayBuffer());
      assert.deepEqual(part, content.subarray(1_000_000, 2_000_000));
    } finally {
      await site.shutdown();
      await port.stopListening();
    }
  });
});
