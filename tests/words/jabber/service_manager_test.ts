// component.buildServiceManager over a real loopback socket to our own router: Service
// children hear connected / authenticated / disconnected, sends queue until authenticated,
// and stopService closes the connection.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Deferred, type IPv4Address, reactor } from "../../../mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { component, type xmlstream } from "../../../src/words/jabber/mod.ts";
import { domish } from "../../../src/words/xish/mod.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

describe("component.buildServiceManager", () => {
  it("connects, authenticates, routes and stops", async () => {
    const router = new component.Router();
    const server = new component.XMPPComponentServerFactory(router, "s3cret");
    server.noisy = false;
    const port = reactor.listenTCP(0, server, { interface: "127.0.0.1" });
    await port.whenListening?.();
    const portNumber = (port.getHost() as IPv4Address).port;
    try {
      const events: string[] = [];
      const authd = new Deferred<void>();
      const disconnected = new Deferred<void>();
      class Recorder extends component.Service {
        override transportConnected(): void {
          events.push("transport");
        }
        override componentConnected(xs: xmlstream.XmlStream): void {
          events.push("connected");
          xs.addObserver("/message", (m: domish.Element) => events.push(String(m.child("body"))));
          authd.callback(undefined);
        }
        override componentDisconnected(): void {
          events.push("disconnected");
          disconnected.callback(undefined);
        }
      }
      const a = component.buildServiceManager(
        "a.localhost",
        "s3cret",
        `tcp:127.0.0.1:${portNumber}`,
        reactor,
      );
      const recorder = new Recorder();
      recorder.setServiceParent(a);
      const b = component.buildServiceManager(
        "b.localhost",
        "s3cret",
        `tcp:127.0.0.1:${portNumber}`,
        reactor,
      );
      const bGot = new Deferred<string>();
      const bAuthd = new Deferred<void>();
      b.addObserver("//event/stream/authd", (xs: xmlstream.XmlStream) => {
        xs.addObserver("/message", (m: domish.Element) => bGot.callback(String(m.child("body"))));
        bAuthd.callback(undefined);
      });
      await b.startService();
      await bAuthd.addTimeout(10, reactor);
      // sent before a is even started: queued, then delivered to b once a is authenticated
      const m = new domish.Element([null, "message"]);
      m.setAttribute("from", "x@a.localhost");
      m.setAttribute("to", "y@b.localhost");
      m.addElement("body", null, "via service manager");
      recorder.send(m);
      await a.startService();
      await authd.addTimeout(10, reactor);
      assert.equal(await bGot.addTimeout(10, reactor), "via service manager");
      await a.stopService();
      await disconnected.addTimeout(10, reactor);
      await b.stopService();
      assert.deepEqual(events, ["transport", "connected", "disconnected"]);
    } finally {
      await port.stopListening();
    }
  });
});
