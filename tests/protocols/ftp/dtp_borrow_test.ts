// The data connection (DTP) borrows what it receives (IBorrowingProtocol): a transport may
// lend it views of one buffer it reads into again after each dataReceived (Node does, for
// uploads). Here a fake lender overwrites its buffer after every call: whatever the DTP
// held back, or gave a consumer that keeps chunks, must still be the bytes sent, and a
// file written through FileWriter (which copies small chunks itself) must be exact.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionDone } from "../../../src/internet/error.ts";
import { Failure } from "../../../src/internet/failure.ts";
import type { IConsumer, IPushProducer } from "../../../src/internet/interfaces.ts";
import { StringTransportWithDisconnection, trackLeaks } from "../../../src/testing/mod.ts";
import { DTP } from "../../../src/protocols/ftp/_dtp.ts";
import { FileWriter } from "../../../src/protocols/ftp/_file_io.ts";
import { FakeFile } from "./_fake_file.ts";
import { concatBytes } from "../../../src/internet/_bytes.ts";
import { assertSameBytes, pattern } from "../../_bytes_helpers.ts";

trackLeaks({ beforeEach, afterEach });

/** Feeds `data` to `dtp` as a lending transport would: views of one 64 KiB buffer, wiped after each call. */
function lend(dtp: DTP, data: Uint8Array, sizes: number[]): void {
  const buffer = new Uint8Array(65536);
  let at = 0;
  for (let i = 0; at < data.byteLength; i++) {
    const n = Math.min(sizes[i % sizes.length], data.byteLength - at);
    buffer.set(data.subarray(at, at + n));
    dtp.dataReceived(buffer.subarray(0, n));
    buffer.fill(0xee);
    at += n;
  }
}

/** A consumer that keeps every chunk it is given, as a user's shell may. */
class Keeper implements IConsumer {
  chunks: Uint8Array[] = [];
  registerProducer(_producer: IPushProducer, _streaming: boolean): void {}
  unregisterProducer(): void {}
  write(data: Uint8Array): void {
    this.chunks.push(data);
  }
}

/** A file in memory whose writes finish at once. */
class MemoryFile extends FakeFile {
  data = new Uint8Array(0);
  read(): Promise<number> {
    throw new Error("unused");
  }
  write(data: Uint8Array, position: number): Promise<number> {
    const end = position + data.byteLength;
    if (end > this.data.byteLength) {
      const grown = new Uint8Array(end);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(data, position);
    return Promise.resolve(data.byteLength);
  }
}

function connected(tls = false): DTP {
  const transport = new StringTransportWithDisconnection();
  const dtp = new DTP(tls ? { cert: "", key: "" } : null);
  transport.protocol = dtp;
  if (!tls) dtp.makeConnection(transport);
  return dtp;
}

describe("DTP borrowing the bytes it receives", () => {
  it("borrows without TLS only (a TLS data connection reads through another socket)", () => {
    assert.equal(connected().borrowsData, true);
    assert.equal(connected(true).borrowsData, false);
  });

  it("a consumer that keeps chunks gets the bytes sent, held back ones included", async () => {
    const dtp = connected();
    const sent = pattern(600_000, 3);
    // Before a transfer takes the connection, a little arrives and waits.
    lend(dtp, sent.subarray(0, 70_000), [1, 40_000, 65536]);
    const keeper = new Keeper();
    const received = dtp.receive(keeper, false);
    lend(dtp, sent.subarray(70_000), [65536, 7, 1460, 30_000]);
    dtp.connectionLost(new Failure(new ConnectionDone()));
    await received;
    assertSameBytes(concatBytes(keeper.chunks), sent);
  });

  it("an upload to a file through FileWriter is exact, in binary and ASCII", async () => {
    for (const ascii of [false, true]) {
      const file = new MemoryFile();
      const writer = new FileWriter(file, 0);
      const dtp = connected();
      const received = dtp.receive(await writer.receive(), ascii);
      // No CR in the ASCII case, so the file holds exactly what was sent.
      const sent = pattern(3_000_000, 5).map((b) => (ascii && b === 13 ? 65 : b));
      lend(dtp, sent, [65536, 1, 4096, 65535, 12_345]);
      dtp.connectionLost(new Failure(new ConnectionDone()));
      await received;
      await writer.close();
      assertSameBytes(file.data, sent);
    }
  });
});
