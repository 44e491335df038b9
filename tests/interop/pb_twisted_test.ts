// Interop of @tw/core/spread's Perspective Broker with Twisted's own (Debian
// python3-twisted, run by /usr/bin/python3 through tests/interop/pb_peer.py): our
// client against Twisted's PB servers, and Twisted's client against ours. Covered both
// ways: calls with every basic type and keyword arguments, references lent, sent back
// and released (decref), copies, caches with observer updates, pb.Error, other errors
// by class path, NoSuchMethod, callbacks into the caller, answers out of order,
// challenge-response and anonymous logins, wrong passwords, viewables.
// Without Twisted the tests are skipped, except under CI (CI=true), where they fail.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  deferLater,
  Deferred,
  type Failure,
  type IPv4Address,
  ProcessProtocol,
  reactor,
} from "../../mod.ts";
import { clientFromString, serverFromString } from "../../src/internet/endpoints.ts";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";
import {
  AllowAnonymousAccess,
  ANONYMOUS,
  Anonymous,
  InMemoryUsernamePasswordDatabaseDontUse,
  type IRealm,
  type LoginResult,
  Portal,
  UnauthorizedLogin,
  UsernamePassword,
} from "../../src/cred/mod.ts";
import * as pb from "../../src/spread/pb.ts";
import { Counter, CounterCache, Point, PointCopy, Thing } from "../spread/_pb_objects.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("pb_peer.py", import.meta.url));
const CI = process.env.CI === "true";
const HAVE_PEER =
  spawnSync(PYTHON, ["-c", "import twisted.spread.pb"], { stdio: "ignore" }).status === 0;
const SKIP = HAVE_PEER || CI
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted package " +
    "(apt-get install -y python3-twisted)";

const decoder = new TextDecoder();

class Service extends pb.Referenceable {
  thing = new Thing();
  counter = new Counter();
  broker: pb.Broker;
  constructor(broker: pb.Broker) {
    super();
    this.broker = broker;
  }
  remote_add(a: number, b: number): number {
    return a + b;
  }
  remote_echo(...args: unknown[]): unknown[] {
    // Python's remote_echo(*args, **kw) returns [args, kw]: keywords come last here.
    const last = args.at(-1);
    const kw =
      typeof last === "object" && last !== null && Object.getPrototypeOf(last) === Object.prototype
        ? args.pop()
        : {};
    return [args, kw];
  }
  remote_thing(): Thing {
    return this.thing;
  }
  remote_isThing(x: unknown): boolean {
    return x === this.thing;
  }
  remote_point(): Point {
    return new Point(3, 4);
  }
  remote_counter(): Counter {
    return this.counter;
  }
  remote_bump(): number {
    this.counter.bump();
    return this.counter.value;
  }
  remote_refuse(): never {
    throw new pb.PBError("refused");
  }
  remote_crash(): never {
    throw new TypeError("crashed");
  }
  remote_callMeBack(callback: pb.RemoteReference): PromiseLike<unknown> {
    return callback.callRemote("hello", "ts").addBoth((r) => {
      callback[Symbol.dispose]();
      return r;
    });
  }
  remote_slow(name: string, delay: number): PromiseLike<string> {
    return deferLater(reactor, delay, () => name);
  }
  remote_isLent(luid: number): boolean {
    return this.broker.localObjectForID(luid) !== null;
  }
}

class Board extends pb.Viewable {
  view_whoCalls(perspective: User): string {
    return perspective.name;
  }
}
const board = new Board();
class User extends pb.Avatar {
  name: string;
  constructor(name: string) {
    super();
    this.name = name;
  }
  perspective_whoami(): string {
    return this.name;
  }
  perspective_board(): Board {
    return board;
  }
}
const realm: IRealm = {
  requestAvatar(id): LoginResult {
    return [pb.IPerspective, new User(id === ANONYMOUS ? "guest" : String(id)), () => {}];
  },
};
const portal = new Portal(realm, [
  new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }),
  new AllowAnonymousAccess(),
]);

class Callback extends pb.Referenceable {
  remote_hello(text: string): string {
    return `hello ${text}`;
  }
}

/** Runs pb_peer.py, collecting its output; `ended` fires when it exits. */
class PythonPeer extends ProcessProtocol {
  out = "";
  err = "";
  ended = new Deferred<void>();
  firstLine = new Deferred<string>();
  override outReceived(data: Uint8Array): void {
    this.out += decoder.decode(data);
    if (!this.firstLine.called && this.out.includes("\n")) this.firstLine.callback(this.out);
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
  }
  override processEnded(_reason: Failure): void {
    if (!this.firstLine.called) this.firstLine.callback(this.out);
    this.ended.callback(undefined);
  }
}

function timeout<T>(d: PromiseLike<T>, seconds = 20): Deferred<T> {
  return Deferred.fromPromise(d).addTimeout(seconds, reactor);
}

const failure = (d: PromiseLike<unknown>): Promise<Error> =>
  Promise.resolve(d).then(() => new Error("no failure"), (e) => e);

async function connect(port: number): Promise<pb.PBClientFactory> {
  const factory = new pb.PBClientFactory();
  await clientFromString(reactor, `tcp:127.0.0.1:${port}`).connect(factory);
  return factory;
}

describe("Perspective Broker interop with Twisted", { timeout: 90_000 }, () => {
  it("calls Twisted's PB servers from our client", { skip: SKIP, timeout: 60_000 }, async () => {
    const peer = new PythonPeer();
    const transport = reactor.spawnProcess(peer, PYTHON, [PYTHON, PEER, "server"]);
    try {
      const first = await timeout(peer.firstLine);
      const match = /PORTS (\d+) (\d+)/.exec(first);
      assert.ok(match, `no ports announced: ${first} ${peer.err}`);
      const factory = await connect(Number(match[1]));
      const root = await timeout(factory.getRootObject());
      assert.equal(await timeout(root.callRemote("add", 1, 2)), 3);

      const values = [1, "é", new Uint8Array([0, 255]), [1, [2]], null, 2n ** 70n, 1.5];
      const [args, kw] = await timeout(
        root.callRemote<[unknown[], Record<string, unknown>]>(
          "echo",
          ...values,
          pb.keywords({ k: "v" }),
        ),
      );
      assert.deepEqual(args, values);
      assert.deepEqual({ ...kw }, { k: "v" });

      const thing = await timeout(root.callRemote<pb.RemoteReference>("thing"));
      assert.equal(await timeout(thing.callRemote("poke")), 1);
      assert.equal(await timeout(root.callRemote("isThing", thing)), true);
      const luid = thing.luid;
      thing[Symbol.dispose]();
      assert.equal(await timeout(root.callRemote("isLent", luid)), false);

      const point = await timeout(root.callRemote("point"));
      assert.ok(point instanceof PointCopy);
      assert.deepEqual([point.x, point.y], [3, 4]);

      const cache = await timeout(root.callRemote("counter"));
      assert.ok(cache instanceof CounterCache);
      assert.equal(cache.value, 0);
      assert.equal(await timeout(root.callRemote("bump")), 1);
      assert.equal(cache.value, 1);
      assert.equal(await timeout(root.callRemote("counter")), cache);

      const refused = await failure(root.callRemote("refuse"));
      assert.ok(refused instanceof pb.PBError, String(refused));
      assert.equal(refused.message, "refused");
      const crashed = await failure(root.callRemote("crash"));
      assert.ok(crashed instanceof pb.RemoteError, String(crashed));
      assert.equal(crashed.remoteType, "builtins.ValueError");
      assert.equal(crashed.message, "crashed");
      assert.ok(await failure(root.callRemote("nope")) instanceof pb.NoSuchMethod);

      assert.equal(await timeout(root.callRemote("callMeBack", new Callback())), "hello python");

      const order: string[] = [];
      await timeout(Promise.all([
        root.callRemote<string>("slow", "slow", 0.3).addCallback((n) => order.push(n)),
        root.callRemote<string>("slow", "fast", 0.01).addCallback((n) => order.push(n)),
      ]));
      assert.deepEqual(order, ["fast", "slow"]);
      cache[Symbol.dispose]();
      factory.disconnect();

      const login = await connect(Number(match[2]));
      const avatar = await timeout(login.login(new UsernamePassword("alice", "secret")));
      assert.equal(await timeout(avatar.callRemote("whoami")), "alice");
      const view = await timeout(avatar.callRemote<pb.RemoteReference>("board"));
      assert.equal(await timeout(view.callRemote("whoCalls")), "alice");
      const wrong = await failure(login.login(new UsernamePassword("alice", "wrong")));
      assert.ok(wrong instanceof UnauthorizedLogin, String(wrong));
      const guest = await timeout(login.login(new Anonymous()));
      assert.equal(await timeout(guest.callRemote("whoami")), "guest");
      login.disconnect();
    } finally {
      transport.closeStdin();
      await timeout(peer.ended);
    }
  });

  it("serves Twisted's PB client from our servers", { skip: SKIP, timeout: 60_000 }, async () => {
    const endpoint = serverFromString(reactor, "tcp:0:interface=127.0.0.1");
    const rootPort = await endpoint.listen(
      new pb.PBServerFactory({ rootObject: (broker) => new Service(broker as pb.Broker) }),
    );
    const loginPort = await endpoint.listen(new pb.PBServerFactory(portal));
    try {
      const peer = new PythonPeer();
      reactor.spawnProcess(peer, PYTHON, [
        PYTHON,
        PEER,
        "client",
        String((rootPort.getHost() as IPv4Address).port),
        String((loginPort.getHost() as IPv4Address).port),
      ]);
      await timeout(peer.ended, 40);
      const checks = peer.out.trim().split("\n").filter(Boolean).map((line) =>
        JSON.parse(line) as { check: string; ok: boolean; detail: unknown }
      );
      const failed = checks.filter((c) => !c.ok);
      assert.deepEqual(failed, [], peer.err);
      assert.deepEqual(checks.map((c) => c.check), [
        "add",
        "echo with keywords",
        "referenceable",
        "reference sent back",
        "decref on release",
        "copy",
        "cache observed",
        "cache sent again",
        "pb.Error",
        "TypeError",
        "NoSuchMethod",
        "callback",
        "answers out of order",
        "login",
        "viewable",
        "bad password",
        "anonymous",
      ]);
      // Logged here as Twisted logs them (all but pb.Error).
      assert.equal(flushLoggedErrors(TypeError).length, 1);
      assert.equal(flushLoggedErrors(pb.NoSuchMethod).length, 1);
    } finally {
      await rootPort.stopListening();
      await loginPort.stopListening();
    }
  });
});
