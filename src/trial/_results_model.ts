/**
 * What a `tw trial` run found: each test's outcome on each runtime, and the
 * counts. Built by `runSuite`, read by the reporters.
 *
 * @module
 */
import type { TestOutcome, TestStatus } from "./_parse.ts";

export type { TestOutcome, TestStatus };

/** One run of one test file under one runtime. */
export interface FileRun {
  /** The runtime's name. */
  runtime: string;
  /** The test file, relative to the working directory. */
  file: string;
  /** The tests it reported (a problem with the whole file has an empty `path`). */
  outcomes: TestOutcome[];
  /** Seconds the run took. */
  seconds: number;
  /** The runner's exit status, or null when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended the runner, if any. */
  signal: string | null;
  /** The end of what the runner printed (standard output and error). */
  output: string;
}

/** One test of the suite, with its outcome on each runtime that ran it. */
export interface SuiteTest {
  /** The test file, relative to the working directory. */
  file: string;
  /** The names from the outermost `describe` to the test; empty for the whole file. */
  path: string[];
  /** The outcome on each runtime that reported this test. */
  results: Record<string, TestOutcome>;
}

/** The counts of one runtime, or of the whole run. */
export interface SuiteCounts {
  /** Tests that passed. */
  passed: number;
  /** Tests that failed or ended in an error (a crashed or stopped file counts once). */
  failed: number;
  /** Tests skipped or marked todo. */
  skipped: number;
  /** Of `failed`, the errors: timeouts, crashes, files that did not load. */
  errors: number;
}

/** What `runSuite` returns. */
export interface SuiteResult {
  /** The runtimes that ran, in order. */
  runtimes: string[];
  /** The test files, in the order they ran. */
  files: string[];
  /** Every test, in file order then the order first reported. */
  tests: SuiteTest[];
  /** The counts per runtime. */
  byRuntime: Record<string, SuiteCounts>;
  /** The counts summed over the runtimes. */
  total: SuiteCounts;
  /** Every file run, in the order they finished. */
  runs: FileRun[];
  /** Seconds the whole run took. */
  seconds: number;
  /** 0 when every runtime passed every test, else 1. */
  exitCode: number;
  /** The random seed, when the order was shuffled. */
  seed?: number;
  /** The merged lcov file, and the runtimes that produced no coverage, with `coverage`. */
  coverage?: { file: string | null; missing: string[] };
  /** The pass of `untilFailure` that ended the run (1 for one run). */
  pass: number;
}

/** The name of a test for one line: `group > test`, or `(file)` for the whole file. */
export function testName(path: readonly string[]): string {
  return path.length === 0 ? "(file)" : path.join(" > ");
}

/** trial's tag for an outcome. */
export function statusTag(status: TestStatus | undefined): string {
  switch (status) {
    case "pass":
      return "[OK]";
    case "fail":
      return "[FAIL]";
    case "error":
      return "[ERROR]";
    case "skip":
      return "[SKIPPED]";
    case "todo":
      return "[TODO]";
    default:
      return "[-]";
  }
}

/** Adds one outcome to counts. */
export function count(counts: SuiteCounts, status: TestStatus): void {
  if (status === "pass") counts.passed++;
  else if (status === "skip" || status === "todo") counts.skipped++;
  else {
    counts.failed++;
    if (status === "error") counts.errors++;
  }
}

/** Empty counts. */
export function zeroCounts(): SuiteCounts {
  return { passed: 0, failed: 0, skipped: 0, errors: 0 };
}

/** Groups the file runs into tests, and counts them. */
export function collect(
  runtimes: string[],
  files: string[],
  runs: FileRun[],
): Pick<SuiteResult, "tests" | "byRuntime" | "total"> {
  const tests: SuiteTest[] = [];
  const index = new Map<string, SuiteTest>();
  const byRuntime: Record<string, SuiteCounts> = {};
  for (const runtime of runtimes) byRuntime[runtime] = zeroCounts();
  const total = zeroCounts();
  const order = new Map(files.map((file, i) => [file, i]));
  const runOrder = new Map(runtimes.map((runtime, i) => [runtime, i]));
  const sorted = [...runs].sort((a, b) =>
    (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) ||
    (runOrder.get(a.runtime) ?? 0) - (runOrder.get(b.runtime) ?? 0)
  );
  for (const run of sorted) {
    for (const outcome of run.outcomes) {
      const key = `${run.file}\u0000${outcome.path.join("\u0000")}`;
      let test = index.get(key);
      if (test === undefined) {
        test = { file: run.file, path: outcome.path, results: {} };
        index.set(key, test);
        tests.push(test);
      }
      if (test.results[run.runtime] !== undefined) {
        // Two tests of one file with the same name: keep the worse.
        const before = test.results[run.runtime].status;
        if (before === "fail" || before === "error") continue;
      }
      test.results[run.runtime] = outcome;
    }
  }
  for (const test of tests) {
    for (const [runtime, outcome] of Object.entries(test.results)) {
      count(byRuntime[runtime] ??= zeroCounts(), outcome.status);
      count(total, outcome.status);
    }
  }
  // Tests in file order, each file's tests in the order first reported.
  const firstSeen = new Map(tests.map((t, i) => [t, i]));
  tests.sort((a, b) =>
    (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) ||
    firstSeen.get(a)! - firstSeen.get(b)!
  );
  return { tests, byRuntime, total };
}
