import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { InetdFactory, splitCommand } from "../../src/cli/_inetd.ts";
import { ClientFactory, Deferred, type IListeningPort, Protocol, reactor } from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { type LogEvent, Logger, LogPublisher } from "../../src/logger/mod.ts";

trackLeaks({ beforeEach, afterEach });

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("splitCommand()", () => {
  it("splits on whitespace and groups quoted words", () => {
    assert.deepEqual(splitCommand("  cat   -n  "), ["cat", "-n"]);
    assert.deepEqual(splitCommand(`sh -c 'echo "$X"; exit 0'`), ["sh", "-c", 'echo "$X"; exit 0']);
    assert.deepEqual(splitCommand(`printf "a\\"b" c\\ d ''`), ["printf", 'a"b', "c d", ""]);
    assert.deepEqual(splitCommand(""), []);
  });

  it("throws SyntaxError for an unterminated quote", () => {
    assert.throws(() => splitCommand("echo 'oops"), SyntaxError);
    assert.throws(() => splitCommand('echo "oops'), SyntaxError);
  });
});

/** Connects, sends `data`, half-closes when `close` is set; resolves with all output at close. */
function session(port: number, data: string, closeAfterWrite: boolean): Deferred<string> {
  const done = new Deferred<string>();
  let text = "";
  class Client extends Protocol {
    override connectionMade(): void {
      this.transport!.write(enc.encode(data));
      if (closeAfterWrite) {
        (this.transport as unknown as { loseWriteConnection(): void }).loseWriteConnection();
      }
    }
    override dataReceived(chunk: Uint8Array): void {
      text += dec.decode(chunk);
    }
    override connectionLost(): void {
      done.callback(text);
    }
  }
  const factory = new ClientFactory();
  factory.protocol = Client;
  factory.noisy = false;
  factory.clientConnectionFailed = (_c, reason) => done.errback(reason);
  reactor.connectTCP("127.0.0.1", port, factory);
  return done.addTimeout(10, reactor);
}

async function serve(command: string[], logger?: Logger): Promise<[IListeningPort, number]> {
  const factory = new InetdFactory(command, { reactor, logger });
  factory.noisy = false;
  const port = await reactor.listenTCP(0, factory, { interface: "127.0.0.1" }).whenListening();
  return [port, (port.getHost() as { port: number }).port];
}

describe("InetdFactory", () => {
  it("refuses an empty command", () => {
    assert.throws(() => new InetdFactory([], { reactor }), RangeError);
  });

  it("wires the child's stdin and stdout to the connection until it exits", {
    timeout: 20_000,
  }, async () => {
    const [port, number] = await serve(["sh", "-c", 'read x; echo "got $x"']);
    try {
      // The child answers, exits, and the connection closes: no client close needed.
      assert.equal(await session(number, "one\n", false), "got one\n");
    } finally {
      await port.stopListening();
    }
  });

  it("gives the child end of input when the peer half-closes", { timeout: 20_000 }, async () => {
    const [port, number] = await serve(["wc", "-l"]);
    try {
      const out = await session(number, "a\nb\nc\n", true);
      assert.equal(out.trim(), "3");
    } finally {
      await port.stopListening();
    }
  });

  it("logs the child's stderr lines", { timeout: 20_000 }, async () => {
    const events: LogEvent[] = [];
    const logger = new Logger("inetd", new LogPublisher((e: LogEvent) => events.push(e)));
    const [port, number] = await serve(["sh", "-c", "echo warn1 >&2; echo warn2 >&2"], logger);
    try {
      assert.equal(await session(number, "", false), "");
      const lines = events.filter((e) => e.stream === "stderr").map((e) => e.line);
      assert.deepEqual(lines, ["warn1", "warn2"]);
    } finally {
      await port.stopListening();
    }
  });

  it("closes the connection when the program cannot start", { timeout: 20_000 }, async () => {
    const events: LogEvent[] = [];
    const logger = new Logger("inetd", new LogPublisher((e: LogEvent) => events.push(e)));
    const [port, number] = await serve(["/no/such/program"], logger);
    try {
      const out = await session(number, "x", false);
      assert.equal(out, "");
    } finally {
      await port.stopListening();
    }
  });
});

describe("InetdFactory and departing clients", () => {
  it("stops a child still writing when its client goes away", { timeout: 20_000 }, async () => {
    const events: LogEvent[] = [];
    const logger = new Logger("inetd", new LogPublisher((e: LogEvent) => events.push(e)));
    // Ignores end of input and keeps writing: as with inetd's SIGPIPE, the
    // failed writes to the departed client end it (SIGTERM here).
    const [port, number] = await serve(
      ["sh", "-c", "while true; do echo tick; sleep 0.02; done"],
      logger,
    );
    try {
      const done = new Deferred<void>();
      class Client extends Protocol {
        override dataReceived(): void {
          this.transport!.loseConnection();
        }
        override connectionLost(): void {
          done.callback(undefined);
        }
      }
      const factory = new ClientFactory();
      factory.protocol = Client;
      factory.noisy = false;
      reactor.connectTCP("127.0.0.1", number, factory);
      await done.addTimeout(10, reactor);
      for (let i = 0; i < 200 && !events.some((e) => /ended/.test(String(e.log_format))); i++) {
        await new Promise<void>((resolve) => reactor.callLater(0.025, () => resolve()));
      }
      const ended = events.find((e) => /ended/.test(String(e.log_format)));
      assert.ok(ended, "the child ended");
      assert.match(String(ended.reason), /signal|SIGTERM|TERM|15/i);
    } finally {
      await port.stopListening();
    }
  });
});
