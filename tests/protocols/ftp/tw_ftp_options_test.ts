// `tw ftp` in this process: its options (twistd ftp's names and ours), the endpoints it
// listens on, the factory's settings, and the errors at start (a missing root, an
// unreadable password file or certificate), on a MemoryReactor.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reactor } from "../../../mod.ts";
import type { IService, MultiService } from "../../../src/application/mod.ts";
import {
  ftpPlugin,
  type ListeningService,
  type Options,
  UsageError,
} from "../../../src/cli/mod.ts";
import type { Reactor } from "../../../src/internet/reactor.ts";
import { MemoryReactorClock, trackLeaks } from "../../../src/testing/mod.ts";
import type { FTPFactory } from "../../../src/protocols/ftp/mod.ts";

trackLeaks({ beforeEach, afterEach });

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tw-ftp-opts-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function parsed(argv: string[]): Options {
  const options = new ftpPlugin.options();
  options.parseOptions(argv);
  return options;
}

/** The service's endpoints and factory (made on a MemoryReactor, not started). */
async function made(argv: string[]): Promise<{ listen: string[]; factory: FTPFactory }> {
  const memory = new MemoryReactorClock();
  // The file system is the real one (the root must exist).
  Object.defineProperty(memory, "runtime", { value: reactor.runtime });
  const context = { reactor: memory as unknown as Reactor, cwd: dir };
  const tree = await ftpPlugin.makeService(parsed(argv), context) as MultiService;
  const services = [...tree].map((s: IService) => s as ListeningService);
  return {
    listen: services.map((s) => s.description),
    factory: (services[0] as unknown as { factory: FTPFactory }).factory,
  };
}

describe("tw ftp options", () => {
  it("listens on 2121 by default; --port replaces it, --listen adds to an explicit --port", async () => {
    assert.deepEqual((await made(["-r", dir])).listen, ["tcp:2121"]);
    assert.deepEqual((await made(["-r", dir, "-p", "2200"])).listen, ["tcp:2200"]);
    assert.deepEqual((await made(["-r", dir, "--interface", "::1"])).listen, [
      "tcp:2121:interface=\\:\\:1",
    ]);
    assert.deepEqual((await made(["-r", dir, "--listen", "tcp6:2121:interface=\\:\\:1"])).listen, [
      "tcp6:2121:interface=\\:\\:1",
    ]);
    assert.deepEqual(
      (await made(["-r", dir, "--listen", "tcp:3000", "-p", "2121", "--interface", "127.0.0.1"]))
        .listen,
      ["tcp:3000", "tcp:2121:interface=127.0.0.1"],
    );
    assert.deepEqual((await made(["-r", dir, "-p", "tcp:2300:interface=127.0.0.1"])).listen, [
      "tcp:2300:interface=127.0.0.1",
    ]);
  });

  it("gives the factory twistd's defaults and the settings asked for", async () => {
    const plain = (await made(["-r", dir])).factory;
    assert.equal(plain.userAnonymous, "anonymous");
    assert.equal(plain.timeOut, 600);
    assert.deepEqual(plain.passivePortRange, [0, 0]);
    assert.equal(plain.tls, null);
    assert.equal(plain.requireTLS, false);
    writeFileSync(join(dir, "cert.pem"), "CERT");
    writeFileSync(join(dir, "key.pem"), "KEY");
    const set = (await made([
      "-r",
      dir,
      "--userAnonymous",
      "guest",
      "--timeout",
      "30",
      "--passive-ports",
      "50000-50010",
      "--passive-address",
      "203.0.113.9",
      "--certificate",
      "cert.pem",
      "--privkey",
      "key.pem",
      "--require-tls",
      "--max-connections",
      "5",
    ])).factory;
    assert.equal(set.userAnonymous, "guest");
    assert.equal(set.timeOut, 30);
    assert.deepEqual(set.passivePortRange, [50000, 50010]);
    assert.equal(set.passiveAddress, "203.0.113.9");
    assert.deepEqual(set.tls, { cert: "CERT", key: "KEY" });
    assert.equal(set.requireTLS, true);
    assert.equal(set.maxConnections, 5);
  });

  it("refuses bad option values and combinations", () => {
    assert.throws(() => parsed(["--passive-ports", "50000"]), /port range/);
    assert.throws(() => parsed(["--passive-ports", "6000-5000"]), /port range/);
    assert.throws(() => parsed(["--port", "70000"]), /not in 0\.\.65535/);
    assert.throws(() => parsed(["--port", "ftp"]), /not a port number or an endpoint/);
    assert.throws(() => parsed(["--timeout", "-1"]), UsageError);
    assert.throws(() => parsed(["--auth", "memory:a:b"]), /file:PATH/);
    assert.throws(() => parsed(["--certificate", "c.pem"]), /go together/);
    assert.throws(() => parsed(["--require-tls"]), /needs --certificate/);
    assert.throws(() => parsed(["--passive-address", "::1"]), /not an IPv4 address/);
  });

  it("fails at start on a missing root, password file or certificate, naming it", async () => {
    await assert.rejects(made(["-r", join(dir, "nope")]), {
      message: `Cannot serve ${join(dir, "nope")}: no such directory`,
    });
    writeFileSync(join(dir, "file"), "x");
    await assert.rejects(made(["-r", join(dir, "file")]), /not a directory/);
    await assert.rejects(made(["-r", dir, "--auth", "file:missing"]), /Cannot read password file/);
    await assert.rejects(made(["-r", dir, "--password-file", "missing"]), /Cannot read password/);
    await assert.rejects(
      made(["-r", dir, "--certificate", "no.pem", "--privkey", "no.key"]),
      /Cannot read certificate/,
    );
  });
});
