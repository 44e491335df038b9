// insults: VT100 / xterm keyboard sequences into key IDs at any chunking
// (arrows, home/end, SS3, tilde keys, F1-F12, xterm modifiers, Alt, UTF-8),
// unknown and over-long sequences reported without growing buffers, cursor
// reports, the ITerminalTransport output sequences, and a property: any
// bytes give keys or unhandled sequences, never a throw.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { StringTransport, trackLeaks } from "../../../src/testing/mod.ts";
import { successResultOf } from "../../../src/trial/mod.ts";
import {
  A,
  ALT,
  BOLD,
  CONTROL,
  CS_DRAWING,
  DELETE,
  DOWN_ARROW,
  END,
  F1,
  F12,
  F3,
  F4,
  F5,
  flatten,
  G0,
  G1,
  HOME,
  INSERT,
  type KeyID,
  LEFT_ARROW,
  MAX_CONTROL_SEQUENCE,
  modes,
  type Modifier,
  NUMPAD_MIDDLE,
  PGDN,
  PGUP,
  privateModes,
  RIGHT_ARROW,
  ServerProtocol,
  SHIFT,
  TerminalProtocol,
  UP_ARROW,
} from "../../../src/conch/insults/mod.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const td = new TextDecoder();

class Keys extends TerminalProtocol {
  keys: [KeyID, Modifier][] = [];
  unhandled: string[] = [];
  sizes: [number, number][] = [];
  lost = 0;
  override keystrokeReceived(keyID: KeyID, modifier: Modifier): void {
    this.keys.push([keyID, modifier]);
  }
  override unhandledControlSequence(seq: Uint8Array): void {
    this.unhandled.push(td.decode(seq));
  }
  override terminalSize(width: number, height: number): void {
    this.sizes.push([width, height]);
  }
  override connectionLost(): void {
    this.lost++;
  }
}

function setup(): { server: ServerProtocol; keys: Keys; transport: StringTransport } {
  const keys = new Keys();
  const server = new ServerProtocol(() => keys);
  const transport = new StringTransport();
  server.makeConnection(transport);
  return { server, keys, transport };
}

function feed(server: ServerProtocol, input: string | Uint8Array, chunk = 0): void {
  const bytes = typeof input === "string" ? te.encode(input) : input;
  if (chunk <= 0) server.dataReceived(bytes);
  else for (let i = 0; i < bytes.length; i += chunk) server.dataReceived(bytes.slice(i, i + chunk));
}

const SEQUENCES: [string, KeyID, Modifier][] = [
  ["\x1b[A", UP_ARROW, null],
  ["\x1b[B", DOWN_ARROW, null],
  ["\x1b[C", RIGHT_ARROW, null],
  ["\x1b[D", LEFT_ARROW, null],
  ["\x1b[E", NUMPAD_MIDDLE, null],
  ["\x1b[H", HOME, null],
  ["\x1b[F", END, null],
  ["\x1bOA", UP_ARROW, null],
  ["\x1bOD", LEFT_ARROW, null],
  ["\x1bOH", HOME, null],
  ["\x1bOF", END, null],
  ["\x1bOP", F1, null],
  ["\x1bOR", F3, null],
  ["\x1bOS", F4, null],
  ["\x1b[1~", HOME, null],
  ["\x1b[2~", INSERT, null],
  ["\x1b[3~", DELETE, null],
  ["\x1b[4~", END, null],
  ["\x1b[5~", PGUP, null],
  ["\x1b[6~", PGDN, null],
  ["\x1b[15~", F5, null],
  ["\x1b[24~", F12, null],
  ["\x1b[11~", F1, null],
  ["\x1b[1;5A", UP_ARROW, CONTROL],
  ["\x1b[1;2D", LEFT_ARROW, SHIFT],
  ["\x1b[1;3C", RIGHT_ARROW, ALT],
  ["\x1b[3;5~", DELETE, CONTROL],
  ["\x1b[Z", "\t", SHIFT],
  ["\x1bx", "x", ALT],
];

describe("ServerProtocol key parsing", () => {
  it("ServerProtocol.dataReceived() turns each xterm / VT100 sequence into its key", () => {
    for (const [seq, key, modifier] of SEQUENCES) {
      const { server, keys } = setup();
      feed(server, seq);
      assert.deepEqual(keys.keys, [[key, modifier]], JSON.stringify(seq));
      assert.deepEqual(keys.unhandled, []);
    }
  });

  it("ServerProtocol.dataReceived() parses the same keys split at every byte", () => {
    const all = SEQUENCES.map(([seq]) => seq).join("ab\r");
    const expected = SEQUENCES.flatMap(([, key, mod], i) =>
      i === 0 ? [[key, mod]] : [["a", null], ["b", null], ["\r", null], [key, mod]]
    );
    for (const chunk of [1, 2, 3, 7]) {
      const { server, keys } = setup();
      feed(server, all, chunk);
      assert.deepEqual(keys.keys, expected, `chunk ${chunk}`);
    }
  });

  it("ServerProtocol.dataReceived() decodes UTF-8 characters across chunks", () => {
    const { server, keys } = setup();
    feed(server, "é€😀x", 1);
    assert.deepEqual(keys.keys.map(([k]) => k), ["é", "€", "😀", "x"]);
    const bad = setup();
    feed(bad.server, new Uint8Array([0xff, 0xc3, 0x41]));
    assert.deepEqual(bad.keys.keys.map(([k]) => k), ["\ufffd", "\ufffd", "A"]);
  });

  it("ServerProtocol.dataReceived() reports unknown sequences and keeps going", () => {
    const { server, keys } = setup();
    feed(server, "\x1b[99~\x1b[2;3;4A\x1bOZ\x1b[?1yq");
    assert.deepEqual(keys.unhandled, ["\x1b[99~", "\x1b[2;3;4A", "\x1bOZ", "\x1b[?1y"]);
    assert.deepEqual(keys.keys, [["q", null]]);
  });

  it("ServerProtocol.dataReceived() drops an over-long sequence without buffering it", () => {
    const { server, keys } = setup();
    feed(server, "\x1b[" + "1;".repeat(500_000) + "Ak");
    assert.equal(keys.unhandled.length, 1);
    assert.ok(keys.unhandled[0].length <= MAX_CONTROL_SEQUENCE + 2);
    assert.deepEqual(keys.keys, [["k", null]]);
  });

  it("ServerProtocol.dataReceived() ends a sequence cut by a control character", () => {
    const { server, keys } = setup();
    feed(server, "\x1b[12\rz");
    assert.deepEqual(keys.unhandled, ["\x1b[12"]);
    assert.deepEqual(keys.keys, [["\r", null], ["z", null]]);
  });

  it("ServerProtocol.reportCursorPosition() fires with the reported column and line", () => {
    const { server, keys, transport } = setup();
    const report = server.reportCursorPosition();
    assert.equal(transport.valueText(), "\x1b[6n");
    feed(server, "\x1b[5;12R");
    assert.deepEqual(successResultOf(report), [11, 4]);
    feed(server, "\x1b[5;12R");
    assert.deepEqual(keys.unhandled, ["\x1b[5;12R"]);
  });

  it("ServerProtocol.terminalSize() records the size and tells the program", () => {
    const { server, keys } = setup();
    server.terminalSize(132, 50);
    assert.deepEqual(keys.sizes, [[132, 50]]);
    assert.deepEqual(server.termSize, { x: 132, y: 50 });
  });

  it("ServerProtocol never throws on random bytes, in any chunks (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        fc.array(fc.constantFrom(...SEQUENCES.map(([s]) => s), "\x1b", "\x1b[", "\x1bO", "é"), {
          maxLength: 10,
        }),
        (chunks, extra) => {
          const { server, keys } = setup();
          for (const chunk of chunks) server.dataReceived(chunk);
          for (const piece of extra) feed(server, piece);
          for (const [key] of keys.keys) assert.ok(typeof key === "string" && key.length > 0);
          for (const seq of keys.unhandled) assert.ok(seq.length <= MAX_CONTROL_SEQUENCE + 3);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("ServerProtocol output", () => {
  it("ServerProtocol's ITerminalTransport methods write their escape sequences", () => {
    const cases: [(s: ServerProtocol) => void, string][] = [
      [(s) => s.cursorUp(2), "\x1b[2A"],
      [(s) => s.cursorDown(), "\x1b[1B"],
      [(s) => s.cursorForward(3), "\x1b[3C"],
      [(s) => s.cursorBackward(4), "\x1b[4D"],
      [(s) => s.cursorPosition(9, 4), "\x1b[5;10H"],
      [(s) => s.cursorHome(), "\x1b[H"],
      [(s) => s.index(), "\x1bD"],
      [(s) => s.reverseIndex(), "\x1bM"],
      [(s) => s.nextLine(), "\r\n"],
      [(s) => s.saveCursor(), "\x1b7"],
      [(s) => s.restoreCursor(), "\x1b8"],
      [(s) => s.setModes([modes.IRM, modes.LNM]), "\x1b[4;20h"],
      [(s) => s.resetModes([modes.IRM]), "\x1b[4l"],
      [(s) => s.setPrivateModes([privateModes.CURSOR_MODE]), "\x1b[?25h"],
      [(s) => s.resetPrivateModes([privateModes.AUTO_WRAP]), "\x1b[?7l"],
      [(s) => s.applicationKeypadMode(), "\x1b="],
      [(s) => s.numericKeypadMode(), "\x1b>"],
      [(s) => s.selectCharacterSet(CS_DRAWING, G0), "\x1b(0"],
      [(s) => s.selectCharacterSet(CS_DRAWING, G1), "\x1b)0"],
      [(s) => s.selectGraphicRendition(BOLD, 31), "\x1b[1;31m"],
      [(s) => s.eraseToLineEnd(), "\x1b[K"],
      [(s) => s.eraseToLineBeginning(), "\x1b[1K"],
      [(s) => s.eraseLine(), "\x1b[2K"],
      [(s) => s.eraseToDisplayEnd(), "\x1b[J"],
      [(s) => s.eraseToDisplayBeginning(), "\x1b[1J"],
      [(s) => s.eraseDisplay(), "\x1b[2J"],
      [(s) => s.deleteCharacter(2), "\x1b[2P"],
      [(s) => s.insertLine(), "\x1b[1L"],
      [(s) => s.deleteLine(3), "\x1b[3M"],
      [(s) => s.setScrollRegion(2, 20), "\x1b[2;20r"],
      [(s) => s.resetScrollRegion(), "\x1b[;r"],
      [(s) => s.reset(), "\x1bc"],
      [(s) => s.write("a\nb"), "a\r\nb"],
      [(s) => s.write("é"), "é"],
    ];
    for (const [call, expected] of cases) {
      const { server, transport } = setup();
      call(server);
      assert.equal(transport.valueText(), expected, expected);
    }
  });

  it("ServerProtocol tracks the cursor within the terminal's size", () => {
    const { server } = setup();
    server.terminalSize(10, 5);
    server.cursorForward(50);
    server.cursorDown(50);
    assert.deepEqual(server.cursorPos, { x: 9, y: 4 });
    server.cursorUp(2);
    server.cursorBackward(100);
    assert.deepEqual(server.cursorPos, { x: 0, y: 2 });
    assert.throws(() => server.cursorUp(0), RangeError);
    assert.throws(() => server.selectCharacterSet("nope", G0), RangeError);
  });

  it("ServerProtocol.loseConnection() resets the terminal and closes; the program hears it", () => {
    const { server, keys, transport } = setup();
    server.loseConnection();
    assert.equal(transport.valueText(), "\x1bc");
    assert.ok(transport.disconnecting);
    server.connectionLost({ value: new Error("done") } as never);
    assert.equal(keys.lost, 1);
    feed(server, "abc");
    assert.deepEqual(keys.keys, []);
  });
});

describe("insults text attributes", () => {
  it("flatten() writes SGR only where the attributes change, and resets at the end", () => {
    assert.equal(flatten("plain"), "plain");
    assert.equal(
      flatten(A.fg.red("r", A.bg.blue("rb", A.bold("rbB")), "r")),
      "\x1b[0;31mr\x1b[0;31;44mrb\x1b[0;1;31;44mrbB\x1b[0;31mr\x1b[0m",
    );
    assert.equal(flatten(A.bold("a", A.normal("n"), "b")), "\x1b[0;1ma\x1b[0mn\x1b[0;1mb\x1b[0m");
    assert.equal(flatten(["x", A.blink(""), A.reverseVideo("y")]), "x\x1b[0;7my\x1b[0m");
    assert.equal(flatten("already", { underline: true }), "already\x1b[0m");
  });

  it("flatten() output drawn by ServerProtocol reaches a terminal as graphic renditions", () => {
    const { server, transport } = setup();
    server.write(flatten(A.underline("u", A.fg.cyan("c"))));
    assert.equal(transport.valueText(), "\x1b[0;4mu\x1b[0;4;36mc\x1b[0m");
  });
});
