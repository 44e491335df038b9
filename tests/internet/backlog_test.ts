// The listen backlog a port asks for is the one the kernel uses (`ss -ltn`
// shows it as Send-Q): 511 by default, Node's. Bun always uses 512.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { Factory, type IPv4Address, Protocol, reactor } from "../../mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

const ss = ["/usr/bin/ss", "/bin/ss", "/usr/sbin/ss", "/sbin/ss"].find((path) => existsSync(path));
const linux = process.platform === "linux";
const skip = !linux
  ? "the backlog is read with ss, on Linux only"
  : ss === undefined && process.env.CI !== "true"
  ? "ss not found: install Debian's iproute2"
  : false;

/** The backlog the kernel reports for the listening socket on `port`. */
function kernelBacklog(port: number): number {
  const out = execFileSync(ss ?? "ss", ["-ltnH", `sport = :${port}`]).toString().trim();
  const columns = out.split(/\s+/);
  assert.equal(columns[0], "LISTEN", out);
  return Number(columns[2]);
}

describe("the listen backlog", { skip }, () => {
  const somaxconn = linux ? Number(readFileSync("/proc/sys/net/core/somaxconn", "utf8")) : 0;
  const expected = (asked: number): number =>
    reactor.runtime.name === "bun" || "Bun" in globalThis ? 512 : Math.min(asked, somaxconn);

  it("is 511 by default, and the one asked for otherwise", async () => {
    const factory = Factory.forProtocol(Protocol);
    const byDefault = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
    const asked = reactor.listenTCP(0, factory, { interface: "127.0.0.1", backlog: 77 });
    try {
      await byDefault.whenListening();
      await asked.whenListening();
      assert.equal(kernelBacklog((byDefault.getHost() as IPv4Address).port), expected(511));
      assert.equal(kernelBacklog((asked.getHost() as IPv4Address).port), expected(77));
    } finally {
      await byDefault.stopListening();
      await asked.stopListening();
    }
  });
});
