// SSHWriter hands its buffer over without a copy when the capacity given was used
// exactly (big CHANNEL_DATA and SFTP DATA packets): the same bytes as the copying
// path, and never shared with later writes or a second caller. And the transport
// turns Nagle's algorithm off on a TCP connection before it writes anything.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SSHClientTransport, SSHServerTransport, SSHWriter } from "../../../src/conch/mod.ts";
import { FXP } from "../../../src/conch/sftp/mod.ts";
import { packet } from "../../../src/conch/sftp/_wire.ts";
import { StringTransport } from "../../../src/testing/mod.ts";

type Op = ["byte", number] | ["uint32", number] | ["uint64", bigint] | ["string", Uint8Array];

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(fc.constant("byte" as const), fc.integer({ min: 0, max: 255 })),
  fc.tuple(fc.constant("uint32" as const), fc.nat()),
  fc.tuple(fc.constant("uint64" as const), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
  fc.tuple(fc.constant("string" as const), fc.uint8Array({ maxLength: 300 })),
);

function write(writer: SSHWriter, ops: Op[]): SSHWriter {
  for (const [kind, value] of ops) {
    if (kind === "byte") writer.byte(value);
    else if (kind === "uint32") writer.uint32(value);
    else if (kind === "uint64") writer.uint64(value);
    else writer.string(value);
  }
  return writer;
}

describe("SSHWriter.bytes", () => {
  it("gives the same bytes with an exact capacity as with a growing buffer (property)", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), fc.array(op, { maxLength: 5 }), (ops, more) => {
        const expected = write(new SSHWriter(1), ops).bytes();
        const exact = write(new SSHWriter(expected.length), ops);
        const handed = exact.bytes();
        assert.deepEqual(handed, expected);
        // A second call gets its own copy; changing one changes neither the other nor the writer.
        const second = exact.bytes();
        assert.deepEqual(second, expected);
        if (second.length > 0) {
          second[0] ^= 0xff;
          assert.deepEqual(handed, expected);
          assert.deepEqual(exact.bytes(), expected);
        }
        // Writing on moves to a new buffer: what was handed over stays as it was.
        const before = handed.slice();
        write(exact, more);
        assert.deepEqual(handed, before);
        assert.deepEqual(exact.bytes(), write(new SSHWriter(1), [...ops, ...more]).bytes());
      }),
      { numRuns: 300 },
    );
  });

  it("hands over its own buffer once when exactly full, and copies otherwise", () => {
    const exact = new SSHWriter(5).byte(1).uint32(2);
    const first = exact.bytes();
    assert.notEqual(exact.bytes(), first, "the second call copies");
    const roomy = new SSHWriter(64).byte(1).uint32(2);
    assert.equal(roomy.bytes().buffer.byteLength, 5, "a partly used buffer is copied out");
  });

  it("grows from a capacity of 0", () => {
    assert.deepEqual(new SSHWriter(0).uint32(1).bytes(), new Uint8Array([0, 0, 0, 1]));
  });

  it("sizes an SFTP DATA packet exactly when told its size", () => {
    const data = new Uint8Array(1000).map((_, i) => i);
    const sized = packet(FXP.DATA, (w) => w.uint32(7).string(data), 13 + data.length);
    assert.deepEqual(sized, packet(FXP.DATA, (w) => w.uint32(7).string(data)));
    assert.equal(sized.buffer.byteLength, 1013);
  });
});

class TcpStringTransport extends StringTransport {
  noDelay: boolean[] = [];
  writtenBeforeNoDelay = -1;
  setTcpNoDelay(enabled: boolean): void {
    this.noDelay.push(enabled);
    if (this.writtenBeforeNoDelay < 0) this.writtenBeforeNoDelay = this.value().length;
  }
}

describe("SSH transport over TCP", () => {
  for (
    const [side, make] of [["server", () => new SSHServerTransport()], [
      "client",
      () => new SSHClientTransport(),
    ]] as const
  ) {
    it(`turns Nagle's algorithm off before the ${side} writes anything`, () => {
      const transport = new TcpStringTransport();
      make().makeConnection(transport);
      assert.deepEqual(transport.noDelay, [true]);
      assert.equal(transport.writtenBeforeNoDelay, 0);
      assert.ok(transport.value().length > 0, "the version line went out after");
    });
  }

  it("runs over a transport without setTcpNoDelay", () => {
    const transport = new StringTransport();
    new SSHServerTransport().makeConnection(transport);
    assert.ok(transport.value().length > 0);
  });
});
