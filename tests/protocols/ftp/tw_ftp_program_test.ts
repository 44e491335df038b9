// `tw ftp` as a real program on the runtime running this file: anonymous downloads,
// users from --auth (hashed) and --password-file (twistd's, in clear, with a warning),
// a second --listen on ::1, FTPS with --certificate/--privkey checked by curl against
// the test CA, SIGTERM telling a connected session 421 and exiting 0, and a missing
// root failing with one line and status 1. Needs curl (skipped without, except CI).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createConnection } from "node:net";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { reactor } from "../../../mod.ts";
import { writePasswordFile } from "../../../src/cred/mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { CURRENT, runToEnd, start, tempDir, terminate } from "../../cli/_program.ts";
import { CA, have, run, skipUnless, TLS_DIR } from "./_server_interop.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const skip = skipUnless(have("curl", ["--version"]), "curl");
const curl = (...args: string[]) => run("curl", ["-sS", "--max-time", "20", ...args]);

describe("tw ftp, the program", () => {
  it("fails at start on a missing root: one line naming it, status 1", async () => {
    const [dir, remove] = tempDir();
    try {
      const missing = join(dir, "no-root");
      const program = await runToEnd(CURRENT, ["ftp", "-r", missing, "-p", "0"]);
      assert.equal(program.exitCode, 1);
      assert.equal(program.err, `tw: Cannot serve ${missing}: no such directory\n`);
    } finally {
      remove();
    }
  });

  it("serves anonymous and users, IPv6 and FTPS; SIGTERM says 421 and exits 0", {
    skip,
    timeout: 90_000,
  }, async () => {
    const [dir, remove] = tempDir();
    const root = join(dir, "pub");
    const homes = join(dir, "homes");
    for (const d of [root, join(homes, "alice"), join(homes, "bob")]) {
      mkdirSync(d, { recursive: true });
    }
    writeFileSync(join(root, "hello.txt"), "hello from tw ftp\n");
    writeFileSync(join(homes, "bob", "bob.txt"), "bob's file\n");
    await writePasswordFile(reactor.runtime, join(dir, "users"), { alice: "secret" });
    writeFileSync(join(dir, "plain"), "bob:hunter2\n");
    const [program, transport] = start(CURRENT, [
      "ftp",
      "-r",
      root,
      "--user-home",
      homes,
      "--auth",
      `file:${join(dir, "users")}`,
      "--password-file",
      join(dir, "plain"),
      "--listen",
      "tcp:0:interface=127.0.0.1",
      "--listen",
      "tcp6:0:interface=\\:\\:1",
      "--certificate",
      join(TLS_DIR, "server.pem"),
      "--privkey",
      join(TLS_DIR, "server.key"),
    ]);
    try {
      const port = await program.port();
      const v6 = Number((await program.waitFor(/listening on \[::1\]:(\d+)/))[1]);
      assert.match(program.out, /\[tw#warn\] --password-file .* prefer --auth/);
      const anon = await curl(`ftp://127.0.0.1:${port}/hello.txt`);
      assert.equal(anon.out, "hello from tw ftp\n", anon.err);
      writeFileSync(join(dir, "up.txt"), "uploaded\n");
      const up = await curl(
        "-T",
        join(dir, "up.txt"),
        `ftp://alice:secret@127.0.0.1:${port}/up.txt`,
      );
      assert.equal(up.code, 0, up.err);
      assert.equal(readFileSync(join(homes, "alice", "up.txt"), "utf8"), "uploaded\n");
      const wrong = await curl(`ftp://alice:wrong@127.0.0.1:${port}/`);
      assert.notEqual(wrong.code, 0);
      const bob = await curl("-g", `ftp://bob:hunter2@[::1]:${v6}/bob.txt`);
      assert.equal(bob.out, "bob's file\n", bob.err);
      const tls = await curl(
        "--ssl-reqd",
        "--cacert",
        CA,
        `ftp://alice:secret@localhost:${port}/up.txt`,
      );
      assert.equal(tls.out, "uploaded\n", tls.err);
      // A session connected at SIGTERM is told 421 and closed.
      const seen = await new Promise<string>((resolve, reject) => {
        let text = "";
        const socket = createConnection(port, "127.0.0.1");
        socket.on("data", (chunk) => {
          text += chunk.toString();
          if (text.startsWith("220 ") && !text.includes("421")) {
            transport.signalProcess("TERM");
          }
        });
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
      });
      assert.match(seen, /^220 .*\r\n421 Service not available, closing control connection\.\r\n$/);
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
      remove();
    }
  });
});
