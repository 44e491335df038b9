import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  backoffPolicy,
  ClientService,
  StreamServerEndpointService,
  strports,
  TimerService,
} from "../../src/application/mod.ts";
import { CancelledError, Deferred, succeed } from "../../src/internet/defer.ts";
import { Failure } from "../../src/internet/failure.ts";
import { Clock } from "../../src/internet/task.ts";
import { CannotListenError, ConnectionRefusedError } from "../../src/internet/error.ts";
import { IPv4Address } from "../../src/internet/address.ts";
import { Factory, Protocol } from "../../src/internet/protocol.ts";
import type { IListeningPort, IProtocol, IProtocolFactory } from "../../src/internet/interfaces.ts";
import {
  flushLoggedErrors,
  MemoryReactorClock,
  StringTransportWithDisconnection,
  trackLeaks,
} from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

function failureValue(e: unknown): unknown {
  return e instanceof Failure ? e.value : e;
}

describe("TimerService", () => {
  it("TimerService calls its function at start and every interval", async () => {
    const clock = new Clock();
    const calls: number[] = [];
    const timer = new TimerService(5, (tag: string) => calls.push(clock.seconds()) && tag, "x");
    timer.clock = clock;
    timer.startService();
    assert.equal(timer.running, true);
    clock.advance(5);
    clock.advance(5);
    assert.deepEqual(calls, [0, 5, 10]);
    await timer.stopService();
    assert.equal(timer.running, false);
    clock.advance(20);
    assert.equal(calls.length, 3);
    assert.equal(clock.getDelayedCalls().length, 0);
  });

  it("TimerService.stopService() waits for a call still in progress", async () => {
    const clock = new Clock();
    const pending = new Deferred<void>();
    const timer = new TimerService(1, () => pending);
    timer.clock = clock;
    timer.startService();
    let stopped = false;
    const stopping = Promise.resolve(timer.stopService()).then(() => (stopped = true));
    await Promise.resolve();
    assert.equal(stopped, false);
    assert.equal(timer.running, true);
    pending.callback(undefined);
    await stopping;
    assert.equal(timer.running, false);
  });

  it("TimerService stops calling after its function throws, and still stops cleanly", async () => {
    const clock = new Clock();
    let n = 0;
    const timer = new TimerService(1, () => {
      n++;
      throw new Error("bad tick");
    });
    timer.clock = clock;
    timer.startService();
    clock.advance(3);
    assert.equal(n, 1);
    await timer.stopService();
    assert.equal(timer.running, false);
    const logged = flushLoggedErrors().map((f) => f.getErrorMessage());
    assert.ok(logged.includes("bad tick"), `logged: ${logged}`);
  });
});

/** A server endpoint whose listens the test completes by hand. */
class FakeServerEndpoint {
  listens: { factory: IProtocolFactory; d: Deferred<IListeningPort> }[] = [];
  listen(factory: IProtocolFactory): Deferred<IListeningPort> {
    const d = new Deferred<IListeningPort>();
    this.listens.push({ factory, d });
    return d;
  }
}

class FakeListeningPort implements IListeningPort {
  stopped = 0;
  startListening(): void {}
  stopListening(): Deferred<void> {
    this.stopped++;
    return succeed(undefined);
  }
  getHost(): IPv4Address {
    return new IPv4Address("TCP", "127.0.0.1", 1234);
  }
}

describe("StreamServerEndpointService", () => {
  it("StreamServerEndpointService listens in privilegedStartService and fires startService once bound", async () => {
    const endpoint = new FakeServerEndpoint();
    const factory = Factory.forProtocol(Protocol);
    const service = new StreamServerEndpointService(endpoint, factory);
    service.privilegedStartService();
    assert.equal(endpoint.listens.length, 1);
    assert.equal(endpoint.listens[0].factory, factory);
    let started = false;
    const starting = service.startService().addCallback(() => {
      started = true;
    });
    assert.equal(endpoint.listens.length, 1, "startService does not listen twice");
    assert.equal(started, false);
    const port = new FakeListeningPort();
    endpoint.listens[0].d.callback(port);
    await starting;
    assert.equal(started, true);
    assert.equal(service.port, port);
    await service.stopService();
    assert.equal(port.stopped, 1);
    assert.equal(service.running, false);
    assert.equal(service.port, null);
  });

  it("StreamServerEndpointService.startService() fails with the listen error", async () => {
    const endpoint = new FakeServerEndpoint();
    const service = new StreamServerEndpointService(endpoint, Factory.forProtocol(Protocol));
    const starting = service.startService();
    const error = new CannotListenError("127.0.0.1", 80, new Error("address in use"));
    endpoint.listens[0].d.errback(error);
    await assert.rejects(starting.asPromise(), (e) => failureValue(e) === error);
    await service.stopService();
  });

  it("StreamServerEndpointService.startService() reports a failure that happened before it was called", async () => {
    const endpoint = new FakeServerEndpoint();
    const service = new StreamServerEndpointService(endpoint, Factory.forProtocol(Protocol));
    service.privilegedStartService();
    endpoint.listens[0].d.errback(new Error("no"));
    await assert.rejects(service.startService().asPromise(), (e) => {
      return (failureValue(e) as Error).message === "no";
    });
    await service.stopService();
    // Nobody waited when it failed, so it was logged too.
    assert.ok(flushLoggedErrors().some((f) => f.getErrorMessage() === "no"));
  });

  it("StreamServerEndpointService.stopService() cancels a listen still in progress", async () => {
    const endpoint = new FakeServerEndpoint();
    const service = new StreamServerEndpointService(endpoint, Factory.forProtocol(Protocol));
    const starting = service.startService();
    await service.stopService();
    assert.equal(endpoint.listens[0].d.called, true);
    await assert.rejects(starting.asPromise(), (e) => failureValue(e) instanceof CancelledError);
  });

  it("StreamServerEndpointService runs the stopFactory hook after the port stops", async () => {
    const endpoint = new FakeServerEndpoint();
    const factory = Factory.forProtocol(Protocol);
    const order: string[] = [];
    const port = new FakeListeningPort();
    const hookDone = new Deferred<void>();
    const service = new StreamServerEndpointService(endpoint, factory, {
      stopFactory: (f) => {
        assert.equal(f, factory);
        order.push(`hook after ${port.stopped} stop`);
        return hookDone;
      },
    });
    const starting = service.startService();
    endpoint.listens[0].d.callback(port);
    await starting;
    let stopped = false;
    const stopping = service.stopService().addCallback(() => {
      stopped = true;
    });
    assert.deepEqual(order, ["hook after 1 stop"]);
    assert.equal(stopped, false);
    hookDone.callback(undefined);
    await stopping;
    assert.equal(stopped, true);
  });

  it("strports.service() builds a StreamServerEndpointService from a description", async () => {
    const reactor = new MemoryReactorClock();
    const factory = Factory.forProtocol(Protocol);
    const service = strports.service("tcp:8123:interface=127.0.0.1", factory, reactor);
    assert.ok(service instanceof StreamServerEndpointService);
    await service.startService();
    assert.equal(reactor.tcpServers.length, 1);
    assert.equal(reactor.tcpServers[0][0], 8123);
    assert.equal(reactor.tcpServers[0][3], "127.0.0.1");
    await service.stopService();
    assert.throws(() => strports.service("nonsense:1", factory, reactor), TypeError);
  });
});

describe("backoffPolicy", () => {
  it("backoffPolicy() grows exponentially up to maxDelay and adds jitter", () => {
    const policy = backoffPolicy({ initialDelay: 1, maxDelay: 30, factor: 2, jitter: () => 0.5 });
    assert.equal(policy(1), 2.5);
    assert.equal(policy(3), 8.5);
    assert.equal(policy(10), 30.5);
    assert.equal(policy(100000), 30.5);
  });

  it("backoffPolicy() defaults to 1 s, x1.5, at most 60 s, with random jitter below 1 s", () => {
    const policy = backoffPolicy();
    const d = policy(2);
    assert.ok(d >= 2.25 && d < 3.25, String(d));
    assert.ok(policy(1000) < 61);
  });
});

/** A client endpoint whose connections the test makes or fails by hand. */
class FakeClientEndpoint {
  attempts: { factory: IProtocolFactory; d: Deferred<IProtocol>; cancelled: boolean }[] = [];
  connect(factory: IProtocolFactory): Deferred<IProtocol> {
    const attempt = {
      factory,
      d: undefined as unknown as Deferred<IProtocol>,
      cancelled: false,
    };
    attempt.d = new Deferred<IProtocol>(() => {
      attempt.cancelled = true;
      attempt.d.errback(new CancelledError());
    });
    this.attempts.push(attempt);
    return attempt.d;
  }
  /** Completes the last attempt: builds the protocol and connects it to a transport. */
  succeed(): { protocol: IProtocol; transport: StringTransportWithDisconnection } {
    const attempt = this.attempts.at(-1)!;
    const protocol = attempt.factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 7))!;
    const transport = new StringTransportWithDisconnection();
    transport.protocol = protocol;
    protocol.makeConnection(transport);
    attempt.d.callback(protocol);
    return { protocol, transport };
  }
  fail(error: Error = new ConnectionRefusedError()): void {
    this.attempts.at(-1)!.d.errback(error);
  }
}

class Client extends Protocol {}

function makeClientService(
  options: { prepareConnection?: (p: Client) => unknown } = {},
): { service: ClientService<Client>; endpoint: FakeClientEndpoint; clock: Clock } {
  const clock = new Clock();
  const endpoint = new FakeClientEndpoint();
  const service = new ClientService<Client>(endpoint, Factory.forProtocol(Client), {
    clock,
    retryPolicy: (n) => n * 10,
    ...options,
  });
  return { service, endpoint, clock };
}

describe("ClientService", () => {
  it("ClientService connects at start and whenConnected() gives the protocol", async () => {
    const { service, endpoint } = makeClientService();
    const early = service.whenConnected();
    service.startService();
    assert.equal(endpoint.attempts.length, 1);
    const { protocol } = endpoint.succeed();
    assert.ok(protocol instanceof Client);
    assert.equal(await early, protocol);
    assert.equal(await service.whenConnected(), protocol);
    await service.stopService();
  });

  it("ClientService retries failed attempts after the retry policy's delays", () => {
    const { service, endpoint, clock } = makeClientService();
    service.startService();
    endpoint.fail();
    assert.equal(endpoint.attempts.length, 1);
    clock.advance(9.9);
    assert.equal(endpoint.attempts.length, 1);
    clock.advance(0.1);
    assert.equal(endpoint.attempts.length, 2, "retried after policy(1) = 10 s");
    endpoint.fail();
    clock.advance(19.9);
    assert.equal(endpoint.attempts.length, 2);
    clock.advance(0.1);
    assert.equal(endpoint.attempts.length, 3, "retried after policy(2) = 20 s");
    endpoint.succeed();
    service.stopService();
  });

  it("ClientService reconnects after a lost connection, resetting the failure count", async () => {
    const { service, endpoint, clock } = makeClientService();
    service.startService();
    endpoint.fail();
    clock.advance(10);
    const first = endpoint.succeed();
    first.transport.loseConnection();
    assert.equal(endpoint.attempts.length, 2);
    clock.advance(10);
    assert.equal(endpoint.attempts.length, 3, "policy(1) again after a success");
    const second = endpoint.succeed();
    assert.equal(await service.whenConnected(), second.protocol);
    await service.stopService();
  });

  it("ClientService.whenConnected({failAfterFailures}) fails after that many failures", async () => {
    const { service, endpoint, clock } = makeClientService();
    service.startService();
    const d = service.whenConnected({ failAfterFailures: 2 });
    const patient = service.whenConnected();
    endpoint.fail();
    assert.equal(d.called, false);
    clock.advance(10);
    const refused = new ConnectionRefusedError();
    endpoint.fail(refused);
    await assert.rejects(d.asPromise(), (e) => failureValue(e) === refused);
    assert.equal(patient.called, false);
    // A later waiter with the same limit fails at once.
    await assert.rejects(service.whenConnected({ failAfterFailures: 1 }).asPromise());
    await service.stopService();
    await assert.rejects(patient.asPromise(), (e) => failureValue(e) instanceof CancelledError);
  });

  it("ClientService.stopService() disconnects and fires when the connection is lost", async () => {
    const { service, endpoint } = makeClientService();
    service.startService();
    const { protocol, transport } = endpoint.succeed();
    let lost = false;
    const original = protocol.connectionLost.bind(protocol);
    protocol.connectionLost = (reason) => {
      lost = true;
      original(reason);
    };
    await service.stopService();
    assert.equal(lost, true);
    assert.equal(transport.connected, false);
    assert.equal(service.running, false);
    await assert.rejects(
      service.whenConnected().asPromise(),
      (e) => failureValue(e) instanceof CancelledError,
    );
  });

  it("ClientService.stopService() cancels an attempt in progress and a pending retry", async () => {
    const { service, endpoint, clock } = makeClientService();
    service.startService();
    await service.stopService();
    assert.equal(endpoint.attempts[0].cancelled, true);

    service.startService();
    endpoint.fail();
    assert.equal(clock.getDelayedCalls().length, 1);
    await service.stopService();
    assert.equal(clock.getDelayedCalls().length, 0);
    clock.advance(100);
    assert.equal(endpoint.attempts.length, 2);
  });

  it("ClientService runs prepareConnection before whenConnected fires and retries when it fails", async () => {
    let prepared = 0;
    let gate = new Deferred<void>();
    const { service, endpoint, clock } = makeClientService({
      prepareConnection: () => {
        prepared++;
        return gate;
      },
    });
    service.startService();
    const ready = service.whenConnected();
    const first = endpoint.succeed();
    assert.equal(prepared, 1);
    assert.equal(ready.called, false);
    gate.errback(new Error("handshake failed"));
    assert.equal(first.transport.connected, false, "dropped after a failed preparation");
    gate = new Deferred<void>();
    clock.advance(10);
    const second = endpoint.succeed();
    gate.callback(undefined);
    assert.equal(await ready, second.protocol);
    await service.stopService();
  });
});
