// XML-RPC: our server and Proxy over real loopback sockets (every type both
// ways, faults, unknown procedures, failures, sub-handlers, introspection,
// withRequest, GET, malformed XML and DTDs, HTTP errors), Python's
// xmlrpc.client against our server, our Proxy against Python's
// SimpleXMLRPCServer and Twisted's XMLRPC (tests/web/xmlrpc_peer.py under
// /usr/bin/python3), and a property: any body gets a response, never a crash.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { type IPv4Address, reactor } from "../../mod.ts";
import { PortPeer } from "../_python_peer.ts";
import { serverFromString } from "../../src/internet/endpoints.ts";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";
import { Agent, BytesBodyProducer, Headers, readBody, Resource, Site } from "../../src/web/mod.ts";
import type { Request } from "../../src/web/mod.ts";
import {
  addIntrospection,
  DateTime,
  Fault,
  Proxy,
  withRequest,
  XMLRPC,
} from "../../src/web/xmlrpc/mod.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const td = new TextDecoder();

class MathHandler extends XMLRPC {
  xmlrpc_mul(a: number, b: number): number {
    return a * b;
  }
}

class Service extends XMLRPC {
  constructor() {
    super({ allowNone: true });
    this.putSubHandler("math", new MathHandler());
    addIntrospection(this);
  }
  xmlrpc_add(a: number, b: number): number {
    return a + b;
  }
  xmlrpc_echo(...args: unknown[]): unknown[] {
    return args;
  }
  xmlrpc_later(x: number): Promise<number> {
    return Promise.resolve(x + 1);
  }
  xmlrpc_fail(): never {
    throw new Fault(42, "no");
  }
  xmlrpc_crash(): never {
    throw new TypeError("crashed");
  }
  xmlrpc_method = withRequest((request: Request) => request.method);
}

async function serve(root: Resource): Promise<[string, () => Promise<void>]> {
  const port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(new Site(root));
  return [`http://127.0.0.1:${(port.getHost() as IPv4Address).port}/`, async () => {
    await port.stopListening();
  }];
}

// Structs arrive with a null prototype (a key "__proto__" is data): compare them as plain objects.
const plain = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(plain)
    : v !== null && typeof v === "object" && Object.getPrototypeOf(v) === null
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
    : v;

const failure = (d: PromiseLike<unknown>): Promise<Error> =>
  Promise.resolve(d).then(() => new Error("no failure"), (e) => e);

async function post(url: string, body: string, method = "POST"): Promise<[number, string]> {
  const agent = new Agent(reactor);
  const response = await agent.request(
    method,
    url,
    new Headers({ "content-type": "text/xml" }),
    method === "POST" ? new BytesBodyProducer(body) : null,
  );
  return [response.code, td.decode(await readBody(response))];
}

describe("XML-RPC", () => {
  it("carries every type both ways through our server and Proxy", async () => {
    const [url, stop] = await serve(new Service());
    try {
      const proxy = new Proxy(url, { allowNone: true });
      assert.equal(await proxy.callRemote("add", 2, 3), 5);
      assert.equal(await proxy.callRemote("later", 41), 42);
      const values = [
        1,
        -(2 ** 31),
        2 ** 40,
        2n ** 62n,
        1.5,
        true,
        "é <&> ]]>",
        new Uint8Array([0, 255]),
        [1, [2, "x"]],
        { k: "v", n: { deep: [null] } },
        null,
      ];
      const got = await proxy.callRemote<unknown[]>("echo", ...values);
      assert.deepEqual(plain(got), values);
      const [when] = await proxy.callRemote<DateTime[]>(
        "echo",
        new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
      );
      assert.ok(when instanceof DateTime);
      assert.equal(when.value, "20240102T03:04:05");
      const dates = new Proxy(url, { useDateTime: true });
      const [date] = await dates.callRemote<Date[]>("echo", new DateTime("20240102T03:04:05"));
      assert.equal(date.toISOString(), "2024-01-02T03:04:05.000Z");
      assert.equal(await proxy.callRemote("method"), "POST");
    } finally {
      await stop();
    }
  });

  it("answers faults, unknown procedures, failures, sub-handlers and introspection", async () => {
    const [url, stop] = await serve(new Service());
    try {
      const proxy = new Proxy(url);
      const fault = await failure(proxy.callRemote("fail"));
      assert.ok(fault instanceof Fault);
      assert.deepEqual([fault.faultCode, fault.faultString], [42, "no"]);
      assert.equal(((await failure(proxy.callRemote("nope"))) as Fault).faultCode, 8001);
      assert.equal(((await failure(proxy.callRemote("crash"))) as Fault).faultCode, 8002);
      assert.equal(flushLoggedErrors(TypeError).length, 1);
      assert.equal(await proxy.callRemote("math.mul", 6, 7), 42);
      const methods = await proxy.callRemote<string[]>("system.listMethods");
      assert.ok(methods.includes("add") && methods.includes("math.mul"), String(methods));
      assert.ok((await failure(proxy.callRemote("echo", null))) instanceof TypeError);
    } finally {
      await stop();
    }
  });

  it("refuses GET, malformed XML and DTDs; Proxy names an HTTP error", async () => {
    const root = new Resource();
    root.putChild("RPC2", new Service());
    const [url, stop] = await serve(root);
    try {
      assert.equal((await post(`${url}RPC2`, "", "GET"))[0], 405);
      const [code, body] = await post(`${url}RPC2`, "<methodCall><oops>");
      assert.equal(code, 200);
      assert.match(body, /<int>8002<\/int>/);
      const dtd = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><methodCall>' +
        "<methodName>add</methodName></methodCall>";
      assert.match((await post(`${url}RPC2`, dtd))[1], /DTD/);
      const missing = await failure(new Proxy(`${url}nowhere`).callRemote("add", 1, 2));
      assert.match(missing.message, /^404 /);
    } finally {
      await stop();
    }
  });
});

const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("xmlrpc_peer.py", import.meta.url));
const HAVE_TWISTED =
  spawnSync(PYTHON, ["-c", "import twisted.web.xmlrpc"], { stdio: "ignore" }).status === 0;
const SKIP = HAVE_TWISTED || process.env.CI === "true"
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted package";

describe("XML-RPC with Python", { skip: SKIP, timeout: 60_000 }, () => {
  for (const kind of ["stdlib-server", "twisted-server"]) {
    it(`our Proxy calls ${kind}`, { timeout: 30_000 }, async () => {
      const peer = new PortPeer();
      const transport = reactor.spawnProcess(peer, PYTHON, [PYTHON, PEER, kind]);
      try {
        const port = await peer.port.addTimeout(20, reactor);
        const proxy = new Proxy(`http://127.0.0.1:${port}/`, { allowNone: true });
        assert.equal(await proxy.callRemote("add", 2, 3), 5);
        const sent = ["é <&>", 1.5, [1, { a: null }], new Uint8Array([7])];
        const back = await proxy.callRemote<unknown[]>("echo", ...sent);
        assert.deepEqual(back.slice(0, 2), sent.slice(0, 2));
        assert.deepEqual(back[3], sent[3]);
        assert.deepEqual(await proxy.callRemote("kinds", 1, 2 ** 40, 1.5, 3n, "s"), [
          "int",
          "int",
          "float",
          "int",
          "str",
        ]);
        const fault = await failure(proxy.callRemote("fail"));
        assert.ok(fault instanceof Fault && fault.faultCode === 42, String(fault));
      } finally {
        transport.closeStdin();
        await peer.ended.addTimeout(20, reactor);
      }
    });
  }

  it("Python's xmlrpc.client calls our server", { timeout: 30_000 }, async () => {
    const [url, stop] = await serve(new Service());
    try {
      const peer = new PortPeer();
      reactor.spawnProcess(peer, PYTHON, [PYTHON, PEER, "client", url]);
      await peer.ended.addTimeout(20, reactor);
      const checks = peer.out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
      assert.deepEqual(checks.filter((c) => !c.ok), [], peer.err);
      assert.deepEqual(checks.map((c) => c.check), [
        "add",
        "echo",
        "fault",
        "not found",
        "sub handler",
        "introspection",
      ]);
    } finally {
      await stop();
    }
  });
});

describe("XML-RPC property", () => {
  it("any body gets a fault or an answer", async () => {
    const [url, stop] = await serve(new Service());
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 60 }),
            fc.constantFrom(
              "<methodCall>",
              "<methodCall><methodName>add</methodName><params><param><value><int>x</int></value></param></params></methodCall>",
              "<methodResponse/>",
            ),
          ),
          async (body) => {
            const [code, text] = await post(url, body);
            assert.equal(code, 200);
            assert.match(text, /<methodResponse>/);
          },
        ),
        { numRuns: 40 },
      );
      flushLoggedErrors();
    } finally {
      await stop();
    }
  });
});
