// Loud by default, as Twisted is: an error nothing handles reaches stderr
// before logging begins, and a failed listen nothing handles ends the program
// with that error and a non-zero exit code.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { CannotListenError, Factory, type IPv4Address, Protocol, reactor } from "../../mod.ts";
import { Reactor } from "../../src/internet/reactor.ts";
import { listenTCP } from "../../src/internet/tcp.ts";
import type { Runtime } from "../../src/internet/socket.ts";
import { MemoryNetwork } from "../../src/internet/memory_socket.ts";
import { LogBeginner, type LogEvent, Logger, LogPublisher } from "../../src/logger/mod.ts";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const root = fileURLToPath(new URL("../..", import.meta.url));
const fixture = (name: string): string => `${root}tests/fixtures/loud/${name}`;

// deno-lint-ignore no-control-regex
const ANSI_COLOUR = /\x1b\[[0-9;]*m/g;

/** Runs a fixture on this test's runtime: its exit code and standard error. */
function runFixture(
  name: string,
  args: string[] = [],
  flags: string[] = [],
): Promise<{ code: number; err: string }> {
  const exe = process.execPath;
  const argv = "Deno" in globalThis
    ? ["run", "-A", ...flags.map((f) => `--v8-flags=${f}`), fixture(name), ...args]
    : [...flags, fixture(name), ...args];
  return new Promise((resolve) => {
    execFile(exe, argv, { cwd: root, timeout: 30_000 }, (error, _stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      // Deno colours its errors: compare the text.
      resolve({ code, err: String(stderr).replace(ANSI_COLOUR, "") });
    });
  });
}

describe("critical events before logging begins", () => {
  it("LogBeginner writes critical events to its error stream until logging begins", () => {
    const publisher = new LogPublisher();
    const written: string[] = [];
    const beginner = new LogBeginner(publisher, { errorStream: (text) => written.push(text) });
    const log = new Logger("app", publisher);
    log.error("an error is buffered, not printed");
    log.failure("Unhandled error in {where}", new TypeError("boom"), "critical", { where: "here" });
    assert.equal(written.length, 1);
    assert.match(written[0], /\[app#critical\] Unhandled error in here/);
    assert.match(written[0], /TypeError: boom/);
    const seen: LogEvent[] = [];
    beginner.beginLoggingTo([(event) => seen.push(event)]);
    assert.equal(seen.length, 2, "both events were buffered and replayed");
    log.critical("after logging began");
    assert.equal(written.length, 1, "the observers have it now, not stderr");
    assert.equal(seen.length, 3);
  });

  it("errorStream: null keeps critical events silent", () => {
    const publisher = new LogPublisher();
    new LogBeginner(publisher, { errorStream: null });
    new Logger("app", publisher).critical("quiet");
  });
});

/** A runtime for the reactor core plus in-memory listening. */
function memoryReactor(): { reactor: Reactor; network: MemoryNetwork } {
  const network = new MemoryNetwork();
  const runtime = {
    name: "memory",
    listen: (options: Parameters<MemoryNetwork["listen"]>[0]) => network.listen(options),
    connect: (options: Parameters<MemoryNetwork["connect"]>[0]) => network.connect(options),
    onSignal: () => () => {},
    exit: () => undefined as never,
  };
  return { reactor: new Reactor(runtime as unknown as Runtime), network };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe("a failed listen nothing handles", () => {
  it("calls onUnhandledError when nobody asked whenListening()", async () => {
    const network = new MemoryNetwork();
    const factory = Factory.forProtocol(Protocol);
    const first = listenTCP(network, 80, factory, { interface: "10.0.0.1" });
    await first.whenListening();
    const seen: CannotListenError[] = [];
    listenTCP(network, 80, factory, {
      interface: "10.0.0.1",
      onUnhandledError: (e) => seen.push(e),
    });
    await settle();
    assert.equal(seen.length, 1);
    assert.equal(seen[0].message, "Cannot listen on 10.0.0.1:80: address in use");
    await first.stopListening();
  });

  it("treats whenListening() without an errback as unhandled, and await as handled", async () => {
    const network = new MemoryNetwork();
    const factory = Factory.forProtocol(Protocol);
    const first = listenTCP(network, 80, factory, { interface: "10.0.0.1" });
    await first.whenListening();
    const seen: string[] = [];
    const onUnhandledError = (e: Error) => seen.push(e.message);
    const noErrback = listenTCP(network, 80, factory, { interface: "10.0.0.1", onUnhandledError });
    const printed: string[] = [];
    const pending = noErrback.whenListening().addCallback(() => printed.push("listening"));
    const awaited = listenTCP(network, 80, factory, { interface: "10.0.0.1", onUnhandledError });
    await assert.rejects(awaited.whenListening().asPromise(), CannotListenError);
    await settle();
    assert.deepEqual(seen, ["Cannot listen on 10.0.0.1:80: address in use"]);
    assert.deepEqual(printed, []);
    // Handled at last, so that collecting it later reports nothing.
    pending.addErrback(() => null);
    await first.stopListening();
  });

  it("stops reactor.run() with the error, running shutdown first", async () => {
    const { reactor: r } = memoryReactor();
    const factory = Factory.forProtocol(Protocol);
    const first = r.listenTCP(80, factory, { interface: "10.0.0.1" });
    await first.whenListening();
    const order: string[] = [];
    r.addSystemEventTrigger("before", "shutdown", () => order.push("shutdown"));
    r.listenTCP(80, factory, { interface: "10.0.0.1" });
    await assert.rejects(r.run(), (error: Error) => {
      assert.ok(error instanceof CannotListenError);
      assert.equal(error.message, "Cannot listen on 10.0.0.1:80: address in use");
      return true;
    });
    assert.deepEqual(order, ["shutdown"]);
    // The next run is a fresh one.
    const again = r.run();
    r.stop();
    await again;
  });

  it("a failure before run() is logged as critical and stops run() at once", async () => {
    const { reactor: r } = memoryReactor();
    const factory = Factory.forProtocol(Protocol);
    const first = r.listenTCP(80, factory, { interface: "10.0.0.1" });
    await first.whenListening();
    r.listenTCP(80, factory, { interface: "10.0.0.1" });
    await settle();
    assert.equal(flushLoggedErrors(CannotListenError).length, 1);
    await assert.rejects(r.run(), CannotListenError);
  });
});

describe("loud programs (subprocesses)", () => {
  it("the README's echo server on a busy port prints CannotListenError and exits non-zero", {
    timeout: 60_000,
  }, async () => {
    const busy = reactor.listenTCP(0, Factory.forProtocol(Protocol), { interface: "127.0.0.1" });
    await busy.whenListening();
    const { port } = busy.getHost() as IPv4Address;
    try {
      const { code, err } = await runFixture("readme_echo.ts", [String(port)]);
      assert.notEqual(code, 0);
      assert.match(
        err,
        new RegExp(`CannotListenError: Cannot listen on 127\\.0\\.0\\.1:${port}: address in use`),
      );
      const chat = await runFixture("../../../examples/chat_server.ts", [String(port)]);
      assert.notEqual(chat.code, 0);
      assert.match(
        chat.err,
        /CannotListenError: Cannot listen on 127\.0\.0\.1:\d+: address in use/,
      );
    } finally {
      await busy.stopListening();
    }
  });

  it("an exception in connectionMade reaches stderr with no logging set up", {
    timeout: 60_000,
  }, async () => {
    const { code, err } = await runFixture("string_write.ts");
    assert.equal(code, 0);
    assert.match(err, /Unhandled error in connectionMade of WritesText/);
    assert.match(err, /TypeError: Data must be a Uint8Array, not string/);
  });

  it("a Deferred collected with an unhandled failure reaches stderr", {
    timeout: 60_000,
  }, async () => {
    const { code, err } = await runFixture("unhandled_deferred.ts", [], ["--expose-gc"]);
    assert.equal(code, 0);
    assert.match(err, /Unhandled error in Deferred/);
    assert.match(err, /Error: nobody handled this/);
  });
});
