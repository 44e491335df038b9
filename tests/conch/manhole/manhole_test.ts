// manhole: the interpreter (expressions, statements, declarations that
// persist, top-level await, errors, multi-line input, console capture,
// bounded output, abandoned evaluations), inspect, the tokenizer (property:
// never throws), and Manhole / ColoredManhole on a VT102 screen through
// ServerProtocol: prompts, Ctrl-C, Ctrl-D, Ctrl-L, async output, typeahead.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Clock, StringTransport, trackLeaks } from "../../../src/testing/mod.ts";
import { ServerProtocol } from "../../../src/conch/insults/mod.ts";
import {
  ColoredManhole,
  colorize,
  inspect,
  isIncomplete,
  Manhole,
  ManholeInterpreter,
  MAX_OUTPUT,
  tokenize,
} from "../../../src/conch/manhole/mod.ts";
import { Screen } from "../insults/_screen.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();

/** Lets pending promise callbacks run (no timers). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function interpreter(namespace: Record<string, unknown> = {}) {
  const out: [string, boolean][] = [];
  const interp = new ManholeInterpreter(
    { addOutput: (text, async) => out.push([text, async]) },
    namespace,
  );
  const text = () => out.map(([t]) => t).join("");
  return { interp, out, text };
}

describe("ManholeInterpreter", () => {
  it("ManholeInterpreter evaluates expressions and keeps bindings between lines", () => {
    const { interp, text } = interpreter({ y: 2 });
    assert.equal(interp.push("x = 5"), false);
    interp.push("x * 3 + y");
    interp.push("let z = 7");
    interp.push("const w = z + 1");
    interp.push("w");
    interp.push("_ + 1");
    assert.equal(text(), "5\n17\n8\n9\n");
    assert.equal(interp.namespace.x, 5);
    assert.equal(interp.namespace.z, 7);
  });

  it("ManholeInterpreter runs statements and shows the last expression's value", () => {
    const { interp, text } = interpreter();
    interp.push("a = 1; b = 2; a + b");
    interp.push("if (a) { c = 10 }");
    interp.push("c");
    interp.push("undefined");
    interp.push("for (let i = 0; i < 3; i++) n = i; n");
    assert.equal(text(), "3\n10\n10\n2\n");
  });

  it("ManholeInterpreter gathers a statement over several lines", () => {
    const { interp, text } = interpreter();
    assert.equal(interp.push("function f(a) {"), true);
    assert.equal(interp.push("  return a * 2"), true);
    assert.equal(interp.push("}"), false);
    assert.equal(interp.push("f(21)"), false);
    assert.equal(interp.push("class Point {"), true);
    assert.equal(interp.push("  constructor(x) { this.x = x }"), true);
    assert.equal(interp.push("}"), false);
    interp.push("new Point(3)");
    assert.equal(interp.push("1 +"), true);
    assert.equal(interp.push("2"), false);
    assert.equal(interp.push("s = `a"), true);
    assert.equal(interp.push("b`"), false);
    assert.equal(text(), "42\nPoint { x: 3 }\n3\n'a\\nb'\n");
  });

  it("ManholeInterpreter ends a statement that never closes at an empty line", () => {
    const { interp, text } = interpreter();
    assert.equal(interp.push("f = (("), true);
    assert.equal(interp.push(""), false);
    assert.match(text(), /^Uncaught SyntaxError/);
    assert.deepEqual(interp.buffer, []);
  });

  it("ManholeInterpreter prints errors and goes on", () => {
    const { interp, text } = interpreter();
    interp.push("throw new TypeError('bad thing')");
    interp.push("nope + 1");
    interp.push("throw 42");
    interp.push("'unterminated");
    interp.push("1 + 1");
    const lines = text().split("\n");
    assert.equal(lines[0], "Uncaught TypeError: bad thing");
    assert.equal(lines[1], "Uncaught ReferenceError: nope is not defined");
    assert.equal(lines[2], "Uncaught 42");
    assert.match(lines[3], /^Uncaught SyntaxError/);
    assert.equal(lines.at(-2), "2");
  });

  it("ManholeInterpreter reads globals, and typeof of an unknown name is 'undefined'", () => {
    const { interp, text } = interpreter();
    interp.push("typeof nothingHere");
    interp.push("Math.max(1, 9)");
    interp.push("typeof JSON.parse");
    assert.equal(text(), "'undefined'\n9\n'function'\n");
    assert.equal((globalThis as Record<string, unknown>).nothingHere, undefined);
  });

  it("ManholeInterpreter supports top-level await", async () => {
    const { interp, text } = interpreter({ later: (v: number) => Promise.resolve(v) });
    interp.push("v = await later(41)");
    assert.ok(interp.running !== null);
    await interp.running;
    interp.push("v + 1");
    interp.push("await Promise.reject(new RangeError('no'))");
    await interp.running;
    assert.equal(text(), "41\n42\nUncaught RangeError: no\n");
  });

  it("ManholeInterpreter shows a promise result and its settlement", async () => {
    const { interp, out } = interpreter();
    interp.push("Promise.resolve(7)");
    await settle();
    assert.deepEqual(out, [["<Promise #0>\n", false], ["Promise #0 resolved: 7\n", true]]);
  });

  it("ManholeInterpreter.cancel() abandons code that never resolves", () => {
    const { interp, text } = interpreter();
    interp.push("await new Promise(() => {})");
    assert.ok(interp.running !== null);
    interp.cancel();
    assert.equal(interp.running, null);
    interp.push("'still here'");
    assert.equal(text(), "'still here'\n");
  });

  it("ManholeInterpreter sends console output to the session, bounded", () => {
    const { interp, text, out } = interpreter();
    interp.push("console.log('hi', {a: [1, 'x']}); console.error(new Error('e').message)");
    assert.equal(text(), "hi { a: [ 1, 'x' ] }\ne\n");
    out.length = 0;
    interp.push("for (let i = 0; i < 100000; i++) console.log('line ' + i)");
    const printed = text();
    assert.ok(printed.length <= MAX_OUTPUT + 100, `${printed.length}`);
    assert.match(printed, /output truncated/);
  });

  it("ManholeInterpreter prints a cyclic object and a huge one, bounded", () => {
    const { interp, text } = interpreter();
    interp.push("o = {name: 'o'}; o.self = o; o");
    interp.push("big = Array.from({length: 1e6}, (_, i) => i)");
    const lines = text().split("\n");
    assert.equal(lines[0], "{ name: 'o', self: [Circular] }");
    assert.ok(text().length < 10000);
    assert.match(text(), /999900 more items/);
  });

  it("ManholeInterpreter limits the gathered input", () => {
    const { interp, text } = interpreter();
    interp.push("(");
    for (let i = 0; i < 200; i++) interp.push("x".repeat(10000));
    assert.match(text(), /input longer than/);
    assert.ok(interp.buffer.length < 200);
  });
});

describe("inspect and the tokenizer", () => {
  it("inspect() shows values as the consoles do", () => {
    class Foo {
      a = 1;
    }
    assert.equal(inspect("a'b"), "'a\\'b'");
    assert.equal(inspect([1, "x", null, undefined, 2n, -0]), "[ 1, 'x', null, undefined, 2n, -0 ]");
    assert.equal(inspect(new Foo()), "Foo { a: 1 }");
    assert.equal(inspect(new Map([["k", new Set([1])]])), "Map(1) { 'k' => Set(1) { 1 } }");
    assert.equal(inspect({ a: { b: { c: { d: 1 } } } }), "{ a: { b: { c: [Object] } } }");
    assert.equal(inspect(function named() {}), "[Function: named]");
    assert.equal(inspect(class K {}), "[class K]");
    assert.equal(inspect(new Uint8Array([1, 2])), "Uint8Array(2) [ 1, 2 ]");
    assert.equal(inspect(Object.create(null)), "[Object: null prototype] {}");
    assert.equal(
      inspect({
        get g() {
          return 1;
        },
      }),
      "{ g: [Getter] }",
    );
    assert.equal(inspect(Symbol("s")), "Symbol(s)");
    const hostile = new Proxy({}, {
      ownKeys() {
        throw new Error("no");
      },
    });
    assert.equal(inspect(hostile), "{ <keys threw> }");
    assert.ok(inspect({ long: "x".repeat(100) }).includes("\n"));
  });

  it("isIncomplete() tells open brackets, templates and comments", () => {
    for (const source of ["f(", "{", "`a${", "/* c", "[1,\n2", "`${ {a: 1}"]) {
      assert.equal(isIncomplete(source), true, source);
    }
    for (const source of ["f()", "'(' + x", "/[(]/.test(s)", "// (", "`${1}`", "a / (b) / c"]) {
      assert.equal(isIncomplete(source), false, source);
    }
  });

  it("tokenize() never throws and covers the source (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (source) => {
        const { tokens } = tokenize(source);
        assert.equal(tokens.map((t) => t.text).join(""), source);
        colorize(source);
        isIncomplete(source);
      }),
      { numRuns: 1000 },
    );
  });
});

function session(make: () => Manhole = () => new Manhole({ answer: 42 })) {
  const program = make();
  const server = new ServerProtocol(() => program);
  const transport = new StringTransport();
  server.makeConnection(transport);
  const screen = new Screen();
  const sync = () => {
    screen.feed(transport.value());
    transport.clear();
  };
  const type = (keys: string) => {
    server.dataReceived(te.encode(keys));
    sync();
  };
  sync();
  return { program, server, transport, screen, type, sync };
}

describe("Manhole", () => {
  it("Manhole evaluates typed lines with >>> and ... prompts", () => {
    const { screen, type } = session();
    type("answer + 1\r");
    type("if (true) {\r");
    type("  'yes'\r");
    type("}\r");
    assert.deepEqual(screen.text(), [
      ">>> answer + 1",
      "43",
      ">>> if (true) {",
      "...   'yes'",
      "... }",
      "'yes'",
      ">>>",
    ]);
  });

  it("Manhole copies the namespace: bindings stay in their session", () => {
    const shared = { n: 1 };
    const a = session(() => new Manhole(shared));
    const b = session(() => new Manhole(shared));
    a.type("n = 2\r");
    b.type("n\r");
    assert.equal(shared.n, 1);
    assert.equal(b.screen.line(1), "1");
  });

  it("Manhole: Ctrl-C clears the line, Ctrl-D on an empty line closes, Ctrl-L redraws", () => {
    const { screen, type, transport, program } = session();
    type("half typed\x03");
    assert.equal(screen.line(1), "KeyboardInterrupt");
    assert.equal(screen.line(2), ">>>");
    assert.equal(program.lineBuffer.length, 0);
    type("abc\x0c");
    assert.deepEqual(screen.text(), [">>> abc"]);
    type("\x04");
    assert.equal(transport.disconnecting, false);
    type("\x7f\x7f\x7f\x04");
    assert.equal(transport.disconnecting, true);
  });

  it("Manhole: Ctrl-C gives the prompt back from code that never resolves", () => {
    const { screen, type, program } = session();
    type("await new Promise(() => {})\r");
    assert.equal(screen.line(1), "");
    type("1 + 1\r");
    assert.equal(program.lineBuffer.length, 0, "typeahead is queued while the code runs");
    type("\x03");
    assert.equal(screen.line(1), "KeyboardInterrupt");
    type("2 + 2\r");
    assert.deepEqual(screen.text().slice(-2), ["4", ">>>"]);
  });

  it("Manhole replays keys typed while awaited code runs", async () => {
    const clock = new Clock();
    const { type, screen, program, sync } = session(() =>
      new Manhole({ slow: () => new Promise((resolve) => clock.callLater(1, resolve, "done")) })
    );
    type("await slow()\r10 * 10\r");
    assert.equal(screen.text().length, 1, "nothing shown while the code awaits");
    const running = program.interpreter!.running;
    clock.advance(1);
    await running;
    await settle();
    sync();
    assert.deepEqual(screen.text(), [">>> await slow()", "'done'", ">>> 10 * 10", "100", ">>>"]);
  });

  it("Manhole draws output that comes later above the line being typed", () => {
    const clock = new Clock();
    const { type, screen, sync } = session(() => new Manhole({ clock }));
    type("clock.callLater(1, () => console.log('tick')); undefined\r");
    type("partial");
    clock.advance(1);
    sync();
    assert.deepEqual(screen.text().slice(-2), ["tick", ">>> partial"]);
  });
});

describe("ColoredManhole", () => {
  it("ColoredManhole colors keywords, strings and numbers as they are typed", () => {
    const { type, transport, screen, program, sync } = session(() => new ColoredManhole());
    const raw: string[] = [];
    const original = transport.write.bind(transport);
    transport.write = (data: Uint8Array) => {
      raw.push(new TextDecoder().decode(data));
      original(data);
    };
    type("if");
    assert.ok(raw.join("").includes("\x1b[32mif\x1b[0m"));
    type(" (x) 'str' 12");
    sync();
    assert.equal(screen.line(0), ">>> if (x) 'str' 12");
    assert.ok(raw.join("").includes("\x1b[35m'str'\x1b[0m"));
    type("\x1b[D\x1b[D\x7f");
    assert.equal(screen.line(0), ">>> if (x) 'str'12");
    assert.deepEqual(program.currentLineBuffer(), ["if (x) 'str'", "12"]);
  });
});

describe("manhole bad input", () => {
  it("A megabyte without a newline is capped, with bounded output, in ColoredManhole", () => {
    const { program, transport, server } = session(() => new ColoredManhole());
    let written = 0;
    const original = transport.write.bind(transport);
    transport.write = (data: Uint8Array) => {
      written += data.length;
      original(data);
    };
    const chunk = te.encode("'a".repeat(32768));
    const started = Date.now();
    for (let i = 0; i < 16; i++) server.dataReceived(chunk);
    assert.equal(program.lineBuffer.length, program.MAX_LENGTH);
    assert.ok(written < 4 * 1024 * 1024, `${written} bytes written`);
    assert.ok(Date.now() - started < 10_000);
    server.dataReceived(te.encode("\r"));
    assert.equal(program.lineBuffer.length, 0);
    assert.match(transport.valueText(), /Uncaught SyntaxError[^]*>>> $/);
  });

  it("Random keys never throw and keep the session usable (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom("\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x7f", "\x1b[3~", "\x03"),
            fc.constantFrom("\x1b[2~", "\x0c", "(", ")", "`", "'", "1", "+", "\r", "{", "}"),
          ),
          { maxLength: 60 },
        ),
        (keys) => {
          const { type, transport, server } = session(() => new ColoredManhole());
          type(keys.join(""));
          type("\x03");
          server.dataReceived(te.encode("6 * 7\r"));
          assert.match(transport.valueText(), /42\r\n>>> $/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
