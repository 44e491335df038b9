// The `tw` command's options and built-in plugins, run as a real program on
// the runtime running this file (command_test.ts covers all three runtimes
// for the basic lifecycle).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Factory, type IListeningPort, Protocol, reactor } from "../../mod.ts";
import { writePasswordFile } from "../../src/cred/mod.ts";
import { Site } from "../../src/web/server.ts";
import { Data } from "../../src/web/static.ts";
import { VERSION } from "../../src/cli/mod.ts";
import { CURRENT, exec, ROOT, runToEnd, start, talk, tempDir, terminate } from "./_program.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

/** The file's text, or "" while it does not exist. */
function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

const fixture = (name: string): string => join(ROOT, "tests/cli/fixtures", name);
const LOCAL = "tcp:0:interface=127.0.0.1";

class EchoBack extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }
}

async function listenLocal(factory: Factory): Promise<[IListeningPort, number]> {
  factory.noisy = false;
  const port = await reactor.listenTCP(0, factory, { interface: "127.0.0.1" }).whenListening();
  return [port, (port.getHost() as { port: number }).port];
}

describe(`tw options on ${CURRENT}`, { timeout: 120_000 }, () => {
  it("--version prints the package version", async () => {
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    assert.equal(VERSION, deno.version);
    const program = await runToEnd(CURRENT, ["--version"]);
    assert.equal(program.exitCode, 0);
    assert.equal(program.out, `tw (@tw/core) ${VERSION}\n`);
  });

  it("the @tw/core/cli entry run as a program is the command", { timeout: 60_000 }, async () => {
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    const script = join(ROOT, deno.exports["./cli"]);
    const [program, transport] = start(CURRENT, ["echo", "--listen", LOCAL], undefined, script);
    try {
      const port = await program.port();
      assert.equal(await talk(port, "direct\n", /direct\n/), "direct\n");
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("--runtime names the adapter and the runtime's version", async () => {
    const program = await runToEnd(CURRENT, ["--runtime"]);
    assert.equal(program.exitCode, 0);
    assert.match(program.out, new RegExp(`^${CURRENT} adapter on (Deno|Bun|Node) \\d+\\.\\d+`));
  });

  it("--help lists every plugin with its description; PLUGIN --help its options", async () => {
    const program = await runToEnd(CURRENT, ["--help"]);
    assert.equal(program.exitCode, 0);
    for (const name of ["dns", "echo", "inetd", "mail", "portforward", "procmon", "socks", "web"]) {
      assert.match(program.out, new RegExp(`^  ${name} +\\S`, "m"));
    }
    assert.match(program.out, /--pidfile PIDFILE/);
    const web = await runToEnd(CURRENT, ["web", "--help"]);
    assert.equal(web.exitCode, 0);
    assert.match(web.out, /^Usage: tw web \[options\]/);
    assert.match(web.out, /--path DIR/);
  });

  it("no plugin and no -y is a usage error (exit 2)", async () => {
    const program = await runToEnd(CURRENT, []);
    assert.equal(program.exitCode, 2);
    assert.match(
      program.err,
      /^tw: No plugin given: name one of (\w+, )*dns, echo, .*, or use -y app\.ts/,
    );
    assert.equal(program.err.split("\n").length, 2, "one line");
  });

  it("a bad value names the option", async () => {
    const program = await runToEnd(CURRENT, ["echo", "--port", "http"]);
    assert.equal(program.exitCode, 2);
    assert.equal(
      program.err,
      'tw: Invalid value for --port: "http" is not an integer (see tw echo --help)\n',
    );
  });

  it("-y runs the application a module exports", { timeout: 60_000 }, async () => {
    const [program, transport] = start(CURRENT, ["-y", "tests/cli/fixtures/app.ts"]);
    try {
      const port = await program.port();
      assert.equal(await talk(port, "app\n", /app\n/), "app\n");
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("-y with a missing module fails startup (exit 1) with one line", async () => {
    const program = await runToEnd(CURRENT, ["-y", "tests/cli/fixtures/missing.ts"]);
    assert.equal(program.exitCode, 1);
    assert.match(
      program.err,
      /^tw: Cannot load application module tests\/cli\/fixtures\/missing\.ts: .+\n$/,
    );
  });

  it("--plugin, --config and TW_PLUGINS load user plugins", { timeout: 60_000 }, async () => {
    const ways: [string[], Record<string, string> | undefined][] = [
      [["--plugin", "tests/cli/fixtures/hello_plugin.ts"], undefined],
      [["--config", "tests/cli/fixtures/tw.json"], undefined],
      [[], { ...process.env as Record<string, string>, TW_PLUGINS: fixture("hello_plugin.ts") }],
    ];
    for (const [options, env] of ways) {
      const [program, transport] = start(CURRENT, [...options, "hello", "--greeting", "hi"], env);
      try {
        const port = await program.port();
        assert.equal(await talk(port, "", /hi\n/), "hi\n");
        await terminate(program, transport);
        assert.equal(program.exitCode, 0, program.err);
      } finally {
        await terminate(program, transport);
      }
    }
  });

  it("a plugin module that cannot load fails with one line (exit 1)", async () => {
    const program = await runToEnd(CURRENT, ["--plugin", "./nope.ts", "echo"]);
    assert.equal(program.exitCode, 1);
    assert.match(program.err, /^tw: Cannot load plugin module \.\/nope\.ts: .+\n$/);
  });

  it("SIGINT stops it cleanly too", { timeout: 60_000 }, async () => {
    const [program, transport] = start(CURRENT, ["echo", "--listen", LOCAL]);
    try {
      await program.port();
      transport.signalProcess("INT");
      await program.ended.addTimeout(20, reactor);
      assert.equal(program.exitCode, 0, program.err);
      assert.match(program.out, /Received SIGINT, shutting down/);
    } finally {
      await terminate(program, transport);
    }
  });

  it("--rundir changes directory before starting; --umask sets the file mode mask", {
    timeout: 60_000,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const log = join(dir, "tw.log");
    const [program, transport] = start(CURRENT, [
      "--rundir",
      dir,
      "--umask",
      "077",
      "--logfile",
      log,
      "inetd",
      "--listen",
      LOCAL,
      "--command",
      "pwd",
    ]);
    try {
      let port = 0;
      for (let i = 0; i < 200 && port === 0; i++) {
        await new Promise<void>((resolve) => reactor.callLater(0.05, () => resolve()));
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(readText(log));
        if (m) port = Number(m[1]);
      }
      assert.ok(port > 0, "the log file names the port");
      const out = await talk(port, "", /\n/);
      assert.equal(realpathSync(out.trim()), realpathSync(dir));
      assert.equal(statSync(log).mode & 0o777, 0o600);
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
      cleanup();
    }
  });

  it("--logfile with --log-format json writes JSON lines to the file", {
    timeout: 60_000,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const log = join(dir, "tw.log");
    const [program, transport] = start(CURRENT, [
      "--logfile",
      log,
      "--log-format",
      "json",
      "echo",
      "--listen",
      LOCAL,
    ]);
    try {
      let port = 0;
      for (let i = 0; i < 200 && port === 0; i++) {
        await new Promise<void>((resolve) => reactor.callLater(0.05, () => resolve()));
        const text = readText(log);
        for (const line of text.split("\n").filter((l) => l !== "")) {
          const event = JSON.parse(line);
          if (typeof event.address === "string" && event.log_format?.includes("listening on")) {
            port = Number(event.address.split(":")[1]);
          }
        }
      }
      assert.ok(port > 0, "the log file names the port");
      assert.equal(await talk(port, "x", /x/), "x");
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
      assert.equal(program.out, "", "nothing goes to stdout");
      assert.match(readFileSync(log, "utf8"), /"log_namespace":"reactor"/);
    } finally {
      await terminate(program, transport);
      cleanup();
    }
  });
});

describe(`tw plugins on ${CURRENT}`, { timeout: 180_000 }, () => {
  it(
    "web --path serves a directory; a missing one fails startup",
    { timeout: 60_000 },
    async () => {
      const [dir, cleanup] = tempDir();
      mkdirSync(join(dir, "sub"));
      writeFileSync(join(dir, "sub", "hello.txt"), "hello from disk\n");
      const [program, transport] = start(CURRENT, ["web", "--listen", LOCAL, "--path", dir]);
      try {
        const port = await program.port();
        const response = await fetch(`http://127.0.0.1:${port}/sub/hello.txt`);
        assert.equal(response.status, 200);
        assert.equal(await response.text(), "hello from disk\n");
        const missing = await fetch(`http://127.0.0.1:${port}/nothing`);
        assert.equal(missing.status, 404);
        await missing.body?.cancel();
        await terminate(program, transport);
        assert.equal(program.exitCode, 0, program.err);
      } finally {
        await terminate(program, transport);
        cleanup();
      }
      const bad = await runToEnd(CURRENT, ["web", "--listen", LOCAL, "--path", join(dir, "gone")]);
      assert.equal(bad.exitCode, 1);
      assert.equal(bad.err, `tw: Cannot serve ${join(dir, "gone")}: no such file or directory\n`);
    },
  );

  it("web --https serves over TLS with --certificate and --privkey", {
    timeout: 60_000,
  }, async () => {
    const tls = join(ROOT, "tests/fixtures/tls");
    const [program, transport] = start(CURRENT, [
      "web",
      "--interface",
      "127.0.0.1",
      "--https",
      "0",
      "--certificate",
      join(tls, "server.pem"),
      "--privkey",
      join(tls, "server.key"),
    ]);
    try {
      const port = await program.port();
      const result = await exec([
        "curl",
        "-sS",
        "--max-time",
        "10",
        "--cacert",
        join(tls, "ca.pem"),
        `https://localhost:${port}/`,
      ]);
      assert.equal(result.code, 0, result.err);
      assert.match(result.out, /It works/);
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("web --auth asks for Basic credentials checked against a password file", {
    timeout: 60_000,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const passwords = join(dir, "passwords");
    await writePasswordFile(reactor.runtime, passwords, { alice: "secret" }, { iterations: 1000 });
    const [program, transport] = start(CURRENT, [
      "web",
      "--listen",
      LOCAL,
      "--auth",
      `file:${passwords}`,
    ]);
    try {
      const port = await program.port();
      const url = `http://127.0.0.1:${port}/`;
      const anonymous = await fetch(url);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic realm="tw web"/);
      await anonymous.body?.cancel();
      const wrong = await fetch(url, { headers: { authorization: `Basic ${btoa("alice:nope")}` } });
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();
      const right = await fetch(url, {
        headers: { authorization: `Basic ${btoa("alice:secret")}` },
      });
      assert.equal(right.status, 200);
      assert.match(await right.text(), /It works/);
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
      cleanup();
    }
  });

  it("portforward relays to the destination", { timeout: 60_000 }, async () => {
    const [backend, backendPort] = await listenLocal(Factory.forProtocol(EchoBack));
    const [program, transport] = start(CURRENT, [
      "portforward",
      "--listen",
      LOCAL,
      "--host",
      "127.0.0.1",
      "--dest_port",
      String(backendPort),
    ]);
    try {
      const port = await program.port();
      assert.equal(await talk(port, "through\n", /through\n/), "through\n");
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
      await backend.stopListening();
    }
  });

  it("inetd runs the command per connection with stdio wired to the socket", {
    timeout: 60_000,
  }, async () => {
    const [program, transport] = start(CURRENT, [
      "inetd",
      "--listen",
      LOCAL,
      "--command",
      `sh -c 'read line; echo "got: $line"; cat'`,
    ]);
    try {
      const port = await program.port();
      // A process per connection: each one answers its own first line.
      assert.equal(await talk(port, "one\nmore\n", /more\n/), "got: one\nmore\n");
      assert.equal(await talk(port, "two\n", /got: two\n/), "got: two\n");
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("procmon logs its processes' lines and restarts them", { timeout: 60_000 }, async () => {
    const node = join(ROOT, "node_modules/.bin/node");
    const [program, transport] = start(CURRENT, [
      "procmon",
      "--minrestartdelay",
      "0.1",
      node,
      "-e",
      "console.log('tick'); console.error('tock')",
    ]);
    try {
      await program.waitFor(/Started process node[\s\S]*Started process node/);
      assert.match(program.out, /\[node\] tick/);
      assert.match(program.out, /\[node\] tock/);
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("socks proxies curl --socks5 with username/password checked by cred", {
    timeout: 60_000,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const passwords = join(dir, "passwords");
    await writePasswordFile(reactor.runtime, passwords, { bob: "hunter2" }, { iterations: 1000 });
    const site = new Site(new Data("behind the proxy\n", "text/plain"));
    const [web, webPort] = await listenLocal(site);
    const [program, transport] = start(CURRENT, [
      "socks",
      "--listen",
      LOCAL,
      "--auth",
      `file:${passwords}`,
    ]);
    try {
      const port = await program.port();
      const url = `http://127.0.0.1:${webPort}/`;
      const ok = await exec([
        "curl",
        "-sS",
        "--max-time",
        "10",
        "--proxy",
        `socks5://bob:hunter2@127.0.0.1:${port}`,
        url,
      ]);
      assert.equal(ok.code, 0, ok.err);
      assert.equal(ok.out, "behind the proxy\n");
      const denied = await exec([
        "curl",
        "-sS",
        "--max-time",
        "10",
        "--proxy",
        `socks5://bob:wrong@127.0.0.1:${port}`,
        url,
      ]);
      assert.notEqual(denied.code, 0);
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
      await web.stopListening();
      await site.shutdown();
      cleanup();
    }
  });
});
