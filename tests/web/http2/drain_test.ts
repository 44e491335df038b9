// HTTP/2 and graceful shutdown, over a real process: a README-style program
// (tests/fixtures/web/slow_site.ts: a Site, `await reactor.run()`, each answer
// 0.5 s late) gets 20 requests as 20 streams of one h2c connection from nghttp,
// then SIGTERM: it sends GOAWAY(NO_ERROR) naming the last stream, every stream
// in flight is answered, and the program exits 0.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { reactor } from "../../../mod.ts";
import { CURRENT, start } from "../../cli/_program.ts";

const program = fileURLToPath(new URL("../../fixtures/web/slow_site.ts", import.meta.url));
const HAVE_NGHTTP = spawnSync("nghttp", ["--version"], { stdio: "ignore" }).status === 0;
const CI = process.env.CI === "true";

describe("an h2c connection with 20 streams in flight (SIGTERM)", {
  skip: HAVE_NGHTTP || CI
    ? false
    : "peer missing: install Debian's nghttp2-client (apt-get install -y nghttp2-client)",
}, () => {
  it("gets GOAWAY(NO_ERROR) with the last stream id, all 20 answers, then exit 0", {
    timeout: 60_000,
  }, async () => {
    const [child, transport] = start(CURRENT, ["signal"], undefined, program);
    try {
      const port = Number((await child.waitFor(/listening on (\d+)/))[1]);
      const inFlight = child.waitFor(/in flight/);
      const urls = Array.from({ length: 20 }, (_, i) => `http://127.0.0.1:${port}/${i}`);
      const client = new Promise<{ code: number; out: string }>((resolve) => {
        execFile("nghttp", ["-v", ...urls], { timeout: 30_000 }, (err, stdout) => {
          resolve({ code: err === null ? 0 : -1, out: String(stdout) });
        });
      });
      await inFlight;
      transport.signalProcess("TERM");
      const { code, out } = await client;
      assert.equal(code, 0, out.slice(-2000));
      // nghttp opens its streams from 13 (1-11 are its priority anchors): the 20th is 51.
      assert.match(out, /recv GOAWAY frame[^\n]*\n\s*\(last_stream_id=51, error_code=NO_ERROR/);
      assert.equal(out.match(/:status: 200/g)?.length, 20);
      assert.equal(out.match(/done/g)?.length, 20);
      await child.ended.addTimeout(20, reactor);
      assert.equal(child.exitCode, 0, child.err);
      assert.match(child.out, /stopped/);
    } finally {
      if (child.exitCode === undefined) transport.signalProcess("KILL");
    }
  });
});
