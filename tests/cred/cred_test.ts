import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AllowAnonymousAccess,
  ANONYMOUS,
  Anonymous,
  type AvatarId,
  IAnonymous,
  type ICredentials,
  InMemoryUsernamePasswordDatabaseDontUse,
  type InterfaceName,
  interfaceName,
  type IRealm,
  IUsernameHashedPassword,
  IUsernamePassword,
  LoginDenied,
  LoginFailed,
  type LoginResult,
  Portal,
  providedBy,
  UnauthorizedLogin,
  UnhandledCredentials,
  UsernameHashedPassword,
  UsernamePassword,
} from "../../src/cred/mod.ts";
import { Failure } from "../../src/internet/failure.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

function errorOf(e: unknown): unknown {
  return e instanceof Failure ? e.value : e;
}

interface IUser {
  id: AvatarId;
  mind: unknown;
}
const IUser = interfaceName<IUser>("IUser");
const IOther = interfaceName("IOther");

class TestRealm implements IRealm {
  loggedOut: AvatarId[] = [];
  requests: { id: AvatarId; interfaces: InterfaceName[] }[] = [];
  requestAvatar(id: AvatarId, mind: unknown, ...interfaces: InterfaceName[]): LoginResult {
    this.requests.push({ id, interfaces });
    if (id === "banned") throw new LoginDenied("banned");
    if (!interfaces.includes(IUser)) throw new TypeError("no supported interface");
    return [IUser, { id, mind }, () => this.loggedOut.push(id)];
  }
}

describe("credentials", () => {
  it("credentials declare the interfaces they provide", () => {
    assert.ok(providedBy(IUsernamePassword, new UsernamePassword("a", "b")));
    assert.ok(!providedBy(IAnonymous, new UsernamePassword("a", "b")));
    assert.ok(providedBy(IUsernameHashedPassword, new UsernameHashedPassword("a", "h")));
    assert.ok(providedBy(IAnonymous, new Anonymous()));
    assert.ok(!providedBy(IAnonymous, null));
    assert.equal(String(IUsernamePassword), "IUsernamePassword");
    assert.notEqual(interfaceName("X"), interfaceName("X"));
  });

  it("UsernamePassword.checkPassword() compares the password exactly", () => {
    const creds = new UsernamePassword("alice", "sécret");
    assert.equal(creds.checkPassword("sécret"), true);
    assert.equal(creds.checkPassword("secret"), false);
    assert.equal(creds.checkPassword("sécret!"), false);
    assert.equal(creds.checkPassword(""), false);
  });

  it("errors are Error subclasses with their own names", () => {
    for (
      const [E, name] of [
        [UnauthorizedLogin, "UnauthorizedLogin"],
        [UnhandledCredentials, "UnhandledCredentials"],
        [LoginDenied, "LoginDenied"],
      ] as const
    ) {
      const e = new E();
      assert.equal(e.name, name);
      assert.ok(e instanceof LoginFailed);
      assert.ok(e instanceof Error);
    }
  });
});

describe("checkers", () => {
  it("InMemoryUsernamePasswordDatabaseDontUse accepts the right password only", async () => {
    const checker = new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" });
    checker.addUser("bob", "hunter2");
    assert.equal(await checker.requestAvatarId(new UsernamePassword("alice", "pw")), "alice");
    assert.equal(await checker.requestAvatarId(new UsernamePassword("bob", "hunter2")), "bob");
    assert.equal(
      await checker.requestAvatarId(new UsernameHashedPassword("bob", "hunter2")),
      "bob",
    );
    for (const creds of [new UsernamePassword("bob", "nope"), new UsernamePassword("eve", "pw")]) {
      await assert.rejects(
        checker.requestAvatarId(creds).asPromise(),
        (e) => errorOf(e) instanceof UnauthorizedLogin,
      );
    }
  });

  it("AllowAnonymousAccess gives the ANONYMOUS avatar ID", async () => {
    const checker = new AllowAnonymousAccess();
    assert.equal(await checker.requestAvatarId(new Anonymous()), ANONYMOUS);
    assert.deepEqual(checker.credentialInterfaces, [IAnonymous]);
  });
});

describe("Portal", () => {
  it("Portal.login() returns the interface, the avatar and a logout", async () => {
    const realm = new TestRealm();
    const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ a: "b" })]);
    const mind = { client: true };
    const [iface, avatar, logout] = await portal.login(
      new UsernamePassword("a", "b"),
      mind,
      IOther,
      IUser,
    );
    assert.equal(iface, IUser);
    assert.equal((avatar as IUser).id, "a");
    assert.equal((avatar as IUser).mind, mind);
    assert.deepEqual(realm.requests[0].interfaces, [IOther, IUser]);
    logout();
    assert.deepEqual(realm.loggedOut, ["a"]);
  });

  it("Portal.login() fails with UnauthorizedLogin for bad credentials", async () => {
    const realm = new TestRealm();
    const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ a: "b" })]);
    await assert.rejects(
      portal.login(new UsernamePassword("a", "x"), null, IUser).asPromise(),
      (e) => errorOf(e) instanceof UnauthorizedLogin,
    );
    assert.equal(realm.requests.length, 0, "the realm is not asked");
  });

  it("Portal.login() fails with UnhandledCredentials when no checker takes them", async () => {
    const portal = new Portal(new TestRealm(), [
      new InMemoryUsernamePasswordDatabaseDontUse({ a: "b" }),
    ]);
    await assert.rejects(portal.login(new Anonymous(), null, IUser).asPromise(), (e) => {
      const error = errorOf(e);
      return error instanceof UnhandledCredentials && /IAnonymous/.test(error.message);
    });
    const odd: ICredentials = { credentialInterfaces: [] };
    await assert.rejects(
      portal.login(odd, null, IUser).asPromise(),
      (e) => errorOf(e) instanceof UnhandledCredentials,
    );
  });

  it("Portal.login() passes the realm's refusal through", async () => {
    const portal = new Portal(new TestRealm(), [
      new InMemoryUsernamePasswordDatabaseDontUse({ banned: "pw" }),
    ]);
    await assert.rejects(
      portal.login(new UsernamePassword("banned", "pw"), null, IUser).asPromise(),
      (e) => errorOf(e) instanceof LoginDenied,
    );
  });

  it("Portal.registerChecker() registers for given interfaces or the checker's own", async () => {
    const portal = new Portal(new TestRealm());
    assert.deepEqual(portal.listCredentialsInterfaces(), []);
    portal.registerChecker(new AllowAnonymousAccess());
    portal.registerChecker(
      new InMemoryUsernamePasswordDatabaseDontUse({ a: "b" }),
      IUsernamePassword,
    );
    assert.deepEqual(portal.listCredentialsInterfaces(), [IAnonymous, IUsernamePassword]);
    const [, avatar] = await portal.login(new Anonymous(), null, IUser);
    assert.equal(avatar.id, ANONYMOUS);
    await assert.rejects(
      portal.login(new UsernameHashedPassword("a", "b"), null, IUser).asPromise(),
      (e) => errorOf(e) instanceof UnhandledCredentials,
    );
  });

  it("Portal.login() waits for asynchronous checkers and realms", async () => {
    const realm: IRealm = {
      requestAvatar: (id) => Promise.resolve([IUser, { id, mind: null }, () => {}] as LoginResult),
    };
    const portal = new Portal(realm, [{
      credentialInterfaces: [IUsernamePassword],
      requestAvatarId: (c) => Promise.resolve((c as UsernamePassword).username.toUpperCase()),
    }]);
    const [, avatar] = await portal.login(new UsernamePassword("zed", ""), null, IUser);
    assert.equal(avatar.id, "ZED");
  });
});
