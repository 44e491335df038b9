/**
 * The runtimes `tw trial` can run a test file under, and the command line of
 * each one's own runner (`deno test`, `bun test`, `node --test`) that writes a
 * JUnit report, and coverage when asked.
 *
 * @module
 */
import type { RuntimeFileSystem, RuntimeNetwork } from "../internet/socket.ts";

/** The runtimes `tw trial` knows, in the order it reports them. */
export const KNOWN_RUNTIMES: readonly string[] = ["deno", "bun", "node"];

/**
 * A runtime name may carry an adapter: `deno+node` runs Deno's runner with the
 * node adapter forced (`TW_RUNTIME=node`), so one run reports both columns.
 */
const ADAPTERS: Record<string, string> = { node: "node" };

/** True for `deno`, `bun`, `node`, and each of them with `+node`. */
export function isKnownRuntime(name: string): boolean {
  const [runner, adapter, ...rest] = name.split("+");
  return KNOWN_RUNTIMES.includes(runner) && rest.length === 0 &&
    (adapter === undefined || ADAPTERS[adapter] !== undefined);
}

/** The runtime whose runner and executable a name uses: `deno` for `deno+node`. */
export function runnerOf(name: string): string {
  return name.split("+")[0];
}

/** The environment a name adds to its runner's (`TW_RUNTIME` for an adapter). */
export function runtimeEnv(name: string): Record<string, string> {
  const adapter = name.split("+")[1];
  return adapter === undefined ? {} : { TW_RUNTIME: ADAPTERS[adapter] };
}

/** What one run of one file needs: where the runner writes its reports. */
export interface RunnerCall {
  /** The test file, relative to the working directory. */
  file: string;
  /** Where the JUnit report goes. */
  junit: string;
  /** Seconds a test may take (where the runner has a per-test timeout). */
  timeout: number;
  /** A directory for this run's coverage data, when coverage is on. */
  coverage?: string;
}

/** The arguments of `runtime`'s test runner for one file. */
export function runnerArgs(runtime: string, call: RunnerCall): string[] {
  const ms = String(Math.max(1, Math.round(call.timeout * 1000)));
  const file = /^(\/|[A-Za-z]:[\\/]|\.\.?\/)/.test(call.file) ? call.file : `./${call.file}`;
  switch (runnerOf(runtime)) {
    case "deno":
      return [
        "test",
        "-A",
        "--no-check",
        `--junit-path=${call.junit}`,
        ...(call.coverage ? [`--coverage=${call.coverage}`] : []),
        file,
      ];
    case "bun":
      return [
        "test",
        `--timeout=${ms}`,
        "--reporter=junit",
        `--reporter-outfile=${call.junit}`,
        ...(call.coverage
          ? ["--coverage", "--coverage-reporter=lcov", `--coverage-dir=${call.coverage}`]
          : []),
        file,
      ];
    case "node":
      return [
        "--test",
        `--test-timeout=${ms}`,
        "--test-reporter=junit",
        `--test-reporter-destination=${call.junit}`,
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        ...(call.coverage
          ? [
            "--experimental-test-coverage",
            "--test-reporter=lcov",
            `--test-reporter-destination=${call.coverage}/lcov.info`,
          ]
          : []),
        file,
      ];
    default:
      throw new RangeError(`Unknown runtime: ${runtime} (expected deno, bun or node)`);
  }
}

/** The lcov file a runner leaves in its coverage directory (Deno's needs `deno coverage`). */
export function lcovFile(runtime: string, coverage: string): string | undefined {
  const runner = runnerOf(runtime);
  if (runner === "bun" || runner === "node") return `${coverage}/lcov.info`;
  return undefined;
}

/** The command that turns Deno's raw coverage data into lcov. */
export function denoCoverageArgs(dirs: string[], output: string): string[] {
  return ["coverage", "--lcov", `--output=${output}`, ...dirs];
}

/** What finding executables needs of a runtime. */
export type FindRuntime = Pick<RuntimeFileSystem, "stat"> & Pick<RuntimeNetwork, "env">;

async function isFile(files: FindRuntime, path: string): Promise<boolean> {
  try {
    return (await files.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Where `name`'s executable is: the project's `node_modules/.bin` under
 * `cwd` first (the pinned versions), then each directory of PATH.
 */
export async function findExecutable(
  files: FindRuntime,
  name: string,
  cwd: string,
): Promise<string | undefined> {
  const windows = /^[A-Za-z]:[\\/]/.test(cwd);
  const names = windows ? [`${name}.exe`, `${name}.cmd`, name] : [name];
  const dirs = [`${cwd}/node_modules/.bin`];
  for (const dir of (files.env("PATH") ?? "").split(windows ? ";" : ":")) {
    if (dir !== "") dirs.push(dir);
  }
  for (const dir of dirs) {
    for (const candidate of names) {
      const path = `${dir.replace(/[\\/]+$/, "")}/${candidate}`;
      if (await isFile(files, path)) return path;
    }
  }
  return undefined;
}
