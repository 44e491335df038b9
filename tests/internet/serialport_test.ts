// SerialPort (twisted.internet.serialport) over this runtime's adapter: a
// regular file, a FIFO and a pseudo-terminal (python3's pty module).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "../../src/internet/serialport.ts";
import { PipeAddress } from "../../src/internet/stdio.ts";
import { ConnectionDone, ConnectionLost, NotSupportedError } from "../../src/internet/error.ts";
import { Reactor } from "../../src/internet/reactor.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { Collector, concat, reactor, runtime } from "./_pipe_runtime.ts";
import { PtyPeer, SKIP_NO_PTY } from "./_pty_peer.ts";

trackLeaks({ beforeEach, afterEach });

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tw-serial-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const te = new TextEncoder();
/** 200 KiB of every byte value, so chunking and binary data are both exercised. */
const BIG = Uint8Array.from({ length: 200 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

describe("SerialPort on a regular file", () => {
  it("delivers the whole file, then connectionLost with ConnectionDone", async () => {
    const path = join(dir, "log.bin");
    writeFileSync(path, BIG);
    const collector = new Collector();
    const port = new SerialPort(collector, path, reactor, { baudrate: 4800 });
    await port.whenOpen();
    const reason = await collector.lost;
    assert.ok(reason.value instanceof ConnectionDone, String(reason.value));
    assert.deepEqual(concat(collector.chunks), BIG);
    assert.ok(port.getPeer() instanceof PipeAddress);
    assert.equal(String(port.getHost()), "PipeAddress()");
    assert.equal(port.isTTY, false);
    assert.equal(port.path, path);
    assert.equal(port.baudrate, 4800);
  });

  it("holds reading back while paused, and goes on when resumed", async () => {
    const path = join(dir, "log.bin");
    writeFileSync(path, BIG);
    const collector = new Collector();
    const port = new SerialPort(collector, path, reactor);
    port.pauseProducing();
    await port.whenOpen();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // At most the chunk in flight when the pause came: never the whole file.
    assert.ok(concat(collector.chunks).byteLength < BIG.byteLength);
    port.resumeProducing();
    await collector.lost;
    assert.deepEqual(concat(collector.chunks), BIG);
  });

  it("ends at once on loseConnection, with ConnectionDone", async () => {
    const path = join(dir, "log.bin");
    writeFileSync(path, BIG);
    const collector = new Collector();
    const port = new SerialPort(collector, path, reactor);
    port.pauseProducing();
    port.loseConnection();
    const reason = await collector.lost;
    assert.ok(reason.value instanceof ConnectionDone);
    assert.equal(port.disconnected, true);
  });

  it("drops writes to a file opened for reading", async () => {
    const path = join(dir, "log.txt");
    writeFileSync(path, "abc");
    const collector = new Collector();
    const port = new SerialPort(collector, path, reactor);
    port.write(te.encode("ignored"));
    await collector.lost;
    assert.equal(collector.text, "abc");
    assert.equal(spawnSync("cat", [path], { encoding: "utf8" }).stdout, "abc");
  });
});

describe("SerialPort errors", () => {
  it("ends a missing path in connectionLost with the error as the cause", async () => {
    const collector = new Collector();
    const port = new SerialPort(collector, join(dir, "missing"), reactor);
    await assert.rejects(port.whenOpen(), (e: Error & { code?: string }) => e.code === "ENOENT");
    const reason = await collector.lost;
    assert.ok(reason.value instanceof ConnectionLost);
    assert.equal((reason.value.cause as { code?: string }).code, "ENOENT");
  });

  it("refuses a baud rate that is not a positive integer", () => {
    for (const baudrate of [0, -9600, 9600.5, NaN]) {
      assert.throws(
        () => new SerialPort(new Collector(), "/dev/null", reactor, { baudrate }),
        RangeError,
      );
    }
  });

  it("needs an adapter with openStream", () => {
    const bare = new Reactor({ ...runtime, openStream: undefined });
    assert.throws(() => new SerialPort(new Collector(), "/dev/null", bare), NotSupportedError);
  });
});

describe("SerialPort on a FIFO", () => {
  it("reads what a writer sends until it closes, then ConnectionDone", async () => {
    const path = join(dir, "fifo");
    assert.equal(spawnSync("mkfifo", [path]).status, 0);
    const source = join(dir, "source.bin");
    writeFileSync(source, BIG);
    const collector = new Collector();
    const port = new SerialPort(collector, path, reactor);
    const writer = spawn("sh", ["-c", 'cat "$1" > "$2"', "sh", source, path]);
    const exited = new Promise((resolve) => writer.once("exit", resolve));
    await port.whenOpen();
    const reason = await collector.lost;
    assert.ok(reason.value instanceof ConnectionDone, String(reason.value));
    assert.deepEqual(concat(collector.chunks), BIG);
    assert.equal(await exited, 0);
  });
});

describe("SerialPort on a pseudo-terminal", { skip: SKIP_NO_PTY }, () => {
  it("sets the speed and raw mode with stty, reads and writes the device", async () => {
    const peer = await new PtyPeer().start();
    try {
      const collector = new Collector();
      const port = new SerialPort(collector, peer.path, reactor, { baudrate: 4800 });
      await port.whenOpen();
      assert.equal(port.isTTY, true);
      // termios B4800 is 12 on Linux; echo must be off.
      assert.equal(await peer.command("speed"), "12 noecho");
      await peer.write("$GPHDT,10.5,T*00\r\nline 2\r\n");
      await collector.waitFor("line 2\r\n");
      assert.equal(collector.text, "$GPHDT,10.5,T*00\r\nline 2\r\n");
      port.write(te.encode("to the device"));
      assert.equal(await peer.read(13), "to the device");
      port.loseConnection();
      const reason = await collector.lost;
      assert.ok(reason.value instanceof ConnectionDone, String(reason.value));
    } finally {
      await peer.stop();
    }
  });

  it("ends when the other side hangs up", async () => {
    const peer = await new PtyPeer().start();
    try {
      const collector = new Collector();
      const port = new SerialPort(collector, peer.path, reactor, { baudrate: 9600 });
      await port.whenOpen();
      await peer.write("before\n");
      await collector.waitFor("before");
      await peer.command("close");
      // EIO: Twisted says ConnectionLost; node's tty stream reports it as the end.
      const reason = await collector.lost;
      assert.ok(
        reason.value instanceof ConnectionLost || reason.value instanceof ConnectionDone,
        String(reason.value),
      );
    } finally {
      await peer.stop();
    }
  });
});
