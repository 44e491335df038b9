// examples/amp_pb_server.ts run as `tw -y` on the runtime running this test:
// an AMP client sums and divides (the declared error included), two PB clients
// log in, call their avatars and watch one shared cache update; SIGTERM ends
// the program with exit code 0.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { ClientCreator, reactor } from "../mod.ts";
import { clientFromString } from "../src/internet/endpoints.ts";
import { trackLeaks } from "../src/testing/mod.ts";
import { Anonymous, UsernamePassword } from "../src/cred/mod.ts";
import * as amp from "../src/protocols/amp.ts";
import * as pb from "../src/spread/pb.ts";
import { CURRENT, start, terminate } from "./cli/_program.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

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

class CounterCache extends pb.RemoteCache<{ value: number }> {
  value = 0;
  observe_setValue(value: number): void {
    this.value = value;
  }
}
pb.setUnjellyableForClass("examples.Counter", CounterCache);

async function login(port: number, credentials: UsernamePassword | Anonymous) {
  const factory = new pb.PBClientFactory();
  await clientFromString(reactor, `tcp:127.0.0.1:${port}`).connect(factory);
  return [factory, await factory.login(credentials)] as const;
}

describe("examples/amp_pb_server.ts", { timeout: 60_000 }, () => {
  it("serves AMP and PB under tw -y, and stops on SIGTERM", { timeout: 60_000 }, async () => {
    const env = { ...process.env, AMP_PORT: "0", PB_PORT: "0" } as Record<string, string>;
    const [program, transport] = start(
      CURRENT,
      ["-n", "-y", "examples/amp_pb_server.ts"],
      env,
    );
    try {
      const ampPort = Number((await program.waitFor(/Factory listening on 127\.0\.0\.1:(\d+)/))[1]);
      const pbPort = Number(
        (await program.waitFor(/PBServerFactory listening on 127\.0\.0\.1:(\d+)/))[1],
      );

      const calculator = await new ClientCreator(reactor, amp.AMP).connectTCP("127.0.0.1", ampPort);
      assert.equal((await calculator.callRemote(Sum, { a: 13, b: 81 })).total, 94);
      assert.equal(
        (await calculator.callRemote(Divide, { numerator: 7, denominator: 2 })).result,
        3.5,
      );
      await calculator.callRemote(Divide, { numerator: 1, denominator: 0 }).then(
        () => assert.fail("no error"),
        (e) => assert.ok(e instanceof ZeroDivisionError, String(e)),
      );
      calculator.transport.loseConnection();

      const [aliceFactory, alice] = await login(pbPort, new UsernamePassword("alice", "secret"));
      const [guestFactory, guest] = await login(pbPort, new Anonymous());
      assert.equal(await alice.callRemote("whoami"), "alice");
      assert.equal(await guest.callRemote("whoami"), "guest");
      assert.equal(await alice.callRemote("add", 1, 2), 3);
      const aliceCache = await alice.callRemote<CounterCache>("counter");
      const guestCache = await guest.callRemote<CounterCache>("counter");
      assert.equal(await guest.callRemote("bump"), 1);
      // Alice's cache heard of the bump before her own call to bump is answered.
      assert.equal(await alice.callRemote("bump"), 2);
      assert.equal(aliceCache.value, 2);
      assert.equal(await guest.callRemote("whoami"), "guest");
      assert.equal(guestCache.value, 2);
      aliceFactory.disconnect();
      guestFactory.disconnect();

      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });
});
