// An application with an AMP service and a Perspective Broker service, for
//   tw -y examples/amp_pb_server.ts      (also: tw -n -y ..., under any runtime)
// AMP on AMP_PORT (default 8750): Sum(a, b) -> total and Divide(numerator, denominator)
// -> result, with ZERO_DIVISION declared. PB on PB_PORT (default 8787, Twisted's pb
// port): log in as alice / secret (or anonymously) and call add, whoami and counter, a
// cache that every `bump` updates on each client. Both listen on 127.0.0.1 only.
// Twisted clients talk to both:
//   from twisted.spread import pb; from twisted.cred.credentials import UsernamePassword
//   f = pb.PBClientFactory(); reactor.connectTCP("127.0.0.1", 8787, f)
//   f.login(UsernamePassword(b"alice", b"secret")).addCallback(
//       lambda avatar: avatar.callRemote("add", 1, 2))
import { Application } from "../src/application/mod.ts";
import { ListeningService } from "../src/cli/mod.ts";
import {
  AllowAnonymousAccess,
  ANONYMOUS,
  type AvatarId,
  InMemoryUsernamePasswordDatabaseDontUse,
  type IRealm,
  type LoginResult,
  Portal,
} from "../src/cred/mod.ts";
import { Factory, reactor } from "../mod.ts";
import * as amp from "../src/protocols/amp.ts";
import * as pb from "../src/spread/pb.ts";

// -- AMP --------------------------------------------------------------------

class ZeroDivisionError extends Error {}

class Sum extends amp.Command {
  static override arguments = { a: new amp.Integer(), b: new amp.Integer() };
  static override response = { total: new amp.Integer() };
}

class Divide extends amp.Command {
  static override arguments = { numerator: new amp.Integer(), denominator: new amp.Integer() };
  static override response = { result: new amp.Float() };
  static override errors = new Map([[ZeroDivisionError, "ZERO_DIVISION"]]);
}

class Calculator extends amp.AMP {}
Sum.responder(Calculator, ({ a, b }) => ({ total: a + b }));
Divide.responder(Calculator, ({ numerator, denominator }) => {
  if (denominator === 0) throw new ZeroDivisionError("division by zero");
  return { result: numerator / denominator };
});

// -- Perspective Broker -----------------------------------------------------

/** A counter every logged-in client caches; `bump` updates all the caches. */
class Counter extends pb.Cacheable {
  value = 0;
  #observers = new Set<pb.RemoteCacheObserver>();
  override getTypeToCopy(): string {
    return "examples.Counter";
  }
  override getStateToCacheAndObserveFor(_p: unknown, observer: pb.RemoteCacheObserver): unknown {
    this.#observers.add(observer);
    return { value: this.value };
  }
  override stoppedObserving(_p: unknown, observer: pb.RemoteCacheObserver): void {
    this.#observers.delete(observer);
  }
  bump(): number {
    this.value++;
    for (const observer of this.#observers) observer.callRemote("setValue", this.value);
    return this.value;
  }
}

const counter = new Counter();

/** What a logged-in client calls (`perspective_*`). */
class User extends pb.Avatar {
  readonly name: string;
  constructor(name: string) {
    super();
    this.name = name;
  }
  perspective_whoami(): string {
    return this.name;
  }
  perspective_add(a: number, b: number): number {
    return a + b;
  }
  perspective_counter(): Counter {
    return counter;
  }
  perspective_bump(): number {
    return counter.bump();
  }
}

const realm: IRealm = {
  requestAvatar(id: AvatarId): LoginResult {
    const name = id === ANONYMOUS ? "guest" : String(id);
    return [pb.IPerspective, new User(name), () => {}];
  },
};
const portal = new Portal(realm, [
  new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }),
  new AllowAnonymousAccess(),
]);

// -- The application --------------------------------------------------------

const port = (name: string, fallback: number): number =>
  Number(reactor.runtime.env(name) ?? fallback);

/** What `tw -y` runs. */
export const application: Application = new Application("amp-pb");
new ListeningService(
  reactor,
  `tcp:${port("AMP_PORT", 8750)}:interface=127.0.0.1`,
  Factory.forProtocol(Calculator),
).setServiceParent(application);
new ListeningService(
  reactor,
  `tcp:${port("PB_PORT", 8787)}:interface=127.0.0.1`,
  new pb.PBServerFactory(portal),
).setServiceParent(application);
