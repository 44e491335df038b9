// Sockets opened elsewhere: `systemd:` endpoint strings and reactor.adoptStreamPort, with
// systemd-socket-activate (Debian's systemd) passing the socket to a child on each
// runtime; and SO_REUSEPORT listeners (`reusePort=yes`).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";
import process from "node:process";
import { Factory, Protocol, reactor } from "../../mod.ts";
import { listenFDs, serverFromString } from "../../src/internet/endpoints.ts";
import { CannotListenError } from "../../src/internet/error.ts";
import { command, CURRENT, ROOT } from "../cli/_program.ts";
import { freePort } from "../conch/ssh/_sshd.ts";

const HAVE_ACTIVATE = spawnSync("systemd-socket-activate", ["--version"]).status === 0;
const CI = process.env.CI === "true";
const SKIP = HAVE_ACTIVATE || CI ? false : "peer missing: apt-get install systemd";

const env = (vars: Record<string, string>, pid = 4242) => ({
  env: (name: string) => vars[name],
  pid: () => pid,
});

describe("listenFDs and systemd: endpoint strings", () => {
  it("reads the sockets passed to this process, by index and by name", () => {
    const source = env({ LISTEN_PID: "4242", LISTEN_FDS: "2", LISTEN_FDNAMES: "web:admin" });
    assert.deepEqual(listenFDs(source), { fds: [3, 4], names: ["web", "admin"] });
    const r = reactor;
    const byName = serverFromString(r, "systemd:domain=INET:name=admin", { listenFDs: source });
    assert.equal((byName as unknown as { fileDescriptor: number }).fileDescriptor, 4);
    const byIndex = serverFromString(r, "systemd:domain=INET6:index=0", { listenFDs: source });
    assert.equal((byIndex as unknown as { fileDescriptor: number }).fileDescriptor, 3);
  });

  it("ignores variables meant for another process, and says what is missing", () => {
    assert.deepEqual(listenFDs(env({ LISTEN_PID: "1", LISTEN_FDS: "1" })), { fds: [], names: [] });
    const r = reactor;
    const none = env({ LISTEN_PID: "1", LISTEN_FDS: "1" });
    assert.throws(
      () => serverFromString(r, "systemd:domain=INET:index=0", { listenFDs: none }),
      /no passed socket at index 0 \(LISTEN_FDS gives 0\)/,
    );
    const one = env({ LISTEN_PID: "4242", LISTEN_FDS: "1" });
    assert.throws(
      () => serverFromString(r, "systemd:domain=INET:name=web", { listenFDs: one }),
      /no passed socket named web/,
    );
    assert.throws(
      () => serverFromString(r, "systemd:domain=IPX:index=0", { listenFDs: one }),
      SyntaxError,
    );
    assert.throws(
      () => serverFromString(r, "systemd:domain=INET:index=0:name=web", { listenFDs: one }),
      /index= or name=/,
    );
  });
});

describe("reactor.adoptStreamPort under systemd-socket-activate", { skip: SKIP }, () => {
  it("serves an echo on the passed socket", { timeout: 30_000 }, async () => {
    const port = await freePort();
    const [exe, argv] = command(
      CURRENT,
      ["systemd:domain=INET:index=0"],
      `${ROOT}tests/fixtures/systemd_echo.ts`,
    );
    const child = spawn(
      "systemd-socket-activate",
      ["-l", `127.0.0.1:${port}`, exe, ...argv.slice(1)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout!.on("data", (d: Uint8Array) => output += new TextDecoder().decode(d));
    child.stderr!.on("data", (d: Uint8Array) => output += new TextDecoder().decode(d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      // systemd-socket-activate listens at once and starts the child on the first connection.
      let echoed = "";
      for (let attempt = 0; attempt < 150 && echoed === ""; attempt++) {
        echoed = await new Promise<string>((resolve) => {
          const socket = connect(port, "127.0.0.1");
          let got = "";
          socket.on("connect", () => socket.write("hello, adopted"));
          socket.on("data", (d) => {
            got += d.toString();
            if (got === "hello, adopted") socket.end();
          });
          socket.on("close", () => resolve(got));
          socket.on("error", () => setTimeout(() => resolve(""), 100));
        });
      }
      assert.equal(echoed, "hello, adopted", output);
      assert.equal(await exited, 0, output);
      assert.match(output, new RegExp(`serving .*"port":${port}`));
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("runs tw web on the passed socket, and stops it on SIGTERM", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const [exe, argv] = command(CURRENT, ["web", "--listen", "systemd:domain=INET:index=0"]);
    const child = spawn(
      "systemd-socket-activate",
      ["-l", `127.0.0.1:${port}`, exe, ...argv.slice(1)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout!.on("data", (d: Uint8Array) => output += new TextDecoder().decode(d));
    child.stderr!.on("data", (d: Uint8Array) => output += new TextDecoder().decode(d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      let page = "";
      for (let attempt = 0; attempt < 150 && !page.includes("It works"); attempt++) {
        try {
          page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      assert.match(page, /It works/, output);
      // Not child.kill(): Deno's node:child_process then reports the exit as by that signal.
      process.kill(child.pid!, "SIGTERM");
      assert.equal(await exited, 0, output);
      assert.match(output, /Server shut down/);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("SO_REUSEPORT listeners", () => {
  it("lets two ports listen on one TCP port with reusePort=yes, and only then", async () => {
    const first = await serverFromString(reactor, "tcp:0:interface=127.0.0.1:reusePort=yes")
      .listen(Factory.forProtocol(Protocol));
    const number = (first.getHost() as { port: number }).port;
    const second = await serverFromString(
      reactor,
      `tcp:${number}:interface=127.0.0.1:reusePort=yes`,
    ).listen(Factory.forProtocol(Protocol));
    try {
      assert.equal((second.getHost() as { port: number }).port, number);
      await assert.rejects(
        async () =>
          await serverFromString(reactor, `tcp:${number}:interface=127.0.0.1`).listen(
            Factory.forProtocol(Protocol),
          ),
        CannotListenError,
      );
    } finally {
      await first.stopListening();
      await second.stopListening();
    }
  });
});
