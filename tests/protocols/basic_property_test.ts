// Property tests (fast-check): however a byte stream is split into chunks,
// every receiver delivers the same lines / strings as when it arrives whole.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Int16StringReceiver,
  Int32StringReceiver,
  Int8StringReceiver,
  LineOnlyReceiver,
  LineReceiver,
  NetstringReceiver,
  TextLineReceiver,
} from "../../src/protocols/basic.ts";
import { connectedServerAndClient, StringTransport, trackLeaks } from "../../src/testing/mod.ts";
import type { IProtocol } from "../../src/internet/interfaces.ts";
import type { Protocol } from "../../src/internet/protocol.ts";

/** What the length-prefixed and netstring receivers have in common. */
type StringReceiver = Protocol & {
  stringReceived(string: Uint8Array): void;
  sendString(string: Uint8Array | string): void;
};

trackLeaks({ beforeEach, afterEach });

const RUNS = { numRuns: 200 };

/** Splits `data` at the given cut points (any numbers; reduced modulo the length). */
function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (data.byteLength ? c % (data.byteLength + 1) : 0)))]
    .sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, data.byteLength]) {
    out.push(data.slice(at, p));
    at = p;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

const hex = (u: Uint8Array): string =>
  Array.from(u, (x) => x.toString(16).padStart(2, "0")).join("");

/** Bytes drawn from a small alphabet, so delimiters (and their prefixes) are frequent. */
const streamBytes = fc.uint8Array({ maxLength: 300 }).map((u) =>
  u.map((x) => [0x0d, 0x0a, 0x61, 0x62, 0x7c, x][x % 6])
);
const cuts = fc.array(fc.nat(), { maxLength: 40 });
const delimiters = fc.constantFrom(
  new Uint8Array([0x0d, 0x0a]),
  new Uint8Array([0x0a]),
  new Uint8Array([0x7c, 0x7c, 0x0a]),
);

class Lines extends LineReceiver {
  lines: string[] = [];
  exceeded = 0;
  override lineReceived(line: Uint8Array): void {
    this.lines.push(hex(line));
  }
  override lineLengthExceeded(line: Uint8Array): void {
    this.exceeded++;
    super.lineLengthExceeded(line);
  }
}

/** Feeds chunks to a fresh protocol and returns it. */
function run<P extends IProtocol>(make: () => P, chunks: Uint8Array[]): P {
  const p = make();
  p.makeConnection(new StringTransport());
  for (const c of chunks) p.dataReceived(c);
  return p;
}

/** The lines of `data` split by `delimiter`, computed the obvious way. */
function expectedLines(data: Uint8Array, delimiter: Uint8Array): string[] {
  const text = hex(data);
  const delim = hex(delimiter);
  const lines: string[] = [];
  let at = 0;
  for (;;) {
    // Search at byte boundaries only (even hex offsets).
    let i = text.indexOf(delim, at);
    while (i >= 0 && i % 2 === 1) i = text.indexOf(delim, i + 1);
    if (i < 0) return lines;
    lines.push(text.slice(at, i));
    at = i + delim.length;
  }
}

describe("property: any split of the stream yields the same messages", () => {
  it("LineReceiver delivers the same lines as a plain split, for any chunking and delimiter", () => {
    fc.assert(
      fc.property(streamBytes, cuts, delimiters, (data, cutPoints, delimiter) => {
        const make = (): Lines => {
          const p = new Lines();
          p.delimiter = delimiter;
          p.MAX_LENGTH = 1000;
          return p;
        };
        const whole = run(make, [data]);
        const pieces = run(make, split(data, cutPoints));
        assert.deepEqual(pieces.lines, whole.lines);
        assert.deepEqual(whole.lines, expectedLines(data, delimiter));
      }),
      RUNS,
    );
  });

  it("LineReceiver reaches the same verdict on over-long lines for any chunking", () => {
    fc.assert(
      fc.property(streamBytes, cuts, (data, cutPoints) => {
        const make = (): Lines => {
          const p = new Lines();
          p.MAX_LENGTH = 8;
          return p;
        };
        const whole = run(make, [data]);
        const pieces = run(make, split(data, cutPoints));
        assert.deepEqual(pieces.lines, whole.lines);
        assert.equal(pieces.exceeded, whole.exceeded);
        assert.equal(pieces.transport.disconnecting, whole.transport.disconnecting);
      }),
      RUNS,
    );
  });

  it("LineReceiver switching to raw mode mid-stream sees the same bytes for any chunking", () => {
    // "raw" switches to raw mode for the next 5 bytes, then back to lines.
    class Mixed extends LineReceiver {
      events: string[] = [];
      left = 0;
      override delimiter = new Uint8Array([0x0a]);
      override lineReceived(line: Uint8Array): void {
        this.events.push(`L${hex(line)}`);
        if (hex(line) === "616161") { // "aaa"
          this.left = 5;
          this.setRawMode();
        }
      }
      override rawDataReceived(data: Uint8Array): void {
        const mine = data.subarray(0, this.left);
        this.left -= mine.byteLength;
        // Raw bytes may come in any pieces: record them one by one.
        for (const x of mine) this.events.push(`R${x}`);
        if (this.left === 0) this.setLineMode(data.subarray(mine.byteLength));
      }
    }
    const withRaw = fc.array(
      fc.oneof(
        fc.constant(new Uint8Array([0x61, 0x61, 0x61, 0x0a])),
        fc.uint8Array({ minLength: 5, maxLength: 5 }),
        streamBytes,
      ),
      { maxLength: 8 },
    ).map(concat);
    fc.assert(
      fc.property(withRaw, cuts, (data, cutPoints) => {
        const whole = run(() => new Mixed(), [data]);
        const pieces = run(() => new Mixed(), split(data, cutPoints));
        assert.deepEqual(pieces.events, whole.events);
      }),
      RUNS,
    );
  });

  it("TextLineReceiver decodes the same lines for any chunking, even inside a character", () => {
    class Text extends TextLineReceiver {
      lines: string[] = [];
      override lineReceived(line: string): void {
        this.lines.push(line);
      }
    }
    const text = fc.array(fc.string({ unit: "grapheme", maxLength: 20 }), { maxLength: 10 })
      .map((lines) => lines.map((l) => l.replaceAll("\r", "").replaceAll("\n", "")));
    fc.assert(
      fc.property(text, cuts, (lines, cutPoints) => {
        const data = new TextEncoder().encode(lines.map((l) => `${l}\r\n`).join(""));
        const p = run(() => new Text(), split(data, cutPoints));
        assert.deepEqual(p.lines, lines);
      }),
      RUNS,
    );
  });

  it("LineOnlyReceiver delivers the same lines for any chunking", () => {
    class Only extends LineOnlyReceiver {
      lines: string[] = [];
      override MAX_LENGTH = 1000;
      override lineReceived(line: Uint8Array): void {
        this.lines.push(hex(line));
      }
    }
    fc.assert(
      fc.property(streamBytes, cuts, (data, cutPoints) => {
        const p = run(() => new Only(), split(data, cutPoints));
        assert.deepEqual(p.lines, expectedLines(data, new Uint8Array([0x0d, 0x0a])));
      }),
      RUNS,
    );
  });

  const stringReceivers: [string, () => StringReceiver, number][] = [
    ["Int8StringReceiver", () => new Int8StringReceiver(), 255],
    ["Int16StringReceiver", () => new Int16StringReceiver(), 600],
    ["Int32StringReceiver", () => new Int32StringReceiver(), 600],
    ["NetstringReceiver", () => new NetstringReceiver(), 600],
  ];
  for (const [name, make, max] of stringReceivers) {
    it(`${name} delivers the strings sent, for any chunking`, () => {
      /** A receiver recording what it gets, in hex. */
      const collect = (): StringReceiver & { received: string[] } => {
        const p = Object.assign(make(), { received: [] as string[] });
        p.stringReceived = (string: Uint8Array) => p.received.push(hex(string));
        return p;
      };
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ maxLength: max }), { maxLength: 6 }),
          cuts,
          (strings, cutPoints) => {
            const sender = collect();
            const t = new StringTransport();
            sender.makeConnection(t);
            for (const x of strings) sender.sendString(x);
            const p = run(collect, split(t.value(), cutPoints));
            assert.deepEqual(p.received, strings.map(hex));
            assert.equal(p.transport.disconnecting, false);
          },
        ),
        { numRuns: 100 },
      );
    });
  }

  it("LineReceiver over connectedServerAndClient delivers every line sent, in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z ]{0,30}$/), { maxLength: 20 }),
        fc.array(fc.nat({ max: 3 }), { maxLength: 20 }),
        (lines, flushEvery) => {
          class Server extends LineReceiver {
            got: string[] = [];
            override lineReceived(line: Uint8Array): void {
              this.got.push(new TextDecoder().decode(line));
            }
          }
          const [client, server, pump] = connectedServerAndClient<LineReceiver, Server>(
            () => new Server(),
            () => new LineReceiver(),
          );
          lines.forEach((line, i) => {
            client.sendLine(line);
            if ((flushEvery[i] ?? 0) === 0) pump.pump();
          });
          pump.flush();
          assert.deepEqual(server.got, lines);
        },
      ),
      { numRuns: 100 },
    );
  });
});
