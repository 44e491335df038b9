// MXCalculator with a fake resolver, and sendmail over real sockets: MX routing (with
// failover to the next exchanger and the A/AAAA fallback) and cancellation.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  CancelledError,
  Factory,
  type IPv4Address,
  Protocol,
  reactor,
  succeed,
} from "../../mod.ts";
import { Clock, trackLeaks } from "../../src/testing/mod.ts";
import { DNSNameError, fail, Record_MX, RRHeader } from "./_names.ts";
import { MXCalculator, NullMXError, sendmail, SMTPFactory } from "../../src/mail/mod.ts";
import { RecordingDelivery } from "./_helpers.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const TLS_DIR = fileURLToPath(new URL("../fixtures/tls", import.meta.url));
const tls = (name: string): string => readFileSync(`${TLS_DIR}/${name}`, "utf8");

function resolver(table: Record<string, [number, string][] | "nx">) {
  return {
    lookupMailExchange(name: string) {
      const entry = table[name];
      if (entry === "nx") return fail(new DNSNameError(name));
      return succeed<[RRHeader[], RRHeader[], RRHeader[]]>([
        (entry ?? []).map(([p, h]) => new RRHeader({ name, payload: new Record_MX(p, h) })),
        [],
        [],
      ]);
    },
  };
}

describe("MXCalculator", () => {
  it("MXCalculator.getMXList() orders by preference and puts bad hosts last", async () => {
    const clock = new Clock();
    const mx = new MXCalculator(resolver({ "d.test": [[20, "b.test"], [10, "a.test"]] }), {
      clock,
      timeOutBadMX: 60,
    });
    assert.deepEqual(await mx.getMXList("d.test"), ["a.test", "b.test"]);
    mx.markBad("a.test");
    assert.deepEqual(await mx.getMXList("d.test"), ["b.test", "a.test"]);
    assert.equal(await mx.getMX("d.test"), "b.test");
    clock.advance(61);
    assert.deepEqual(await mx.getMXList("d.test"), ["a.test", "b.test"]);
  });

  it("MXCalculator falls back to the domain without MX, and refuses a null MX", async () => {
    const mx = new MXCalculator(resolver({ "null.test": [[0, "."]], "nx.test": "nx" }));
    assert.deepEqual(await mx.getMXList("plain.test"), ["plain.test"]);
    await assert.rejects(async () => await mx.getMXList("null.test"), NullMXError);
    await assert.rejects(async () => await mx.getMXList("nx.test"), DNSNameError);
  });
});

describe("sendmail over sockets", () => {
  it("sendmail(null) routes by MX, fails over to the next exchanger, and merges results", async () => {
    const delivery = new RecordingDelivery();
    const factory = new SMTPFactory({
      delivery,
      timeout: 30,
      tlsOptions: { cert: tls("server.pem"), key: tls("server.key") },
    });
    const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    await port.whenListening!();
    try {
      const p = (port.getHost() as IPv4Address).port;
      const result = await sendmail(
        null,
        "a@x.test",
        [
          "b@one.test",
          "c@127.0.0.1",
          "nobody@one.test",
        ],
        "Subject: mx\n\nhi\n",
        {
          port: p,
          resolver: resolver({ "one.test": [[20, "127.0.0.1"], [10, "127.0.0.3"]] }),
          tlsOptions: { ca: tls("ca.pem") },
        },
      );
      assert.equal(result[0], 2);
      assert.deepEqual(result[1].map(([a, c]) => [a, c]).sort(), [
        ["b@one.test", 250],
        ["c@127.0.0.1", 250],
        ["nobody@one.test", 550],
      ]);
      assert.deepEqual(delivery.delivered.map((m) => m.to).sort(), ["b@one.test", "c@127.0.0.1"]);
    } finally {
      await port.stopListening();
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it("sendmail() is cancellable while the server says nothing", async () => {
    const silent = new Factory();
    silent.protocol = Protocol;
    const port = reactor.listenTCP(0, silent, { interface: "127.0.0.1" });
    await port.whenListening!();
    try {
      const d = sendmail("127.0.0.1", "a@x.test", "b@y.test", "hi\n", {
        port: (port.getHost() as IPv4Address).port,
      });
      await new Promise((r) => setTimeout(r, 100));
      d.cancel();
      await assert.rejects(async () => await d, CancelledError);
    } finally {
      await port.stopListening();
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
