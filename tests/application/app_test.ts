import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Application,
  type ApplicationReactor,
  ClientService,
  isService,
  loadApplication,
  MultiService,
  Service,
  startApplication,
  stopApplication,
  strports,
} from "../../src/application/mod.ts";
import { Deferred } from "../../src/internet/defer.ts";
import { Failure } from "../../src/internet/failure.ts";
import { ClientFactory, Factory, Protocol } from "../../src/internet/protocol.ts";
import type { IPv4Address } from "../../src/internet/address.ts";
import { CannotListenError } from "../../src/internet/error.ts";
import { reactor } from "../../mod.ts";
import { clientFromString } from "../../src/internet/endpoints.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

// Real sockets: wait for what the test closed to finish closing (a real connection closes a moment after the peer's).
trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

/** A reactor lifecycle the test drives: startup and shutdown fired by hand. */
class FakeLifecycle implements ApplicationReactor {
  running = false;
  triggers = new Map<number, { phase: string; event: string; fn: () => unknown }>();
  #next = 1;
  callWhenRunning<A extends unknown[]>(
    fn: (...args: A) => unknown,
    ...args: A
  ): number | undefined {
    if (this.running) {
      fn(...args);
      return undefined;
    }
    return this.addSystemEventTrigger("after", "startup", fn, ...args);
  }
  addSystemEventTrigger<A extends unknown[]>(
    phase: "before" | "during" | "after",
    event: string,
    fn: (...args: A) => unknown,
    ...args: A
  ): number {
    const id = this.#next++;
    this.triggers.set(id, { phase, event, fn: () => fn(...args) });
    return id;
  }
  removeSystemEventTrigger(id: number): void {
    if (!this.triggers.delete(id)) throw new RangeError(`no trigger ${id}`);
  }
  /** Runs and removes the triggers of one phase; returns what they returned. */
  fire(phase: string, event: string): unknown[] {
    const out: unknown[] = [];
    for (const [id, t] of [...this.triggers]) {
      if (t.phase === phase && t.event === event) {
        this.triggers.delete(id);
        out.push(t.fn());
      }
    }
    return out;
  }
}

class Recorder extends Service {
  log: string[] = [];
  stopGate: Deferred<void> | null = null;
  override privilegedStartService(): void {
    this.log.push("priv");
  }
  override startService(): void {
    super.startService();
    this.log.push("start");
  }
  override stopService(): Deferred<void> | void {
    super.stopService();
    this.log.push("stop");
    return this.stopGate ?? undefined;
  }
}

describe("loadApplication", () => {
  it("loadApplication() imports a module and returns its application", async () => {
    const app = await loadApplication(new URL("./_fixture_app.ts", import.meta.url));
    assert.ok(app instanceof Application);
    assert.equal(app.name, "fixture");
    assert.equal((app as Application).getServiceNamed("child").name, "child");
  });

  it("loadApplication() accepts an absolute file path", async () => {
    const path = decodeURIComponent(new URL("./_fixture_app.ts", import.meta.url).pathname);
    const app = await loadApplication(path);
    assert.equal(app.name, "fixture");
  });

  it("loadApplication() refuses a module without an application service", async () => {
    await assert.rejects(
      loadApplication(new URL("./_fixture_not_app.ts", import.meta.url)),
      (e: unknown) => e instanceof TypeError && /not a service/.test(e.message),
    );
    await assert.rejects(
      loadApplication(new URL("./_fixture_empty.ts", import.meta.url)),
      (e: unknown) => e instanceof TypeError && /does not export an application/.test(e.message),
    );
  });

  it("isService() recognises services", () => {
    assert.equal(isService(new MultiService()), true);
    assert.equal(isService({ startService() {} }), false);
    assert.equal(isService(null), false);
  });
});

describe("startApplication", () => {
  it("startApplication() runs privilegedStartService now and startService once the reactor runs", async () => {
    const lifecycle = new FakeLifecycle();
    const app = new Application("a");
    const child = new Recorder();
    child.setServiceParent(app);
    const started = startApplication(app, lifecycle);
    assert.deepEqual(child.log, ["priv"]);
    assert.equal(started.called, false);
    lifecycle.running = true;
    lifecycle.fire("after", "startup");
    await started;
    assert.deepEqual(child.log, ["priv", "start"]);
    assert.throws(() => startApplication(app, lifecycle), TypeError);
  });

  it("startApplication()'s before-shutdown trigger stops the tree and the reactor waits for it", async () => {
    const lifecycle = new FakeLifecycle();
    lifecycle.running = true;
    const app = new Application("a");
    const child = new Recorder();
    child.stopGate = new Deferred<void>();
    child.setServiceParent(app);
    await startApplication(app, lifecycle);
    const [waitFor] = lifecycle.fire("before", "shutdown") as Deferred<void>[];
    assert.ok(waitFor instanceof Deferred);
    assert.equal(waitFor.called, false);
    assert.equal(app.running, false);
    child.stopGate.callback(undefined);
    await waitFor;
    assert.deepEqual(child.log, ["priv", "start", "stop"]);
  });

  it("startApplication() fails when a service cannot start", async () => {
    const lifecycle = new FakeLifecycle();
    lifecycle.running = true;
    const app = new Application("a");
    class Broken extends Service {
      override startService(): Promise<void> {
        super.startService();
        return Promise.reject(new CannotListenError("127.0.0.1", 1, new Error("in use")));
      }
    }
    new Broken().setServiceParent(app);
    await assert.rejects(startApplication(app, lifecycle).asPromise(), (e: unknown) => {
      return (e instanceof Failure ? e.value : e) instanceof CannotListenError;
    });
    await stopApplication(app);
  });

  it("stopApplication() stops the tree and removes the shutdown trigger", async () => {
    const lifecycle = new FakeLifecycle();
    lifecycle.running = true;
    const app = new Application("a");
    const child = new Recorder();
    child.setServiceParent(app);
    await startApplication(app, lifecycle);
    assert.equal(lifecycle.triggers.size, 1);
    await stopApplication(app);
    assert.equal(lifecycle.triggers.size, 0);
    assert.deepEqual(child.log, ["priv", "start", "stop"]);
    await stopApplication(app); // a second stop does nothing
    assert.deepEqual(child.log, ["priv", "start", "stop"]);
  });
});

class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }
}

class EchoClient extends Protocol {
  received = "";
  done = new Deferred<string>();
  override connectionMade(): void {
    this.transport!.write(new TextEncoder().encode("hello, service"));
  }
  override dataReceived(data: Uint8Array): void {
    this.received += new TextDecoder().decode(data);
    if (this.received === "hello, service") this.transport!.loseConnection();
  }
  override connectionLost(): void {
    this.done.callback(this.received);
  }
}

describe("Application over the real reactor", () => {
  it("an Application serves an echo on tcp:0 through strports and stops with the reactor", async () => {
    const app = new Application("echo");
    const echo = strports.service("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo), reactor);
    echo.setServiceParent(app);
    const running = reactor.run();
    try {
      await startApplication(app, reactor);
      assert.equal(echo.running, true);
      const port = (echo.port!.getHost() as IPv4Address).port;
      assert.ok(port > 0);

      const client = new EchoClient();
      const factory = new ClientFactory();
      factory.buildProtocol = () => client;
      reactor.connectTCP("127.0.0.1", port, factory);
      assert.equal(await client.done, "hello, service");
    } finally {
      reactor.stop();
      await running;
    }
    assert.equal(app.running, false);
    assert.equal(echo.port, null);
  });

  it("a second service on the same port fails startApplication with CannotListenError", async () => {
    const first = new Application("first");
    const taken = strports.service("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo), reactor);
    taken.setServiceParent(first);
    const running = reactor.run();
    try {
      await startApplication(first, reactor);
      const port = (taken.port!.getHost() as IPv4Address).port;
      const second = new Application("second");
      strports.service(`tcp:${port}:interface=127.0.0.1`, Factory.forProtocol(Echo), reactor)
        .setServiceParent(second);
      await assert.rejects(startApplication(second, reactor).asPromise(), (e: unknown) => {
        const error = e instanceof Failure ? e.value : e;
        return error instanceof CannotListenError && error.message.includes(String(port));
      });
      await stopApplication(second);
    } finally {
      reactor.stop();
      await running;
    }
    assert.equal(first.running, false);
  });

  it("a ClientService keeps a connection to the echo service and closes it when the tree stops", async () => {
    const app = new Application("both");
    const echo = strports.service("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo), reactor);
    echo.setServiceParent(app);
    const running = reactor.run();
    try {
      await startApplication(app, reactor);
      const port = (echo.port!.getHost() as IPv4Address).port;
      class Receiver extends Protocol {
        got = new Deferred<string>();
        lost = false;
        override dataReceived(data: Uint8Array): void {
          this.got.callback(new TextDecoder().decode(data));
        }
        override connectionLost(): void {
          this.lost = true;
        }
      }
      const client = new ClientService<Receiver>(
        clientFromString(reactor, `tcp:127.0.0.1:${port}`),
        Factory.forProtocol(Receiver),
      );
      client.setServiceParent(app);
      const protocol = await client.whenConnected({ failAfterFailures: 1 });
      protocol.transport!.write(new TextEncoder().encode("ping"));
      assert.equal(await protocol.got, "ping");
      await stopApplication(app);
      assert.equal(protocol.lost, true);
      assert.equal(client.running, false);
    } finally {
      reactor.stop();
      await running;
    }
  });
});
