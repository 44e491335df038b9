import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  coerceChoice,
  coerceFloat,
  coerceInt,
  coercePort,
  HelpRequested,
  Options,
  UsageError,
} from "../../src/cli/_usage.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

class ServeOptions extends Options {
  override synopsis = "serve [options]";
  override optFlags = [
    { name: "verbose", short: "v", doc: "Say more" },
    { name: "quiet", short: "q", doc: "Say less" },
  ];
  override optParameters = [
    { name: "port", short: "p", default: 8080, coerce: coercePort, doc: "Port to listen on" },
    { name: "host", default: "localhost", doc: "Host name" },
    { name: "listen", short: "l", multiple: true, doc: "An endpoint" },
    { name: "dest_port", coerce: coercePort, doc: "Where to relay" },
    { name: "mode", coerce: coerceChoice(["fast", "slow"] as const) },
  ];
}

class ArgsOptions extends Options {
  override parseArgs(...args: string[]): void {
    if (args.length !== 2) throw new UsageError(`Expected 2 arguments, got ${args.length}`);
    this.opts.pair = args;
  }
}

class Root extends Options {
  override synopsis = "prog [options] COMMAND";
  override optFlags = [{ name: "debug", short: "D" }];
  override subCommands = [
    { name: "serve", short: "s", options: () => new ServeOptions(), doc: "Run the server" },
    { name: "args", options: () => new ArgsOptions(), doc: "Take two arguments" },
  ];
}

function parse<T extends Options>(options: T, argv: string[]): T {
  options.parseOptions(argv);
  return options;
}

function usageError(argv: string[], options: Options = new ServeOptions()): string {
  try {
    options.parseOptions(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected UsageError, got ${error}`);
    return error.message;
  }
  assert.fail("parseOptions accepted a bad command line");
}

describe("Options.parseOptions()", () => {
  it("fills defaults when no option is given", () => {
    const o = parse(new ServeOptions(), []);
    assert.deepEqual(o.opts, {
      verbose: false,
      quiet: false,
      port: 8080,
      host: "localhost",
      listen: [],
      dest_port: undefined,
      mode: undefined,
    });
    assert.deepEqual(o.args, []);
  });

  it("sets flags in long and short form, grouped short flags included", () => {
    assert.equal(parse(new ServeOptions(), ["--verbose"]).opts.verbose, true);
    const o = parse(new ServeOptions(), ["-vq"]);
    assert.equal(o.opts.verbose, true);
    assert.equal(o.opts.quiet, true);
  });

  it("takes parameter values as --opt=value, --opt value, -o value and -ovalue", () => {
    assert.equal(parse(new ServeOptions(), ["--port=81"]).opts.port, 81);
    assert.equal(parse(new ServeOptions(), ["--port", "82"]).opts.port, 82);
    assert.equal(parse(new ServeOptions(), ["-p", "83"]).opts.port, 83);
    assert.equal(parse(new ServeOptions(), ["-p84"]).opts.port, 84);
    assert.equal(parse(new ServeOptions(), ["-vp85"]).opts.port, 85);
    assert.equal(parse(new ServeOptions(), ["--host="]).opts.host, "");
  });

  it("keeps the last value of a repeated parameter and collects a multiple one", () => {
    const o = parse(new ServeOptions(), ["-p", "1", "-p", "2", "-l", "a", "--listen=b"]);
    assert.equal(o.opts.port, 2);
    assert.deepEqual(o.opts.listen, ["a", "b"]);
  });

  it("treats _ and - alike in long option names", () => {
    assert.equal(parse(new ServeOptions(), ["--dest-port", "90"]).opts.dest_port, 90);
    assert.equal(parse(new ServeOptions(), ["--dest_port=91"]).opts.dest_port, 91);
  });

  it("names the unknown option in its error", () => {
    assert.equal(usageError(["--frob"]), "Unknown option: --frob");
    assert.equal(usageError(["-x"]), "Unknown option: -x");
  });

  it("reports a missing value and a value given to a flag", () => {
    assert.equal(usageError(["--port"]), "Option --port requires a value");
    assert.equal(usageError(["-p"]), "Option -p requires a value");
    assert.equal(usageError(["--verbose=yes"]), "Flag --verbose takes no value");
  });

  it("reports a coercion failure with the option and the reason", () => {
    assert.equal(
      usageError(["--port", "http"]),
      'Invalid value for --port: "http" is not an integer',
    );
    assert.equal(
      usageError(["-p", "70000"]),
      "Invalid value for -p: port number 70000 is not in 0..65535",
    );
    assert.equal(
      usageError(["--mode", "medium"]),
      'Invalid value for --mode: "medium" is not one of fast, slow',
    );
  });

  it("rejects positional arguments unless parseArgs takes them", () => {
    assert.equal(usageError(["extra"]), "Unexpected argument: extra");
    const o = parse(new ArgsOptions(), ["a", "b"]);
    assert.deepEqual(o.opts.pair, ["a", "b"]);
    assert.equal(usageError(["a"], new ArgsOptions()), "Expected 2 arguments, got 1");
  });

  it("stops at the first argument, as getopt, and after --", () => {
    const o = parse(new ArgsOptions(), ["--", "-x", "--y"]);
    assert.deepEqual(o.args, ["-x", "--y"]);
    const p = parse(new ArgsOptions(), ["a", "--not-an-option"]);
    assert.deepEqual(p.args, ["a", "--not-an-option"]);
  });

  it("treats a lone - as an argument", () => {
    assert.deepEqual(parse(new ArgsOptions(), ["-", "x"]).args, ["-", "x"]);
  });

  it("throws HelpRequested carrying the usage for --help and -h", () => {
    for (const argv of [["--help"], ["-h"], ["-v", "--help", "--frob"]]) {
      assert.throws(() => new ServeOptions().parseOptions(argv), (error: unknown) => {
        assert.ok(error instanceof HelpRequested);
        assert.match(error.usage, /^Usage: serve \[options\]/);
        return true;
      });
    }
  });

  it("leaves -h to an option that claims it", () => {
    class HostOptions extends Options {
      override optParameters = [{ name: "host", short: "h" }];
    }
    assert.equal(parse(new HostOptions(), ["-h", "example.com"]).opts.host, "example.com");
    assert.doesNotMatch(new HostOptions().getUsage(), /-h, --help/);
  });

  it("runs postOptions after parsing, so it can check combinations", () => {
    class Needs extends Options {
      override optParameters = [{ name: "a" }, { name: "b" }];
      override postOptions(): void {
        if (this.opts.a !== undefined && this.opts.b === undefined) {
          throw new UsageError("Option --a needs --b");
        }
      }
    }
    assert.equal(usageError(["--a", "1"], new Needs()), "Option --a needs --b");
    assert.equal(parse(new Needs(), ["--a", "1", "--b", "2"]).opts.b, "2");
  });

  it("resets values on a second parse", () => {
    const o = new ServeOptions();
    o.parseOptions(["-l", "a"]);
    o.parseOptions(["-l", "b"]);
    assert.deepEqual(o.opts.listen, ["b"]);
  });
});

describe("Options sub-commands", () => {
  it("hands the rest of the line to the sub-command's options", () => {
    const root = parse(new Root(), ["-D", "serve", "-v", "--port", "99"]);
    assert.equal(root.opts.debug, true);
    assert.equal(root.subCommand, "serve");
    assert.ok(root.subOptions instanceof ServeOptions);
    assert.equal(root.subOptions.opts.port, 99);
    assert.equal(root.subOptions.parent, root);
  });

  it("accepts a sub-command's short name", () => {
    assert.equal(parse(new Root(), ["s"]).subCommand, "serve");
  });

  it("reports an unknown sub-command and errors inside one", () => {
    assert.equal(usageError(["nope"], new Root()), "Unknown command: nope");
    assert.equal(usageError(["serve", "--frob"], new Root()), "Unknown option: --frob");
  });

  it("leaves the sub-command optional unless a default is set", () => {
    assert.equal(parse(new Root(), []).subCommand, undefined);
    class WithDefault extends Root {
      override defaultSubCommand = "serve";
    }
    const o = parse(new WithDefault(), []);
    assert.equal(o.subCommand, "serve");
  });

  it("gives the sub-command's own help for PROG SUB --help", () => {
    assert.throws(() => new Root().parseOptions(["serve", "--help"]), (error: unknown) => {
      assert.ok(error instanceof HelpRequested);
      assert.match(error.usage, /--port PORT/);
      assert.doesNotMatch(error.usage, /--debug/);
      return true;
    });
  });
});

describe("Options.getUsage()", () => {
  it("lists every option with its help, coercion, default and the commands", () => {
    const usage = new Root().getUsage();
    assert.match(usage, /^Usage: prog \[options\] COMMAND\n/);
    assert.match(usage, /-D, --debug/);
    assert.match(usage, /-h, --help +Display this help and exit\./);
    assert.match(usage, /Commands:\n {2}serve \(s\) +Run the server\n {2}args +Take two arguments/);
    const serve = new ServeOptions().getUsage(120);
    assert.match(
      serve,
      /-p, --port PORT +Port to listen on \(a port number, 0 to 65535\) \[default: 8080\]/,
    );
    assert.match(serve, /-l, --listen LISTEN +An endpoint \(repeatable\)/);
    assert.match(serve, / {4}--host HOST +Host name \[default: localhost\]/);
  });

  it("wraps long help text within the width", () => {
    class Long extends Options {
      override optFlags = [{ name: "x", doc: "word ".repeat(40) }];
    }
    for (const line of new Long().getUsage(60).split("\n")) assert.ok(line.length <= 60, line);
  });
});

describe("coercions", () => {
  it("coerceInt accepts signed integers only", () => {
    assert.equal(coerceInt("42"), 42);
    assert.equal(coerceInt("-7"), -7);
    assert.throws(() => coerceInt("4.2"), /not an integer/);
    assert.throws(() => coerceInt("0x10"), /not an integer/);
  });

  it("coerceFloat accepts finite numbers", () => {
    assert.equal(coerceFloat("0.5"), 0.5);
    assert.throws(() => coerceFloat(""), /not a number/);
    assert.throws(() => coerceFloat("Infinity"), /not a number/);
  });

  it("coercePort bounds the port to 0..65535", () => {
    assert.equal(coercePort("0"), 0);
    assert.equal(coercePort("65535"), 65535);
    assert.throws(() => coercePort("65536"), /not in 0\.\.65535/);
    assert.throws(() => coercePort("-1"), /not in 0\.\.65535/);
  });
});
