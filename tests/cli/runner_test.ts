// runCommand in this process, on the real reactor, with plugins that stop
// the reactor themselves (the real program and its signals: command_test.ts).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type IService, Service } from "../../src/application/mod.ts";
import {
  builtinPlugins,
  type CliHost,
  describeError,
  type IServiceMaker,
  Options,
  resolvePath,
  runCommand,
  ServiceMaker,
  UsageError,
  webPlugin,
} from "../../src/cli/mod.ts";
import { fail } from "../../src/internet/defer.ts";
import { lazyBuiltinPlugins } from "../../src/cli/plugins/_builtin.ts";
import { Failure } from "../../src/internet/failure.ts";
import { reactor } from "../../mod.ts";
import { tempDir } from "./_program.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

interface Captured extends CliHost {
  out: string;
  err: string;
}

function host(plugins: IServiceMaker[] = [], extra: Partial<CliHost> = {}): Captured {
  const captured: Captured = {
    out: "",
    err: "",
    stdout: (text) => void (captured.out += text),
    stderr: (text) => void (captured.err += text),
    beginLogging: (observers) => {
      // Leaves the global log alone: the runner makes exactly one observer.
      assert.equal(observers.length, 1);
    },
    plugins,
    runtimeVersion: "Test 1.0",
    ...extra,
  };
  return captured;
}

/** A service that records its life and stops the reactor once started. */
class SelfStopping extends Service {
  log: string[];
  constructor(log: string[]) {
    super();
    this.log = log;
  }
  override startService(): void {
    super.startService();
    this.log.push("start");
    reactor.callLater(0, () => reactor.stop());
  }
  override stopService(): void {
    super.stopService();
    this.log.push("stop");
  }
}

class FailingStart extends Service {
  log: string[];
  constructor(log: string[]) {
    super();
    this.log = log;
  }
  override startService(): PromiseLike<unknown> {
    super.startService();
    this.log.push("start");
    return fail(new Error("Cannot listen on 127.0.0.1:1: permission denied"));
  }
  override stopService(): void {
    super.stopService();
    this.log.push("stop");
  }
}

class NameOptions extends Options {
  override optParameters = [{ name: "name", default: "x" }];
}

function plugin(
  tapname: string,
  make: (options: Options) => IService | Promise<IService>,
): IServiceMaker {
  return { tapname, description: `The ${tapname} plugin`, options: NameOptions, makeService: make };
}

describe("lazy plugins (ServiceMaker)", () => {
  /** Fresh lazy makers over the built-ins, recording which modules were imported. */
  function recording(): { makers: ServiceMaker[]; loaded: string[] } {
    const loaded: string[] = [];
    const makers = lazyBuiltinPlugins.map((maker) =>
      new ServiceMaker(maker.tapname, maker.description, async () => {
        loaded.push(maker.tapname);
        return await (maker as ServiceMaker).load();
      })
    );
    return { makers, loaded };
  }

  it("tw --help lists every built-in plugin without importing any of them", async () => {
    const { makers, loaded } = recording();
    const h = host(makers);
    assert.equal(await runCommand(["--help"], reactor, h), 0);
    for (const maker of makers) {
      // The help wraps long descriptions: compare their first words.
      const start = maker.description.split(" ").slice(0, 3).join(" ");
      assert.ok(h.out.includes(`  ${maker.tapname} `), maker.tapname);
      assert.ok(h.out.includes(start), start);
    }
    assert.deepEqual(loaded, []);
    assert.equal(await runCommand(["--version"], reactor, host(makers)), 0);
    assert.deepEqual(loaded, []);
  });

  it("imports only the plugin that runs", async () => {
    const { makers, loaded } = recording();
    const h = host(makers);
    assert.equal(await runCommand(["web", "--help"], reactor, h), 0);
    assert.match(h.out, /^Usage: tw web/);
    assert.deepEqual(loaded, ["web"]);
  });

  it("describes each built-in as the plugin itself does", async () => {
    const eager = new Map(builtinPlugins.map((maker) => [maker.tapname, maker.description]));
    assert.deepEqual(
      lazyBuiltinPlugins.map((maker) => [maker.tapname, maker.description]),
      [...eager].sort((a, b) => a[0].localeCompare(b[0])),
    );
    const web = new ServiceMaker("web", "x", () => Promise.resolve(webPlugin));
    assert.throws(() => web.options, /not loaded yet/);
    assert.equal(await web.load(), webPlugin);
    assert.equal(web.options, webPlugin.options);
  });
});

describe("runCommand()", () => {
  it("prints the help with the plugins and exits 0", async () => {
    const h = host([plugin("alpha", () => new Service())]);
    assert.equal(await runCommand(["--help"], reactor, h), 0);
    assert.match(h.out, /^Usage: tw \[options\] PLUGIN/);
    assert.match(h.out, /Plugins:\n {2}alpha +The alpha plugin/);
    assert.equal(h.err, "");
  });

  it("prints --version and --runtime", async () => {
    const h = host();
    assert.equal(await runCommand(["--version"], reactor, h), 0);
    assert.match(h.out, /^tw \(@tw\/core\) \d+\.\d+\.\d+\n$/);
    const r = host();
    assert.equal(await runCommand(["--runtime"], reactor, r), 0);
    assert.equal(r.out, `${reactor.runtime.name} adapter on Test 1.0\n`);
  });

  it("exits 2 with one line for usage errors", async () => {
    const cases: [string[], string][] = [
      [["--frob"], "tw: Unknown option: --frob (see tw --help)\n"],
      [["nope"], "tw: Unknown command: nope (see tw --help)\n"],
      [["alpha", "--frob"], "tw: Unknown option: --frob (see tw alpha --help)\n"],
      [
        ["--umask", "999"],
        'tw: Invalid value for --umask: "999" is not an octal mode (see tw --help)\n',
      ],
      [
        ["--log-format", "xml", "alpha"],
        'tw: Invalid value for --log-format: "xml" is not one of text, json (see tw --help)\n',
      ],
      [
        ["-y", "app.ts", "alpha"],
        "tw: Give either a plugin or -y, not both (got alpha and -y) (see tw --help)\n",
      ],
      [[], "tw: No plugin given: name one of alpha, or use -y app.ts (see tw --help)\n"],
    ];
    for (const [argv, message] of cases) {
      const h = host([plugin("alpha", () => new Service())]);
      assert.equal(await runCommand(argv, reactor, h), 2, argv.join(" "));
      assert.equal(h.err, message);
      assert.equal(h.out, "");
    }
  });

  it("exits 2 when makeService finds a usage error", async () => {
    const h = host([plugin("alpha", () => {
      throw new UsageError("Option --name must not be x");
    })]);
    assert.equal(await runCommand(["alpha"], reactor, h), 2);
    assert.equal(h.err, "tw: Option --name must not be x (see tw alpha --help)\n");
  });

  it("runs the plugin's service until the reactor stops, writing and removing the pid file", async () => {
    const [dir, cleanup] = tempDir();
    try {
      const life: string[] = [];
      let seen: unknown;
      const h = host([plugin("alpha", (options) => {
        seen = options.opts.name;
        return new SelfStopping(life);
      })]);
      const pidfile = join(dir, "tw.pid");
      const pidSeen: string[] = [];
      reactor.callWhenRunning(() => pidSeen.push(readFileSync(pidfile, "utf8")));
      const status = await runCommand(["--pidfile", pidfile, "alpha", "--name", "n1"], reactor, h);
      assert.equal(status, 0, h.err);
      assert.equal(seen, "n1");
      assert.deepEqual(life, ["start", "stop"]);
      assert.deepEqual(pidSeen, [`${reactor.runtime.pid()}\n`]);
      assert.equal(existsSync(pidfile), false);
      assert.equal(h.err, "");
    } finally {
      cleanup();
    }
  });

  it("exits 1 with the startup error, after stopping the tree and removing the pid file", async () => {
    const [dir, cleanup] = tempDir();
    try {
      const life: string[] = [];
      const h = host([plugin("alpha", () => new FailingStart(life))]);
      const pidfile = join(dir, "tw.pid");
      assert.equal(await runCommand(["--pidfile", pidfile, "alpha"], reactor, h), 1);
      assert.equal(h.err, "tw: Cannot listen on 127.0.0.1:1: permission denied\n");
      assert.deepEqual(life, ["start", "stop"]);
      assert.equal(existsSync(pidfile), false);
    } finally {
      cleanup();
    }
  });

  it("exits 1 when makeService throws, and removes the pid file", async () => {
    const [dir, cleanup] = tempDir();
    try {
      const h = host([plugin("alpha", () => Promise.reject(new Error("Cannot serve /x: gone")))]);
      const pidfile = join(dir, "tw.pid");
      assert.equal(await runCommand(["--pidfile", pidfile, "alpha"], reactor, h), 1);
      assert.equal(h.err, "tw: Cannot serve /x: gone\n");
      assert.equal(existsSync(pidfile), false);
    } finally {
      cleanup();
    }
  });

  it("exits 1 when a plugin makes something that is not a service", async () => {
    const h = host([plugin("alpha", () => ({}) as IService)]);
    assert.equal(await runCommand(["alpha"], reactor, h), 1);
    assert.equal(h.err, "tw: Plugin alpha made no service from makeService\n");
  });

  it("exits 1 for a log file the host cannot open", async () => {
    const h = host([plugin("alpha", () => new Service())]);
    assert.equal(await runCommand(["--logfile", "/x/tw.log", "alpha"], reactor, h), 1);
    assert.equal(h.err, "tw: Cannot open log file /x/tw.log: this host cannot append to files\n");
    const o = host([plugin("alpha", () => new Service())], {
      openLogFile: () => {
        throw new Error("EACCES: permission denied");
      },
    });
    assert.equal(await runCommand(["--logfile", "/x/tw.log", "alpha"], reactor, o), 1);
    assert.equal(o.err, "tw: Cannot open log file /x/tw.log: EACCES: permission denied\n");
  });

  it("exits 1 for a --rundir that does not exist", async () => {
    const life: string[] = [];
    const h = host([plugin("alpha", () => new SelfStopping(life))]);
    assert.equal(await runCommand(["--rundir", "/no/such/dir", "alpha"], reactor, h), 1);
    assert.match(h.err, /^tw: Cannot change to directory \/no\/such\/dir: .+\n$/);
    assert.deepEqual(life, []);
  });

  it("exits 1 for a config file that is missing or malformed", async () => {
    const [dir, cleanup] = tempDir();
    try {
      const missing = host();
      assert.equal(await runCommand(["--config", join(dir, "none.json")], reactor, missing), 1);
      assert.match(missing.err, /^tw: Cannot read config file .*none\.json: .+\n$/);
      writeFileSync(join(dir, "bad.json"), '{"plugins": "x"}');
      const bad = host();
      assert.equal(await runCommand(["--config", join(dir, "bad.json")], reactor, bad), 1);
      assert.match(bad.err, /"plugins" must be a list of module paths or URLs/);
    } finally {
      cleanup();
    }
  });
});

describe("runner helpers", () => {
  it("resolvePath keeps absolute paths and joins relative ones", () => {
    assert.equal(resolvePath("/srv", "/etc/x"), "/etc/x");
    assert.equal(resolvePath("/srv/", "x/y"), "/srv/x/y");
    assert.equal(resolvePath("/srv", "C:\\x"), "C:\\x");
  });

  it("describeError gives one line from errors, Failures and other values", () => {
    assert.equal(describeError(new Error("first\nsecond")), "first");
    assert.equal(describeError(new Failure(new RangeError("bad"))), "bad");
    assert.equal(describeError("text"), "text");
  });
});
