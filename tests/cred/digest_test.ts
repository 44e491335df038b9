import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  DigestCredentialFactory,
  DigestedCredentials,
  InMemoryUsernamePasswordDatabaseDontUse,
  IUsernameDigestHash,
  LoginFailed,
  parseDigestParams,
  providedBy,
} from "../../src/cred/mod.ts";
import { md5, toHex } from "../../src/cred/_md5.ts";
import { Clock } from "../../src/internet/task.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();

async function h(algorithm: string, text: string): Promise<string> {
  if (algorithm === "md5") return toHex(md5(te.encode(text)));
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", te.encode(text))));
}

/** What a client sends for `challenge` (qop=auth). */
async function answer(
  challenge: Record<string, string>,
  options: { username?: string; password?: string; method?: string; uri?: string } = {},
): Promise<string> {
  const { username = "Mufasa", password = "Circle of Life", method = "GET", uri = "/dir" } =
    options;
  const algorithm = challenge.algorithm.toLowerCase();
  const cnonce = "0a4f113b";
  const nc = "00000001";
  const ha1 = await h(algorithm, `${username}:${challenge.realm}:${password}`);
  const ha2 = await h(algorithm, `${method}:${uri}`);
  const response = await h(algorithm, `${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `username="${username}", realm="${challenge.realm}", nonce="${challenge.nonce}", ` +
    `uri="${uri}", algorithm=${challenge.algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}", ` +
    `response="${response}", opaque="${challenge.opaque}"`;
}

describe("MD5", () => {
  it("md5() matches the RFC 1321 test suite", () => {
    const cases: [string, string][] = [
      ["", "d41d8cd98f00b204e9800998ecf8427e"],
      ["abc", "900150983cd24fb0d6963f7d28e17f72"],
      ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
      [
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
        "57edf4a22be3c955ac49da2e2107b67a",
      ],
    ];
    for (const [input, digest] of cases) assert.equal(toHex(md5(te.encode(input))), digest);
  });
});

describe("DigestedCredentials", () => {
  // RFC 7616 section 3.9.1.
  const rfcFields = (algorithm: string, response: string): Map<string, string> =>
    new Map([
      ["username", "Mufasa"],
      ["realm", "http-auth@example.org"],
      ["uri", "/dir/index.html"],
      ["algorithm", algorithm],
      ["nonce", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"],
      ["nc", "00000001"],
      ["cnonce", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"],
      ["qop", "auth"],
      ["response", response],
    ]);

  it("DigestedCredentials.checkPassword() verifies the RFC 7616 MD5 and SHA-256 examples", async () => {
    const md5Creds = new DigestedCredentials(
      "Mufasa",
      "GET",
      "http-auth@example.org",
      rfcFields("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
    );
    assert.equal(await md5Creds.checkPassword("Circle of Life"), true);
    assert.equal(await md5Creds.checkPassword("circle of life"), false);
    const shaCreds = new DigestedCredentials(
      "Mufasa",
      "GET",
      "http-auth@example.org",
      rfcFields("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    );
    assert.equal(await shaCreds.checkPassword("Circle of Life"), true);
    assert.ok(providedBy(IUsernameDigestHash, shaCreds));
    const ha1 = await h("sha-256", "Mufasa:http-auth@example.org:Circle of Life");
    assert.equal(await shaCreds.checkHash(ha1), true);
    assert.equal(await shaCreds.checkHash("00"), false);
  });

  it("parseDigestParams() reads tokens and quoted strings with escapes", () => {
    const params = parseDigestParams(
      'username="a\\"b", Realm="x, y",nc=00000001 , qop=auth',
    );
    assert.equal(params.get("username"), 'a"b');
    assert.equal(params.get("realm"), "x, y");
    assert.equal(params.get("nc"), "00000001");
    assert.equal(params.get("qop"), "auth");
    assert.throws(() => parseDigestParams('username="open'), LoginFailed);
    assert.throws(() => parseDigestParams("=x"), LoginFailed);
  });
});

describe("DigestCredentialFactory", () => {
  for (const algorithm of ["md5", "sha-256"] as const) {
    it(`DigestCredentialFactory(${algorithm}) accepts a correct response to its challenge`, async () => {
      const clock = new Clock();
      const factory = new DigestCredentialFactory(algorithm, "test realm", { clock });
      const challenge = await factory.getChallenge("10.0.0.1");
      assert.equal(challenge.qop, "auth");
      assert.equal(challenge.algorithm, algorithm === "md5" ? "MD5" : "SHA-256");
      const creds = await factory.decode(await answer(challenge), "GET", "10.0.0.1");
      assert.equal(creds.username, "Mufasa");
      const checker = new InMemoryUsernamePasswordDatabaseDontUse({ Mufasa: "Circle of Life" });
      assert.equal(await checker.requestAvatarId(creds), "Mufasa");
      const wrong = await factory.decode(
        await answer(challenge, { password: "nope" }),
        "GET",
        "10.0.0.1",
      );
      await assert.rejects(checker.requestAvatarId(wrong).asPromise());
    });
  }

  it("DigestCredentialFactory refuses expired, foreign and tampered challenges", async () => {
    const clock = new Clock();
    clock.advance(1000);
    const factory = new DigestCredentialFactory("md5", "r", { clock, challengeLifetime: 60 });
    const challenge = await factory.getChallenge("10.0.0.1");
    const response = await answer(challenge);
    await assert.rejects(factory.decode(response, "GET", "10.0.0.2"), LoginFailed);
    const other = new DigestCredentialFactory("md5", "r", { clock });
    await assert.rejects(other.decode(response, "GET", "10.0.0.1"), LoginFailed, "other key");
    const otherNonce = response.replace(challenge.nonce, "0".repeat(32));
    await assert.rejects(factory.decode(otherNonce, "GET", "10.0.0.1"), LoginFailed);
    clock.advance(61);
    await assert.rejects(factory.decode(response, "GET", "10.0.0.1"), /too old/);
  });

  it("DigestCredentialFactory refuses a downgrade, a wrong realm and missing fields", async () => {
    const clock = new Clock();
    const factory = new DigestCredentialFactory("sha-256", "r", { clock });
    const challenge = await factory.getChallenge("ip");
    const md5Answer = await answer({ ...challenge, algorithm: "MD5" });
    await assert.rejects(factory.decode(md5Answer, "GET", "ip"), /algorithm/);
    const wrongRealm = await answer({ ...challenge, realm: "other" });
    await assert.rejects(factory.decode(wrongRealm, "GET", "ip"), /realm/);
    await assert.rejects(factory.decode('realm="r"', "GET", "ip"), /no username/);
    await assert.rejects(factory.decode('username="a"', "GET", "ip"), /no opaque/);
    assert.throws(() => new DigestCredentialFactory("sha-1" as "md5", "r"), RangeError);
  });
});
