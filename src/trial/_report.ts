/**
 * The reports of a `tw trial` run: trial's tree and text reporters (one
 * status per runtime), JUnit XML with one testsuite per runtime, JSON, and
 * the Markdown runtime matrix.
 *
 * @module
 */
import {
  type FileRun,
  statusTag,
  type SuiteCounts,
  type SuiteResult,
  type SuiteTest,
  testName,
  type TestStatus,
} from "./_results_model.ts";

/** The reporters of `tw trial --reporter`. */
export type ReporterName = "tree" | "text" | "junit" | "json";

/** The reporters, for option checking. */
export const REPORTERS: readonly ReporterName[] = ["tree", "text", "junit", "json"];

const RULE = "-".repeat(79);
const DOUBLE_RULE = "=".repeat(79);

/** `5 passed, 1 failed, 2 skipped` (the skipped part only when there are some). */
export function countsLine(counts: SuiteCounts): string {
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : "";
  return `${counts.passed} passed, ${counts.failed} failed${skipped}`;
}

function isBad(status: TestStatus | undefined): boolean {
  return status === "fail" || status === "error";
}

/** The statuses of one test, one per runtime (just one when all runtimes agree). */
function statuses(test: SuiteTest, runtimes: string[]): string {
  if (runtimes.length === 1) return statusTag(test.results[runtimes[0]]?.status);
  const tags = runtimes.map((r) => statusTag(test.results[r]?.status));
  if (tags.every((t) => t === tags[0])) return tags[0];
  return runtimes.map((r, i) => `${r} ${tags[i]}`).join("  ");
}

/** trial's tree: the file, the describe blocks indented, each test with its status. */
export function formatTree(result: SuiteResult): string {
  const out: string[] = [];
  let file: string | undefined;
  let open: string[] = [];
  for (const test of result.tests) {
    if (test.file !== file) {
      file = test.file;
      open = [];
      out.push(file);
    }
    const groups = test.path.slice(0, -1);
    let same = 0;
    while (same < open.length && same < groups.length && open[same] === groups[same]) same++;
    for (let i = same; i < groups.length; i++) out.push(`${"  ".repeat(i + 1)}${groups[i]}`);
    open = groups;
    const name = test.path.length === 0 ? "(file)" : test.path[test.path.length - 1];
    out.push(`${"  ".repeat(groups.length + 1)}${name} ... ${statuses(test, result.runtimes)}`);
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/** The failures and errors, each with the runtimes it happened on and its text. */
export function formatFailures(tests: SuiteTest[], runtimes: string[]): string {
  const out: string[] = [];
  for (const test of tests) {
    // One block per distinct failure text; the runtimes that share it are named together.
    const byText = new Map<string, { status: TestStatus; runtimes: string[] }>();
    for (const runtime of runtimes) {
      const outcome = test.results[runtime];
      if (outcome === undefined || !isBad(outcome.status)) continue;
      const text = (outcome.details ?? outcome.message ?? "").trim();
      const entry = byText.get(text) ?? { status: outcome.status, runtimes: [] };
      entry.runtimes.push(runtime);
      byText.set(text, entry);
    }
    for (const [text, entry] of byText) {
      out.push(DOUBLE_RULE, `${statusTag(entry.status)} (${entry.runtimes.join(", ")})`);
      if (text !== "") out.push(text);
      out.push("", `${test.file} > ${testName(test.path)}`);
    }
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/** The summary: time, counts per runtime, trial's PASSED / FAILED line and the last line. */
export function formatSummary(result: SuiteResult): string {
  const out = [
    RULE,
    `Ran ${result.tests.length} tests in ${result.files.length} files on ` +
    `${result.runtimes.join(", ") || "no runtime"} in ${result.seconds.toFixed(3)}s` +
    (result.seed !== undefined ? ` (random seed ${result.seed})` : ""),
    "",
  ];
  for (const runtime of result.runtimes) {
    out.push(`${runtime}: ${countsLine(result.byRuntime[runtime])}`);
  }
  if (result.coverage !== undefined) {
    const { file, missing } = result.coverage;
    out.push(file === null ? "coverage: none written" : `coverage: ${file}`);
    if (missing.length > 0) out.push(`coverage: none from ${missing.join(", ")}`);
  }
  const t = result.total;
  const parts = [`failures=${t.failed - t.errors}`, `errors=${t.errors}`, `skips=${t.skipped}`]
    .filter((p) => !p.endsWith("=0"));
  out.push(
    "",
    result.exitCode === 0
      ? `PASSED (successes=${t.passed}${t.skipped ? `, skips=${t.skipped}` : ""})`
      : `FAILED (${parts.join(", ")})`,
    countsLine(t),
  );
  return `${out.join("\n")}\n`;
}

const PROGRESS: Record<TestStatus, string> = {
  pass: ".",
  fail: "F",
  error: "E",
  skip: "S",
  todo: "T",
};

/** trial's text reporter's progress for one file run: a character per test. */
export function formatProgress(run: FileRun): string {
  return run.outcomes.map((o) => PROGRESS[o.status]).join("");
}

/** The failures of one file run as they happen (`--rterrors`). */
export function formatRunFailures(run: FileRun): string {
  const tests: SuiteTest[] = run.outcomes.filter((o) => isBad(o.status)).map((o) => ({
    file: run.file,
    path: o.path,
    results: { [run.runtime]: o },
  }));
  return formatFailures(tests, [run.runtime]);
}

/** The whole tree or text report: tests, failures (unless already shown), summary. */
export function formatText(
  result: SuiteResult,
  options: { tree: boolean; failuresShown: boolean },
): string {
  let text = options.tree ? formatTree(result) : "";
  if (!options.tree) text += "\n";
  if (!options.failuresShown) {
    const failures = formatFailures(result.tests, result.runtimes);
    if (failures !== "") text += `\n${failures}`;
  }
  return `${text}${formatSummary(result)}`;
}

/** Escapes text for XML, dropping the characters XML cannot hold (terminal escapes...). */
export function escapeXml(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, "")
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** One JUnit file: a testsuite per runtime, a testcase per test that runtime ran. */
export function formatJUnit(result: SuiteResult): string {
  const t = result.total;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="tw trial" tests="${t.passed + t.failed + t.skipped}" ` +
    `failures="${t.failed - t.errors}" errors="${t.errors}" skipped="${t.skipped}" ` +
    `time="${result.seconds.toFixed(3)}">`,
  ];
  for (const runtime of result.runtimes) {
    const c = result.byRuntime[runtime];
    const time = result.runs.filter((r) => r.runtime === runtime)
      .reduce((sum, r) => sum + r.seconds, 0);
    out.push(
      `  <testsuite name="${escapeXml(runtime)}" tests="${c.passed + c.failed + c.skipped}" ` +
        `failures="${c.failed - c.errors}" errors="${c.errors}" skipped="${c.skipped}" ` +
        `time="${time.toFixed(3)}">`,
    );
    for (const test of result.tests) {
      const outcome = test.results[runtime];
      if (outcome === undefined) continue;
      const attrs = `name="${escapeXml(testName(test.path))}" classname="${escapeXml(test.file)}"` +
        ` time="${(outcome.seconds ?? 0).toFixed(3)}"`;
      const message = escapeXml(outcome.message ?? "");
      switch (outcome.status) {
        case "pass":
          out.push(`    <testcase ${attrs}/>`);
          break;
        case "skip":
        case "todo":
          out.push(
            `    <testcase ${attrs}>`,
            `      <skipped message="${outcome.status === "todo" ? "todo" : "skipped"}` +
              `${message ? `: ${message}` : ""}"/>`,
            "    </testcase>",
          );
          break;
        default: {
          const tag = outcome.status === "error" ? "error" : "failure";
          out.push(
            `    <testcase ${attrs}>`,
            `      <${tag} message="${message}">${
              escapeXml(outcome.details ?? outcome.message ?? "")
            }</${tag}>`,
            "    </testcase>",
          );
        }
      }
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}

/** The run as JSON: the runtimes, the counts, and every test with its outcome per runtime. */
export function formatJSON(result: SuiteResult): string {
  return `${
    JSON.stringify(
      {
        runtimes: result.runtimes,
        files: result.files,
        seconds: result.seconds,
        exitCode: result.exitCode,
        seed: result.seed,
        total: result.total,
        byRuntime: result.byRuntime,
        coverage: result.coverage,
        tests: result.tests.map((test) => ({
          file: test.file,
          path: test.path,
          name: testName(test.path),
          results: test.results,
        })),
      },
      null,
      2,
    )
  }\n`;
}

const MATRIX_MARK: Record<TestStatus, string> = {
  pass: "✅",
  fail: "❌",
  error: "💥",
  skip: "⏭",
  todo: "📝",
};

function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** The Markdown runtime matrix: one row per test, one column per runtime. */
export function formatMatrix(result: SuiteResult): string {
  const out = [
    `| test | ${result.runtimes.join(" | ")} |`,
    `|---|${result.runtimes.map(() => "---").join("|")}|`,
  ];
  const reasons: string[] = [];
  // One file: its name in every row says nothing.
  const oneFile = result.files.length === 1;
  // A group some runner reports as a test of its own (Deno does) is not a row.
  const groups = new Set<string>();
  for (const test of result.tests) {
    for (let i = 1; i < test.path.length; i++) {
      groups.add(JSON.stringify([test.file, ...test.path.slice(0, i)]));
    }
  }
  for (const test of result.tests) {
    if (groups.has(JSON.stringify([test.file, ...test.path]))) continue;
    const marks = result.runtimes.map((r) => {
      const outcome = test.results[r];
      if (outcome === undefined) return "–";
      if (outcome.status !== "skip" || !outcome.message) return MATRIX_MARK[outcome.status];
      let n = reasons.indexOf(outcome.message);
      if (n < 0) n = reasons.push(outcome.message) - 1;
      return `${MATRIX_MARK.skip}${n + 1}`;
    });
    const name = oneFile ? testName(test.path) : `${test.file} > ${testName(test.path)}`;
    out.push(`| ${cell(name)} | ${marks.join(" | ")} |`);
  }
  out.push(
    "",
    "✅ passed; ❌ failed; 💥 error (timeout, crash, did not load); ⏭ skipped; 📝 todo; " +
      "– not run.",
    "",
    ...reasons.map((reason, i) => `- ${MATRIX_MARK.skip}${i + 1}: ${cell(reason)}`),
    ...(reasons.length > 0 ? [""] : []),
    ...result.runtimes.map((r) => `- ${r}: ${countsLine(result.byRuntime[r])}`),
  );
  return `${out.join("\n")}\n`;
}
