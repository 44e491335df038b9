// Perspective Broker over the test kit's in-memory connection: calls and
// answers, keyword arguments, every flavor (references lent and sent back,
// copies, viewables, caches and their release), errors as Twisted names
// them, challenge-response login with logout, disconnection, and the
// reference counts each side keeps.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import {
  connectedServerAndClient,
  flushLoggedErrors,
  type IOPump,
  trackLeaks,
} from "../../src/testing/mod.ts";
import type { Deferred } from "../../src/internet/defer.ts";
import type { Failure } from "../../src/internet/failure.ts";
import { failureResultOf, successResultOf } from "../../src/trial/mod.ts";
import {
  InMemoryUsernamePasswordDatabaseDontUse,
  type IRealm,
  type LoginResult,
  Portal,
  UnauthorizedLogin,
  UsernamePassword,
} from "../../src/cred/mod.ts";
import { AllowAnonymousAccess, ANONYMOUS, Anonymous } from "../../src/cred/mod.ts";
import * as pb from "../../src/spread/pb.ts";
import { Counter, CounterCache, Point, PointCopy, Thing } from "./_pb_objects.ts";
import { InsecureJelly } from "../../src/spread/jelly.ts";

trackLeaks({ beforeEach, afterEach });

class Unregistered extends pb.Copyable {
  secret = 1;
}

class NotFound extends Error {
  static remoteType = "tests.NotFound";
}

class Service extends pb.Root {
  thing = new Thing();
  counter = new Counter();
  seen: unknown[] = [];
  remote_add(a: number, b: number): number {
    return a + b;
  }
  remote_echo(...args: unknown[]): unknown[] {
    return args;
  }
  remote_later(value: number): Promise<number> {
    return Promise.resolve(value * 2);
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
  remote_unregistered(): Unregistered {
    return new Unregistered();
  }
  remote_counter(): Counter {
    return this.counter;
  }
  remote_refuse(): never {
    throw new pb.PBError("refused");
  }
  remote_crash(): never {
    throw new TypeError("crashed");
  }
  remote_notFound(): never {
    throw new NotFound("nothing here");
  }
  remote_note(text: string): void {
    this.seen.push(text);
  }
  remote_hang(): Promise<never> {
    return new Promise(() => {});
  }
}

function connectPB(root: pb.IPBRoot | Portal): [pb.PBClientFactory, pb.Broker, pb.Broker, IOPump] {
  const client = new pb.PBClientFactory();
  const [c, s, pump] = connectedServerAndClient<pb.Broker, pb.Broker>(
    new pb.PBServerFactory(root),
    client,
  );
  return [client, c, s, pump];
}

// Pumps bytes and lets promise callbacks run until `d` has a result.
async function settle<T>(d: Deferred<T>, pump: IOPump): Promise<void> {
  let done = false;
  d.addBoth((r) => {
    done = true;
    return r;
  });
  for (let i = 0; i < 20 && !done; i++) {
    pump.flush();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

async function result<T>(d: Deferred<T>, pump: IOPump): Promise<T> {
  await settle(d, pump);
  return successResultOf(d);
}

async function failure(
  d: Deferred<unknown>,
  pump: IOPump,
  ...types: (abstract new (...args: never[]) => Error)[]
): Promise<Failure> {
  await settle(d, pump);
  return failureResultOf(d, ...(types as (new (...args: never[]) => Error)[]));
}

describe("PB calls", () => {
  it("calls remote_* on the root and answers, Promises too", async () => {
    const [client, , , pump] = connectPB(new Service());
    const root = await result(client.getRootObject(), pump);
    assert.equal(await result(root.callRemote("add", 1, 2), pump), 3);
    assert.equal(await result(root.callRemote("later", 21), pump), 42);
    const values = [null, true, 1.5, 2n ** 70n, "é", new Uint8Array([1]), new Set([1])];
    assert.deepEqual(await result(root.callRemote("echo", ...values), pump), values);
    pump.clientIO.loseConnection();
    pump.flush();
  });

  it("sends keyword arguments as a trailing plain object, only when given", async () => {
    const [client, , , pump] = connectPB(new Service());
    const root = await result(client.getRootObject(), pump);
    const withKw = await result(
      root.callRemote("echo", 1, pb.keywords({ name: "Bob" })),
      pump,
    ) as unknown[];
    assert.equal(withKw.length, 2);
    assert.deepEqual({ ...(withKw[1] as object) }, { name: "Bob" });
    assert.deepEqual(await result(root.callRemote("echo", 1), pump), [1]);
    pump.clientIO.loseConnection();
    pump.flush();
  });

  it("lends a Referenceable, counts it, and takes it back as the original", async () => {
    const service = new Service();
    const [client, , server, pump] = connectPB(service);
    const root = await result(client.getRootObject(), pump);
    const ref = await result(root.callRemote("thing"), pump) as pb.RemoteReference;
    assert.ok(ref instanceof pb.RemoteReference);
    assert.equal(await result(ref.callRemote("poke"), pump), 1);
    assert.equal(await result(root.callRemote("isThing", ref), pump), true);
    const again = await result(root.callRemote("thing"), pump) as pb.RemoteReference;
    assert.equal(again.luid, ref.luid);
    assert.equal(server.localObjectForID(ref.luid as number), service.thing);
    ref[Symbol.dispose]();
    pump.flush();
    assert.equal(server.localObjectForID(ref.luid as number), service.thing, "one count left");
    again[Symbol.dispose]();
    pump.flush();
    assert.equal(server.localObjectForID(ref.luid as number), null);
    assert.ok(failureResultOf(ref.callRemote("poke"), pb.DeadReferenceError));
    pump.clientIO.loseConnection();
    pump.flush();
  });

  it("copies a Copyable into its registered RemoteCopy; unregistered fails only that call", async () => {
    const [client, , , pump] = connectPB(new Service());
    const root = await result(client.getRootObject(), pump);
    const p = await result(root.callRemote("point"), pump);
    assert.ok(p instanceof PointCopy);
    assert.equal(p.sum, 7);
    await failure(root.callRemote("unregistered"), pump, InsecureJelly);
    assert.equal(await result(root.callRemote("add", 2, 2), pump), 4);
    pump.clientIO.loseConnection();
    pump.flush();
  });

  it("keeps a cache up to date, one object per cacheable, and releases it", async () => {
    const service = new Service();
    const [client, , , pump] = connectPB(service);
    const root = await result(client.getRootObject(), pump);
    const cache = await result(root.callRemote("counter"), pump);
    assert.ok(cache instanceof CounterCache);
    assert.equal(cache.value, 0);
    service.counter.bump();
    pump.flush();
    assert.equal(cache.value, 1);
    const same = await result(root.callRemote("counter"), pump);
    assert.equal(same, cache);
    assert.equal(service.counter.stopped, 0);
    cache[Symbol.dispose]();
    pump.flush();
    assert.equal(service.counter.stopped, 1);
    assert.equal(service.counter.observers.size, 0);
    pump.clientIO.loseConnection();
    pump.flush();
  });

  it("stops cache observers when the connection closes", async () => {
    const service = new Service();
    const [client, , , pump] = connectPB(service);
    const root = await result(client.getRootObject(), pump);
    await result(root.callRemote("counter"), pump);
    pump.clientIO.loseConnection();
    pump.flush();
    assert.equal(service.counter.stopped, 1);
  });
});

describe("PB errors", () => {
  it("answers pb.Error, NoSuchMethod and other errors with Twisted's names", async () => {
    const [client, , , pump] = connectPB(new Service());
    const root = await result(client.getRootObject(), pump);
    const refused = await failure(root.callRemote("refuse"), pump, pb.PBError);
    assert.equal(refused.value.message, "refused");
    await failure(root.callRemote("nope"), pump, pb.NoSuchMethod);
    const crashed = await failure(root.callRemote("crash"), pump, pb.RemoteError);
    assert.equal((crashed.value as pb.RemoteError).remoteType, "builtins.TypeError");
    assert.equal(crashed.value.message, "crashed");
    assert.equal((crashed.value as pb.RemoteError).remoteTraceback, "Traceback unavailable\n");
    const notFound = await failure(root.callRemote("notFound"), pump, pb.RemoteError);
    assert.deepEqual((notFound.value as pb.RemoteError).remoteParents, [
      "tests.NotFound",
      "builtins.Exception",
      "builtins.BaseException",
      "builtins.object",
    ]);
    // Logged on the server as Twisted does, except pb.Error.
    assert.equal(flushLoggedErrors(TypeError).length, 1);
    assert.equal(flushLoggedErrors(pb.NoSuchMethod).length, 1);
    assert.equal(flushLoggedErrors(NotFound).length, 1);
    pump.clientIO.loseConnection();
    pump.flush();
  });

  it("fails pending calls with PBConnectionLost and later ones with DeadReferenceError", async () => {
    const [client, clientBroker, , pump] = connectPB(new Service());
    const root = await result(client.getRootObject(), pump);
    let told = 0;
    root.notifyOnDisconnect(() => told++);
    const hanging = root.callRemote("hang");
    await settle(hanging, pump);
    pump.clientIO.loseConnection();
    pump.flush();
    failureResultOf(hanging, pb.PBConnectionLost);
    failureResultOf(root.callRemote("add", 1, 1), pb.DeadReferenceError);
    assert.equal(told, 1);
    assert.equal(clientBroker.disconnected, true);
  });

  it("refuses values jelly cannot carry without sending anything", async () => {
    const [client, , , pump] = connectPB(new Service());
    const root = await result(client.getRootObject(), pump);
    failureResultOf(root.callRemote("echo", () => 1), InsecureJelly);
    assert.equal(await result(root.callRemote("add", 1, 1), pump), 2);
    pump.clientIO.loseConnection();
    pump.flush();
  });
});

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
class Board extends pb.Viewable {
  view_whoCalls(perspective: User): string {
    return perspective.name;
  }
}
const board = new Board();

function portal(logouts: string[]): Portal {
  const realm: IRealm = {
    requestAvatar(id, _mind, ...ifaces): LoginResult {
      assert.equal(ifaces[0], pb.IPerspective);
      const name = id === ANONYMOUS ? "guest" : String(id);
      return [pb.IPerspective, new User(name), () => logouts.push(name)];
    },
  };
  return new Portal(realm, [
    new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }),
    new AllowAnonymousAccess(),
  ]);
}

describe("PB login", () => {
  it("logs in with the challenge, reaches perspective_* and view_*, logs out on disconnect", async () => {
    const logouts: string[] = [];
    const [client, , , pump] = connectPB(portal(logouts));
    const avatar = await result(client.login(new UsernamePassword("alice", "secret")), pump);
    assert.equal(await result(avatar.callRemote("whoami"), pump), "alice");
    const view = await result(avatar.callRemote("board"), pump) as pb.RemoteReference;
    assert.equal(await result(view.callRemote("whoCalls"), pump), "alice");
    assert.deepEqual(logouts, []);
    pump.clientIO.loseConnection();
    pump.flush();
    assert.deepEqual(logouts, ["alice"]);
  });

  it("logs out once when the client releases the avatar", async () => {
    const logouts: string[] = [];
    const [client, , , pump] = connectPB(portal(logouts));
    const avatar = await result(client.login(new Anonymous()), pump);
    assert.equal(await result(avatar.callRemote("whoami"), pump), "guest");
    avatar[Symbol.dispose]();
    pump.flush();
    assert.deepEqual(logouts, ["guest"]);
    pump.clientIO.loseConnection();
    pump.flush();
    assert.deepEqual(logouts, ["guest"]);
  });

  it("refuses a wrong password with UnauthorizedLogin", async () => {
    const [client, , , pump] = connectPB(portal([]));
    await failure(client.login(new UsernamePassword("alice", "wrong")), pump, UnauthorizedLogin);
    pump.clientIO.loseConnection();
    pump.flush();
  });

  it("computes Twisted's response: md5(md5(password) + challenge)", () => {
    const hex = (b: Uint8Array): string =>
      [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    // From Python: pb.respond(b"0123456789abcdef", b"secret").hex()
    assert.equal(
      hex(pb.respond(new TextEncoder().encode("0123456789abcdef"), "secret")),
      "fb654aad50303a26b539858afb969f27",
    );
  });
});

// Forces a full collection where the runtime allows it: Bun.gc, or V8's gc
// exposed at run time (Node and Deno).
function fullGC(): (() => void) | null {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun) return () => bun.gc(true);
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    return typeof gc === "function" ? gc as () => void : null;
  } catch {
    return null;
  }
}

describe("PB reference lifetime", () => {
  it("sends decref when a RemoteReference is garbage collected", async (t) => {
    const gc = fullGC();
    if (gc === null) return t.skip("this runtime cannot force a collection");
    const service = new Service();
    const [client, , server, pump] = connectPB(service);
    const root = await result(client.getRootObject(), pump);
    let luid = 0;
    await (async () => {
      const ref = await result(root.callRemote<pb.RemoteReference>("thing"), pump);
      luid = ref.luid as number;
    })();
    assert.equal(server.localObjectForID(luid), service.thing);
    for (let i = 0; i < 50 && server.localObjectForID(luid) !== null; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
      pump.flush();
    }
    assert.equal(server.localObjectForID(luid), null);
    pump.clientIO.loseConnection();
    pump.flush();
  });

  it("sends the stack only with unsafeTracebacks", async () => {
    const client = new pb.PBClientFactory();
    const [, , pump] = connectedServerAndClient<pb.Broker, pb.Broker>(
      new pb.PBServerFactory(new Service(), { unsafeTracebacks: true }),
      client,
    );
    const root = await result(client.getRootObject(), pump);
    const crashed = await failure(root.callRemote("crash"), pump, pb.RemoteError);
    assert.match((crashed.value as pb.RemoteError).remoteTraceback, /TypeError: crashed\n\s+at /);
    flushLoggedErrors(TypeError);
    pump.clientIO.loseConnection();
    pump.flush();
  });
});
