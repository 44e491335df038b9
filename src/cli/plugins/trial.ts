/**
 * The `trial` plugin: `tw trial`, one command that runs a test suite under
 * Deno, Bun and Node with each one's own runner and reports where each test
 * passes (`@tw/core/trial`'s `runSuite`; Twisted's `trial` command).
 *
 *     tw trial tests
 *     tw trial --runtimes deno,node -j 2 --reporter junit --output report.xml tests
 *     tw trial --matrix docs/matrix.md --random 0 tests/web
 *
 * Options come before the paths (getopt, as every `tw` command).
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import {
  coerceChoice,
  coerceFloat,
  coerceInt,
  type FlagSpec,
  Options,
  type ParameterSpec,
  UsageError,
} from "../_usage.ts";
import { type ReporterName, REPORTERS } from "../../trial/_report.ts";
import { isKnownRuntime, KNOWN_RUNTIMES } from "../../trial/_runners.ts";
import { runSuite } from "../../trial/_suite.ts";

function coerceRuntimes(value: string): string[] {
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const name of names) {
    if (!isKnownRuntime(name)) {
      throw new Error(
        `${JSON.stringify(name)} is not one of ${
          KNOWN_RUNTIMES.join(", ")
        } (each optionally +node)`,
      );
    }
  }
  if (names.length === 0) throw new Error("name at least one runtime");
  return names;
}

function coercePositive(value: string): number {
  const n = coerceFloat(value);
  if (!(n > 0)) throw new Error(`${JSON.stringify(value)} is not above 0`);
  return n;
}

/**
 * Options of `tw trial` (trial's names where trial has the option).
 *
 * @example
 * ```ts
 * import { TrialOptions } from "@tw/core/cli";
 * const options = new TrialOptions();
 * options.parseOptions(["--runtimes", "deno,node", "-j", "2", "tests"]);
 * console.log(options.opts.runtimes, options.opts.jobs); // [ "deno", "node" ] 2
 * console.log(options.opts.paths); // [ "tests" ]
 * ```
 */
export class TrialOptions extends Options {
  /** The usage line. */
  override synopsis: string = "tw trial [options] [PATH...]";
  /** What the command does, for the help. */
  override longdesc: string =
    "Runs test files (*_test.ts, *.test.ts under the PATHs, or the files named) under " +
    "Deno, Bun and Node, each with its own runner (deno test, bun test, node --test), " +
    "and reports them once: each test's status on each runtime, the counts per runtime " +
    "and a last line 'N passed, N failed'. Exits 0 only if every runtime passed. Each " +
    "file runs in its own process: a crash or a hang is an error for that file. " +
    "Coverage: Bun and Node write lcov, Deno's is converted with `deno coverage`; a " +
    "runtime that produced none is named in the summary.";
  /** The flags. */
  override optFlags: FlagSpec[] = [
    {
      name: "until-failure",
      short: "u",
      doc: "Run the suite again and again until a run fails.",
    },
    { name: "rterrors", short: "e", doc: "Print failures as soon as their file has run." },
  ];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "runtimes",
      metavar: "LIST",
      coerce: coerceRuntimes,
      doc: "Comma-separated runtimes: deno, bun, node; `deno+node` runs Deno with the node " +
        "adapter forced (default: those found on PATH or in node_modules/.bin).",
    },
    {
      name: "jobs",
      short: "j",
      default: 1,
      metavar: "N",
      coerce: (value: string): number => {
        const n = coerceInt(value);
        if (n < 1) throw new Error(`${JSON.stringify(value)} is not 1 or more`);
        return n;
      },
      doc: "How many test runs at a time.",
    },
    {
      name: "reporter",
      default: "tree",
      coerce: coerceChoice(REPORTERS),
      doc: "The form of the report.",
    },
    {
      name: "output",
      short: "o",
      metavar: "FILE",
      doc: "Write the report to FILE; standard output gets the counts.",
    },
    {
      name: "matrix",
      metavar: "FILE",
      doc: "Write a Markdown matrix: a row per test, a column per runtime.",
    },
    {
      name: "pattern",
      metavar: "REGEXP",
      doc: "Which file names in directories are tests (default: _test or .test, .ts/.js).",
    },
    {
      name: "timeout",
      default: 120,
      metavar: "SECONDS",
      coerce: coercePositive,
      doc: "Seconds a test may take (trial's 120); a silent run is stopped after it.",
    },
    {
      name: "random",
      short: "z",
      metavar: "SEED",
      coerce: coerceInt,
      doc: "Shuffle files and tests with SEED (0: pick one and print it).",
    },
    {
      name: "coverage",
      metavar: "DIR",
      doc: "Collect coverage from every runtime, merged into DIR/lcov.info.",
    },
  ];

  /** Takes the paths. */
  override parseArgs(...args: string[]): void {
    this.opts.paths = args;
  }

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    if (this.opts.pattern !== undefined) {
      try {
        new RegExp(this.opts.pattern as string);
      } catch {
        throw new UsageError(`Invalid value for --pattern: not a regular expression`);
      }
    }
  }
}

/** The `trial` plugin: a command, not a service (see `IServiceMaker.run`). */
export const trialPlugin: IServiceMaker = {
  tapname: "trial",
  description: "Runs a test suite under Deno, Bun and Node and reports where each test passes",
  options: TrialOptions,
  makeService(): IService {
    throw new UsageError("tw trial is a command: run it with `tw trial`");
  },
  async run(options: Options, context: PluginContext): Promise<number> {
    const opts = options.opts;
    const result = await runSuite({
      paths: opts.paths as string[],
      runtimes: opts.runtimes as string[] | undefined,
      jobs: opts.jobs as number,
      reporter: opts.reporter as ReporterName,
      output: opts.output as string | undefined,
      matrix: opts.matrix as string | undefined,
      pattern: opts.pattern as string | undefined,
      timeout: opts.timeout as number,
      random: opts.random as number | undefined,
      coverage: opts.coverage as string | undefined,
      untilFailure: !!opts["until-failure"],
      rterrors: !!opts.rterrors,
      cwd: context.cwd,
      reactor: context.reactor,
      stdout: context.stdout,
    });
    return result.exitCode;
  },
};
