// insults ClientProtocol and TerminalBuffer: every ITerminalTransport call a
// ServerProtocol writes comes back as the same call on the client's terminal;
// a manhole session drawn on a TerminalBuffer; and a property: any bytes from a
// server never throw and keep the cursor on the screen.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { StringTransport, trackLeaks } from "../../../src/testing/mod.ts";
import {
  BOLD,
  ClientProtocol,
  CS_DRAWING,
  CS_UK,
  G0,
  G1,
  type IClientTerminal,
  modes,
  privateModes,
  ServerProtocol,
  TerminalBuffer,
} from "../../../src/conch/insults/mod.ts";
import { Manhole } from "../../../src/conch/manhole/mod.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();

/** A terminal that records every call. */
function recorder(): [IClientTerminal, unknown[][]] {
  const calls: unknown[][] = [];
  const terminal = new Proxy({}, {
    get: (_target, name) => {
      if (name === "then" || name === "makeConnection" || typeof name === "symbol") {
        return undefined;
      }
      return (...args: unknown[]) => {
        const shown = args.map((a) =>
          a instanceof Uint8Array ? new TextDecoder().decode(a) : typeof a === "object" &&
              a !== null && Symbol.iterator in a
            ? [...(a as Iterable<unknown>)]
            : a
        );
        calls.push([name, ...shown]);
      };
    },
  }) as IClientTerminal;
  return [terminal, calls];
}

describe("ClientProtocol", () => {
  it("ClientProtocol turns each sequence a ServerProtocol writes back into its call", () => {
    const cases: [(s: ServerProtocol) => void, unknown[]][] = [
      [(s) => s.cursorUp(2), ["cursorUp", 2]],
      [(s) => s.cursorDown(1), ["cursorDown", 1]],
      [(s) => s.cursorForward(3), ["cursorForward", 3]],
      [(s) => s.cursorBackward(4), ["cursorBackward", 4]],
      [(s) => s.cursorPosition(9, 4), ["cursorPosition", 9, 4]],
      [(s) => s.cursorHome(), ["cursorPosition", 0, 0]],
      [(s) => s.index(), ["index"]],
      [(s) => s.reverseIndex(), ["reverseIndex"]],
      [(s) => s.saveCursor(), ["saveCursor"]],
      [(s) => s.restoreCursor(), ["restoreCursor"]],
      [(s) => s.setModes([modes.IRM]), ["setModes", [4]]],
      [(s) => s.resetModes([modes.IRM, modes.LNM]), ["resetModes", [4, 20]]],
      [(s) => s.setPrivateModes([privateModes.CURSOR_MODE]), ["setPrivateModes", [25]]],
      [(s) => s.resetPrivateModes([privateModes.AUTO_WRAP]), ["resetPrivateModes", [7]]],
      [(s) => s.applicationKeypadMode(), ["applicationKeypadMode"]],
      [(s) => s.numericKeypadMode(), ["numericKeypadMode"]],
      [(s) => s.selectCharacterSet(CS_DRAWING, G0), ["selectCharacterSet", CS_DRAWING, G0]],
      [(s) => s.selectCharacterSet(CS_UK, G1), ["selectCharacterSet", CS_UK, G1]],
      [(s) => s.shiftIn(), ["shiftIn"]],
      [(s) => s.shiftOut(), ["shiftOut"]],
      [(s) => s.singleShift2(), ["singleShift2"]],
      [(s) => s.singleShift3(), ["singleShift3"]],
      [(s) => s.selectGraphicRendition(BOLD, 31), ["selectGraphicRendition", "1", "31"]],
      [(s) => s.horizontalTabulationSet(), ["horizontalTabulationSet"]],
      [(s) => s.tabulationClear(), ["tabulationClear"]],
      [(s) => s.tabulationClearAll(), ["tabulationClearAll"]],
      [(s) => s.doubleHeightLine(false), ["doubleHeightLine", false]],
      [(s) => s.singleWidthLine(), ["singleWidthLine"]],
      [(s) => s.doubleWidthLine(), ["doubleWidthLine"]],
      [(s) => s.eraseToLineEnd(), ["eraseToLineEnd"]],
      [(s) => s.eraseToLineBeginning(), ["eraseToLineBeginning"]],
      [(s) => s.eraseLine(), ["eraseLine"]],
      [(s) => s.eraseToDisplayEnd(), ["eraseToDisplayEnd"]],
      [(s) => s.eraseToDisplayBeginning(), ["eraseToDisplayBeginning"]],
      [(s) => s.eraseDisplay(), ["eraseDisplay"]],
      [(s) => s.deleteCharacter(2), ["deleteCharacter", 2]],
      [(s) => s.insertLine(1), ["insertLine", 1]],
      [(s) => s.deleteLine(3), ["deleteLine", 3]],
      [(s) => s.setScrollRegion(2, 20), ["setScrollRegion", 2, 20]],
      [(s) => s.reset(), ["reset"]],
      [(s) => s.write("héllo"), ["write", "héllo"]],
    ];
    for (const [call, expected] of cases) {
      const server = new ServerProtocol();
      const transport = new StringTransport();
      server.makeConnection(transport);
      call(server);
      const [terminal, calls] = recorder();
      const client = new ClientProtocol(() => terminal);
      client.makeConnection(new StringTransport());
      // One byte at a time: the parser keeps its place across chunks.
      for (const b of transport.value()) client.dataReceived(new Uint8Array([b]));
      const merged = calls[0]?.[0] === "write"
        ? [["write", calls.map((c) => c[1]).join("")]]
        : calls;
      assert.deepEqual(merged, [expected], String(expected[0]));
    }
  });

  it("ClientProtocol reports unknown and over-long sequences without buffering them", () => {
    const [terminal, calls] = recorder();
    const client = new ClientProtocol(() => terminal);
    client.makeConnection(new StringTransport());
    client.dataReceived(te.encode("\x1b[5z\x1bZ\x1b[" + "9".repeat(100_000) + "Aok"));
    const names = calls.map((c) => c[0]);
    assert.deepEqual(names, [
      "unhandledControlSequence",
      "unhandledControlSequence",
      "unhandledControlSequence",
      "write",
    ]);
    assert.ok(String(calls[2][1]).length < 100);
    assert.equal(calls[3][1], "ok");
  });

  it("A manhole session drawn by ClientProtocol on a TerminalBuffer", () => {
    const server = new ServerProtocol(() => new Manhole({ answer: 41 }));
    const serverTransport = new StringTransport();
    server.makeConnection(serverTransport);
    const screen = new TerminalBuffer(80, 10);
    const client = new ClientProtocol(() => screen);
    client.makeConnection(new StringTransport());
    const type = (keys: string) => {
      server.dataReceived(te.encode(keys));
      client.dataReceived(serverTransport.value());
      serverTransport.clear();
    };
    type("");
    type("answer + 2\x1b[D\x1b[3~1\r");
    type("[1, 2].length\r\x1b[A\x1b[A\r");
    assert.deepEqual(screen.toString().split("\n").filter((l) => l !== ""), [
      ">>> answer + 1",
      "42",
      ">>> [1, 2].length",
      "2",
      ">>> answer + 1",
      "42",
      ">>>",
    ]);
  });

  it("ClientProtocol on a TerminalBuffer never throws and keeps the cursor on screen (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 32 }),
            fc.constantFrom(
              "\x1b[2J",
              "\x1b[99;99H",
              "\x1b[5P",
              "\x1b[3L",
              "\x1b[2M",
              "\x1bM",
              "\x1bD",
              "\x1b[4h",
              "x".repeat(100),
              "\r\n",
              "\x1b[K",
              "\x1b[1J",
              "\x1b(0",
            ).map((s) => te.encode(s)),
          ),
          { maxLength: 40 },
        ),
        (chunks) => {
          const screen = new TerminalBuffer(20, 5);
          const client = new ClientProtocol(() => screen);
          client.makeConnection(new StringTransport());
          for (const chunk of chunks) client.dataReceived(chunk);
          assert.ok(screen.x >= 0 && screen.x <= screen.width);
          assert.ok(screen.y >= 0 && screen.y < screen.height);
          assert.equal(screen.lines.length, 5);
          for (const line of screen.lines) assert.equal(line.length, 20);
        },
      ),
      { numRuns: 300 },
    );
  });
});
