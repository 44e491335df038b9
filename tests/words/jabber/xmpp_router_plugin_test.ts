// The `tw xmpp-router` plugin on a MemoryReactor: Twisted's defaults (tcp:5347 on 127.0.0.1,
// secret "secret"), --port / --secret / -v, the factory it listens with, and the lazy entry
// the `tw` command lists.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Options, XMPP_ROUTER_DEFAULT_PORT, xmppRouterPlugin } from "../../../src/cli/mod.ts";
import { lazyBuiltinPlugins } from "../../../src/cli/plugins/_builtin.ts";
import type { IService } from "../../../src/application/mod.ts";
import type { Reactor } from "../../../src/internet/reactor.ts";
import { MemoryReactorClock } from "../../../src/testing/mod.ts";
import { component } from "../../../src/words/jabber/mod.ts";

async function started(argv: string[]) {
  const memory = new MemoryReactorClock();
  const options: Options = new xmppRouterPlugin.options();
  options.parseOptions(argv);
  const context = { reactor: memory as unknown as Reactor, cwd: "/srv" };
  const service = await xmppRouterPlugin.makeService(options, context) as IService;
  await service.startService();
  return { memory, service };
}

describe("tw xmpp-router", () => {
  it("listens on tcp:5347 on 127.0.0.1 with the secret 'secret' by default", async () => {
    assert.equal(XMPP_ROUTER_DEFAULT_PORT, "tcp:5347:interface=127.0.0.1");
    const { memory, service } = await started([]);
    assert.equal(memory.tcpServers.length, 1);
    const [port, factory, , iface] = memory.tcpServers[0];
    assert.equal(port, 5347);
    assert.equal(iface, "127.0.0.1");
    assert.ok(factory instanceof component.XMPPComponentServerFactory);
    assert.equal(factory.secret, "secret");
    assert.equal(factory.logTraffic, false);
    await service.stopService();
  });

  it("takes --port, --secret and -v", async () => {
    const { memory, service } = await started(["--port", "tcp:6000", "--secret", "s3cret", "-v"]);
    const [port, factory] = memory.tcpServers[0];
    assert.equal(port, 6000);
    assert.equal((factory as component.XMPPComponentServerFactory).secret, "s3cret");
    assert.equal((factory as component.XMPPComponentServerFactory).logTraffic, true);
    await service.stopService();
  });

  it("is listed lazily with the same description", async () => {
    const lazy = lazyBuiltinPlugins.find((p) => p.tapname === "xmpp-router");
    assert.ok(lazy);
    assert.equal(lazy.description, xmppRouterPlugin.description);
    assert.equal(await (lazy as unknown as { load(): Promise<unknown> }).load(), xmppRouterPlugin);
    const options: Options = new lazy.options();
    options.parseOptions(["--secret", "x"]);
    assert.equal(options.opts.secret, "x");
  });
});
