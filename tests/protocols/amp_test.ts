// AMP through the test kit: calls and answers between two AMPs over an
// IOPump, and an AMP fed bytes on a StringTransport (including the bytes
// Twisted's own AMP wrote, from tests/fixtures/amp/twisted_boxes.json).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as amp from "../../src/protocols/amp.ts";
import {
  AccumulatingProtocol,
  connectedServerAndClient,
  flushLoggedErrors,
  type IOPump,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { ConnectionDone, ConnectionLost } from "../../src/internet/error.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { fakeCollectionForTesting } from "../../src/internet/_defer_unhandled.ts";
import { ClientFactory, type Factory, Protocol } from "../../src/internet/protocol.ts";

trackLeaks({ beforeEach, afterEach });

const fixture: {
  conversation: { name: string; input: string; output: string; disconnecting: boolean }[];
} = JSON.parse(
  readFileSync(new URL("../fixtures/amp/twisted_boxes.json", import.meta.url), "utf8"),
);
const fixtureBoxes: Record<string, string> = JSON.parse(
  readFileSync(new URL("../fixtures/amp/twisted_boxes.json", import.meta.url), "utf8"),
).boxes;
const hex = (h: string): Uint8Array =>
  new Uint8Array(h.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
const toHex = (b: Uint8Array): string =>
  [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

class ZeroDivisionError extends Error {
  override name = "ZeroDivisionError";
}
class KeyError extends Error {
  override name = "KeyError";
}
class SpecificError extends ZeroDivisionError {}

class Divide extends amp.Command {
  static override arguments = { numerator: new amp.Integer(), denominator: new amp.Integer() };
  static override response = { result: new amp.Float() };
  static override errors = new Map([[ZeroDivisionError, "ZERO_DIVISION"]]);
}
class Boom extends amp.Command {}
class Fatal extends amp.Command {
  static override fatalErrors = new Map([[KeyError, "FATAL_KEY"]]);
}
class Slow extends amp.Command {
  static override arguments = { id: new amp.Unicode() };
  static override response = { id: new amp.Unicode() };
}
class Note extends amp.Command {
  static override arguments = { text: new amp.Unicode() };
  static override readonly requiresAnswer = false;
}
class Echo extends amp.Command {
  static override arguments = {
    data: new amp.String(),
    extra: new amp.Integer({ optional: true }),
  };
  static override response = { data: new amp.String(), extra: new amp.Integer({ optional: true }) };
}
class BadReturn extends amp.Command {
  static override response = { n: new amp.Integer() };
}
class Inherited extends Divide {
  static override commandName = "Divide";
  static override errors = new Map([[SpecificError, "SPECIFIC"]]);
}

/** The server side of the Twisted recordings, and more. */
class Calc extends amp.AMP {
  slow = new Map<string, Deferred<{ id: string }>>();
  notes: string[] = [];
}
Divide.responder(Calc, function ({ numerator, denominator }) {
  if (denominator === 0) throw new ZeroDivisionError("division by zero");
  return { result: numerator / denominator };
});
Boom.responder(Calc, () => {
  throw new RangeError("kaboom");
});
Fatal.responder(Calc, () => {
  throw new KeyError("'gone'");
});
Slow.responder(Calc, function ({ id }) {
  const d = new Deferred<{ id: string }>();
  this.slow.set(id, d);
  return d;
});
Note.responder(Calc, function ({ text }) {
  this.notes.push(text);
  return {};
});
Echo.responder(Calc, async ({ data, extra }) => {
  await Promise.resolve();
  return { data, extra };
});
BadReturn.responder(Calc, () => ({ n: "seven" as unknown as number }));

function pair<S extends amp.AMP = Calc>(
  server: () => S = () => new Calc() as unknown as S,
): [amp.AMP, S, IOPump] {
  return connectedServerAndClient<amp.AMP | S>(server, () => new amp.AMP()) as [amp.AMP, S, IOPump];
}

/** An AMP on a string transport; `feed` gives it bytes, `boxes` reads what it wrote. */
function onString<P extends amp.BinaryBoxProtocol>(proto: P) {
  const transport = new StringTransportWithDisconnection();
  transport.protocol = proto;
  proto.makeConnection(transport);
  return {
    proto,
    transport,
    feed(...boxes: (amp.AmpBox | Record<string, string>)[]) {
      for (const b of boxes) {
        proto.dataReceived((b instanceof amp.AmpBox ? b : new amp.AmpBox(b)).serialize());
      }
    },
    boxes(): amp.AmpBox[] {
      const out = amp.parseString(transport.value());
      transport.clear();
      return out;
    },
  };
}

/** Lets promise-based responders settle. */
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function settled<T>(d: PromiseLike<T>): Promise<{ value?: T; error?: unknown }> {
  return Promise.resolve(d).then((value) => ({ value }), (error) => ({ error }));
}

describe("AMP calls and answers", () => {
  it("callRemote() fires with the response its responder returned", async () => {
    const [client, , pump] = pair();
    const d = client.callRemote(Divide, { numerator: 7, denominator: 2 });
    pump.flush();
    assert.deepEqual(await d, { result: 3.5 });
  });

  it("answers a Deferred or Promise responder when it settles, out of order", async () => {
    const [client, server, pump] = pair();
    const slow = client.callRemote(Slow, { id: "slow" });
    const fast = client.callRemote(Divide, { numerator: 1, denominator: 4 });
    const order: string[] = [];
    slow.addCallback((r) => {
      order.push("slow");
      return r;
    });
    fast.addCallback((r) => {
      order.push("fast");
      return r;
    });
    pump.flush();
    assert.deepEqual(order, ["fast"]);
    server.slow.get("slow")!.callback({ id: "slow!" });
    pump.flush();
    assert.deepEqual(order, ["fast", "slow"]);
    assert.deepEqual(await slow, { id: "slow!" });
    const echo = client.callRemote(Echo, { data: new Uint8Array([0, 1, 255]) });
    pump.flush();
    await tick();
    pump.flush();
    assert.deepEqual(await echo, { data: new Uint8Array([0, 1, 255]) });
    const withExtra = client.callRemote(Echo, { data: new Uint8Array(0), extra: -3 });
    pump.flush();
    await tick();
    pump.flush();
    assert.deepEqual(await withExtra, { data: new Uint8Array(0), extra: -3 });
  });

  it("fails a call with the declared error class; the connection stays", async () => {
    const [client, , pump] = pair();
    const d = client.callRemote(Divide, { numerator: 1, denominator: 0 });
    pump.flush();
    const { error } = await settled(d);
    assert.ok(error instanceof ZeroDivisionError);
    assert.equal((error as Error).message, "division by zero");
    assert.equal(pump.serverIO.disconnecting, false);
    const again = client.callRemote(Divide, { numerator: 6, denominator: 3 });
    pump.flush();
    assert.deepEqual(await again, { result: 2 });
  });

  it("inherits declared errors, and the nearest declared class answers", async () => {
    class Server extends amp.AMP {}
    Inherited.responder(Server, ({ denominator }) => {
      if (denominator === 0) throw new SpecificError("specific");
      if (denominator === 1) throw new ZeroDivisionError("general");
      return { result: 0 };
    });
    assert.equal(Inherited.allErrors().get(ZeroDivisionError), "ZERO_DIVISION");
    assert.equal(Inherited.allErrors().get(SpecificError), "SPECIFIC");
    const [client, , pump] = pair(() => new Server());
    const a = client.callRemote(Inherited, { numerator: 1, denominator: 0 });
    const b = client.callRemote(Inherited, { numerator: 1, denominator: 1 });
    // The base command does not know SPECIFIC: its caller gets UnknownRemoteError.
    const c = client.callRemote(Divide, { numerator: 1, denominator: 0 });
    pump.flush();
    assert.ok((await settled(a)).error instanceof SpecificError);
    const general = (await settled(b)).error;
    assert.ok(general instanceof ZeroDivisionError && !(general instanceof SpecificError));
    const unknown = (await settled(c)).error as amp.UnknownRemoteError;
    assert.ok(unknown instanceof amp.UnknownRemoteError);
    assert.equal(unknown.errorCode, "UNKNOWN");
    assert.equal(unknown.description, "specific");
  });

  it("answers an undeclared error UNKNOWN, logs it and closes the connection", async () => {
    const [client, , pump] = pair();
    const d = client.callRemote(Boom);
    const later = new Deferred<void>();
    pump.flush();
    const { error } = await settled(d);
    assert.ok(error instanceof amp.UnknownRemoteError);
    assert.equal((error as amp.UnknownRemoteError).description, "Unknown Error");
    assert.equal(flushLoggedErrors(RangeError).length, 1);
    assert.ok(pump.serverIO.disconnected && pump.clientIO.disconnected);
    const after = await settled(client.callRemote(Divide, { numerator: 1, denominator: 1 }));
    assert.ok(after.error instanceof ConnectionDone);
    later.callback();
  });

  it("answers a fatal error with its code, then closes", async () => {
    const [client, , pump] = pair();
    const d = client.callRemote(Fatal);
    pump.flush();
    const { error } = await settled(d);
    assert.ok(error instanceof KeyError);
    assert.equal((error as Error).message, "'gone'");
    assert.ok(pump.serverIO.disconnected);
  });

  it("answers an unknown command UNHANDLED; the caller gets UnhandledCommand and stays", async () => {
    const [client, , pump] = pair();
    const d = client.callRemoteString("Nope", { x: "1" });
    pump.flush();
    const { error } = await settled(d);
    assert.ok(error instanceof amp.UnhandledCommand);
    assert.equal((error as amp.UnhandledCommand).description, "Unhandled Command: b'Nope'");
    assert.equal(pump.serverIO.disconnecting, false);
    class Unknown extends amp.Command {}
    const typed = client.callRemote(Unknown);
    pump.flush();
    assert.ok((await settled(typed)).error instanceof amp.UnhandledCommand);
  });

  it("answers a missing or unparsable argument with an error, logged, and closes", async () => {
    const cases: Record<string, string>[] = [{ numerator: "7" }, {
      numerator: "seven",
      denominator: "1",
    }];
    for (const args of cases) {
      const [client, , pump] = pair();
      const d = client.callRemoteString("Divide", args);
      pump.flush();
      const { error } = await settled(d);
      assert.ok(error instanceof amp.RemoteAmpError);
      assert.equal((error as amp.RemoteAmpError).errorCode, "UNKNOWN");
      const [logged] = flushLoggedErrors(amp.MalformedAmpBox);
      assert.match(logged.value.message, /Divide arguments: /);
      assert.ok(pump.serverIO.disconnected);
    }
  });

  it("answers a response it cannot encode UNKNOWN (BadLocalReturn is logged)", async () => {
    const [client, , pump] = pair();
    const d = client.callRemote(BadReturn);
    pump.flush();
    assert.ok((await settled(d)).error instanceof amp.UnknownRemoteError);
    const [logged] = flushLoggedErrors(amp.BadLocalReturn);
    assert.match(logged.value.message, /BadReturn responder returned/);
  });

  it("sends no _ask without requiresAnswer, and fires with null once written", async () => {
    const server = onString(new Calc());
    const client = onString(new amp.AMP());
    const d = client.proto.callRemote(Note, { text: "hello" });
    assert.equal(await d, null);
    const [box] = client.boxes();
    assert.equal(box.has("_ask"), false);
    assert.equal(box.getText("_command"), "Note");
    server.feed(box);
    assert.deepEqual(server.proto.notes, ["hello"]);
    assert.equal(server.transport.value().length, 0);
    const raw = await client.proto.callRemoteString("Note", { text: "x" }, {
      requiresAnswer: false,
    });
    assert.equal(raw, null);
  });

  it("logs a failed command sent without _ask and stays, unless the error is fatal", () => {
    const server = onString(new Calc());
    server.feed({ _command: "Divide", numerator: "1", denominator: "0" });
    server.feed({ _command: "Nope" });
    assert.equal(server.transport.value().length, 0);
    assert.equal(server.transport.disconnecting, false);
    server.feed({ _command: "Boom" });
    assert.equal(flushLoggedErrors(RangeError).length, 1);
    assert.equal(server.transport.disconnecting, true);
  });

  it("passes the locator as this, inherits responders and lets subclasses replace them", async () => {
    class Base extends amp.AMP {
      label = "base";
    }
    class Child extends Base {
      override label = "child";
    }
    class Override extends Child {}
    Slow.responder(Base, function ({ id }) {
      return { id: `${this.label}:${id}` };
    });
    Slow.responder(Override, function ({ id }) {
      return { id: `override:${id}` };
    });
    for (
      const [make, want] of [[() => new Child(), "child:x"], [
        () => new Override(),
        "override:x",
      ]] as const
    ) {
      const [client, , pump] = pair(make);
      const d = client.callRemote(Slow, { id: "x" });
      pump.flush();
      assert.deepEqual(await d, { id: want });
    }
  });

  it("answers through a separate CommandLocator and through amp_NAME methods", async () => {
    class Adder extends amp.CommandLocator {
      calls = 0;
    }
    Divide.responder(Adder, function ({ numerator, denominator }) {
      this.calls++;
      return { result: numerator + denominator };
    });
    const locator = new Adder();
    class Strings extends amp.AMP {
      amp_HELLO(box: amp.AmpBox): amp.AmpBox {
        return new amp.AmpBox({ hello: box.get("name")! });
      }
      amp_DIVIDE(): amp.AmpBox {
        throw new Error("Command responders come first");
      }
      async amp_LATER(): Promise<amp.AmpBox> {
        await Promise.resolve();
        return new amp.AmpBox({ later: "yes" });
      }
    }
    Divide.responder(Strings, () => ({ result: -1 }));
    const [client, server, pump] = pair(() => new amp.AMP({ locator }));
    assert.equal(server.locator, locator);
    const d = client.callRemote(Divide, { numerator: 2, denominator: 3 });
    pump.flush();
    assert.deepEqual(await d, { result: 5 });
    assert.equal(locator.calls, 1);

    const [c2, , p2] = pair(() => new Strings());
    const hello = c2.callRemoteString("hello", { name: "amp" });
    const divide = c2.callRemote(Divide, { numerator: 1, denominator: 1 });
    const later = c2.callRemoteString("Later");
    p2.flush();
    await tick();
    p2.flush();
    assert.equal((await hello).getText("hello"), "amp");
    assert.deepEqual(await divide, { result: -1 });
    assert.equal((await later).getText("later"), "yes");

    class Pinger extends amp.SimpleStringLocator {
      amp_PING(): amp.AmpBox {
        return new amp.AmpBox({ pong: "1" });
      }
    }
    const pinger = new Pinger();
    assert.notEqual(pinger.locateResponder("ping"), null);
    assert.equal(pinger.locateResponder("constructor"), null);
    assert.equal(pinger.locateResponder("\u00df"), null);
  });

  it("writes the answers before whatever a responder does with the transport", async () => {
    class Quitter extends Calc {
      amp_QUIT(): amp.AmpBox {
        this.transport.loseConnection();
        return new amp.AmpBox();
      }
    }
    class Shadowing extends Quitter {
      // A field of that name (plain JavaScript can declare one) replaces the accessor.
      constructor() {
        super();
        Object.defineProperty(this, "transport", { value: undefined, writable: true });
      }
    }
    for (const make of [() => new Quitter(), () => new Shadowing()]) {
      const [client, , pump] = pair(make);
      const first = client.callRemote(Divide, { numerator: 1, denominator: 1 });
      const quit = client.callRemoteString("QUIT");
      pump.flush();
      // Both boxes arrived in one chunk: the first answer was written before the close.
      assert.deepEqual(await first, { result: 1 });
      assert.ok((await settled(quit)).error instanceof ConnectionDone);
    }
  });

  it("closes after answering with a QuitBox", async () => {
    class Bye extends amp.AMP {
      amp_BYE(): amp.AmpBox {
        return new amp.QuitBox({ bye: "1" });
      }
    }
    const [client, , pump] = pair(() => new Bye());
    const d = client.callRemoteString("BYE");
    pump.flush();
    assert.equal((await d).getText("bye"), "1");
    assert.ok(pump.clientIO.disconnected);
  });

  it("checks arguments: an unknown, missing or wrongly typed one fails the call", async () => {
    const client = onString(new amp.AMP());
    const call = (args: unknown) =>
      settled(client.proto.callRemote(Divide, args as { numerator: number; denominator: number }));
    const extra = await call({ numerator: 1, denominator: 2, other: 3 });
    assert.ok(extra.error instanceof amp.InvalidSignature);
    assert.match((extra.error as Error).message, /other is not a valid argument of Divide/);
    const missing = await call({ numerator: 1 });
    assert.equal((missing.error as Error).message, "forgot denominator for Divide");
    const wrong = await call({ numerator: "1", denominator: 2 });
    assert.ok(wrong.error instanceof TypeError);
    assert.match((wrong.error as Error).message, /^Divide: 'numerator': Expected an integer/);
    const huge = await call({ numerator: 2 ** 60, denominator: 2 });
    assert.ok(huge.error instanceof RangeError);
    assert.equal(client.transport.value().length, 0);
  });

  it("fails a call whose box is too long with TooLong naming the key; the connection stays", async () => {
    const [client, , pump] = pair();
    const d = client.callRemote(Echo, { data: new Uint8Array(70000) });
    const { error } = await settled(d);
    assert.ok(error instanceof amp.TooLong);
    assert.equal(
      (error as Error).message,
      "local value 'data' too long: 70000 bytes (the maximum is 65535)",
    );
    const raw = await settled(client.callRemoteString("X", { ["k".repeat(300)]: "v" }));
    assert.ok(raw.error instanceof amp.TooLong && raw.error.isKey);
    const ok = client.callRemote(Divide, { numerator: 1, denominator: 1 });
    pump.flush();
    assert.deepEqual(await ok, { result: 1 });
  });

  it("answers UNKNOWN when the answer itself is too long to encode", async () => {
    class Big extends amp.AMP {
      amp_BIG(): amp.AmpBox {
        return new amp.AmpBox({ big: new Uint8Array(70000) });
      }
    }
    const [client, , pump] = pair(() => new Big());
    const d = client.callRemoteString("BIG");
    pump.flush();
    assert.ok((await settled(d)).error instanceof amp.RemoteAmpError);
    assert.equal(flushLoggedErrors(amp.TooLong).length, 1);
  });

  it("fails waiting calls with the reason the connection was lost, and later calls at once", async () => {
    const [client, server, pump] = pair();
    const d = client.callRemote(Slow, { id: "a" });
    pump.flush();
    pump.serverIO.abortConnection();
    pump.flush();
    assert.ok((await settled(d)).error instanceof ConnectionLost);
    const later = await settled(client.callRemote(Divide, { numerator: 1, denominator: 1 }));
    assert.ok(later.error instanceof ConnectionLost);
    // The slow responder answering now is ignored.
    server.slow.get("a")!.callback({ id: "late" });
  });

  it("leaves a failed call nobody handled to be logged, and keeps the connection (#7055)", async () => {
    const collection = fakeCollectionForTesting();
    try {
      const [client, , pump] = pair();
      client.callRemote(Divide, { numerator: 1, denominator: 0 });
      pump.flush();
      assert.equal(pump.clientIO.disconnecting, false);
      assert.equal(flushLoggedErrors().length, 0);
      assert.equal(collection.collect(), 1);
      assert.equal(flushLoggedErrors(ZeroDivisionError).length, 1);
      // Awaited or handled failures are not reported.
      const awaited = client.callRemote(Divide, { numerator: 1, denominator: 0 });
      client.callRemote(Divide, { numerator: 1, denominator: 0 }).addErrback(() => null);
      pump.flush();
      assert.ok((await settled(awaited)).error instanceof ZeroDivisionError);
      collection.collect();
      assert.equal(flushLoggedErrors().length, 0);
      const ok = client.callRemote(Divide, { numerator: 1, denominator: 1 });
      pump.flush();
      assert.deepEqual(await ok, { result: 1 });
    } finally {
      collection.restore();
    }
  });
});

describe("AMP against Twisted's recorded bytes", () => {
  class Twisted extends amp.AMP {}
  Divide.responder(Twisted, ({ numerator, denominator }) => {
    if (denominator === 0) throw new ZeroDivisionError("division by zero");
    return { result: numerator / denominator };
  });
  Boom.responder(Twisted, () => {
    throw new RangeError("kaboom");
  });
  Fatal.responder(Twisted, () => {
    throw new KeyError("'gone'");
  });

  for (const c of fixture.conversation) {
    it(`answers as Twisted does: ${c.name}`, () => {
      const server = onString(new Twisted());
      server.proto.dataReceived(hex(c.input));
      assert.equal(toHex(server.transport.value()), c.output);
      assert.equal(server.transport.disconnecting, c.disconnecting);
      flushLoggedErrors(RangeError);
    });

    it(`answers as Twisted does, fed one byte at a time: ${c.name}`, () => {
      const server = onString(new Twisted());
      for (const b of hex(c.input)) server.proto.dataReceived(new Uint8Array([b]));
      assert.equal(toHex(server.transport.value()), c.output);
      flushLoggedErrors(RangeError);
    });
  }

  it("writes the command box Twisted's client writes", () => {
    const client = onString(new amp.AMP());
    client.proto.callRemote(Divide, { numerator: 7, denominator: 2 }).addErrback(() => null);
    assert.equal(toHex(client.transport.value()), fixtureBoxes["Divide(7, 2)"]);
  });
});

describe("AMP's limits and bad input", () => {
  it("closes on a key over 255 bytes; waiting calls fail with TooLong", async () => {
    const client = onString(new amp.AMP());
    const d = client.proto.callRemote(Divide, { numerator: 1, denominator: 2 });
    client.proto.dataReceived(new Uint8Array([1, 0]));
    assert.ok(client.transport.disconnecting);
    const { error } = await settled(d);
    assert.ok(error instanceof amp.TooLong && error.isKey && !error.isLocal);
    assert.equal(flushLoggedErrors().length, 0);
  });

  it("closes on an incoming box over maxBoxSize", async () => {
    const client = onString(new amp.AMP({ maxBoxSize: 1000 }));
    assert.equal(client.proto.maxBoxSize, 1000);
    const d = client.proto.callRemote(Divide, { numerator: 1, denominator: 2 });
    const big = new amp.AmpBox({ a: new Uint8Array(600), b: new Uint8Array(600) }).serialize();
    client.proto.dataReceived(big.subarray(0, 600));
    assert.equal(client.transport.disconnecting, false);
    client.proto.dataReceived(big.subarray(600));
    assert.ok(client.transport.disconnecting);
    const { error } = await settled(d);
    assert.match(
      (error as Error).message,
      /remote box too long: 1210 bytes \(the maximum is 1000\)/,
    );
    assert.equal(new amp.AMP().maxBoxSize, 4 * 1024 * 1024);
  });

  it("closes on a box with no _answer, _error or _command, and on answers to no question", () => {
    const bad: Record<string, string>[] = [{}, { hello: "x" }, { _answer: "99" }, {
      _error: "7",
      _error_code: "X",
    }];
    for (const box of bad) {
      const server = onString(new Calc());
      server.feed(box, { _command: "Divide", _ask: "1", numerator: "1", denominator: "1" });
      assert.ok(server.transport.disconnecting, JSON.stringify(box));
      assert.equal(server.transport.value().length, 0, "nothing after the bad box is read");
    }
  });

  it("reads boxes split at every byte the same as whole", () => {
    const boxes = [1, 2, 3].map((n) =>
      new amp.AmpBox({
        _command: "Divide",
        _ask: `${n}`,
        numerator: `${n * 10}`,
        denominator: "4",
      }).serialize()
    );
    const stream = new Uint8Array(boxes.flatMap((b) => [...b]));
    const whole = onString(new Calc());
    whole.proto.dataReceived(stream);
    const expected = toHex(whole.transport.value());
    for (let split = 1; split < stream.length; split++) {
      const server = onString(new Calc());
      server.proto.dataReceived(stream.subarray(0, split));
      server.proto.dataReceived(stream.subarray(split));
      assert.equal(toHex(server.transport.value()), expected, `split at ${split}`);
    }
  });

  it("uses a BoxDispatcher and a BinaryBoxProtocol apart, and a boxReceiver given to AMP", async () => {
    class Locator extends amp.CommandLocator {}
    Divide.responder(Locator, ({ numerator }) => ({ result: numerator }));
    const dispatcher = new amp.BoxDispatcher(new Locator());
    const [client, , pump] = connectedServerAndClient<amp.AMP | amp.BinaryBoxProtocol>(
      () => new amp.BinaryBoxProtocol(dispatcher),
      () => new amp.AMP(),
    ) as [amp.AMP, amp.BinaryBoxProtocol, IOPump];
    const d = client.callRemote(Divide, { numerator: 5, denominator: 1 });
    pump.flush();
    assert.deepEqual(await d, { result: 5 });
    const back = dispatcher.callRemote(Divide, { numerator: 9, denominator: 1 });
    pump.flush();
    assert.ok((await settled(back)).error instanceof amp.UnhandledCommand);

    const received: amp.AmpBox[] = [];
    const receiver = onString(
      new amp.AMP({
        boxReceiver: {
          startReceivingBoxes() {},
          ampBoxReceived: (box) => received.push(box),
          stopReceivingBoxes() {},
        },
      }),
    );
    receiver.feed({ anything: "goes" });
    assert.equal(received[0].getText("anything"), "goes");
    const direct = await receiver.proto.dispatchCommand(
      new amp.AmpBox({ _command: "Nope" }),
    ).addErrback((f) => f.value);
    assert.ok(direct instanceof amp.RemoteAmpError);
  });
});

describe("ProtocolSwitchCommand", () => {
  class Switch extends amp.ProtocolSwitchCommand {
    static override arguments = { to: new amp.Unicode() };
    static override errors = new Map([[ZeroDivisionError, "NOPE"]]);
  }
  class Greeter extends Protocol {
    got: Uint8Array[] = [];
    override connectionMade(): void {
      this.transport.write(new TextEncoder().encode("hello from the new protocol"));
    }
    override dataReceived(data: Uint8Array): void {
      this.got.push(data);
    }
  }
  class Server extends amp.AMP {
    inner: Greeter | null = null;
  }
  Switch.responder(Server, function ({ to }) {
    if (to !== "greeter") throw new ZeroDivisionError("no such protocol");
    return this.inner = new Greeter();
  });

  it("hands both ends of the connection to the new protocols, with the bytes read past the answer", async () => {
    const [client, server, pump] = pair(() => new Server());
    const factory = ClientFactory.forProtocol(AccumulatingProtocol);
    const d = client.callRemote(Switch, { to: "greeter" }, factory);
    const blocked = await settled(client.callRemote(Divide, { numerator: 1, denominator: 1 }));
    assert.ok(blocked.error instanceof amp.ProtocolSwitched);
    pump.flush();
    assert.deepEqual(await d, {});
    const inner = client.innerProtocol as AccumulatingProtocol;
    assert.ok(inner instanceof AccumulatingProtocol);
    assert.equal(new TextDecoder().decode(inner.data), "hello from the new protocol");
    assert.ok(server.inner !== null && server.innerProtocol === server.inner);
    client.transport.write(new TextEncoder().encode("raw bytes"));
    pump.flush();
    assert.equal(new TextDecoder().decode(server.inner.got.at(-1)), "raw bytes");
    assert.throws(() => server.sendBox(new amp.AmpBox({ a: "1" })), amp.ProtocolSwitched);
    pump.clientIO.loseConnection();
    pump.flush();
    assert.equal(inner.closed, true);
  });

  it("keeps AMP working when the switch fails, and tells the factory", async () => {
    const [client, , pump] = pair(() => new Server());
    const failures: Failure[] = [];
    const factory = new (class extends ClientFactory {
      override clientConnectionFailed(_c: unknown, reason: Failure): void {
        failures.push(reason);
      }
    })();
    factory.protocol = AccumulatingProtocol;
    const d = client.callRemote(Switch, { to: "nothing" }, factory);
    pump.flush();
    assert.ok((await settled(d)).error instanceof ZeroDivisionError);
    assert.equal(failures.length, 1);
    assert.equal(client.innerProtocol, null);
    const ok = client.callRemote(Divide, { numerator: 4, denominator: 2 });
    pump.flush();
    assert.ok((await settled(ok)).error instanceof amp.UnhandledCommand);
    const noFactory = await settled(
      client.callRemote(Switch, { to: "x" }, undefined as unknown as Factory),
    );
    assert.ok(noFactory.error instanceof TypeError);
  });
});

describe("StartTLS (the AMP side, on a transport that records startTLS)", () => {
  class TLSStringTransport extends StringTransportWithDisconnection {
    started: Record<string, unknown>[] = [];
    startTLS(options: Record<string, unknown>): void {
      this.started.push(options);
    }
  }
  class Secure extends amp.AMP {}
  amp.StartTLS.responder(Secure, () => ({
    tls_localCertificate: { cert: "CERT", key: "KEY" },
    tls_verifyAuthorities: ["CA"],
  }));
  class NoCert extends amp.AMP {}
  amp.StartTLS.responder(NoCert, () => ({}));

  function tlsPeer<P extends amp.AMP>(proto: P) {
    const transport = new TLSStringTransport();
    transport.protocol = proto;
    proto.makeConnection(transport);
    return { proto, transport };
  }

  it("holds the caller's boxes until the answer, then starts TLS as the client", async () => {
    const { proto, transport } = tlsPeer(new amp.AMP());
    const d = proto.callRemote(amp.StartTLS, {
      tls_localCertificate: { cert: "C", key: "K" },
      tls_verifyAuthorities: ["AUTH"],
    });
    const [box] = amp.parseString(transport.value());
    assert.deepEqual([...box.keys()].sort(), ["_ask", "_command"]);
    transport.clear();
    const held = proto.callRemote(Divide, { numerator: 1, denominator: 1 });
    assert.equal(transport.value().length, 0);
    proto.dataReceived(new amp.AmpBox({ _answer: box.getText("_ask")! }).serialize());
    assert.deepEqual(await d, {});
    assert.deepEqual(transport.started, [{
      isServer: false,
      cert: "C",
      key: "K",
      ca: ["AUTH"],
      verify: true,
    }]);
    assert.equal(amp.parseString(transport.value())[0].getText("_command"), "Divide");
    const again = await settled(proto.callRemote(amp.StartTLS, {}));
    assert.ok(again.error instanceof amp.OnlyOneTLS);
    proto.dataReceived(new amp.AmpBox({ _answer: "2", result: "1.0" }).serialize());
    assert.deepEqual(await held, { result: 1 });
  });

  it("answers, then starts TLS as the server; a second StartTLS is refused", () => {
    const { proto, transport } = tlsPeer(new Secure());
    proto.dataReceived(new amp.AmpBox({ _command: "StartTLS", _ask: "1" }).serialize());
    assert.deepEqual(amp.parseString(transport.value()).map((b) => [...b.keys()]), [["_answer"]]);
    assert.deepEqual(transport.started, [{
      isServer: true,
      cert: "CERT",
      key: "KEY",
      ca: ["CA"],
      requestCert: true,
    }]);
    transport.clear();
    proto.dataReceived(new amp.AmpBox({ _command: "StartTLS", _ask: "2" }).serialize());
    const [answer] = amp.parseString(transport.value());
    assert.equal(answer.getText("_error_code"), "UNKNOWN");
    assert.equal(flushLoggedErrors(amp.OnlyOneTLS).length, 1);
  });

  it("refuses without a certificate on the answering side, and without TLS on the transport", async () => {
    const { proto, transport } = tlsPeer(new NoCert());
    proto.dataReceived(new amp.AmpBox({ _command: "StartTLS", _ask: "1" }).serialize());
    const [answer] = amp.parseString(transport.value());
    assert.equal(answer.getText("_error_code"), "TLS_ERROR");
    assert.equal(transport.started.length, 0);
    assert.equal(transport.disconnecting, false);

    const plain = onString(new Secure());
    plain.feed({ _command: "StartTLS", _ask: "1" });
    assert.equal(plain.boxes()[0].getText("_error_code"), "TLS_ERROR");
    const client = onString(new amp.AMP());
    const refused = await settled(client.proto.callRemote(amp.StartTLS));
    assert.ok(refused.error instanceof TypeError);
    assert.equal(client.transport.value().length, 0);
  });

  it("sends the held boxes in clear when the StartTLS call fails", async () => {
    const { proto, transport } = tlsPeer(new amp.AMP());
    const d = proto.callRemote(amp.StartTLS);
    transport.clear();
    proto.callRemote(Note, { text: "held" });
    assert.equal(transport.value().length, 0);
    proto.dataReceived(
      new amp.AmpBox({ _error: "1", _error_code: "TLS_ERROR", _error_description: "no" })
        .serialize(),
    );
    assert.ok((await settled(d)).error instanceof amp.UnknownRemoteError);
    assert.equal(amp.parseString(transport.value())[0].getText("_command"), "Note");
    assert.equal(transport.started.length, 0);
  });
});
