import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  builtinPlugins,
  Echo,
  echoPlugin,
  escapeEndpointValue,
  formatAddress,
  inetdPlugin,
  type IServiceMaker,
  listenDescriptions,
  ListeningService,
  moduleURL,
  type Options,
  PluginRegistry,
  portforwardPlugin,
  procmonPlugin,
  serviceMakersOf,
  socksPlugin,
  UsageError,
  webPlugin,
} from "../../src/cli/mod.ts";
import { MultiService } from "../../src/application/mod.ts";
import { IPv4Address, IPv6Address, UNIXAddress } from "../../src/internet/address.ts";
import { ProxyFactory } from "../../src/protocols/portforward.ts";
import { SOCKSFactory } from "../../src/protocols/socks.ts";
import type { Reactor } from "../../src/internet/reactor.ts";
import { MemoryReactorClock, StringTransport, trackLeaks } from "../../src/testing/mod.ts";
import { Site } from "../../src/web/server.ts";
import { InetdFactory } from "../../src/cli/_inetd.ts";
import { ProcessMonitor } from "../../src/cli/_procmon.ts";
import { reactor } from "../../mod.ts";

trackLeaks({ beforeEach, afterEach });

function parsed(maker: IServiceMaker, argv: string[]): Options {
  const options = new maker.options();
  options.parseOptions(argv);
  return options;
}

/** Makes the plugin's service on a MemoryReactor and starts it. */
async function started(
  maker: IServiceMaker,
  argv: string[],
): Promise<{ memory: MemoryReactorClock; service: MultiService }> {
  const memory = new MemoryReactorClock();
  const context = { reactor: memory as unknown as Reactor, cwd: "/srv" };
  const service = await maker.makeService(parsed(maker, argv), context) as MultiService;
  await service.startService();
  return { memory, service };
}

describe("built-in plugins", () => {
  it("are the built-in plugins, each described", () => {
    assert.deepEqual(
      builtinPlugins.map((p) => p.tapname).sort(),
      [
        "cftp",
        "ckeygen",
        "conch",
        "dns",
        "echo",
        "ftp",
        "inetd",
        "mail",
        "manhole",
        "portforward",
        "procmon",
        "socks",
        "trial",
        "web",
        "words",
        "xmpp-router",
      ],
    );
    for (const plugin of builtinPlugins) assert.ok(plugin.description.length > 10);
  });

  it("echo listens on tcp:8007 by default and echoes", async () => {
    const { memory, service } = await started(echoPlugin, []);
    assert.equal(memory.tcpServers.length, 1);
    const [port, factory] = memory.tcpServers[0];
    assert.equal(port, 8007);
    const protocol = factory.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 5000))!;
    assert.ok(protocol instanceof Echo);
    const transport = new StringTransport();
    protocol.makeConnection(transport);
    protocol.dataReceived(new TextEncoder().encode("abc"));
    assert.equal(new TextDecoder().decode(transport.value()), "abc");
    await service.stopService();
  });

  it("echo listens on every --listen plus --port", async () => {
    const { memory, service } = await started(echoPlugin, [
      "--listen",
      "tcp:7001:interface=127.0.0.1",
      "-l",
      "tcp:7002",
      "--port",
      "7003",
    ]);
    assert.deepEqual(memory.tcpServers.map(([port, , , iface]) => [port, iface]), [
      [7001, "127.0.0.1"],
      [7002, ""],
      [7003, ""],
    ]);
    await service.stopService();
  });

  it("a bad endpoint description is a usage error", async () => {
    const memory = new MemoryReactorClock();
    const context = { reactor: memory as unknown as Reactor, cwd: "/" };
    await assert.rejects(
      async () => await echoPlugin.makeService(parsed(echoPlugin, ["-l", "tcp:port"]), context),
      (error: unknown) =>
        error instanceof UsageError && /Invalid endpoint "tcp:port"/.test(error.message),
    );
  });

  it("portforward needs --dest_port and relays with ProxyFactory", async () => {
    assert.throws(() => parsed(portforwardPlugin, ["--port", "80"]), /--dest_port is required/);
    assert.throws(
      () => parsed(portforwardPlugin, ["--dest_port", "80"]),
      /Give --port or --listen/,
    );
    const { memory, service } = await started(portforwardPlugin, [
      "-p",
      "8000",
      "-h",
      "example.org",
      "-d",
      "80",
    ]);
    const [port, factory] = memory.tcpServers[0];
    assert.equal(port, 8000);
    assert.ok(factory instanceof ProxyFactory);
    assert.equal(factory.host, "example.org");
    assert.equal(factory.port, 80);
    await service.stopService();
  });

  it("web serves a Site on tcp:8080 by default", async () => {
    const { memory, service } = await started(webPlugin, []);
    assert.equal(memory.tcpServers[0][0], 8080);
    assert.ok(memory.tcpServers[0][1] instanceof Site);
    await service.stopService();
  });

  it("web applies --interface to --port and to the default", async () => {
    const { memory, service } = await started(webPlugin, ["--interface", "127.0.0.1"]);
    assert.deepEqual([memory.tcpServers[0][0], memory.tcpServers[0][3]], [8080, "127.0.0.1"]);
    await service.stopService();
    // -l is the access log in twistd web: --listen has no short form.
    const two = await started(webPlugin, ["-p", "81", "--listen", "tcp:82", "--interface", "::1"]);
    assert.deepEqual(two.memory.tcpServers.map((s) => [s[0], s[3]]), [[82, ""], [81, "::1"]]);
    await two.service.stopService();
  });

  it("web checks --https, --certificate, --privkey and --auth combinations", () => {
    assert.throws(() => parsed(webPlugin, ["--https", "443"]), /--https needs --certificate/);
    assert.throws(() => parsed(webPlugin, ["--privkey", "k"]), /need --https/);
    assert.throws(() => parsed(webPlugin, ["--auth", "ldap:x"]), /Unknown --auth checker/);
  });

  it("socks listens on 127.0.0.1:1080 by default", async () => {
    const { memory, service } = await started(socksPlugin, []);
    const [port, factory, , iface] = memory.tcpServers[0];
    assert.equal(port, 1080);
    assert.equal(iface, "127.0.0.1");
    assert.ok(factory instanceof SOCKSFactory);
    assert.equal((factory as SOCKSFactory).checkPassword, null);
    await service.stopService();
    const other = await started(socksPlugin, ["--port", "1081", "--interface", "::1"]);
    assert.deepEqual([other.memory.tcpServers[0][0], other.memory.tcpServers[0][3]], [1081, "::1"]);
    await other.service.stopService();
  });

  it("inetd pairs --listen with --command", async () => {
    assert.throws(() => parsed(inetdPlugin, ["--listen", "tcp:7"]), /one --command per --listen/);
    assert.throws(() => parsed(inetdPlugin, []), /Give --listen and --command, or --config/);
    assert.throws(
      () => parsed(inetdPlugin, ["-l", "tcp:7", "-c", "'unterminated"]),
      /Invalid value for --command: Unterminated ' quote/,
    );
    const { memory, service } = await started(inetdPlugin, [
      "-l",
      "tcp:7007",
      "-c",
      "cat -n",
      "-l",
      "tcp:7008",
      "-c",
      "wc -l",
    ]);
    const commands = memory.tcpServers.map(([port, f]) => [port, (f as InetdFactory).command]);
    assert.deepEqual(commands, [[7007, ["cat", "-n"]], [7008, ["wc", "-l"]]]);
    await service.stopService();
  });

  it("procmon takes the program after its options, untouched", async () => {
    const options = parsed(procmonPlugin, ["--threshold", "2", "node", "app.js", "--port", "1"]);
    assert.deepEqual(options.opts.command, ["node", "app.js", "--port", "1"]);
    assert.equal(options.opts.threshold, 2);
    assert.throws(() => parsed(procmonPlugin, []), /Give a program to run, or --config/);
    const memory = new MemoryReactorClock();
    const monitor = await procmonPlugin.makeService(options, {
      reactor: memory as unknown as Reactor,
      cwd: "/",
    }) as ProcessMonitor;
    assert.ok(monitor instanceof ProcessMonitor);
    assert.deepEqual(monitor.processes, ["node"]);
    assert.equal(monitor.threshold, 2);
  });
});

describe("ListeningService", () => {
  it("logs the bound address and fails startup with the listen error", async () => {
    const busy = await reactor.listenTCP(0, new InetdFactory(["cat"], { reactor }), {
      interface: "127.0.0.1",
    }).whenListening();
    const port = (busy.getHost() as IPv4Address).port;
    const service = new ListeningService(
      reactor,
      `tcp:${port}:interface=127.0.0.1`,
      new InetdFactory(["cat"], { reactor }),
    );
    try {
      await assert.rejects(
        async () => await service.startService(),
        (error: unknown) =>
          String(error).includes(`Cannot listen on 127.0.0.1:${port}: address in use`),
      );
    } finally {
      await service.stopService();
      await busy.stopListening();
    }
  });
});

describe("helpers", () => {
  it("formatAddress writes host:port, [v6]:port and Unix paths", () => {
    assert.equal(formatAddress(new IPv4Address("TCP", "127.0.0.1", 80)), "127.0.0.1:80");
    assert.equal(formatAddress(new IPv6Address("TCP", "::1", 80)), "[::1]:80");
    assert.equal(formatAddress(new UNIXAddress("/tmp/s")), "/tmp/s");
  });

  it("listenDescriptions adds --port to --listen, else the fallback", () => {
    assert.deepEqual(listenDescriptions({ listen: [], port: undefined }, "tcp:1"), ["tcp:1"]);
    assert.deepEqual(listenDescriptions({ listen: ["unix:/s"], port: 2 }, "tcp:1"), [
      "unix:/s",
      "tcp:2",
    ]);
  });

  it("escapeEndpointValue escapes colons, equals signs and backslashes", () => {
    assert.equal(escapeEndpointValue("C:\\keys\\a=b.pem"), "C\\:\\\\keys\\\\a\\=b.pem");
  });

  it("moduleURL keeps URLs and resolves paths against a directory", () => {
    assert.equal(moduleURL("https://example.org/p.ts", "/srv"), "https://example.org/p.ts");
    assert.equal(moduleURL("./p.ts", "/srv/app"), "file:///srv/app/p.ts");
    assert.equal(moduleURL("../p.ts", "/srv/app/"), "file:///srv/p.ts");
    assert.equal(moduleURL("/abs/p.ts", "/srv"), "file:///abs/p.ts");
    assert.equal(moduleURL("jsr:@scope/plugin", "/srv"), "jsr:@scope/plugin");
  });
});

describe("PluginRegistry", () => {
  const maker = (tapname: string): IServiceMaker => ({
    tapname,
    description: "test",
    options: echoPlugin.options,
    makeService: () => new MultiService(),
  });

  it("lists plugins sorted and lets a later one replace a built-in", () => {
    const registry = new PluginRegistry([maker("web"), maker("echo")]);
    assert.deepEqual(registry.list().map((m) => m.tapname), ["echo", "web"]);
    const mine = maker("web");
    registry.register(mine);
    assert.equal(registry.get("web"), mine);
  });

  it("refuses names that cannot be typed as a command word", () => {
    assert.throws(() => new PluginRegistry([maker("--x")]), TypeError);
    assert.throws(() => new PluginRegistry([maker("a b")]), TypeError);
  });

  it("finds service makers in serviceMaker, serviceMakers and default exports", () => {
    const a = maker("a");
    const b = maker("b");
    const c = maker("c");
    assert.deepEqual(serviceMakersOf({ serviceMaker: a, default: a, serviceMakers: [b, c, 1] }), [
      a,
      b,
      c,
    ]);
    assert.deepEqual(serviceMakersOf({ other: a, default: { tapname: "x" } }), []);
  });

  it("loads a plugin module by path and names a module without plugins", async () => {
    const registry = new PluginRegistry();
    const dir = new URL("./fixtures/", import.meta.url).pathname;
    const loaded = await registry.load("hello_plugin.ts", dir);
    assert.deepEqual(loaded.map((m) => m.tapname), ["hello"]);
    assert.ok(registry.get("hello"));
    await assert.rejects(() => registry.load("app.ts", dir), /exports no service maker/);
    await assert.rejects(
      () => registry.load("missing.ts", dir),
      /Cannot load plugin module missing\.ts/,
    );
  });
});
