/**
 * `runSuite`, what `tw trial` does: finds the test files, runs each one under
 * each runtime with that runtime's own runner (in parallel, `jobs` at a
 * time), reads the runners' JUnit reports, stops a run that makes no progress
 * for `timeout` seconds, and reports the suite once, for every runtime.
 *
 * @module
 */
import type { Reactor } from "../internet/reactor.ts";
import { getReactor } from "../internet/reactor.ts";
import type { Runtime } from "../internet/socket.ts";
import { mergeLcov } from "./_lcov.ts";
import { parseJUnit, parseProgress, stripAnsi, type TestOutcome } from "./_parse.ts";
import {
  countsLine,
  formatJSON,
  formatJUnit,
  formatMatrix,
  formatProgress,
  formatRunFailures,
  formatText,
  type ReporterName,
} from "./_report.ts";
import { readSkipLine } from "./_skip.ts";
import { collect, type FileRun, type SuiteResult } from "./_results_model.ts";
import {
  denoCoverageArgs,
  findExecutable,
  isKnownRuntime,
  KNOWN_RUNTIMES,
  lcovFile,
  runnerArgs,
  runnerOf,
  runtimeEnv,
} from "./_runners.ts";

/** Options of {@link runSuite} (`tw trial`'s options). */
export interface SuiteOptions {
  /** Test files, and directories to search for them. @default ["."] */
  paths?: string[];
  /** Which file names in directories are tests (a RegExp source). @default {"(_test|\\.test)\\.(ts|tsx|mts|js|mjs|jsx)$"} */
  pattern?: string;
  /** The runtimes to run under. @default {every one of deno, bun, node found} */
  runtimes?: string[];
  /** Executables to use instead of looking them up (`{deno: "/opt/deno"}`). @default {} */
  executables?: Record<string, string>;
  /** How many runs at a time (trial's `--jobs`). @default 1 */
  jobs?: number;
  /** Seconds a test may take; a run silent for longer is stopped. @default 120 */
  timeout?: number;
  /** The report written to `output` or standard output. @default "tree" */
  reporter?: ReporterName;
  /** A file for the report (then standard output gets the summary). @default {standard output} */
  output?: string;
  /** A file for the Markdown runtime matrix. @default {none} */
  matrix?: string;
  /** Run the suite again and again until a run fails. @default false */
  untilFailure?: boolean;
  /** Shuffle files and tests with this seed (0: pick one). @default {no shuffling} */
  random?: number;
  /** Print failures as soon as their file has run. @default false */
  rterrors?: boolean;
  /** A directory for coverage: the runtimes' lcov merged into `lcov.info`. @default {none} */
  coverage?: string;
  /** The directory relative paths start from. @default {the runtime's cwd} */
  cwd?: string;
  /** The reactor whose runtime spawns the runners and whose clock times them. @default {getReactor()} */
  reactor?: Reactor;
  /** Where the report goes. @default {the runtime's standard output} */
  stdout?(text: string): void;
}

const DEFAULT_PATTERN = "(_test|\\.test)\\.(ts|tsx|mts|js|mjs|jsx)$";
const OUTPUT_KEPT = 64 * 1024;
const encoder = new TextEncoder();

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

function relative(cwd: string, path: string): string {
  const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return path.startsWith(base) ? path.slice(base.length) : path;
}

function absolute(cwd: string, path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return path;
  const clean = path.replace(/^\.\/+/, "").replace(/\/+$/, "");
  return clean === "" || clean === "." ? cwd : join(cwd, clean);
}

/** The test files `paths` name: files as given, directories searched for `pattern`. */
async function discover(runtime: Runtime, cwd: string, paths: string[], pattern: RegExp) {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of await runtime.readDir(dir)) {
      if (name.startsWith(".") || name === "node_modules") continue;
      const path = join(dir, name);
      const info = await runtime.stat(path).catch(() => null);
      if (info?.isDirectory) await walk(path);
      else if (info?.isFile && pattern.test(name)) found.push(path);
    }
  };
  for (const path of paths) {
    const full = absolute(cwd, path);
    let info;
    try {
      info = await runtime.stat(full);
    } catch {
      throw new Error(`Cannot find ${path}: no such file or directory`);
    }
    if (info.isDirectory) await walk(full);
    else found.push(full);
  }
  return [...new Set(found.map((f) => relative(cwd, f)))].sort();
}

/** A small seeded generator (mulberry32), for a shuffle that a seed repeats. */
function shuffled<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

interface Job {
  runtime: string;
  file: string;
  index: number;
}

interface Context {
  reactor: Reactor;
  cwd: string;
  work: string;
  timeout: number;
  executables: Record<string, string>;
  coverage: boolean;
  seed?: number;
}

function seedArgs(name: string, seed: number | undefined): string[] {
  if (seed === undefined) return [];
  const runtime = runnerOf(name);
  if (runtime === "deno") return [`--shuffle=${seed}`];
  if (runtime === "bun") return ["--randomize", `--seed=${seed}`];
  return ["--test-randomize", `--test-random-seed=${seed}`];
}

/** Runs one file under one runtime and reads what its runner reported. */
async function runFile(job: Job, context: Context): Promise<FileRun> {
  const { reactor, work } = context;
  const runtime = reactor.runtime;
  const junit = `${work}/${job.index}-${job.runtime}.xml`;
  const coverage = context.coverage ? `${work}/cov-${job.index}-${job.runtime}` : undefined;
  const args = runnerArgs(job.runtime, {
    file: job.file,
    junit,
    timeout: context.timeout,
    coverage,
  });
  if (coverage !== undefined) await runtime.mkdir(coverage, { recursive: true });
  const at = args.length - 1;
  args.splice(at, 0, ...seedArgs(job.runtime, context.seed));
  const started = reactor.seconds();
  let output = "";
  let stopped: string | undefined;
  // Read as lines arrive: the kept output is only its end.
  const skips = new Map<string, string>();
  let partial = "";
  const decoder = new TextDecoder();
  const result = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    let child;
    try {
      // A `node --test` run inside another one refuses to run files: started
      // from a test, clear the variable that tells it so (POSIX `env -u`).
      // An adapter variable goes the same way, so the rest of the
      // environment stays the parent's.
      const runner = runnerOf(job.runtime);
      const nested = runner === "node" && runtime.env("NODE_TEST_CONTEXT") !== undefined;
      const assignments = Object.entries(runtimeEnv(job.runtime)).map(([k, v]) => `${k}=${v}`);
      const exe = context.executables[runner];
      const viaEnv = nested || assignments.length > 0;
      const envArgs = [...(nested ? ["-u", "NODE_TEST_CONTEXT"] : []), ...assignments];
      child = runtime.spawn({
        command: viaEnv ? "env" : exe,
        args: viaEnv ? [...envArgs, exe, ...args] : args,
        cwd: context.cwd,
      });
    } catch (error) {
      output = `Cannot run ${job.runtime}: ${error instanceof Error ? error.message : error}`;
      resolve({ code: null, signal: null });
      return;
    }
    // A run silent for longer than a test may take is stuck: stopped, then killed.
    const grace = runnerOf(job.runtime) === "deno" ? 1 : 5;
    let kill: { cancel(): void; active(): boolean } | undefined;
    const arm = (): { cancel(): void; active(): boolean } =>
      reactor.callLater(context.timeout + grace, () => {
        stopped = `stopped by tw trial after ${context.timeout + grace}s without progress ` +
          `(--timeout ${context.timeout})`;
        child.kill("SIGTERM");
        kill = reactor.callLater(3, () => child.kill("SIGKILL"));
      });
    let watchdog = arm();
    child.start({
      onOutput(_fd, data) {
        const text = decoder.decode(data, { stream: true });
        output += text;
        const lines = (partial + text).split("\n");
        partial = lines.pop()!.slice(-4096);
        for (const line of lines) {
          const skip = readSkipLine(stripAnsi(line));
          if (skip !== undefined && skips.size < 10_000) skips.set(skip.name, skip.reason);
        }
        if (output.length > OUTPUT_KEPT * 2) output = output.slice(-OUTPUT_KEPT);
        if (stopped === undefined) {
          watchdog.cancel();
          watchdog = arm();
        }
      },
      onExit(code, signal) {
        if (watchdog.active()) watchdog.cancel();
        if (kill?.active()) kill.cancel();
        resolve({ code, signal });
      },
    });
  });
  const run: FileRun = {
    runtime: job.runtime,
    file: job.file,
    outcomes: [],
    seconds: reactor.seconds() - started,
    exitCode: result.code,
    signal: result.signal,
    output: stripAnsi(output).slice(-OUTPUT_KEPT),
  };
  let report: TestOutcome[] | undefined;
  try {
    report = parseJUnit(new TextDecoder().decode(await runtime.readFile(junit)));
  } catch {
    report = undefined;
  }
  // Stopped, a runner may still write what it saw (node --test does on SIGTERM).
  if (stopped !== undefined && report !== undefined && report.length === 0) report = undefined;
  const tail = run.output.trim().split("\n").slice(-40).join("\n");
  if (report !== undefined) {
    // Node names a file that did not load, or whose process died, after the file.
    for (const outcome of report) {
      const only = outcome.path.length === 1 ? outcome.path[0] : undefined;
      if (
        only !== undefined && (only === job.file || job.file.endsWith(`/${only}`) ||
          only.endsWith(`/${job.file}`))
      ) {
        outcome.path = [];
        if (outcome.status === "fail") outcome.status = "error";
      }
    }
    // Deno reports some nested tests' paths as one name joined with " > ".
    for (const outcome of report) outcome.path = outcome.path.flatMap((p) => p.split(" > "));
    run.outcomes = report;
    markSkipped(run.outcomes, skips);
    const bad = report.some((o) => o.status === "fail" || o.status === "error");
    if (stopped !== undefined && !bad) {
      run.outcomes.push({ path: [], status: "error", message: stopped, details: stopped });
    } else if (result.code !== 0 && !bad) {
      const how = result.code === null ? `signal ${result.signal}` : `status ${result.code}`;
      run.outcomes.push({
        path: [],
        status: "error",
        message: `${job.runtime} exited with ${how}`,
        details: `${job.runtime} exited with ${how}\n${tail}`,
      });
    }
    return run;
  }
  const progress = parseProgress(runnerOf(job.runtime), output);
  run.outcomes = progress.outcomes;
  for (const outcome of run.outcomes) {
    // A failure as long as the timeout is the runner's own timeout (Node may
    // report a hair under it: 2999.98 ms for a 3 s timeout).
    if (outcome.status === "fail" && (outcome.seconds ?? 0) >= context.timeout - 0.01) {
      outcome.status = "error";
      outcome.message = `timed out after ${context.timeout}s`;
    }
  }
  let message: string;
  if (stopped !== undefined) message = stopped;
  else if (result.code === null && result.signal !== null) {
    message = `${job.runtime} crashed (signal ${result.signal}) before reporting`;
  } else message = `${job.runtime} exited with status ${result.code} and no report`;
  run.outcomes.push({
    path: progress.running ?? [],
    status: "error",
    message,
    details: `${message}\n${tail}`,
    seconds: run.seconds,
  });
  return run;
}

/** Runs `jobs` at most `parallel` at a time, calling `done` as each ends. */
async function runJobs(
  jobs: Job[],
  parallel: number,
  context: Context,
  done: (run: FileRun) => void,
): Promise<FileRun[]> {
  const runs: FileRun[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const run = await runFile(job, context);
      runs.push(run);
      done(run);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  return runs;
}

async function collectCoverage(
  context: Context,
  runs: FileRun[],
  runtimes: string[],
  files: string[],
  dir: string,
): Promise<{ file: string | null; missing: string[] }> {
  const runtime = context.reactor.runtime;
  const reports: string[] = [];
  const missing: string[] = [];
  const read = async (path: string): Promise<string | undefined> => {
    try {
      return new TextDecoder().decode(await runtime.readFile(path));
    } catch {
      return undefined;
    }
  };
  for (const name of runtimes) {
    const mine = runs.filter((r) => r.runtime === name);
    let found = 0;
    if (runnerOf(name) === "deno") {
      const dirs = mine.map((r) => `${context.work}/cov-${runs.indexOf(r)}-deno`);
      const out = `${context.work}/deno.lcov`;
      await spawnQuiet(context, context.executables.deno, denoCoverageArgs(dirs, out));
      const text = await read(out);
      if (text) reports.push(text), found++;
    } else {
      for (const run of mine) {
        const file = lcovFile(name, `${context.work}/cov-${runs.indexOf(run)}-${name}`);
        const text = file === undefined ? undefined : await read(file);
        if (text) reports.push(text), found++;
      }
    }
    if (found === 0) missing.push(name);
  }
  const tests = new Set(files.map((f) => absolute(context.cwd, f)));
  // The project's own sources: not the tests, nor what node_modules holds.
  const merged = mergeLcov(reports, (path) => {
    const full = absolute(context.cwd, path);
    const ours = full.startsWith(`${context.cwd}/`) && !full.includes("/node_modules/") &&
      !tests.has(full);
    return ours ? full : undefined;
  });
  if (merged === "") return { file: null, missing };
  const target = absolute(context.cwd, dir);
  await runtime.mkdir(target, { recursive: true });
  await runtime.writeFile(`${target}/lcov.info`, merged);
  return { file: relative(context.cwd, `${target}/lcov.info`), missing };
}

function spawnQuiet(context: Context, command: string, args: string[]): Promise<void> {
  return new Promise((resolve) => {
    try {
      const child = context.reactor.runtime.spawn({ command, args, cwd: context.cwd });
      child.start({ onOutput() {}, onExit: () => resolve() });
    } catch {
      resolve();
    }
  });
}

/**
 * Runs a test suite under Deno, Bun and Node with each one's own runner, and
 * reports it once (`tw trial`): the tree of tests with a status per runtime,
 * the failures, the counts per runtime and a last line `N passed, N failed`
 * (`, N skipped` when some were). Each file runs in its own runner process:
 * one that crashes or hangs is an error for that file, and the run goes on.
 *
 * @param options what to run, where, and how to report it
 * @returns the results; `exitCode` is 0 only if every runtime passed
 * @example
 * ```ts
 * import { runSuite } from "@tw/core/trial";
 * const result = await runSuite({ paths: ["tests"], runtimes: ["deno", "node"], jobs: 2 });
 * console.log(result.total.failed); // 0
 * ```
 */
export async function runSuite(options: SuiteOptions = {}): Promise<SuiteResult> {
  const reactor = options.reactor ?? getReactor();
  const runtime = reactor.runtime;
  const cwd = (options.cwd ?? runtime.cwd()).replace(/\/+$/, "") || "/";
  const write = options.stdout ?? ((text: string) => runtime.writeStdout(encoder.encode(text)));
  const reporter = options.reporter ?? "tree";
  const timeout = options.timeout ?? 120;
  if (!(timeout > 0)) throw new RangeError(`Bad timeout: ${timeout} (seconds, above 0)`);

  const executables: Record<string, string> = {};
  let runtimes: string[];
  if (options.runtimes !== undefined && options.runtimes.length > 0) {
    runtimes = [...new Set(options.runtimes)];
    for (const name of runtimes) {
      if (!isKnownRuntime(name)) {
        throw new RangeError(
          `Unknown runtime: ${name} (expected deno, bun or node, each optionally +node)`,
        );
      }
      const runner = runnerOf(name);
      if (executables[runner] !== undefined) continue;
      const path = options.executables?.[runner] ?? await findExecutable(runtime, runner, cwd);
      if (path === undefined) {
        throw new Error(`Cannot find ${runner} on PATH or in node_modules/.bin`);
      }
      executables[runner] = path;
    }
  } else {
    runtimes = [];
    for (const name of KNOWN_RUNTIMES) {
      const path = options.executables?.[name] ?? await findExecutable(runtime, name, cwd);
      if (path !== undefined) runtimes.push(name), executables[name] = path;
    }
    if (runtimes.length === 0) throw new Error("Cannot find deno, bun or node to run tests");
  }

  const files = await discover(
    runtime,
    cwd,
    options.paths?.length ? options.paths : ["."],
    new RegExp(options.pattern ?? DEFAULT_PATTERN),
  );
  const seed = options.random === undefined
    ? undefined
    : options.random === 0
    ? 1 + Math.floor(Math.random() * 2 ** 31)
    : options.random;
  const ordered = seed === undefined ? files : shuffled(files, seed);

  const toFile = options.output !== undefined;
  const textReport = reporter === "tree" || reporter === "text";
  const live = (text: string): void => {
    if (textReport && !toFile) write(text);
  };

  for (let pass = 1;; pass++) {
    if (options.untilFailure) write(`Test Pass ${pass}\n`);
    const work = `${(runtime.env("TMPDIR") || "/tmp").replace(/\/+$/, "")}/tw-trial-run-${
      crypto.randomUUID().slice(0, 13)
    }`;
    await runtime.mkdir(work, { recursive: true, mode: 0o700 });
    const context: Context = {
      reactor,
      cwd,
      work,
      timeout,
      executables,
      coverage: options.coverage !== undefined,
      seed,
    };
    const jobs: Job[] = [];
    for (const file of ordered) {
      for (const name of runtimes) jobs.push({ runtime: name, file, index: jobs.length });
    }
    const started = reactor.seconds();
    let progressShown = false;
    const indexed: FileRun[] = [];
    let result: SuiteResult;
    try {
      await runJobs(jobs, options.jobs ?? 1, context, (run) => {
        indexed[jobs.findIndex((j) => j.runtime === run.runtime && j.file === run.file)] = run;
        if (options.rterrors) {
          const failures = formatRunFailures(run);
          if (failures !== "") write(failures);
        }
        if (reporter === "text") {
          live(formatProgress(run));
          progressShown = true;
        }
      });
      const runs = indexed.filter((r) => r !== undefined);
      result = {
        runtimes,
        files: ordered,
        runs,
        ...collect(runtimes, ordered, runs),
        seconds: reactor.seconds() - started,
        exitCode: 0,
        pass,
      };
      if (seed !== undefined) result.seed = seed;
      if (options.coverage !== undefined) {
        result.coverage = await collectCoverage(context, runs, runtimes, ordered, options.coverage);
      }
    } finally {
      await runtime.remove(work, { recursive: true }).catch(() => {});
    }
    result.exitCode = result.total.failed > 0 ? 1 : 0;
    if (options.untilFailure && result.exitCode === 0 && result.tests.length > 0) {
      if (progressShown) write("\n");
      write(`${countsLine(result.total)}\n`);
      continue;
    }
    const report = reporter === "junit"
      ? formatJUnit(result)
      : reporter === "json"
      ? formatJSON(result)
      : formatText(result, { tree: reporter === "tree", failuresShown: !!options.rterrors });
    if (toFile) {
      await runtime.writeFile(absolute(cwd, options.output!), report);
      const lines = runtimes.map((r) => `${r}: ${countsLine(result.byRuntime[r])}`);
      write(`${lines.join("\n")}\n${countsLine(result.total)}\n`);
    } else write(report);
    if (options.matrix !== undefined) {
      await writeMatrix(runtime, absolute(cwd, options.matrix), result);
    }
    return result;
  }
}

const MATRIX_START = "<!-- matrix:start";
const MATRIX_END = "<!-- matrix:end -->";

/**
 * Writes the matrix to `path`; a page that holds the markers `<!-- matrix:start ... -->`
 * and `<!-- matrix:end -->` keeps everything outside them (docs/runtimes.md).
 */
async function writeMatrix(runtime: Runtime, path: string, result: SuiteResult): Promise<void> {
  const table = formatMatrix(result);
  let page: string | undefined;
  try {
    page = new TextDecoder().decode(await runtime.readFile(path));
  } catch {
    page = undefined;
  }
  const start = page?.indexOf(MATRIX_START) ?? -1;
  const startLineEnd = start < 0 ? -1 : page!.indexOf("\n", start);
  const end = startLineEnd < 0 ? -1 : page!.indexOf(MATRIX_END, startLineEnd);
  if (page === undefined || end < 0) return await runtime.writeFile(path, table);
  const updated = `${page.slice(0, startLineEnd + 1)}\n${table}\n${page.slice(end)}`;
  await runtime.writeFile(path, updated);
}

/** Tests that `skipTest` skipped, which a runner (Deno) reported as passed. */
function markSkipped(outcomes: TestOutcome[], skips: Map<string, string>): void {
  if (skips.size === 0) return;
  for (const outcome of outcomes) {
    if (outcome.status !== "pass") continue;
    const reason = skips.get((outcome.path.at(-1) ?? "").replace(/\s+/g, " "));
    if (reason === undefined) continue;
    outcome.status = "skip";
    outcome.message = reason;
  }
}
