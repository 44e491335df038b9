import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Int16StringReceiver,
  Int32StringReceiver,
  Int8StringReceiver,
  type IntNStringReceiver,
  LineOnlyReceiver,
  LineReceiver,
  NetstringParseError,
  NetstringReceiver,
  StringTooLongError,
  TextLineReceiver,
} from "../../src/protocols/basic.ts";
import {
  Clock,
  connectedServerAndClient,
  StringTransport,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { Factory } from "../../src/internet/protocol.ts";
import type { IProtocol } from "../../src/internet/interfaces.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const b = (s: string): Uint8Array => enc.encode(s);
const s = (u: Uint8Array): string => dec.decode(u);

trackLeaks({ beforeEach, afterEach });

/** Feeds `data` to `protocol` in chunks of `size` bytes. */
function feed(protocol: IProtocol, data: Uint8Array, size: number): void {
  for (let i = 0; i < data.byteLength; i += size) {
    protocol.dataReceived(data.slice(i, i + size));
  }
}

/**
 * Twisted's LineTester: "len N" then an empty line switches to raw mode for N
 * bytes; "pause" pauses until the clock runs; "rawpause" pauses in raw mode;
 * "stop" stops producing; an over-long line hands back what follows it.
 */
class LineTester extends LineReceiver {
  override delimiter: Uint8Array = b("\n");
  override MAX_LENGTH = 64;
  received: string[] = [];
  length = 0;
  clock: Clock;
  constructor(clock = new Clock()) {
    super();
    this.clock = clock;
  }
  override lineReceived(line: Uint8Array): void {
    const text = s(line);
    this.received.push(text);
    if (text === "") {
      this.setRawMode();
    } else if (text === "pause") {
      this.pauseProducing();
      this.clock.callLater(0, () => this.resumeProducing());
    } else if (text === "rawpause") {
      this.pauseProducing();
      this.setRawMode();
      this.received.push("");
      this.clock.callLater(0, () => this.resumeProducing());
    } else if (text === "stop") {
      this.stopProducing();
    } else if (text.startsWith("len ")) {
      this.length = Number(text.slice(4));
    }
  }
  override rawDataReceived(data: Uint8Array): void {
    const mine = data.subarray(0, this.length);
    const rest = data.subarray(this.length);
    this.length -= mine.byteLength;
    this.received[this.received.length - 1] += s(mine);
    if (this.length === 0) this.setLineMode(rest);
  }
  override lineLengthExceeded(line: Uint8Array): void {
    if (line.byteLength > this.MAX_LENGTH + 1) this.setLineMode(line.subarray(this.MAX_LENGTH + 1));
  }
}

const modeBuffer = "len 10\n\n0123456789len 5\n\n1234\nlen 20\nfoo 123\n\n0123456789\n" +
  "012345678len 0\nfoo 5\n\n" + "1234567890".repeat(7) + "\nlen 1\n\na";
const modeOutput = [
  "len 10",
  "0123456789",
  "len 5",
  "1234\n",
  "len 20",
  "foo 123",
  "0123456789\n012345678",
  "len 0",
  "foo 5",
  "",
  "67890",
  "len 1",
  "a",
];

describe("LineReceiver", () => {
  it("LineReceiver.dataReceived() delivers the same lines and raw data for every chunk size", () => {
    for (let size = 1; size <= modeBuffer.length; size++) {
      const p = new LineTester();
      p.makeConnection(new StringTransport());
      feed(p, b(modeBuffer), size);
      assert.deepEqual(p.received, modeOutput, `chunk size ${size}`);
    }
  });

  it("delivers many lines arriving in one chunk, one by one", () => {
    const lines: string[] = [];
    class P extends LineReceiver {
      override lineReceived(line: Uint8Array): void {
        lines.push(s(line));
      }
    }
    const p = new P();
    p.makeConnection(new StringTransport());
    p.dataReceived(b("a\r\nbb\r\n\r\nccc\r\nd"));
    assert.deepEqual(lines, ["a", "bb", "", "ccc"]);
    p.dataReceived(b("\r"));
    assert.deepEqual(lines, ["a", "bb", "", "ccc"]);
    p.dataReceived(b("\n"));
    assert.deepEqual(lines, ["a", "bb", "", "ccc", "d"]);
  });

  it("gives lines it owns: changing the input buffer later does not change them", () => {
    const lines: Uint8Array[] = [];
    class P extends LineReceiver {
      override lineReceived(line: Uint8Array): void {
        lines.push(line);
      }
    }
    const p = new P();
    p.makeConnection(new StringTransport());
    const chunk = b("ab\r\ncd\r\n");
    p.dataReceived(chunk);
    chunk.fill(0);
    assert.deepEqual(lines.map(s), ["ab", "cd"]);
  });

  it("honours a delimiter changed per instance or inside lineReceived", () => {
    const lines: string[] = [];
    class P extends LineReceiver {
      override lineReceived(line: Uint8Array): void {
        lines.push(s(line));
        if (s(line) === "switch") this.delimiter = b("||");
      }
    }
    const p = new P();
    p.delimiter = b("\n");
    p.makeConnection(new StringTransport());
    p.dataReceived(b("one\nswitch\ntwo||three|"));
    p.dataReceived(b("|"));
    assert.deepEqual(lines, ["one", "switch", "two", "three"]);
  });

  it("stops delivering while paused and resumes when the clock runs (pauseProducing)", () => {
    const buf = b("twiddle1\ntwiddle2\npause\ntwiddle3\n");
    for (let size = 1; size < 10; size++) {
      const clock = new Clock();
      const transport = new StringTransport();
      const p = new LineTester(clock);
      p.makeConnection(transport);
      feed(p, buf, size);
      assert.deepEqual(p.received, ["twiddle1", "twiddle2", "pause"], `chunk size ${size}`);
      assert.equal(transport.producerState, "paused");
      clock.advance(0);
      assert.deepEqual(p.received, ["twiddle1", "twiddle2", "pause", "twiddle3"]);
      assert.equal(transport.producerState, "producing");
    }
  });

  it("pauses in raw mode too", () => {
    const buf = b("twiddle1\ntwiddle2\nlen 5\nrawpause\n12345twiddle3\n");
    for (let size = 1; size < 10; size++) {
      const clock = new Clock();
      const p = new LineTester(clock);
      p.makeConnection(new StringTransport());
      feed(p, buf, size);
      assert.deepEqual(p.received, ["twiddle1", "twiddle2", "len 5", "rawpause", ""]);
      clock.advance(0);
      assert.deepEqual(p.received, [
        "twiddle1",
        "twiddle2",
        "len 5",
        "rawpause",
        "12345",
        "twiddle3",
      ]);
    }
  });

  it("delivers nothing more after stopProducing", () => {
    const buf = b("twiddle1\ntwiddle2\nstop\nmore\nstuff\n");
    for (let size = 1; size < 10; size++) {
      const transport = new StringTransport();
      const p = new LineTester();
      p.makeConnection(transport);
      feed(p, buf, size);
      assert.deepEqual(p.received, ["twiddle1", "twiddle2", "stop"]);
      assert.equal(transport.producerState, "stopped");
    }
  });

  it("delivers no more lines while the transport is paused, until resumed", () => {
    const lines: string[] = [];
    class P extends LineReceiver {
      override lineReceived(line: Uint8Array): void {
        lines.push(s(line));
        if (s(line) === "wait") this.transport.pauseProducing();
      }
    }
    const transport = new StringTransport();
    const p = new P();
    p.makeConnection(transport);
    p.dataReceived(b("a\r\nwait\r\nb\r\nc\r\n"));
    assert.deepEqual(lines, ["a", "wait"]);
    p.dataReceived(b("d\r\n"));
    assert.deepEqual(lines, ["a", "wait"]);
    transport.resumeProducing();
    p.dataReceived(new Uint8Array(0)); // a StringTransport does not call back by itself
    assert.deepEqual(lines, ["a", "wait", "b", "c", "d"]);
  });

  it("stops delivering lines once the transport is disconnecting", () => {
    const lines: string[] = [];
    class P extends LineReceiver {
      override lineReceived(line: Uint8Array): void {
        lines.push(s(line));
        if (s(line) === "quit") this.transport.loseConnection();
      }
    }
    const p = new P();
    p.makeConnection(new StringTransport());
    p.dataReceived(b("a\r\nquit\r\nb\r\n"));
    assert.deepEqual(lines, ["a", "quit"]);
  });

  it("clearLineBuffer() returns the unprocessed bytes and forgets them", () => {
    class P extends LineReceiver {
      line = "";
      rest: Uint8Array = new Uint8Array(0);
      override lineReceived(line: Uint8Array): void {
        this.line = s(line);
        this.rest = this.clearLineBuffer();
      }
    }
    const p = new P();
    p.dataReceived(b("foo\r\nbar\r\nbaz"));
    assert.equal(p.line, "foo");
    assert.equal(s(p.rest), "bar\r\nbaz");
    p.dataReceived(b("quux\r\n"));
    assert.equal(p.line, "quux");
    assert.equal(s(p.rest), "");
  });

  it("closes the connection on a line longer than MAX_LENGTH", () => {
    const p = new LineReceiver();
    const t = new StringTransport();
    p.makeConnection(t);
    p.dataReceived(b("x".repeat(p.MAX_LENGTH + 1) + "\r\nr"));
    assert.equal(t.disconnecting, true);
  });

  it("closes the connection when MAX_LENGTH + delimiter bytes came without a delimiter", () => {
    const got: Uint8Array[] = [];
    class P extends LineReceiver {
      override MAX_LENGTH = 4;
      override lineLengthExceeded(line: Uint8Array): void {
        got.push(line);
        super.lineLengthExceeded(line);
      }
    }
    const p = new P();
    const t = new StringTransport();
    p.makeConnection(t);
    p.dataReceived(b("xxxxx"));
    assert.equal(t.disconnecting, false);
    p.dataReceived(b("x"));
    assert.equal(t.disconnecting, true);
    assert.deepEqual(got.map(s), ["xxxxxx"]);
  });

  it("accepts a line of exactly MAX_LENGTH and a partial delimiter after it", () => {
    const lines: string[] = [];
    class P extends LineReceiver {
      override MAX_LENGTH = 4;
      override lineReceived(line: Uint8Array): void {
        lines.push(s(line));
      }
    }
    const p = new P();
    const t = new StringTransport();
    p.makeConnection(t);
    p.dataReceived(b("xxxx\r"));
    assert.equal(t.disconnecting, false);
    p.dataReceived(b("\n"));
    assert.deepEqual(lines, ["xxxx"]);
    assert.equal(t.disconnecting, false);
  });

  it("sendLine() writes the line and the delimiter, from bytes or a string", () => {
    const p = new LineReceiver();
    const t = new StringTransport();
    p.makeConnection(t);
    p.sendLine(b("abc"));
    p.sendLine("dé");
    p.delimiter = b("\n");
    p.sendLine("x");
    assert.equal(t.valueText(), "abc\r\ndé\r\nx\n");
  });

  it("throws from the default lineReceived and rawDataReceived", () => {
    const p = new LineReceiver();
    p.makeConnection(new StringTransport());
    assert.throws(() => p.dataReceived(b("a\r\n")), /lineReceived is not implemented/);
    p.setRawMode();
    assert.equal(p.lineMode, false);
    assert.throws(() => p.dataReceived(b("z")), /rawDataReceived is not implemented/);
  });

  it("is linear on one huge line arriving byte by byte", () => {
    const lines: number[] = [];
    class P extends LineReceiver {
      override MAX_LENGTH = 1 << 20;
      override lineReceived(line: Uint8Array): void {
        lines.push(line.byteLength);
      }
    }
    const p = new P();
    p.makeConnection(new StringTransport());
    const one = new Uint8Array([0x61]);
    for (let i = 0; i < 200_000; i++) p.dataReceived(one);
    p.dataReceived(b("\r\n"));
    assert.deepEqual(lines, [200_000]);
  });

  it("is linear on many lines in one huge chunk", () => {
    let count = 0;
    class P extends LineReceiver {
      override lineReceived(_line: Uint8Array): void {
        count++;
      }
    }
    const p = new P();
    p.makeConnection(new StringTransport());
    p.dataReceived(b("line of text\r\n".repeat(100_000)));
    assert.equal(count, 100_000);
  });

  it("works through connectedServerAndClient, pausing through the transport", () => {
    const got: string[] = [];
    class Server extends LineReceiver {
      override lineReceived(line: Uint8Array): void {
        got.push(s(line));
        if (s(line) === "hold") this.transport.pauseProducing();
        this.sendLine(`ack ${s(line)}`);
      }
    }
    const replies: string[] = [];
    class Client extends LineReceiver {
      override lineReceived(line: Uint8Array): void {
        replies.push(s(line));
      }
    }
    const [client, server, pump] = connectedServerAndClient<Client, Server>(
      Factory.forProtocol(Server),
      Factory.forProtocol(Client),
    );
    client.sendLine("one");
    client.sendLine("hold");
    client.sendLine("two");
    pump.flush();
    assert.deepEqual(got, ["one", "hold"]);
    assert.deepEqual(replies, ["ack one", "ack hold"]);
    server.transport.resumeProducing();
    pump.flush();
    assert.deepEqual(got, ["one", "hold", "two"]);
    assert.deepEqual(replies, ["ack one", "ack hold", "ack two"]);
    client.transport.loseConnection();
    pump.flush();
    assert.equal(pump.serverIO.disconnected, true);
  });
});

describe("TextLineReceiver", () => {
  it("decodes each line as UTF-8, even when a character is split across chunks", () => {
    const lines: string[] = [];
    class P extends TextLineReceiver {
      override lineReceived(line: string): void {
        lines.push(line);
      }
    }
    const data = b("héllo wörld\r\n日本\r\n");
    for (let size = 1; size <= data.byteLength; size++) {
      lines.length = 0;
      const p = new P();
      p.makeConnection(new StringTransport());
      feed(p, data, size);
      assert.deepEqual(lines, ["héllo wörld", "日本"]);
    }
  });

  it("replaces malformed UTF-8 with U+FFFD and sends strings", () => {
    const lines: string[] = [];
    class P extends TextLineReceiver {
      override lineReceived(line: string): void {
        lines.push(line);
        this.sendLine(line.toUpperCase());
      }
    }
    const t = new StringTransport();
    const p = new P();
    p.makeConnection(t);
    p.dataReceived(new Uint8Array([0x61, 0xff, 0x0d, 0x0a]));
    assert.deepEqual(lines, ["a\ufffd"]);
    assert.equal(t.valueText(), "A\ufffd\r\n");
  });

  it("works through connectedServerAndClient", () => {
    const got: string[] = [];
    class Server extends TextLineReceiver {
      override lineReceived(line: string): void {
        got.push(line);
      }
    }
    const [client, , pump] = connectedServerAndClient<TextLineReceiver>(
      () => new Server(),
      () => new TextLineReceiver(),
    );
    client.sendLine("ça va");
    pump.flush();
    assert.deepEqual(got, ["ça va"]);
  });
});

describe("LineOnlyReceiver", () => {
  class Collect extends LineOnlyReceiver {
    lines: string[] = [];
    override lineReceived(line: Uint8Array): void {
      this.lines.push(s(line));
    }
  }

  it("delivers the same lines for every chunk size", () => {
    const data = b("a\r\nbc\r\n\r\ndef\r\n");
    for (let size = 1; size <= data.byteLength; size++) {
      const p = new Collect();
      p.makeConnection(new StringTransport());
      feed(p, data, size);
      assert.deepEqual(p.lines, ["a", "bc", "", "def"]);
    }
  });

  it("closes the connection on a line or a buffer longer than MAX_LENGTH", () => {
    const p = new Collect();
    p.MAX_LENGTH = 3;
    const t = new StringTransport();
    p.makeConnection(t);
    p.dataReceived(b("abc\r\n"));
    assert.equal(t.disconnecting, false);
    p.dataReceived(b("abcd"));
    assert.equal(t.disconnecting, true);
    const q = new Collect();
    q.MAX_LENGTH = 3;
    const u = new StringTransport();
    q.makeConnection(u);
    q.dataReceived(b("abcd\r\nx\r\n"));
    assert.equal(u.disconnecting, true);
    assert.deepEqual(q.lines, []);
  });

  it("stops once the transport is disconnecting; sendLine() writes line and delimiter", () => {
    class Quit extends Collect {
      override lineReceived(line: Uint8Array): void {
        super.lineReceived(line);
        this.sendLine(line);
        this.transport.loseConnection();
      }
    }
    const p = new Quit();
    const t = new StringTransport();
    p.makeConnection(t);
    p.dataReceived(b("x\r\ny\r\n"));
    assert.deepEqual(p.lines, ["x"]);
    assert.equal(t.valueText(), "x\r\n");
  });

  it("works through connectedServerAndClient", () => {
    const [client, server, pump] = connectedServerAndClient<Collect, Collect>(
      () => new Collect(),
      () => new Collect(),
    );
    client.sendLine("hi");
    server.sendLine("there");
    pump.flush();
    assert.deepEqual(server.lines, ["hi"]);
    assert.deepEqual(client.lines, ["there"]);
  });
});

function intReceiver(kind: 1 | 2 | 4): IntNStringReceiver & { received: string[] } {
  // The three differ only in prefixLength: one class type serves for all.
  const Base =
    (kind === 1
      ? Int8StringReceiver
      : kind === 2
      ? Int16StringReceiver
      : Int32StringReceiver) as typeof Int32StringReceiver;
  class R extends Base {
    received: string[] = [];
    override stringReceived(string: Uint8Array): void {
      this.received.push(s(string));
    }
  }
  return new R();
}

describe("Int8StringReceiver, Int16StringReceiver, Int32StringReceiver", () => {
  const strings = ["a", "b".repeat(16), "", "c".repeat(200), "hello world"];

  for (const kind of [1, 2, 4] as const) {
    it(`Int${kind * 8}StringReceiver delivers the same strings for every chunk size`, () => {
      const sender = intReceiver(kind);
      const t = new StringTransport();
      sender.makeConnection(t);
      for (const x of strings) sender.sendString(x);
      const wire = t.value();
      for (let size = 1; size <= 20; size++) {
        const r = intReceiver(kind);
        r.makeConnection(new StringTransport());
        feed(r, wire, size);
        assert.deepEqual(r.received, strings, `chunk size ${size}`);
      }
    });

    it(`Int${kind * 8}StringReceiver calls lengthLimitExceeded with the declared length`, () => {
      const r = intReceiver(kind);
      const t = new StringTransport();
      r.makeConnection(t);
      r.MAX_LENGTH = 10;
      const lengths: number[] = [];
      r.lengthLimitExceeded = (n: number) => {
        lengths.push(n);
      };
      const prefix = new Uint8Array(kind);
      prefix[kind - 1] = 11;
      r.dataReceived(prefix);
      assert.deepEqual(lengths, [11]);
      assert.deepEqual(r.received, []);
    });
  }

  it("writes a big-endian length prefix", () => {
    const t = new StringTransport();
    const r = intReceiver(4);
    r.makeConnection(t);
    r.sendString(new Uint8Array(258));
    assert.deepEqual(t.value().subarray(0, 4), new Uint8Array([0, 0, 1, 2]));
    assert.equal(t.value().byteLength, 262);
  });

  it("closes the connection by default when the limit is exceeded, delivering nothing", () => {
    const r = intReceiver(2);
    const t = new StringTransport();
    r.makeConnection(t);
    r.MAX_LENGTH = 10;
    r.dataReceived(new Uint8Array([0, 11, ...b("x".repeat(11))]));
    assert.equal(t.disconnecting, true);
    assert.deepEqual(r.received, []);
  });

  it("sendString() refuses a string its prefix cannot express", () => {
    const r = intReceiver(1);
    r.makeConnection(new StringTransport());
    assert.throws(() => r.sendString(new Uint8Array(256)), StringTooLongError);
    r.sendString(new Uint8Array(255));
    const r16 = intReceiver(2);
    r16.makeConnection(new StringTransport());
    assert.throws(() => r16.sendString(new Uint8Array(65536)), RangeError);
  });

  it("holds strings while paused and delivers them on resumeProducing()", () => {
    class R extends Int16StringReceiver {
      received: string[] = [];
      override stringReceived(string: Uint8Array): void {
        this.received.push(s(string));
        if (s(string) === "p") this.pauseProducing();
      }
    }
    const r = new R();
    const t = new StringTransport();
    r.makeConnection(t);
    r.dataReceived(new Uint8Array([0, 1, 0x70, 0, 1, 0x71]));
    assert.deepEqual(r.received, ["p"]);
    assert.equal(t.producerState, "paused");
    r.resumeProducing();
    assert.deepEqual(r.received, ["p", "q"]);
  });

  it("works through connectedServerAndClient", () => {
    const [client, server, pump] = connectedServerAndClient<
      ReturnType<typeof intReceiver>,
      ReturnType<typeof intReceiver>
    >(() => intReceiver(4), () => intReceiver(4));
    client.sendString("ping");
    client.sendString(new Uint8Array(70_000));
    pump.flush();
    assert.equal(server.received.length, 2);
    assert.equal(server.received[0], "ping");
    assert.equal(server.received[1].length, 70_000);
  });
});

describe("NetstringReceiver", () => {
  class Collect extends NetstringReceiver {
    received: string[] = [];
    override stringReceived(string: Uint8Array): void {
      this.received.push(s(string));
    }
  }
  const strings = ["hello", "world", "how", "are", "you123", ":today", "a".repeat(515), ""];

  it("delivers the same strings for every chunk size", () => {
    const sender = new Collect();
    const t = new StringTransport();
    sender.makeConnection(t);
    for (const x of strings) sender.sendString(x);
    assert.equal(s(t.value()).slice(0, 8), "5:hello,");
    for (let size = 1; size <= 20; size++) {
      const r = new Collect();
      r.makeConnection(new StringTransport());
      feed(r, t.value(), size);
      assert.deepEqual(r.received, strings, `chunk size ${size}`);
    }
  });

  it("drops the connection with a NetstringParseError on malformed input", () => {
    const illegal = [
      "9999999999999999999999",
      "abc",
      "4:abcde",
      "51:" + "a".repeat(51) + ",",
      "01:a,",
      ":a,",
      "-1:a,",
    ];
    for (const bad of illegal) {
      for (const size of [1, 3, bad.length]) {
        const r = new Collect();
        r.MAX_LENGTH = 50;
        const t = new StringTransport();
        r.makeConnection(t);
        feed(r, b(bad), size);
        assert.equal(t.disconnecting, true, `${bad} in chunks of ${size}`);
        assert.equal(r.brokenPeer, true);
        assert.ok(r.parseError instanceof NetstringParseError);
        assert.deepEqual(r.received, []);
      }
    }
  });

  it("delivers the strings before a malformed one, then nothing more", () => {
    const r = new Collect();
    const t = new StringTransport();
    r.makeConnection(t);
    r.dataReceived(b("1:a,2:bcX3:def,"));
    assert.deepEqual(r.received, ["a"]);
    assert.match(r.parseError?.message ?? "", /comma/);
    r.dataReceived(b("1:z,"));
    assert.deepEqual(r.received, ["a"]);
  });

  it("works through connectedServerAndClient", () => {
    const [client, server, pump] = connectedServerAndClient<Collect, Collect>(
      () => new Collect(),
      () => new Collect(),
    );
    client.sendString("x");
    server.sendString("y");
    pump.flush();
    assert.deepEqual(server.received, ["x"]);
    assert.deepEqual(client.received, ["y"]);
    pump.clientIO.write(b("junk"));
    pump.flush();
    assert.equal(server.brokenPeer, true);
    assert.equal(pump.serverIO.disconnected, true);
  });
});
