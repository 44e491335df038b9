import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import {
  FilePasswordDB,
  hashPassword,
  isHashedPassword,
  timingSafeEqual,
  UnauthorizedLogin,
  UsernameHashedPassword,
  UsernamePassword,
  verifyPassword,
  writePasswordFile,
} from "../../src/cred/mod.ts";
import { Failure } from "../../src/internet/failure.ts";
import { reactor } from "../../mod.ts";
import { flushLoggedErrors, loggedErrors, trackLeaks } from "../../src/testing/mod.ts";

const runtime = reactor.runtime;
const FAST = { iterations: 1000 };
const created: string[] = [];

function tempPath(): string {
  const path = `${tmpdir()}/tw-cred-${crypto.randomUUID()}.passwd`;
  created.push(path);
  return path;
}

afterEach(async () => {
  for (const path of created.splice(0)) await runtime.remove(path).catch(() => {});
});
// After the cleanup above: the leak check sees what the test and its cleanup left.
trackLeaks({ beforeEach, afterEach });

function errorOf(e: unknown): unknown {
  return e instanceof Failure ? e.value : e;
}

describe("hashPassword", () => {
  it("hashPassword() writes a self-describing PBKDF2-SHA256 hash with a random salt", async () => {
    const a = await hashPassword("secret", FAST);
    const b = await hashPassword("secret", FAST);
    assert.match(a, /^pbkdf2-sha256\$1000\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.notEqual(a, b, "salted");
    assert.ok(isHashedPassword(a));
    assert.ok(!isHashedPassword("secret"));
  });

  it("verifyPassword() accepts the password and rejects others", async () => {
    const stored = await hashPassword("pässwörd", FAST);
    assert.equal(await verifyPassword("pässwörd", stored), true);
    assert.equal(await verifyPassword("passwort", stored), false);
    assert.equal(await verifyPassword("", stored), false);
  });

  it("verifyPassword() matches a known PBKDF2-HMAC-SHA256 vector", async () => {
    // Python: base64(hashlib.pbkdf2_hmac("sha256", b"password", b"saltsaltsaltsalt", 2))
    const stored =
      "pbkdf2-sha256$2$c2FsdHNhbHRzYWx0c2FsdA$s6ZaJU3VkPq5qs+r1WlaC9eXJ9KJmmpRnSbxO1LY5vQ";
    assert.equal(await verifyPassword("password", stored), true);
    assert.equal(await verifyPassword("password", stored.replace("$2$", "$3$")), false);
  });

  it("verifyPassword() refuses malformed stored values", async () => {
    await assert.rejects(verifyPassword("x", "plain"), SyntaxError);
    await assert.rejects(verifyPassword("x", "pbkdf2-sha256$0$AAAA$AAAA"), SyntaxError);
    await assert.rejects(verifyPassword("x", "pbkdf2-sha256$abc$AAAA$AAAA"), SyntaxError);
    await assert.rejects(verifyPassword("x", "pbkdf2-sha256$10$!!$AAAA"), SyntaxError);
  });

  it("hashPassword() refuses bad options", async () => {
    await assert.rejects(hashPassword("x", { iterations: 0 }), RangeError);
    await assert.rejects(hashPassword("x", { iterations: 1.5 }), RangeError);
    await assert.rejects(hashPassword("x", { saltLength: 4 }), RangeError);
  });

  it("timingSafeEqual() compares contents and lengths", () => {
    assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
    assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
    assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0])), false);
    assert.equal(timingSafeEqual(new Uint8Array(), new Uint8Array()), true);
  });
});

describe("FilePasswordDB", () => {
  it("writePasswordFile() writes hashed entries FilePasswordDB checks", async () => {
    const path = tempPath();
    await writePasswordFile(runtime, path, { alice: "secret", bob: "hunter2" }, FAST);
    const text = new TextDecoder().decode(await runtime.readFile(path));
    const lines = text.trim().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^alice:pbkdf2-sha256\$1000\$/);
    assert.ok(!text.includes("secret"));
    const mode = (await runtime.stat(path) as { mode?: number | null }).mode;
    if (typeof mode === "number") assert.equal(mode & 0o777, 0o600);

    const db = new FilePasswordDB(path, { runtime });
    assert.equal(await db.requestAvatarId(new UsernamePassword("alice", "secret")), "alice");
    assert.equal(await db.requestAvatarId(new UsernamePassword("bob", "hunter2")), "bob");
    for (
      const creds of [new UsernamePassword("alice", "hunter2"), new UsernamePassword("eve", "x")]
    ) {
      await assert.rejects(
        db.requestAvatarId(creds).asPromise(),
        (e) => errorOf(e) instanceof UnauthorizedLogin,
      );
    }
  });

  it("FilePasswordDB rereads the file unless cache is set", async () => {
    const path = tempPath();
    await writePasswordFile(runtime, path, [["alice", "one"]], FAST);
    const fresh = new FilePasswordDB(path, { runtime });
    const cached = new FilePasswordDB(path, { runtime, cache: true });
    assert.equal(await fresh.requestAvatarId(new UsernamePassword("alice", "one")), "alice");
    assert.equal(await cached.requestAvatarId(new UsernamePassword("alice", "one")), "alice");
    await writePasswordFile(runtime, path, [["alice", "two"]], FAST);
    assert.equal(await fresh.requestAvatarId(new UsernamePassword("alice", "two")), "alice");
    assert.equal(await cached.requestAvatarId(new UsernamePassword("alice", "one")), "alice");
  });

  it("FilePasswordDB reads custom delimiters and fields, comments and case-insensitive names", async () => {
    const path = tempPath();
    const hash = await hashPassword("pw", FAST);
    await runtime.writeFile(path, `# users\n\nuid1|Alice|${hash}\nbroken-line\n`);
    const db = new FilePasswordDB(path, {
      runtime,
      delim: "|",
      usernameField: 1,
      passwordField: 2,
      caseSensitive: false,
    });
    assert.equal(await db.requestAvatarId(new UsernamePassword("ALICE", "pw")), "ALICE");
    const strict = new FilePasswordDB(path, {
      runtime,
      delim: "|",
      usernameField: 1,
      passwordField: 2,
    });
    await assert.rejects(strict.requestAvatarId(new UsernamePassword("ALICE", "pw")).asPromise());
  });

  it('FilePasswordDB with hash "plain" also checks hashed-password credentials', async () => {
    const path = tempPath();
    await runtime.writeFile(path, "alice:plaintext\n");
    const db = new FilePasswordDB(path, { runtime, hash: "plain" });
    assert.equal(db.credentialInterfaces.length, 2);
    assert.equal(await db.requestAvatarId(new UsernamePassword("alice", "plaintext")), "alice");
    assert.equal(
      await db.requestAvatarId(new UsernameHashedPassword("alice", "plaintext")),
      "alice",
    );
    await assert.rejects(db.requestAvatarId(new UsernamePassword("alice", "x")).asPromise());
    // The default (pbkdf2) never matches a plaintext entry.
    const hashed = new FilePasswordDB(path, { runtime });
    await assert.rejects(
      hashed.requestAvatarId(new UsernamePassword("alice", "plaintext")).asPromise(),
    );
  });

  it("FilePasswordDB with a hash function compares its output with the stored field", async () => {
    const path = tempPath();
    await runtime.writeFile(path, "alice:TERCES\n");
    const db = new FilePasswordDB(path, {
      runtime,
      hash: (_user, password) => password.split("").reverse().join("").toUpperCase(),
    });
    assert.equal(await db.requestAvatarId(new UsernamePassword("alice", "secret")), "alice");
    await assert.rejects(db.requestAvatarId(new UsernamePassword("alice", "terces")).asPromise());
  });

  it("FilePasswordDB fails logins with UnauthorizedLogin when the file cannot be read", async () => {
    const db = new FilePasswordDB(`${tmpdir()}/tw-cred-missing-${crypto.randomUUID()}`, {
      runtime,
    });
    await assert.rejects(db.requestAvatarId(new UsernamePassword("a", "b")).asPromise(), (e) => {
      const error = errorOf(e);
      return error instanceof UnauthorizedLogin && /password file/.test(error.message);
    });
    // The cause (the runtime's own "not found" error) is logged for the operator.
    assert.deepEqual(loggedErrors().map((e) => e.log_format), [
      "Cannot read the password file {path}",
    ]);
    assert.equal(flushLoggedErrors().length, 1);
  });

  it("writePasswordFile() refuses usernames that would break the file", async () => {
    for (const name of ["a:b", "a\nb", ""]) {
      await assert.rejects(
        writePasswordFile(runtime, tempPath(), { [name]: "x" }, FAST),
        RangeError,
      );
    }
  });
});
