// `tw trial` run as a program against the fixture suites of
// tests/fixtures/trial (named *_fixture.ts so that the project's own run
// never picks them up), under all three runtimes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { command, CURRENT, ROOT } from "../cli/_program.ts";

const FIXTURES = "tests/fixtures/trial";
const fixture = (name: string): string => `${FIXTURES}/${name}_fixture.ts`;
const SLOW = { timeout: 120_000 };

interface Run {
  code: number;
  out: string;
  err: string;
}

// Not NODE_TEST_CONTEXT: node --test under a node --test would refuse to run files.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k, v]) => k !== "NODE_TEST_CONTEXT" && v !== undefined),
) as Record<string, string>;

/** Runs `tw trial ...args` on the runtime running this test. */
function trial(args: string[]): Promise<Run> {
  const [exe, argv] = command(CURRENT, ["trial", ...args]);
  return new Promise((resolve) => {
    execFile(exe, argv.slice(1), {
      cwd: ROOT,
      env: childEnv,
      maxBuffer: 16 << 20,
      timeout: 110_000,
    }, (
      error,
      stdout,
      stderr,
    ) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, out: String(stdout), err: String(stderr) });
    });
  });
}

const lastLine = (text: string): string => text.trimEnd().split("\n").pop() ?? "";

describe("tw trial over the fixture suites", () => {
  const work = mkdtempSync(join(tmpdir(), "tw-trial-test-"));
  const matrix = join(work, "matrix.md");
  let started: Promise<Run> | undefined;
  // One run of the whole fixture directory, shared by the checks below.
  const full = (): Promise<Run> =>
    started ??= trial([
      "-j",
      "2",
      "--timeout",
      "3",
      "--matrix",
      matrix,
      "--pattern",
      "_fixture\\.ts$",
      FIXTURES,
    ]);

  it("exits 1 when a test failed", SLOW, async () => {
    const run = await full();
    assert.equal(run.code, 1, run.out + run.err);
  });

  it("ends with the counts over every runtime", SLOW, async () => {
    const run = await full();
    // Per runtime: pass 3, fail 2+skip 1 (fail_fixture), deferred 1 ok 2 fail,
    // hang 1 ok 1 error, runtime 1, crash 1 error at least.
    assert.match(lastLine(run.out), /^\d+ passed, \d+ failed, 3 skipped$/);
    for (const runtime of ["deno", "bun", "node"]) {
      assert.match(run.out, new RegExp(`^${runtime}: \\d+ passed, \\d+ failed, 1 skipped$`, "m"));
    }
  });

  it("prints the tree with a status per runtime", SLOW, async () => {
    const run = await full();
    assert.match(run.out, /^tests\/fixtures\/trial\/pass_fixture\.ts$/m);
    assert.match(run.out, /^ {2}arithmetic\n {4}adds \.\.\. \[OK\]$/m);
    assert.match(run.out, /^ {4}fails an assertion \.\.\. \[FAIL\]$/m);
    assert.match(run.out, /^ {4}is skipped \.\.\. \[SKIPPED\]$/m);
    assert.match(
      run.out,
      /^ {2}fails on bun only \.\.\. deno \[OK\] {2}bun \[FAIL\] {2}node \[OK\]$/m,
    );
  });

  it(
    "fails a TestCase whose Deferred errbacks, and one that leaves a timer pending",
    SLOW,
    async () => {
      const run = await full();
      assert.match(run.out, /^ {4}testErrback \.\.\. \[FAIL\]$/m);
      assert.match(run.out, /^ {4}testSucceeds \.\.\. \[OK\]$/m);
      assert.match(run.out, /^ {4}testLeavesTimer \.\.\. \[FAIL\]$/m);
      assert.match(run.out, /the Deferred failed/);
      assert.match(run.out, /pending delayed call/);
    },
  );

  it("stops a hanging test at its timeout and goes on", SLOW, async () => {
    const run = await full();
    assert.match(run.out, /^ {2}before the hang \.\.\. \[OK\]$/m);
    assert.match(run.out, /^ {2}hangs \.\.\. \[ERROR\]$/m);
  });

  it("reports a runtime that dies as an error for its file", SLOW, async () => {
    const run = await full();
    const crash = run.out.split("tests/fixtures/trial/crash_fixture.ts\n")[1] ?? "";
    assert.match(crash, /\[ERROR\]/);
  });

  it("writes the Markdown matrix: a row per test, a column per runtime", SLOW, async () => {
    await full();
    const text = readFileSync(matrix, "utf8");
    assert.match(text, /^\| test \| deno \| bun \| node \|$/m);
    assert.match(
      text,
      /^\| tests\/fixtures\/trial\/runtime_fixture\.ts > fails on bun only \| ✅ \| ❌ \| ✅ \|$/m,
    );
    assert.match(
      text,
      /^\| tests\/fixtures\/trial\/fail_fixture\.ts > broken > is skipped \| ⏭ \| ⏭ \| ⏭1? \|$/m,
    );
  });

  it("cleans up", () => rmSync(work, { recursive: true, force: true }));
});

describe("tw trial reporters and options", () => {
  it("writes JUnit XML with one testsuite per runtime", SLOW, async () => {
    const work = mkdtempSync(join(tmpdir(), "tw-trial-test-"));
    try {
      const out = join(work, "report.xml");
      const run = await trial([
        "--reporter",
        "junit",
        "--output",
        out,
        "-j",
        "2",
        fixture("pass"),
        fixture("fail"),
      ]);
      assert.equal(run.code, 1, run.out + run.err);
      assert.equal(lastLine(run.out), "12 passed, 3 failed, 3 skipped");
      const xml = readFileSync(out, "utf8");
      const suites = [...xml.matchAll(/<testsuite name="(\w+)" tests="(\d+)" failures="(\d+)"/g)]
        .map((m) => `${m[1]} ${m[2]} ${m[3]}`);
      assert.deepEqual(suites, ["deno 6 1", "bun 6 1", "node 6 1"]);
      assert.match(
        xml,
        /<testcase name="broken &gt; fails an assertion" classname="tests\/fixtures\/trial\/fail_fixture.ts"/,
      );
      // A real XML parser accepts it (Python's, when there is one).
      if (existsSync("/usr/bin/python3")) {
        const parsed = await new Promise<string>((resolve, reject) => {
          execFile(
            "/usr/bin/python3",
            [
              "-c",
              "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); " +
              "print(len(r.findall('testsuite')), len(r.findall('.//testcase')))",
              out,
            ],
            (error, stdout) => error ? reject(error) : resolve(String(stdout).trim()),
          );
        });
        assert.equal(parsed, "3 18");
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("exits 0 when everything passed, with JSON on request", SLOW, async () => {
    const run = await trial(["--runtimes", "node", "--reporter", "json", fixture("pass")]);
    assert.equal(run.code, 0, run.out + run.err);
    const report = JSON.parse(run.out);
    assert.deepEqual(report.runtimes, ["node"]);
    assert.deepEqual(report.total, { passed: 3, failed: 0, skipped: 0, errors: 0 });
    const adds = report.tests.find((t: { name: string }) => t.name === "arithmetic > adds");
    assert.deepEqual(adds.path, ["arithmetic", "adds"]);
    assert.equal(adds.results.node.status, "pass");
  });

  it("prints dots with --reporter text and the last line without skips", SLOW, async () => {
    const run = await trial(["--runtimes", "deno", "--reporter", "text", fixture("pass")]);
    assert.equal(run.code, 0, run.out + run.err);
    assert.match(run.out, /^\.\.\.$/m);
    assert.match(run.out, /^PASSED \(successes=3\)$/m);
    assert.equal(lastLine(run.out), "3 passed, 0 failed");
  });

  it("runs until a failure with --until-failure, shuffled with --random", SLOW, async () => {
    const run = await trial([
      "--until-failure",
      "--random",
      "42",
      "--rterrors",
      "--runtimes",
      "bun",
      fixture("fail"),
    ]);
    assert.equal(run.code, 1, run.out + run.err);
    assert.match(run.out, /^Test Pass 1$/m);
    assert.match(run.out, /\(random seed 42\)/);
    assert.match(run.out, /^\[FAIL\] \(bun\)$/m);
    assert.equal(lastLine(run.out), "1 passed, 1 failed, 1 skipped");
  });

  it(
    "runs a runtime with the node adapter forced, reads skipTest on Deno, and fills a page's matrix",
    SLOW,
    async () => {
      const page = join(mkdtempSync(join(tmpdir(), "tw-trial-page-")), "page.md");
      writeFileSync(
        page,
        "before\n<!-- matrix:start here -->\nold table\n<!-- matrix:end -->\nafter\n",
      );
      const run = await trial([
        "--runtimes",
        "deno,deno+node",
        "--reporter",
        "json",
        "--matrix",
        page,
        "tests/fixtures/trial_adapter/adapter_fixture.ts",
      ]);
      assert.equal(run.code, 0, run.out + run.err);
      const report = JSON.parse(run.out);
      assert.deepEqual(report.runtimes, ["deno", "deno+node"]);
      const only = report.tests.find((t: { name: string }) =>
        t.name === "runs only under the node adapter"
      );
      assert.equal(only.results.deno.status, "skip");
      assert.equal(only.results.deno.message, "needs the node adapter");
      assert.equal(only.results["deno+node"].status, "pass");
      const text = readFileSync(page, "utf8");
      rmSync(join(page, ".."), { recursive: true, force: true });
      assert.match(text, /^before\n<!-- matrix:start here -->\n/);
      assert.match(text, /\n<!-- matrix:end -->\nafter\n$/);
      assert.doesNotMatch(text, /old table/);
      assert.match(text, /^\| test \| deno \| deno\+node \|$/m);
      assert.match(text, /^\| runs everywhere \| ✅ \| ✅ \|$/m);
      assert.match(text, /^\| runs only under the node adapter \| ⏭1 \| ✅ \|$/m);
      assert.match(text, /^- ⏭1: needs the node adapter$/m);
    },
  );

  it("explains itself with --help and refuses unknown runtimes", SLOW, async () => {
    const help = await trial(["--help"]);
    assert.equal(help.code, 0);
    for (const option of ["--runtimes", "--jobs", "--reporter", "--matrix", "--until-failure"]) {
      assert.ok(help.out.includes(option), option);
    }
    for (const option of ["--random", "--rterrors", "--coverage", "--timeout", "--output"]) {
      assert.ok(help.out.includes(option), option);
    }
    const bad = await trial(["--runtimes", "deno,perl", "tests"]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /"perl" is not one of deno, bun, node/);
    const badAdapter = await trial(["--runtimes", "deno+perl", "tests"]);
    assert.equal(badAdapter.code, 2);
    assert.match(
      badAdapter.err,
      /"deno\+perl" is not one of deno, bun, node \(each optionally \+node\)/,
    );
  });
});
