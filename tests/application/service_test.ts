import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Application, MultiService, Service } from "../../src/application/mod.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { Failure } from "../../src/internet/failure.ts";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** A service that records its calls in a shared log. */
class Recorder extends Service {
  log: string[];
  stopResult: unknown = undefined;
  startResult: unknown = undefined;
  constructor(name: string, log: string[]) {
    super();
    this.setName(name);
    this.log = log;
  }
  override privilegedStartService(): void {
    this.log.push(`priv ${this.name}`);
  }
  override startService(): void | PromiseLike<unknown> {
    super.startService();
    this.log.push(`start ${this.name}`);
    return this.startResult as PromiseLike<unknown> | undefined;
  }
  override stopService(): void | PromiseLike<unknown> {
    super.stopService();
    this.log.push(`stop ${this.name}`);
    return this.stopResult as PromiseLike<unknown> | undefined;
  }
}

describe("Service", () => {
  it("Service.startService() and stopService() flip running", () => {
    const s = new Service();
    assert.equal(s.running, false);
    s.startService();
    assert.equal(s.running, true);
    s.stopService();
    assert.equal(s.running, false);
  });

  it("Service.setName() refuses to rename a service that has a parent", () => {
    const parent = new MultiService();
    const s = new Service();
    s.setName("a");
    s.setServiceParent(parent);
    assert.throws(() => s.setName("b"), TypeError);
    assert.equal(s.name, "a");
  });

  it("Service.setServiceParent() moves a service from its old parent to the new one", () => {
    const p1 = new MultiService();
    const p2 = new MultiService();
    const s = new Service();
    s.setName("x");
    s.setServiceParent(p1);
    s.setServiceParent(p2);
    assert.equal(s.parent, p2);
    assert.deepEqual([...p1], []);
    assert.deepEqual([...p2], [s]);
    assert.throws(() => p1.getServiceNamed("x"), RangeError);
    assert.equal(p2.getServiceNamed("x"), s);
  });

  it("Service.disownServiceParent() stops the service when the parent runs", () => {
    const log: string[] = [];
    const parent = new MultiService();
    const s = new Recorder("a", log);
    s.setServiceParent(parent);
    parent.startService();
    s.disownServiceParent();
    assert.equal(s.parent, null);
    assert.equal(s.running, false);
    assert.deepEqual(log, ["start a", "stop a"]);
  });
});

describe("MultiService", () => {
  it("MultiService starts children in order and stops them in reverse order", async () => {
    const log: string[] = [];
    const root = new MultiService();
    for (const name of ["a", "b", "c"]) new Recorder(name, log).setServiceParent(root);
    root.privilegedStartService();
    await root.startService();
    await root.stopService();
    assert.deepEqual(log, [
      "priv a",
      "priv b",
      "priv c",
      "start a",
      "start b",
      "start c",
      "stop c",
      "stop b",
      "stop a",
    ]);
  });

  it("MultiService.stopService() waits for every child's Deferred and Promise", async () => {
    const log: string[] = [];
    const root = new MultiService();
    const a = new Recorder("a", log);
    const b = new Recorder("b", log);
    const da = new Deferred<void>();
    let resolveB!: () => void;
    a.stopResult = da;
    b.stopResult = new Promise<void>((r) => (resolveB = r));
    a.setServiceParent(root);
    b.setServiceParent(root);
    root.startService();
    let stopped = false;
    const stopping = root.stopService().addCallback(() => {
      stopped = true;
    });
    assert.equal(stopped, false);
    da.callback(undefined);
    assert.equal(stopped, false, "still waiting for b");
    resolveB();
    await stopping;
    assert.equal(stopped, true);
  });

  it("MultiService.stopService() still fires when a child's stop fails", async () => {
    const log: string[] = [];
    const root = new MultiService();
    const a = new Recorder("a", log);
    a.stopResult = Promise.reject(new Error("boom"));
    a.setServiceParent(root);
    new Recorder("b", log).setServiceParent(root);
    root.startService();
    await root.stopService();
    assert.deepEqual(log.slice(-2), ["stop b", "stop a"]);
    assert.ok(flushLoggedErrors().some((f) => f.getErrorMessage() === "boom"));
  });

  it("MultiService.startService() fails with a child's startup failure", async () => {
    const log: string[] = [];
    const root = new MultiService();
    const a = new Recorder("a", log);
    a.startResult = Promise.reject(new RangeError("port in use"));
    a.setServiceParent(root);
    new Recorder("b", log).setServiceParent(root);
    await assert.rejects(root.startService().asPromise(), (e: unknown) => {
      const error = e instanceof Failure ? e.value : e;
      return error instanceof RangeError && error.message === "port in use";
    });
    assert.deepEqual(log, ["start a", "start b"]);
  });

  it("MultiService.addService() starts a child added while running", () => {
    const log: string[] = [];
    const root = new MultiService();
    root.startService();
    new Recorder("late", log).setServiceParent(root);
    assert.deepEqual(log, ["priv late", "start late"]);
  });

  it("MultiService.addService() refuses two children with the same name", () => {
    const root = new MultiService();
    new Recorder("same", []).setServiceParent(root);
    const twin = new Recorder("same", []);
    assert.throws(() => twin.setServiceParent(root), TypeError);
    assert.equal(twin.parent, null);
    assert.equal([...root].length, 1);
  });

  it("MultiService.removeService() returns the child's stop result while running", () => {
    const log: string[] = [];
    const root = new MultiService();
    const a = new Recorder("a", log);
    const d = new Deferred<void>();
    a.stopResult = d;
    a.setServiceParent(root);
    root.startService();
    const result = a.disownServiceParent();
    assert.equal(result, d);
    assert.throws(() => root.removeService(a), RangeError);
    d.callback(undefined);
  });

  it("MultiService is iterable and unnamed children are allowed", () => {
    const root = new MultiService();
    const a = new Service();
    const b = new Service();
    a.setServiceParent(root);
    b.setServiceParent(root);
    assert.deepEqual([...root], [a, b]);
  });
});

describe("Application", () => {
  it("Application is a named MultiService root", async () => {
    const app = new Application("demo");
    assert.equal(app.name, "demo");
    assert.ok(app instanceof MultiService);
    const log: string[] = [];
    new Recorder("a", log).setServiceParent(app);
    await app.startService();
    assert.equal(app.running, true);
    await app.stopService();
    assert.deepEqual(log, ["start a", "stop a"]);
    assert.throws(() => app.setServiceParent(new MultiService()), TypeError);
  });
});
