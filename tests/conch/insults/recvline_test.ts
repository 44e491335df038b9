// recvline: line editing (insert in the middle, typeover, backspace, delete,
// home, end, tab), history up and down, the line length cap, checked both
// in the program's state and on a small VT102 screen fed its output.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { StringTransport, trackLeaks } from "../../../src/testing/mod.ts";
import { ServerProtocol } from "../../../src/conch/insults/mod.ts";
import { HistoricRecvLine, type RecvLine } from "../../../src/conch/recvline/mod.ts";
import { Screen } from "./_screen.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const LEFT = "\x1b[D";
const RIGHT = "\x1b[C";
const UP = "\x1b[A";
const DOWN = "\x1b[B";
const HOME = "\x1b[H";
const END = "\x1b[F";
const INSERT = "\x1b[2~";
const DELETE = "\x1b[3~";
const BS = "\x7f";

class Lines extends HistoricRecvLine {
  received: string[] = [];
  override lineReceived(line: string): void {
    this.received.push(line);
    this.terminal!.write(this.ps[this.pn]);
  }
}

function setup<T extends RecvLine>(make: () => T) {
  const program = make();
  const server = new ServerProtocol(() => program);
  const transport = new StringTransport();
  server.makeConnection(transport);
  const screen = new Screen();
  const type = (keys: string) => {
    server.dataReceived(te.encode(keys));
    screen.feed(transport.value());
    transport.clear();
  };
  type("");
  return { program, server, screen, type };
}

describe("RecvLine", () => {
  it("RecvLine shows the prompt and echoes typing", () => {
    const { program, screen, type } = setup(() => new Lines());
    assert.equal(screen.line(0), ">>>");
    type("hello");
    assert.equal(screen.line(0), ">>> hello");
    assert.deepEqual(program.currentLineBuffer(), ["hello", ""]);
  });

  it("RecvLine inserts in the middle of the line", () => {
    const { program, screen, type } = setup(() => new Lines());
    type("helo" + LEFT + "l");
    assert.equal(screen.line(0), ">>> hello");
    assert.deepEqual(program.currentLineBuffer(), ["hell", "o"]);
    type("\r");
    assert.deepEqual(program.received, ["hello"]);
    assert.equal(screen.line(1), ">>>");
  });

  it("RecvLine deletes with backspace and delete, moves with home and end", () => {
    const { program, screen, type } = setup(() => new Lines());
    type("abcdef" + LEFT + LEFT + BS);
    assert.equal(screen.line(0), ">>> abcef");
    type(HOME + DELETE);
    assert.equal(screen.line(0), ">>> bcef");
    assert.deepEqual(program.currentLineBuffer(), ["", "bcef"]);
    type(END + "!" + HOME + BS + RIGHT + "_");
    assert.equal(screen.line(0), ">>> b_cef!");
    type("\r");
    assert.deepEqual(program.received, ["b_cef!"]);
  });

  it("RecvLine overwrites in typeover mode (insert toggles)", () => {
    const { program, screen, type } = setup(() => new Lines());
    type("abcd" + HOME + INSERT + "XY");
    assert.equal(program.mode, "typeover");
    assert.equal(screen.line(0), ">>> XYcd");
    type(INSERT + "z\r");
    assert.deepEqual(program.received, ["XYzcd"]);
  });

  it("RecvLine expands tab to the next tab stop", () => {
    const { program, type } = setup(() => new Lines());
    type("ab\tc\r");
    assert.deepEqual(program.received, ["ab  c"]);
  });

  it("RecvLine caps the line at MAX_LENGTH characters", () => {
    const { program, type } = setup(() => new Lines());
    program.MAX_LENGTH = 100;
    type("x".repeat(1000));
    assert.equal(program.lineBuffer.length, 100);
    type("\r");
    assert.equal(program.received[0].length, 100);
  });

  it("RecvLine ignores control characters and unknown keys", () => {
    const { program, type } = setup(() => new Lines());
    type("a\x02\x1b[24~\x1bOPb\r");
    assert.deepEqual(program.received, ["ab"]);
  });

  it("RecvLine.terminalSize() redraws the prompt and line", () => {
    const { program, server, screen, type } = setup(() => new Lines());
    type("abc");
    server.terminalSize(100, 30);
    type("");
    assert.equal(program.width, 100);
    assert.equal(screen.line(0), ">>> abc");
  });
});

describe("HistoricRecvLine", () => {
  it("HistoricRecvLine walks the history with up and down", () => {
    const { program, screen, type } = setup(() => new Lines());
    type("one\rtwo\rthree\r");
    type(UP);
    assert.equal(screen.line(3), ">>> three");
    type(UP + UP);
    assert.equal(screen.line(3), ">>> one");
    type(UP);
    assert.equal(program.lineBuffer.join(""), "one");
    type(DOWN);
    assert.equal(screen.line(3), ">>> two");
    type(DOWN + DOWN);
    assert.equal(screen.line(3), ">>>");
    assert.equal(program.lineBuffer.length, 0);
    type(UP + " again\r");
    assert.deepEqual(program.received, ["one", "two", "three", "three again"]);
    assert.deepEqual(program.historyLines, ["one", "two", "three", "three again"]);
  });

  it("HistoricRecvLine keeps a half-typed line when going up", () => {
    const { program, type } = setup(() => new Lines());
    type("old\rnew" + UP);
    assert.equal(program.lineBuffer.join(""), "old");
    type(DOWN);
    assert.equal(program.lineBuffer.join(""), "new");
  });

  it("HistoricRecvLine keeps at most MAX_HISTORY lines", () => {
    const { program, type } = setup(() => new Lines());
    program.MAX_HISTORY = 3;
    type("a\rb\rc\rd\r");
    assert.deepEqual(program.historyLines, ["b", "c", "d"]);
    type(UP + UP + UP + UP);
    assert.equal(program.lineBuffer.join(""), "b");
  });
});

describe("RecvLine on a narrow terminal", () => {
  it("RecvLine wraps a long line and edits across the rows", () => {
    const { program, server } = setup(() => new Lines());
    const transport = (server as unknown as { transport: StringTransport }).transport;
    transport.clear();
    const screen = new Screen(20, 10);
    const feed = (keys: string) => {
      server.dataReceived(te.encode(keys));
      screen.feed(transport.value());
      transport.clear();
    };
    server.terminalSize(20, 10);
    feed("");
    feed("abcdefghijklmnopqrstuvwxyz0123456789");
    assert.deepEqual(screen.text(), [">>> abcdefghijklmnop", "qrstuvwxyz0123456789"]);
    assert.equal(screen.buffer.pendingWrap, false);
    assert.deepEqual([screen.x, screen.y], [0, 2], "a full row moves the cursor down");
    feed("!");
    assert.deepEqual(screen.text(), [
      ">>> abcdefghijklmnop",
      "qrstuvwxyz0123456789",
      "!",
    ]);
    // Left across two row boundaries, then insert: the rest of the line moves along.
    feed(LEFT.repeat(22) + "_");
    assert.deepEqual(screen.text(), [
      ">>> abcdefghijklmno_",
      "pqrstuvwxyz012345678",
      "9!",
    ]);
    assert.deepEqual(program.currentLineBuffer(), ["abcdefghijklmno_", "pqrstuvwxyz0123456789!"]);
    // Backspace twice crosses back to the first row.
    feed(BS + BS);
    // The line now fills two rows exactly: the old third row is erased.
    assert.deepEqual(screen.text(), [">>> abcdefghijklmnpq", "rstuvwxyz0123456789!"]);
    feed(HOME + "^" + END + "$");
    assert.deepEqual(screen.text(), [
      ">>> ^abcdefghijklmnp",
      "qrstuvwxyz0123456789",
      "!$",
    ]);
    // Enter from the middle: the output goes below the whole line.
    feed(HOME + "\r");
    assert.deepEqual(program.received, ["^abcdefghijklmnpqrstuvwxyz0123456789!$"]);
    assert.deepEqual(screen.text().slice(-1), [">>>"]);
    assert.equal(screen.y, 3);
  });

  it("HistoricRecvLine replaces a wrapped line with a short one and erases the rest", () => {
    const { server } = setup(() => new Lines());
    const transport = (server as unknown as { transport: StringTransport }).transport;
    transport.clear();
    const screen = new Screen(20, 10);
    const feed = (keys: string) => {
      server.dataReceived(te.encode(keys));
      screen.feed(transport.value());
      transport.clear();
    };
    server.terminalSize(20, 10);
    feed("x".repeat(50) + "\rshort\r" + UP + UP);
    assert.deepEqual(screen.text().slice(-3), [
      ">>> xxxxxxxxxxxxxxxx",
      "x".repeat(20),
      "x".repeat(14),
    ]);
    feed(DOWN);
    assert.deepEqual(screen.text().slice(-1), [">>> short"]);
    assert.equal(screen.text().length, 5);
  });
});
