// NMEA from every source Twisted's positioning reads, on this runtime: a
// recorded log through a regular file, a FIFO, a pseudo-terminal (SerialPort),
// stdin (StandardIO in a child process), chunked TCP, and gpsd fed by gpsfake
// (GPSDNMEAProtocol). Each compared call by call with Twisted 22.4's NMEAAdapter
// (nmea_peer.py run by /usr/bin/python3).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { SerialPort } from "../../src/internet/serialport.ts";
import { ConnectionDone } from "../../src/internet/error.ts";
import { Factory, Protocol } from "../../src/internet/protocol.ts";
import type { Failure } from "../../src/internet/failure.ts";
import {
  clientFromString,
  connectProtocol,
  serverFromString,
} from "../../src/internet/endpoints.ts";
import { GPSDNMEAProtocol, NMEAAdapter, NMEAProtocol } from "../../src/positioning/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { concat, reactor } from "../internet/_pipe_runtime.ts";
import { PtyPeer, SKIP_NO_PTY } from "../internet/_pty_peer.ts";
import { runChild } from "../internet/_stdio_child.ts";
import { freePort } from "../conch/ssh/_sshd.ts";
import { LOG, Recorder, SKIP_NO_TWISTED, twistedCalls } from "./_nmea_recorder.ts";

trackLeaks({ beforeEach, afterEach });

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tw-nmea-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Twisted's calls for LOG, computed once. */
let expected: unknown[][] | null = null;
function twisted(): unknown[][] {
  expected ??= twistedCalls(LOG);
  assert.ok(expected.length >= 15, "Twisted made too few calls");
  return expected;
}

/** An NMEA protocol recording calls, with the connection's end as a promise. */
function recorderProtocol<P extends NMEAProtocol>(
  make: (adapter: NMEAAdapter) => P,
): { recorder: Recorder; protocol: P; lost: Promise<Error> } {
  const recorder = new Recorder();
  const protocol = make(new NMEAAdapter(recorder));
  const lost = new Promise<Error>((resolve) => {
    protocol.connectionLost = (reason: Failure) => resolve(reason.value);
  });
  return { recorder, protocol, lost };
}

describe("NMEA sources against Twisted's NMEAAdapter", { skip: SKIP_NO_TWISTED }, () => {
  it("reads a recorded log from a regular file", async () => {
    const path = join(dir, "drive.nmea");
    writeFileSync(path, LOG);
    const { recorder, protocol, lost } = recorderProtocol((a) => new NMEAProtocol(a));
    new SerialPort(protocol, path, reactor);
    assert.ok(await lost instanceof ConnectionDone);
    assert.deepEqual(recorder.calls, twisted());
  });

  it("reads a log written into a FIFO", async () => {
    const path = join(dir, "gps.fifo");
    assert.equal(spawnSync("mkfifo", [path]).status, 0);
    const source = join(dir, "drive.nmea");
    writeFileSync(source, LOG);
    const { recorder, protocol, lost } = recorderProtocol((a) => new NMEAProtocol(a));
    new SerialPort(protocol, path, reactor, { baudrate: 4800 });
    const writer = spawn("sh", ["-c", 'cat "$1" > "$2"', "sh", source, path]);
    assert.ok(await lost instanceof ConnectionDone);
    await new Promise((resolve) =>
      writer.exitCode === null ? writer.once("exit", resolve) : resolve(0)
    );
    assert.deepEqual(recorder.calls, twisted());
  });

  it(
    "reads a receiver on a pseudo-terminal, the log in pieces",
    { skip: SKIP_NO_PTY },
    async () => {
      const peer = await new PtyPeer().start();
      try {
        const { recorder, protocol, lost } = recorderProtocol((a) => new NMEAProtocol(a));
        const port = new SerialPort(protocol, peer.path, reactor, { baudrate: 4800 });
        await port.whenOpen();
        for (let at = 0; at < LOG.length; at += 97) await peer.write(LOG.slice(at, at + 97));
        const want = twisted();
        const end = Date.now() + 10000;
        while (recorder.calls.length < want.length && Date.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        port.loseConnection();
        assert.ok(await lost instanceof ConnectionDone);
        assert.deepEqual(recorder.calls, want);
      } finally {
        await peer.stop();
      }
    },
  );

  it("reads a log on stdin (StandardIO in a child process)", async () => {
    const run = await runChild("nmea", LOG);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^lost ConnectionDone$/m);
    const calls = new TextDecoder().decode(run.stdout).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(calls, twisted());
  });

  it("reads a log sent over TCP in small, uneven chunks", async () => {
    const bytes = new TextEncoder().encode(LOG);
    class Sender extends Protocol {
      override connectionMade(): void {
        let at = 0;
        let i = 0;
        const next = (): void => {
          if (at >= bytes.length) {
            this.transport.loseConnection();
            return;
          }
          const size = 1 + (i++ * 7) % 23;
          this.transport.write(bytes.slice(at, at + size));
          at += size;
          reactor.callLater(0.001, next);
        };
        next();
      }
    }
    const listening = await serverFromString(reactor, "tcp:0:interface=127.0.0.1")
      .listen(Factory.forProtocol(Sender));
    try {
      const { port } = listening.getHost() as { port: number };
      const { recorder, protocol, lost } = recorderProtocol((a) => new NMEAProtocol(a));
      await connectProtocol(clientFromString(reactor, `tcp:127.0.0.1:${port}`), protocol);
      assert.ok(await lost instanceof ConnectionDone);
      assert.deepEqual(recorder.calls, twisted());
    } finally {
      await listening.stopListening();
    }
  });
});

const HAVE_GPSFAKE = spawnSync("gpsfake", ["--help"], { stdio: "ignore" }).status === 0;
const SKIP_GPSD = !HAVE_GPSFAKE && process.env.CI !== "true"
  ? "no gpsfake: install Debian's gpsd and gpsd-clients packages"
  : SKIP_NO_TWISTED;

describe("GPSDNMEAProtocol against gpsd fed by gpsfake", { skip: SKIP_GPSD }, () => {
  it("makes Twisted's calls for the sentences gpsd relays", async () => {
    const port = await freePort();
    const log = join(dir, "drive.nmea");
    // Ten passes of the drive, fed from the start (-n) one sentence each 20 ms: gpsd
    // recognises the receiver within a few sentences and relays the rest to watchers.
    writeFileSync(log, LOG.repeat(10));
    const gpsfake = spawn(
      "gpsfake",
      ["-1", "-n", "-q", "-c", "0.02", "-P", String(port), log],
      // Its own process group, so that gpsd goes with it (gpsfake may ignore SIGTERM).
      { stdio: ["ignore", "ignore", "pipe"], detached: true },
    );
    let stderr = "";
    gpsfake.stderr.on("data", (d) => stderr += d);
    const exited = new Promise((resolve) => gpsfake.once("exit", resolve));
    try {
      const raw: Uint8Array[] = [];
      const { recorder, protocol, lost } = recorderProtocol((a) => {
        const p = new GPSDNMEAProtocol(a);
        const feed = p.dataReceived.bind(p);
        p.dataReceived = (data: Uint8Array) => {
          raw.push(data.slice());
          feed(data);
        };
        return p;
      });
      // gpsfake starts gpsd, which listens a moment later.
      const end = Date.now() + 15000;
      for (;;) {
        try {
          await connectProtocol(clientFromString(reactor, `tcp:127.0.0.1:${port}`), protocol);
          break;
        } catch (e) {
          if (Date.now() > end) throw new Error(`gpsd did not listen: ${stderr}`, { cause: e });
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      // Read until gpsd has relayed half the log (gpsfake does not always end
      // gpsd at the log's end), then hang up.
      const relayed = (): string => new TextDecoder().decode(concat(raw));
      const count = (): number => relayed().split("\n").filter((l) => l.startsWith("$")).length;
      const end2 = Date.now() + 20000;
      while (count() < 60 && Date.now() < end2) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      protocol.transport.loseConnection();
      await lost;
      // Whole lines only: the last may have been cut by the hang-up.
      const text = relayed().slice(0, relayed().lastIndexOf("\n") + 1);
      const sentences = text.split(/\r?\n/).filter((l) => l.startsWith("$"));
      assert.ok(sentences.length >= 60, `gpsd relayed ${sentences.length} sentences: ${stderr}`);
      const want = twistedCalls(sentences.map((s) => s + "\r\n").join(""));
      assert.ok(want.length >= 10, "Twisted made too few calls");
      assert.deepEqual(recorder.calls, want);
    } finally {
      if (gpsfake.exitCode === null) {
        try {
          process.kill(-gpsfake.pid!, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await exited;
    }
  });
});
