// Every example runs unchanged on the runtime running this test: started as a
// real program (deno run -A / bun / node), talked to over loopback, then
// stopped with SIGTERM, which must end it cleanly (exit code 0).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  ClientFactory,
  DatagramProtocol,
  Deferred,
  type Failure,
  ProcessProtocol,
  type ProcessTransport,
  Protocol,
  reactor,
} from "../mod.ts";
import { trackLeaks } from "../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const example = (name: string): string =>
  fileURLToPath(new URL(`../examples/${name}`, import.meta.url));

/** The command line that runs a TypeScript file on this test's own runtime. */
function command(file: string, args: string[]): [string, string[]] {
  const exe = process.execPath;
  if ("Deno" in globalThis) return [exe, [exe, "run", "-A", file, ...args]];
  return [exe, [exe, file, ...args]];
}

class Program extends ProcessProtocol {
  out = "";
  err = "";
  exitCode: number | null | undefined = undefined;
  signal: string | null = null;
  ended = new Deferred<void>();
  #waiters: [RegExp, Deferred<RegExpExecArray>][] = [];

  override outReceived(data: Uint8Array): void {
    this.out += decoder.decode(data);
    this.#check();
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
  }
  override processEnded(reason: Failure): void {
    const value = reason.value as { exitCode?: number | null; signal?: string | null };
    this.exitCode = value.exitCode ?? 0;
    this.signal = value.signal ?? null;
    for (const [, d] of this.#waiters.splice(0)) {
      d.errback(new Error(`exited before printing that: ${this.out} ${this.err}`));
    }
    this.ended.callback(undefined);
  }
  /** Fires with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp): Deferred<RegExpExecArray> {
    const d = new Deferred<RegExpExecArray>();
    this.#waiters.push([pattern, d]);
    this.#check();
    return d.addTimeout(20, reactor);
  }
  #check(): void {
    this.#waiters = this.#waiters.filter(([pattern, d]) => {
      const m = pattern.exec(this.out);
      if (m) d.callback(m);
      return !m;
    });
  }
}

function start(name: string, args: string[] = []): [Program, ProcessTransport] {
  const program = new Program();
  const [exe, argv] = command(example(name), args);
  return [program, reactor.spawnProcess(program, exe, argv)];
}

async function stop(program: Program, transport: ProcessTransport): Promise<void> {
  if (program.exitCode === undefined) transport.signalProcess("TERM");
  await program.ended.addTimeout(20, reactor);
  assert.equal(program.signal, null, program.err);
  assert.equal(program.exitCode, 0, program.err);
}

/** Connects to 127.0.0.1:port, sends `lines`, resolves with what came back once `until` matches. */
function talk(port: number, send: string[], until: RegExp): Deferred<string> {
  const done = new Deferred<string>();
  let text = "";
  class Client extends Protocol {
    override connectionMade(): void {
      for (const line of send) this.transport.write(encoder.encode(line));
    }
    override dataReceived(data: Uint8Array): void {
      text += decoder.decode(data);
      if (until.test(text)) {
        this.transport.loseConnection();
        if (!done.called) done.callback(text);
      }
    }
  }
  const factory = ClientFactory.forProtocol(Client);
  factory.noisy = false;
  factory.clientConnectionFailed = (_c, reason) => done.errback(reason);
  reactor.connectTCP("127.0.0.1", port, factory);
  return done.addTimeout(20, reactor);
}

describe(`the examples on ${reactor.runtime.name}`, { timeout: 120_000 }, () => {
  it("echo_server.ts echoes, and echo_client.ts talks to it", { timeout: 60_000 }, async () => {
    const [server, transport] = start("echo_server.ts", ["0"]);
    try {
      const port = Number((await server.waitFor(/127\.0\.0\.1, (\d+)\)/))[1]);
      assert.equal(await talk(port, ["ping\n"], /ping\n/), "ping\n");
      const [client] = start("echo_client.ts", [String(port)]);
      await client.ended.addTimeout(30, reactor);
      assert.match(client.out, /Server said: Hello, world!/);
      assert.equal(client.exitCode, 0, client.err);
    } finally {
      await stop(server, transport);
    }
  });

  it("chat_server.ts relays lines between two users", { timeout: 60_000 }, async () => {
    const [server, transport] = start("chat_server.ts", ["0"]);
    try {
      const port = Number((await server.waitFor(/127\.0\.0\.1, (\d+)\)/))[1]);
      const received = new Deferred<string>();
      let aliceText = "";
      class Alice extends Protocol {
        override connectionMade(): void {
          this.transport.write(encoder.encode("alice\r\n"));
        }
        override dataReceived(data: Uint8Array): void {
          aliceText += decoder.decode(data);
          if (aliceText.includes("<bob> hi alice")) {
            this.transport.loseConnection();
            received.callback(aliceText);
          } else if (aliceText.includes("Welcome, alice!") && !bobStarted) {
            bobStarted = true;
            talk(port, ["bob\r\n", "hi alice\r\n"], /Welcome, bob!/);
          }
        }
      }
      let bobStarted = false;
      const factory = ClientFactory.forProtocol(Alice);
      factory.noisy = false;
      reactor.connectTCP("127.0.0.1", port, factory);
      assert.match(await received.addTimeout(20, reactor), /<bob> hi alice/);
    } finally {
      await stop(server, transport);
    }
  });

  it("udp_echo.ts echoes a datagram", { timeout: 60_000 }, async () => {
    const [server, transport] = start("udp_echo.ts", ["0"]);
    try {
      const port = Number((await server.waitFor(/127\.0\.0\.1, (\d+)\)/))[1]);
      const answers: string[] = [];
      const client = reactor.listenUDP(
        0,
        new (class extends DatagramProtocol {
          override datagramReceived(data: Uint8Array): void {
            answers.push(decoder.decode(data));
          }
        })(),
        { interface: "127.0.0.1" },
      );
      await client.whenListening();
      for (let i = 0; i < 100 && answers.length === 0; i++) {
        client.write(encoder.encode("datagram"), ["127.0.0.1", port]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await client.stopListening();
      assert.equal(answers[0], "datagram");
    } finally {
      await stop(server, transport);
    }
  });

  it(
    "tls_echo.ts echoes over a verified TLS connection and exits",
    { timeout: 60_000 },
    async () => {
      const [program] = start("tls_echo.ts");
      await program.ended.addTimeout(30, reactor);
      assert.match(program.out, /Echoed: hello over TLS/, program.err);
      assert.equal(program.exitCode, 0, program.err);
    },
  );

  it("process_runner.ts runs a command and reports its exit", { timeout: 60_000 }, async () => {
    const [program] = start("process_runner.ts", ["sh", "-c", "echo out; echo err >&2; exit 4"]);
    await program.ended.addTimeout(30, reactor);
    assert.match(program.out, /\[out\] out/);
    assert.match(program.out, /\[err\] err/);
    assert.match(program.out, /Process ended: exit code 4/);
    assert.equal(program.exitCode, 0, program.err);
  });
});
