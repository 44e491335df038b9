// Interop of @tw/core/protocols/amp with Twisted's own AMP (Debian python3-twisted and
// python3-openssl, run by /usr/bin/python3): our client against a Twisted AMP server,
// and a Twisted AMP client against our server, both through tests/interop/amp_peer.py.
// Covered both ways: every argument type (values exactly, Float inf/nan, DateTime
// offsets, Decimal text), declared and undeclared errors, UNHANDLED, requiresAnswer =
// false, answers out of order, StartTLS with both peers verified.
// Without Twisted the tests are skipped, except under CI (CI=true), where they fail.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  ClientCreator,
  deferLater,
  Deferred,
  Factory,
  type Failure,
  type IPv4Address,
  ProcessProtocol,
  type ProcessTransport,
  reactor,
} from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import * as amp from "../../src/protocols/amp.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("amp_peer.py", import.meta.url));
const TLS_DIR = fileURLToPath(new URL("../fixtures/tls", import.meta.url));
const tls = (name: string): string => readFileSync(`${TLS_DIR}/${name}`, "utf8");
const CI = process.env.CI === "true";
const HAVE_PEER =
  spawnSync(PYTHON, ["-c", "import twisted.protocols.amp, OpenSSL"], { stdio: "ignore" }).status ===
    0;
const SKIP = HAVE_PEER || CI
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted and python3-openssl " +
    "packages (apt-get install -y python3-twisted python3-openssl)";

const decoder = new TextDecoder();

// The commands of amp_peer.py.
class ZeroDivisionError extends Error {}
class Everything extends amp.Command {
  static override arguments = {
    i: new amp.Integer(),
    big: new amp.Integer({ bigint: true }),
    s: new amp.String(),
    u: new amp.Unicode(),
    b: new amp.Boolean(),
    fl: new amp.ListOf(new amp.Float()),
    d: new amp.ListOf(new amp.Decimal()),
    t: new amp.ListOf(new amp.DateTime()),
    l: new amp.ListOf(new amp.Integer()),
    al: new amp.AmpList({ x: new amp.Integer(), y: new amp.Unicode({ optional: true }) }),
    o: new amp.Unicode({ optional: true }),
  };
  static override response = {
    ...Everything.arguments,
    reprs: new amp.ListOf(new amp.Unicode()),
  };
}
class Divide extends amp.Command {
  static override arguments = { numerator: new amp.Integer(), denominator: new amp.Integer() };
  static override response = { result: new amp.Float() };
  static override errors = new Map([[ZeroDivisionError, "ZERO_DIVISION"]]);
}
class Boom extends amp.Command {}
class Slow extends amp.Command {
  static override arguments = { id: new amp.Unicode(), delay: new amp.Float() };
  static override response = { id: new amp.Unicode() };
}
class Note extends amp.Command {
  static override arguments = { text: new amp.Unicode() };
  static override readonly requiresAnswer = false;
}
class Notes extends amp.Command {
  static override response = { notes: new amp.ListOf(new amp.Unicode()) };
}
class Secure extends amp.Command {
  static override response = { secure: new amp.Boolean(), peer: new amp.Unicode() };
}
class Nope extends amp.Command {}

/** Runs amp_peer.py, collecting its output; `ended` fires with its exit code. */
class PythonPeer extends ProcessProtocol {
  out = "";
  err = "";
  exitCode: number | null = null;
  ended = new Deferred<void>();
  firstLine = new Deferred<string>();
  override outReceived(data: Uint8Array): void {
    this.out += decoder.decode(data);
    if (!this.firstLine.called && this.out.includes("\n")) this.firstLine.callback(this.out);
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
  }
  override processEnded(reason: Failure): void {
    this.exitCode = (reason.value as { exitCode?: number | null }).exitCode ?? null;
    if (!this.firstLine.called) this.firstLine.callback(this.out);
    this.ended.callback(undefined);
  }
}

function timeout<T>(d: PromiseLike<T>, seconds = 20): Deferred<T> {
  return Deferred.fromPromise(d).addTimeout(seconds, reactor);
}

const failure = (d: PromiseLike<unknown>): Promise<unknown> =>
  Promise.resolve(d).then(() => null, (e) => e);

class Client extends amp.AMP {
  lost = new Deferred<void>();
  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    this.lost.callback();
  }
}

describe("AMP interop with Twisted", { timeout: 90_000 }, () => {
  it("calls a Twisted AMP server from our client", { skip: SKIP, timeout: 60_000 }, async () => {
    const peer = new PythonPeer();
    const transport: ProcessTransport = reactor.spawnProcess(peer, PYTHON, [
      PYTHON,
      PEER,
      "server",
      TLS_DIR,
    ]);
    try {
      const first = await timeout(peer.firstLine);
      const match = /PORT (\d+)/.exec(first);
      assert.ok(match, `no port announced: ${first} ${peer.err}`);
      const client = await timeout(
        new ClientCreator(reactor, Client).connectTCP("127.0.0.1", Number(match[1])),
      );

      // Every argument type: Twisted echoes the values and says what it made of them.
      const t = [
        new amp.OffsetDate(Date.UTC(2012, 0, 23, 13, 57, 56, 54), {
          utcOffset: -83,
          microsecond: 54321,
        }),
        new amp.OffsetDate(Date.UTC(2024, 1, 29, 23, 59, 59, 999), { microsecond: 999999 }),
        // Date.UTC reads the years 0-99 as 1900-1999: set year 1 explicitly.
        new amp.OffsetDate(new Date(0).setUTCFullYear(1, 0, 1) - 330 * 60000, {
          utcOffset: 330,
          microsecond: 1,
        }),
        new Date(Date.UTC(2000, 5, 6, 7, 8, 9, 10)),
      ];
      const sent = {
        i: -(2 ** 53 - 1),
        big: 2n ** 70n + 3n,
        s: Uint8Array.from({ length: 256 }, (_, i) => i),
        u: "h\u00e9llo \u{1f600}",
        b: false,
        fl: [1, 0.1, -0, 1e100, 1e16, 5e-324, Infinity, -Infinity, NaN],
        d: ["1.10", "-Infinity", "NaN", "1E+2", "-0", "0.000001"],
        t,
        l: [3, 7, -9],
        al: [{ x: 1, y: "why" }, { x: 2 }],
        o: "here",
      };
      const got = await timeout(client.callRemote(Everything, sent));
      const { reprs, ...echoed } = got;
      assert.equal(echoed.i, sent.i);
      assert.equal(echoed.big, sent.big);
      assert.deepEqual(echoed.s, sent.s);
      assert.equal(echoed.u, sent.u);
      assert.equal(echoed.b, false);
      assert.equal(echoed.fl.length, sent.fl.length);
      echoed.fl.forEach((x, i) => assert.ok(Object.is(x, sent.fl[i]), `${x} vs ${sent.fl[i]}`));
      assert.deepEqual(echoed.d, sent.d);
      assert.deepEqual(echoed.l, sent.l);
      assert.deepEqual(echoed.al, sent.al);
      assert.equal(echoed.o, "here");
      echoed.t.forEach((d, i) => {
        assert.equal(d.getTime(), t[i].getTime());
        const want = t[i] instanceof amp.OffsetDate ? (t[i] as amp.OffsetDate) : null;
        assert.equal((d as amp.OffsetDate).utcOffset, want?.utcOffset ?? 0);
        assert.equal((d as amp.OffsetDate).microsecond, want?.microsecond ?? 10000);
      });
      assert.deepEqual(reprs, [
        "i=-9007199254740991 big=1180591620717411303427",
        "fl=1.0,0.1,-0.0,1e+100,1e+16,5e-324,inf,-inf,nan",
        "d=Decimal('1.10'),Decimal('-Infinity'),Decimal('NaN'),Decimal('1E+2'),Decimal('-0')," +
        "Decimal('0.000001')",
        "t=2012-01-23T12:34:56.054321-01:23|-1 day, 22:37:00," +
        "2024-02-29T23:59:59.999999+00:00|0:00:00," +
        "0001-01-01T00:00:00.000001+05:30|5:30:00," +
        "2000-06-06T07:08:09.010000+00:00|0:00:00",
        "u='héllo 😀' b=False o='here'",
      ]);
      const { o: _, ...without } = sent;
      const noOptional = await timeout(client.callRemote(Everything, without));
      assert.equal(noOptional.o, undefined);
      assert.equal(noOptional.reprs.at(-1), "u='héllo 😀' b=False o=None");

      // A declared error, then the connection goes on.
      const zero = await timeout(
        failure(client.callRemote(Divide, { numerator: 1, denominator: 0 })),
      );
      assert.ok(zero instanceof ZeroDivisionError);
      assert.equal((zero as Error).message, "division by zero");
      assert.equal(
        (await timeout(client.callRemote(Divide, { numerator: 7, denominator: 2 }))).result,
        3.5,
      );

      // UNHANDLED, then the connection goes on.
      const nope = await timeout(failure(client.callRemote(Nope)));
      assert.ok(nope instanceof amp.UnhandledCommand);
      assert.equal((nope as amp.UnhandledCommand).description, "Unhandled Command: b'Nope'");

      // Answers out of order.
      const order: string[] = [];
      const slow = client.callRemote(Slow, { id: "slow", delay: 0.3 }).addCallback((r) =>
        order.push(r.id)
      );
      const fast = client.callRemote(Slow, { id: "fast", delay: 0 }).addCallback((r) =>
        order.push(r.id)
      );
      await timeout(Promise.all([slow, fast]));
      assert.deepEqual(order, ["fast", "slow"]);

      // requiresAnswer = false.
      assert.equal(await timeout(client.callRemote(Note, { text: "noted" })), null);
      assert.deepEqual((await timeout(client.callRemote(Notes))).notes, ["noted"]);

      // StartTLS: Twisted is the TLS server; both sides verify the other.
      assert.deepEqual(await timeout(client.callRemote(Secure)), { secure: false, peer: "" });
      const started = client.callRemote(amp.StartTLS, {
        tls_localCertificate: { cert: tls("client.pem"), key: tls("client.key") },
        tls_verifyAuthorities: [tls("ca.pem")],
      });
      const meanwhile = client.callRemote(Divide, { numerator: 9, denominator: 3 });
      assert.deepEqual(await timeout(started), {});
      assert.equal((await timeout(meanwhile)).result, 3);
      assert.deepEqual(await timeout(client.callRemote(Secure)), {
        secure: true,
        peer: "tw-core test client",
      });
      assert.equal((client.transport as { secure?: boolean }).secure, true);

      // An undeclared error: UNKNOWN, then Twisted closes the connection.
      const boom = await timeout(failure(client.callRemote(Boom)));
      assert.ok(boom instanceof amp.UnknownRemoteError);
      await timeout(client.lost);
    } finally {
      transport.closeStdin();
      await timeout(peer.ended);
    }
    assert.equal(peer.exitCode, 0, peer.err);
  });

  it("serves a Twisted AMP client from our server", { skip: SKIP, timeout: 60_000 }, async () => {
    class Server extends amp.AMP {
      notes: string[] = [];
    }
    Everything.responder(Server, (args) => ({ ...args, reprs: [] }));
    Divide.responder(Server, ({ numerator, denominator }) => {
      if (denominator === 0) throw new ZeroDivisionError("division by zero");
      return { result: numerator / denominator };
    });
    Boom.responder(Server, () => {
      throw new RangeError("kaboom");
    });
    Slow.responder(Server, ({ id, delay }) => deferLater(reactor, delay, () => ({ id })));
    Note.responder(Server, function ({ text }) {
      this.notes.push(text);
      return {};
    });
    Notes.responder(Server, function () {
      return { notes: this.notes };
    });
    Secure.responder(Server, function () {
      return { secure: (this.transport as { secure?: boolean }).secure === true, peer: "" };
    });
    amp.StartTLS.responder(Server, () => ({
      tls_localCertificate: { cert: tls("server.pem"), key: tls("server.key") },
      tls_verifyAuthorities: [tls("ca.pem")],
    }));

    const lost: Deferred<void>[] = [];
    const factory = Factory.forProtocol(Server);
    factory.noisy = false;
    const build = factory.buildProtocol.bind(factory);
    factory.buildProtocol = (addr) => {
      const p = build(addr) as Server;
      const d = new Deferred<void>();
      lost.push(d);
      const original = p.connectionLost.bind(p);
      p.connectionLost = (reason) => {
        original(reason);
        d.callback();
      };
      return p;
    };
    const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    await port.whenListening();
    const peer = new PythonPeer();
    try {
      reactor.spawnProcess(peer, PYTHON, [
        PYTHON,
        PEER,
        "client",
        TLS_DIR,
        String((port.getHost() as IPv4Address).port),
      ]);
      await timeout(peer.ended, 45);
      const checks = peer.out.trim().split("\n").filter(Boolean).map((line) =>
        JSON.parse(line) as { check: string; ok: boolean; detail: unknown }
      );
      const failed = checks.filter((c) => !c.ok);
      assert.deepEqual(failed, [], peer.err);
      assert.deepEqual(checks.map((c) => c.check), [
        "every argument type round-trips",
        "an optional argument left out stays out",
        "a declared error fails with its class",
        "the connection stays after a declared error",
        "an unknown command is UNHANDLED",
        "the connection stays after UNHANDLED",
        "answers come out of order",
        "a command without _ask runs, unanswered",
        "StartTLS upgrades both sides",
        "StartTLS: we verified theirs",
        "an undeclared error is UNKNOWN",
        "the server closes after an undeclared error",
        "client ran to the end",
      ]);
      assert.equal(peer.exitCode, 0, peer.err);
      // Our server logged the undeclared error it answered UNKNOWN.
      const { flushLoggedErrors } = await import("../../src/testing/mod.ts");
      assert.equal(flushLoggedErrors(RangeError).length, 1);
      await timeout(Promise.all(lost));
    } finally {
      await port.stopListening();
    }
  });
});
