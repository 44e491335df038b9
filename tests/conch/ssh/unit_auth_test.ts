// User authentication through cred, in memory: passwords (with the late answer
// to failures and the failure limit), public keys, keyboard-interactive, and
// the login deadline, driven by a Clock.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DISCONNECT,
  InMemorySSHKeyDB,
  type Key,
  SSHConnection,
  SSHPublicKeyChecker,
  SSHUserAuthClient,
} from "../../../src/conch/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse } from "../../../src/cred/mod.ts";
import type { ICredentials } from "../../../src/cred/mod.ts";
import { Clock } from "../../../src/testing/mod.ts";
import { loopbackAsync } from "../../../src/protocols/loopback.ts";
import {
  CollectingChannel,
  getHostKeys,
  loginAndOpen,
  makeFactory,
  PasswordAuth,
  run,
  serverOf,
  TestClient,
  TestUser,
} from "./_pair.ts";
import type { SSHServerTransport } from "../../../src/conch/mod.ts";

/** Runs the pair, moving the clock a second at a time while they talk. */
async function runWithClock(
  server: SSHServerTransport,
  client: TestClient,
  clock: Clock,
  maxSeconds = 300,
): Promise<number> {
  let done = false;
  const finished = loopbackAsync(server, client).then(() => done = true);
  let seconds = 0;
  while (!done && seconds < maxSeconds) {
    for (let i = 0; i < 4 && !done; i++) await new Promise((r) => setTimeout(r, 0));
    if (!done) {
      clock.advance(1);
      seconds++;
    }
  }
  await finished;
  await Promise.all([server.whenClosed(), client.whenClosed()]);
  return seconds;
}

class KeyAuth extends SSHUserAuthClient {
  keys: Key[];
  #current: Key | null = null;
  constructor(user: string, connection: SSHConnection, keys: Key[]) {
    super(user, connection);
    this.keys = [...keys];
  }
  override getPublicKey(): Promise<Key | null> {
    this.#current = this.keys.shift() ?? null;
    return Promise.resolve(this.#current?.public() ?? null);
  }
  override getPrivateKey(): Promise<Key> {
    return Promise.resolve(this.#current!);
  }
}

describe("SSHUserAuthServer and SSHUserAuthClient", () => {
  it("logs in with a password and gives the connection the realm's avatar", async () => {
    const server = serverOf(await makeFactory());
    const client = new TestClient();
    const channel = new CollectingChannel("whoami");
    loginAndOpen(client, "secret", channel);
    await run(server, client);
    assert.ok(server.avatar instanceof TestUser);
    assert.equal(channel.text(), "whoami");
  });

  it("answers a wrong password only after the delay, and disconnects after six", async () => {
    const clock = new Clock();
    const server = serverOf(await makeFactory({ clock }));
    const client = new TestClient();
    const conn = new SSHConnection();
    const auth = new PasswordAuth("alice", conn, ["a", "b", "c", "d", "e", "f", "g", "h"]);
    // Each wrong password is a new "password" attempt.
    auth.preferredOrder = ["password"];
    const tryAgain = auth.packetReceived.bind(auth);
    auth.packetReceived = (type: number, payload: Uint8Array) => {
      if (type === 51 && auth.passwords.length > 0) {
        auth.askForAuth("password", passwordExtra(auth.passwords.shift()!));
        return Promise.resolve();
      }
      return tryAgain(type, payload);
    };
    client.onSecure = (c) => c.requestService(auth);
    const seconds = await runWithClock(server, client, clock);
    assert.equal(client.errors[0]?.[0], DISCONNECT.NO_MORE_AUTH_METHODS_AVAILABLE);
    assert.match(client.errors[0][1], /too many authentication failures/);
    assert.ok(seconds >= 6, `six failures took ${seconds} s of the clock`);
    assert.equal(server.avatar, null);
  });

  it("logs in with a public key after PK_OK, signing only once the key is accepted", async () => {
    const [userKey, otherKey] = [(await getHostKeys())[0], (await getHostKeys())[1]];
    const seen: ICredentials[] = [];
    const checker = new SSHPublicKeyChecker(new InMemorySSHKeyDB({ alice: [userKey.public()] }));
    const spy = {
      credentialInterfaces: checker.credentialInterfaces,
      requestAvatarId: (credentials: ICredentials) => {
        seen.push(credentials);
        return checker.requestAvatarId(credentials);
      },
    };
    const server = serverOf(await makeFactory({ checkers: [spy as never] }));
    const client = new TestClient();
    const channel = new CollectingChannel("by key");
    const conn = new (class extends SSHConnection {
      override serviceStarted(): void {
        super.serviceStarted();
        this.openChannel(channel);
      }
    })();
    client.onSecure = (c) => c.requestService(new KeyAuth("alice", conn, [otherKey, userKey]));
    await run(server, client);
    assert.equal(channel.text(), "by key");
    const signatures = seen.map((c) => (c as unknown as { signature: unknown }).signature);
    // The unknown key is asked about without a signature; the known one twice.
    assert.deepEqual(signatures.map((s) => s === null), [true, true, false]);
  });

  it("signs with rsa-sha2-512 when the server's ext-info lists it", async () => {
    const rsa = (await getHostKeys())[4];
    const algorithms: string[] = [];
    const checker = new SSHPublicKeyChecker(new InMemorySSHKeyDB({ alice: [rsa.public()] }));
    const spy = {
      credentialInterfaces: checker.credentialInterfaces,
      requestAvatarId: (credentials: ICredentials) => {
        algorithms.push((credentials as unknown as { algName: string }).algName);
        return checker.requestAvatarId(credentials);
      },
    };
    const server = serverOf(await makeFactory({ checkers: [spy as never] }));
    const client = new TestClient();
    const channel = new CollectingChannel("rsa");
    const conn = new (class extends SSHConnection {
      override serviceStarted(): void {
        super.serviceStarted();
        this.openChannel(channel);
      }
    })();
    client.onSecure = (c) => c.requestService(new KeyAuth("alice", conn, [rsa]));
    await run(server, client);
    assert.ok(client.peerExtensions.has("server-sig-algs"));
    assert.deepEqual([...new Set(algorithms)], ["rsa-sha2-512"]);
    assert.equal(channel.text(), "rsa");
  });

  it("logs in with keyboard-interactive's single password prompt", async () => {
    const server = serverOf(await makeFactory());
    const client = new TestClient();
    const channel = new CollectingChannel("interactive");
    const conn = new (class extends SSHConnection {
      override serviceStarted(): void {
        super.serviceStarted();
        this.openChannel(channel);
      }
    })();
    const auth = new PasswordAuth("alice", conn, ["secret"]);
    auth.preferredOrder = ["keyboard-interactive"];
    client.onSecure = (c) => c.requestService(auth);
    await run(server, client);
    assert.equal(auth.lastAuth, "keyboard-interactive");
    assert.equal(channel.text(), "interactive");
  });

  it("disconnects a client that has not logged in after 120 seconds", async () => {
    const clock = new Clock();
    const server = serverOf(await makeFactory({ clock }));
    const client = new TestClient();
    // A client that asks for userauth and then says nothing.
    let securedAt = -1;
    let refusedAt = -1;
    client.onSecure = (c) => {
      securedAt = clock.seconds();
      c.requestService(
        new (class extends SSHUserAuthClient {
          override serviceStarted(): void {}
        })("alice", new SSHConnection()),
      );
    };
    const receiveError = client.receiveError.bind(client);
    client.receiveError = (code, description) => {
      refusedAt = clock.seconds();
      receiveError(code, description);
    };
    await runWithClock(server, client, clock);
    assert.equal(client.errors[0]?.[0], DISCONNECT.NO_MORE_AUTH_METHODS_AVAILABLE);
    const waited = refusedAt - securedAt;
    assert.ok(waited >= 119 && waited <= 121, `closed after ${waited} s`);
  });

  it("tells the client when no method is left", async () => {
    const server = serverOf(
      await makeFactory({ checkers: [new InMemoryUsernamePasswordDatabaseDontUse({})] }),
    );
    const client = new TestClient();
    const auth = new PasswordAuth("alice", new SSHConnection(), []);
    client.onSecure = (c) => c.requestService(auth);
    await run(server, client);
    assert.equal(auth.authenticated, false);
    assert.equal(server.avatar, null);
  });
});

function passwordExtra(password: string): Uint8Array {
  const bytes = new TextEncoder().encode(password);
  const out = new Uint8Array(5 + bytes.length);
  new DataView(out.buffer).setUint32(1, bytes.length);
  out.set(bytes, 5);
  return out;
}
