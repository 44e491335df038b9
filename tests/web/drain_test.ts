// A program written like the README's (a Site, `await reactor.run()`, nothing
// about shutdown) finishes the requests in flight on SIGTERM and on
// `reactor.stop()`, then exits 0: the Site drains by default.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { reactor } from "../../mod.ts";
import { CURRENT, start } from "../cli/_program.ts";

// Started with the project's own spawnProcess: Deno's node:child_process
// reports a child that exited 0 after a SIGTERM as killed by the signal.
const program = fileURLToPath(new URL("../fixtures/web/slow_site.ts", import.meta.url));

/** One GET over its own connection: the whole response, read until the server closes. */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    });
    let text = "";
    socket.on("data", (chunk) => (text += String(chunk)));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

for (const mode of ["signal", "stop"]) {
  const how = mode === "signal" ? "SIGTERM" : "reactor.stop()";
  describe(`a Site with 20 requests in flight (${how})`, () => {
    it("answers all 20, then exits 0", { timeout: 60_000 }, async () => {
      const [child, transport] = start(CURRENT, [mode], undefined, program);
      try {
        const port = Number((await child.waitFor(/listening on (\d+)/))[1]);
        const inFlight = child.waitFor(/in flight/);
        const responses = Promise.all(Array.from({ length: 20 }, () => get(port)));
        await inFlight;
        if (mode === "signal") transport.signalProcess("TERM");
        const answers = await responses;
        for (const answer of answers) {
          assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
          assert.match(answer, /\r\nconnection: close\r\n/i);
          assert.match(answer, /\r\n\r\n4\r\ndone\r\n0\r\n\r\n$/); // chunked: the whole body
        }
        await child.ended.addTimeout(20, reactor);
        assert.equal(child.exitCode, 0, child.err);
        assert.match(child.out, /stopped/);
      } finally {
        if (child.exitCode === undefined) transport.signalProcess("KILL");
      }
    });
  });
}
