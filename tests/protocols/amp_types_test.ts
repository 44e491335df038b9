// AMP commands are typed at compile time (Twisted #10031 is still open): each
// `@ts-expect-error` line below must fail to type-check (`deno check` fails
// on an unused one), and the rest must pass. The test itself runs the typed
// calls once on every runtime.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as amp from "../../src/protocols/amp.ts";
import { connectedServerAndClient, trackLeaks } from "../../src/testing/mod.ts";
import type { Deferred } from "../../src/internet/defer.ts";
import { type Factory, Protocol } from "../../src/internet/protocol.ts";

trackLeaks({ beforeEach, afterEach });

class ZeroDivisionError extends Error {}

class Divide extends amp.Command {
  static override arguments = { numerator: new amp.Integer(), denominator: new amp.Integer() };
  static override response = { result: new amp.Float() };
  static override errors = new Map([[ZeroDivisionError, "ZERO_DIVISION"]]);
}
class Everything extends amp.Command {
  static override arguments = {
    i: new amp.Integer(),
    big: new amp.Integer({ bigint: true }),
    s: new amp.String(),
    u: new amp.Unicode(),
    b: new amp.Boolean(),
    f: new amp.Float(),
    d: new amp.Decimal(),
    t: new amp.DateTime(),
    l: new amp.ListOf(new amp.Unicode()),
    al: new amp.AmpList({ x: new amp.Integer(), y: new amp.Unicode({ optional: true }) }),
    "with-dash": new amp.Integer({ optional: true }),
  };
  static override response = { ok: new amp.Boolean(), why: new amp.Unicode({ optional: true }) };
}
class Ping extends amp.Command {}
class Notify extends amp.Command {
  static override arguments = { text: new amp.Unicode() };
  static override readonly requiresAnswer = false;
}
class Switch extends amp.ProtocolSwitchCommand {
  static override arguments = { name: new amp.Unicode() };
}

class Calc extends amp.AMP {
  total = 0;
}

Divide.responder(Calc, function ({ numerator, denominator }) {
  const n: number = numerator + denominator;
  this.total += n; // `this` is a Calc
  return { result: numerator / denominator };
});
Everything.responder(Calc, (args) => {
  const big: bigint = args.big;
  const bytes: Uint8Array = args.s;
  const when: Date = args.t;
  const texts: string[] = args.l;
  const first: number | undefined = args.al[0]?.x;
  const optional: string | undefined = args.al[0]?.y;
  const dash: number | undefined = args["with-dash"];
  void [big, bytes, when, texts, first, optional, dash];
  return Promise.resolve({ ok: true });
});
Ping.responder(Calc, () => ({}));
Notify.responder(Calc, ({ text }) => {
  void text.toUpperCase(); // nothing to return: Notify has no response
});
Switch.responder(Calc, () => new Protocol());

/** Responders that must not compile (type-checked only; never run, as they would register). */
function badResponders(): void {
  // @ts-expect-error: the response lacks `result`
  Divide.responder(Calc, () => ({}));
  // @ts-expect-error: Divide's response is required: returning nothing does not do
  Divide.responder(Calc, () => {});
  // @ts-expect-error: `result` must be a number
  Divide.responder(Calc, () => ({ result: "3.5" }));
  // @ts-expect-error: `numerator` is a number, not a string
  Divide.responder(Calc, ({ numerator }: { numerator: string; denominator: number }) => ({
    result: Number(numerator),
  }));
  Divide.responder(Calc, function () {
    // @ts-expect-error: `this` is a Calc, which has no `missing`
    return { result: this.missing };
  });
  // @ts-expect-error: a protocol switch's responder returns a protocol
  Switch.responder(Calc, () => ({}));
}
void badResponders;

/** Calls that must, or must not, compile (type-checked only; never run). */
function typed(proto: amp.AMP, factory: Factory): void {
  const d: Deferred<{ result: number }> = proto.callRemote(Divide, {
    numerator: 7,
    denominator: 2,
  });
  void d.addCallback(({ result }) => result.toFixed(2));
  // @ts-expect-error: `denominator` is missing
  proto.callRemote(Divide, { numerator: 7 });
  // @ts-expect-error: `numerator` must be a number
  proto.callRemote(Divide, { numerator: "7", denominator: 2 });
  // @ts-expect-error: `extra` is not an argument of Divide
  proto.callRemote(Divide, { numerator: 7, denominator: 2, extra: 1 });
  // @ts-expect-error: Divide needs arguments
  proto.callRemote(Divide);
  proto.callRemote(Divide, { numerator: 1, denominator: 2 }).addCallback((r) => {
    // @ts-expect-error: the response has no `total`
    return r.total;
  });
  const none: Deferred<null> = proto.callRemote(Notify, { text: "hi" });
  void none;
  const pong: Deferred<Record<never, never>> = proto.callRemote(Ping);
  void pong;
  proto.callRemote(Everything, {
    i: 1,
    big: 2n,
    s: new Uint8Array(0),
    u: "u",
    b: true,
    f: 0.5,
    d: "1.10",
    t: new Date(),
    l: ["a"],
    al: [{ x: 1 }, { x: 2, y: "why" }],
  }).addCallback(({ ok, why }) => {
    const yes: boolean = ok;
    const maybe: string | undefined = why;
    return [yes, maybe];
  });
  proto.callRemote(Everything, {
    i: 1,
    // @ts-expect-error: `big` is a bigint
    big: 2,
    s: new Uint8Array(0),
    u: "u",
    b: true,
    f: 0.5,
    d: "1.10",
    t: new Date(),
    l: ["a"],
    al: [],
  });
  proto.callRemote(Switch, { name: "x" }, factory);
  // @ts-expect-error: a protocol switch needs the factory of the new protocol
  proto.callRemote(Switch, { name: "x" });
  proto.callRemote(amp.StartTLS, { tls_verifyAuthorities: ["-----BEGIN CERTIFICATE-----"] });
  // @ts-expect-error: the authorities are PEM strings
  proto.callRemote(amp.StartTLS, { tls_verifyAuthorities: "PEM" });
  const raw: Deferred<amp.AmpBox> = proto.callRemoteString("Divide", { numerator: "7" });
  const rawNone: Deferred<null> = proto.callRemoteString("Notify", {}, { requiresAnswer: false });
  void [raw, rawNone];
}
void typed;

describe("typed AMP commands", () => {
  it("run as typed", async () => {
    const [client, server, pump] = connectedServerAndClient<amp.AMP>(
      () => new Calc(),
      () => new amp.AMP(),
    );
    const d = client.callRemote(Divide, { numerator: 7, denominator: 2 });
    const n = client.callRemote(Notify, { text: "hi" });
    pump.flush();
    const { result } = await d;
    assert.equal(result, 3.5);
    assert.equal(await n, null);
    assert.equal((server as Calc).total, 9);
  });
});
