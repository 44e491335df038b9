import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { Deferred, type Failure, type IPv4Address, ProcessProtocol, reactor } from "../../mod.ts";
import { Clock } from "../../src/internet/task.ts";
import {
  AllowAnonymousAccess,
  ANONYMOUS,
  type AvatarId,
  InMemoryUsernamePasswordDatabaseDontUse,
  type InterfaceName,
  type IRealm,
  type LoginResult,
  Portal,
} from "../../src/cred/mod.ts";
import { md5, toHex } from "../../src/cred/_md5.ts";
import {
  BasicCredentialFactory,
  DigestCredentialFactory,
  HTTPAuthSessionWrapper,
  type ICredentialFactory,
  type Request,
  Resource,
  Site,
} from "../../src/web/mod.ts";
import { IResource } from "../../src/web/resource.ts";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";
import { type ParsedResponse, serve } from "./_helpers.ts";

const CURL = "/usr/bin/curl";

// Real sockets: wait for what the test closed to finish closing (a real connection closes a moment after curl exits).
trackLeaks({ beforeEach, afterEach }, { settle: 2000 });

const te = new TextEncoder();
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A resource tree per avatar: "/" says who you are, "/child" is a leaf. */
class Home extends Resource {
  who: string;
  constructor(who: string) {
    super();
    this.who = who;
    const child = new Resource();
    child.isLeaf = true;
    (child as unknown as { render_GET: () => string }).render_GET = () => `child of ${who}`;
    this.putChild("child", child);
  }
  override getChild(path: string): Resource {
    return path === "" ? this : super.getChild(path, undefined as unknown as Request) as Resource;
  }
  render_GET(): string {
    return `hello ${this.who}`;
  }
}

class Realm implements IRealm {
  logouts: AvatarId[] = [];
  asked: InterfaceName[][] = [];
  requestAvatar(id: AvatarId, _mind: unknown, ...interfaces: InterfaceName[]): LoginResult {
    this.asked.push(interfaces);
    if (id === "broken") throw new TypeError("realm bug");
    const name = id === ANONYMOUS ? "guest" : id;
    return [IResource, new Home(name), () => this.logouts.push(id)];
  }
}

function setup(
  options: { anonymous?: boolean; factories?: ICredentialFactory[]; clock?: Clock } = {},
): { site: Site; realm: Realm; clock: Clock } {
  const clock = options.clock ?? new Clock();
  const realm = new Realm();
  const checkers = [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw", broken: "pw" })];
  const portal = new Portal(realm, checkers);
  if (options.anonymous) portal.registerChecker(new AllowAnonymousAccess());
  const factories = options.factories ?? [new BasicCredentialFactory("test realm")];
  const site = new Site(new HTTPAuthSessionWrapper(portal, factories), { clock });
  return { site, realm, clock };
}

/** Sends one request and waits (bounded) for its whole response. */
async function request(
  site: Site,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<ParsedResponse> {
  const served = serve(site);
  const lines = [`${method} ${path} HTTP/1.1`, "Host: example.com", "Connection: close"];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  served.send(lines.join("\r\n") + "\r\n\r\n");
  for (let i = 0; i < 200 && served.transport.connected; i++) await tick();
  assert.equal(served.transport.connected, false, "the response finished");
  const [response] = served.responses(method === "HEAD");
  return response;
}

function basic(user: string, password: string): string {
  const bytes = te.encode(`${user}:${password}`);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

describe("HTTPAuthSessionWrapper with Basic", () => {
  it("HTTPAuthSessionWrapper answers 401 with a Basic challenge without credentials", async () => {
    const { site, realm } = setup();
    const response = await request(site, "/");
    assert.equal(response.code, 401);
    assert.deepEqual(response.headers.get("www-authenticate"), [
      'Basic realm="test realm", charset="UTF-8"',
    ]);
    assert.equal(response.text, "Unauthorized");
    assert.equal(realm.asked.length, 0);
  });

  it("HTTPAuthSessionWrapper renders the avatar for good credentials and logs out after", async () => {
    const { site, realm } = setup();
    const response = await request(site, "/", { Authorization: basic("alice", "pw") });
    assert.equal(response.code, 200);
    assert.equal(response.text, "hello alice");
    assert.deepEqual(realm.asked, [[IResource]]);
    assert.deepEqual(realm.logouts, ["alice"]);
  });

  it("HTTPAuthSessionWrapper traverses the avatar's tree for the rest of the path", async () => {
    const { site } = setup();
    const response = await request(site, "/child", { Authorization: basic("alice", "pw") });
    assert.equal(response.text, "child of alice");
    const missing = await request(site, "/nope", { Authorization: basic("alice", "pw") });
    assert.equal(missing.code, 404);
  });

  it("HTTPAuthSessionWrapper answers 401 for a wrong password, bad base64 or an unknown scheme", async () => {
    const { site, realm } = setup();
    for (
      const header of [
        basic("alice", "wrong"),
        basic("mallory", "pw"),
        "Basic !!!not-base64",
        "Basic " + btoa("no colon"),
        "Bearer abc",
      ]
    ) {
      const response = await request(site, "/", { Authorization: header });
      assert.equal(response.code, 401, header);
      assert.ok(response.headers.has("www-authenticate"));
    }
    assert.deepEqual(realm.logouts, []);
  });

  it("HTTPAuthSessionWrapper lets anonymous users in when the portal allows it", async () => {
    const { site, realm } = setup({ anonymous: true });
    const response = await request(site, "/");
    assert.equal(response.text, "hello guest");
    assert.deepEqual(realm.logouts, [ANONYMOUS]);
  });

  it("HTTPAuthSessionWrapper answers 500 when the realm fails unexpectedly", async () => {
    const { site } = setup();
    const response = await request(site, "/", { Authorization: basic("broken", "pw") });
    assert.equal(response.code, 500);
    assert.equal(flushLoggedErrors(TypeError).length, 1);
  });

  it("HTTPAuthSessionWrapper decodes UTF-8 usernames and passwords", async () => {
    const clock = new Clock();
    const realm = new Realm();
    const portal = new Portal(realm, [
      new InMemoryUsernamePasswordDatabaseDontUse({ "jösé": "pässwörd:with:colons" }),
    ]);
    const site = new Site(
      new HTTPAuthSessionWrapper(portal, [new BasicCredentialFactory("r")]),
      { clock },
    );
    const response = await request(site, "/", {
      Authorization: basic("jösé", "pässwörd:with:colons"),
    });
    assert.equal(response.text, "hello jösé");
  });
});

/** Parses a WWW-Authenticate Digest challenge into its parameters. */
function parseChallenge(header: string): Record<string, string> {
  assert.match(header, /^Digest /);
  const out: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^\s,]+))/g)) {
    out[m[1]] = m[2] ?? m[3];
  }
  return out;
}

async function hex(algorithm: string, text: string): Promise<string> {
  if (algorithm === "MD5") return toHex(md5(te.encode(text)));
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", te.encode(text))));
}

async function digestHeader(
  c: Record<string, string>,
  user: string,
  password: string,
  uri: string,
): Promise<string> {
  const ha1 = await hex(c.algorithm, `${user}:${c.realm}:${password}`);
  const ha2 = await hex(c.algorithm, `GET:${uri}`);
  const response = await hex(c.algorithm, `${ha1}:${c.nonce}:00000001:abcdef:auth:${ha2}`);
  return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", ` +
    `algorithm=${c.algorithm}, qop=auth, nc=00000001, cnonce="abcdef", ` +
    `response="${response}", opaque="${c.opaque}"`;
}

describe("HTTPAuthSessionWrapper with Digest", () => {
  for (const algorithm of ["md5", "sha-256"] as const) {
    it(`HTTPAuthSessionWrapper logs in with a Digest ${algorithm} response to its challenge`, async () => {
      const clock = new Clock();
      const factory = new DigestCredentialFactory(algorithm, "digest realm", { clock });
      const { site, realm } = setup({ factories: [factory], clock });
      const first = await request(site, "/child");
      assert.equal(first.code, 401);
      const challenge = parseChallenge(first.headers.get("www-authenticate")![0]);
      assert.equal(challenge.realm, "digest realm");
      assert.equal(challenge.qop, "auth");
      const auth = await digestHeader(challenge, "alice", "pw", "/child");
      const second = await request(site, "/child", { Authorization: auth });
      assert.equal(second.code, 200);
      assert.equal(second.text, "child of alice");
      assert.deepEqual(realm.logouts, ["alice"]);

      const wrong = await digestHeader(challenge, "alice", "nope", "/child");
      assert.equal((await request(site, "/child", { Authorization: wrong })).code, 401);
      // A response computed for another URI is refused.
      const elsewhere = await digestHeader(challenge, "alice", "pw", "/");
      assert.equal((await request(site, "/child", { Authorization: elsewhere })).code, 401);
    });
  }

  it("HTTPAuthSessionWrapper offers one challenge per factory and refuses an expired one", async () => {
    const clock = new Clock();
    const digest = new DigestCredentialFactory("sha-256", "r", { clock, challengeLifetime: 10 });
    const { site } = setup({ factories: [digest, new BasicCredentialFactory("r")], clock });
    const first = await request(site, "/");
    const challenges = first.headers.get("www-authenticate")!;
    assert.equal(challenges.length, 2);
    assert.match(challenges[0], /^Digest realm="r", qop="auth", algorithm=SHA-256, nonce="/);
    assert.match(challenges[1], /^Basic /);
    const auth = await digestHeader(parseChallenge(challenges[0]), "alice", "pw", "/");
    clock.advance(11);
    assert.equal((await request(site, "/", { Authorization: auth })).code, 401);
    assert.equal((await request(site, "/", { Authorization: basic("alice", "pw") })).code, 200);
  });
});

class Curl extends ProcessProtocol {
  out = "";
  err = "";
  ended = new Deferred<number>();
  override outReceived(data: Uint8Array): void {
    this.out += new TextDecoder().decode(data);
  }
  override errReceived(data: Uint8Array): void {
    this.err += new TextDecoder().decode(data);
  }
  override processEnded(reason: Failure): void {
    this.ended.callback((reason.value as { exitCode?: number | null }).exitCode ?? 0);
  }
}

/** Runs curl (bounded in time); resolves with its exit code and stdout. */
async function curl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const peer = new Curl();
  const transport = reactor.spawnProcess(peer, CURL, [
    CURL,
    "--silent",
    "--show-error",
    "--max-time",
    "10",
    "--noproxy",
    "*",
    ...args,
  ], { env: {} });
  transport.closeStdin();
  try {
    return { code: await peer.ended.addTimeout(20, reactor), out: peer.out, err: peer.err };
  } catch (error) {
    transport.signalProcess("KILL");
    await peer.ended;
    throw error;
  }
}

describe("HTTPAuthSessionWrapper with curl as the client", {
  timeout: 60_000,
  skip: existsSync(CURL) ? false : "no /usr/bin/curl",
}, () => {
  for (const algorithm of ["md5", "sha-256"] as const) {
    it(`curl logs in with --basic, --digest (${algorithm}) and is refused with a wrong password`, async () => {
      const realm = new Realm();
      const portal = new Portal(realm, [
        new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" }),
      ]);
      const site = new Site(
        new HTTPAuthSessionWrapper(portal, [
          new DigestCredentialFactory(algorithm, "curl realm", { clock: reactor }),
          new BasicCredentialFactory("curl realm"),
        ]),
        { clock: reactor },
      );
      const port = reactor.listenTCP(0, site, { interface: "127.0.0.1" });
      try {
        await port.whenListening();
        const url = `http://127.0.0.1:${(port.getHost() as IPv4Address).port}/child`;
        const asBasic = await curl(["--basic", "--user", "alice:pw", url]);
        assert.equal(asBasic.code, 0, asBasic.err);
        assert.equal(asBasic.out, "child of alice");
        const asDigest = await curl(["--digest", "--user", "alice:pw", url]);
        assert.equal(asDigest.code, 0, asDigest.err);
        assert.equal(asDigest.out, "child of alice");
        const refused = await curl([
          "--digest",
          "--user",
          "alice:wrong",
          "--output",
          "/dev/null",
          "--write-out",
          "%{http_code}",
          url,
        ]);
        assert.equal(refused.out, "401");
        assert.deepEqual(realm.logouts, ["alice", "alice"]);
      } finally {
        await port.stopListening();
      }
    });
  }
});
