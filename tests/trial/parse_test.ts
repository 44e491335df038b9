// Reading the three runners' JUnit reports, and the reports tw trial writes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseJUnit, parseProgress } from "../../src/trial/_parse.ts";
import { mergeLcov } from "../../src/trial/_lcov.ts";
import { escapeXml, formatMatrix } from "../../src/trial/_report.ts";
import { collect } from "../../src/trial/_results_model.ts";

const DENO = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="4" failures="2" errors="0" time="0.011">
  <testsuite name="./a_test.ts" tests="2" disabled="0" errors="0" failures="1">
    <testcase name="top" classname="./a_test.ts" time="0.001" line="3" col="1"></testcase>
    <testcase name="group" classname="./a_test.ts" time="0.006" line="4" col="1">
      <failure message="1 test step failed">1 test step failed.</failure>
    </testcase>
  </testsuite>
  <testsuite name="ext:deno_node/testing.ts" tests="3" disabled="1" errors="0" failures="1">
    <testcase name="group &gt; fails" classname="ext:deno_node/testing.ts" time="0.001">
      <failure message="Uncaught AssertionError: 1 !== 2">AssertionError: 1 !== 2</failure>
    </testcase>
    <testcase name="group &gt; skipped" classname="ext:deno_node/testing.ts" time="0"><skipped/></testcase>
    <testcase name="group &gt; a &lt;b&gt;" classname="ext:deno_node/testing.ts" time="0"></testcase>
  </testsuite>
</testsuites>`;

const BUN = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="3" failures="1" skipped="1">
  <testsuite name="a_test.ts" file="a_test.ts" tests="3">
    <testcase name="top" classname="" time="0.0007" file="a_test.ts" />
    <testsuite name="group" file="a_test.ts" tests="2">
      <testcase name="fails" classname="group" time="0.002"><failure type="AssertionError" message="1 !== 2&#10;">AssertionError: 1 !== 2</failure></testcase>
      <testcase name="todo" classname="group" time="0"><skipped message="TODO" /></testcase>
    </testsuite>
  </testsuite>
</testsuites>`;

const NODE = `<?xml version="1.0" encoding="utf-8"?>
<testsuites>
\t<testcase name="top" time="0.0005" classname="test" file="/x/a_test.ts"/>
\t<testsuite name="group" time="0.002" tests="2">
\t\t<testcase name="hangs" time="0.5" classname="group"><failure type="testTimeoutFailure" message="test timed out after 500ms">timed out</failure></testcase>
\t\t<testcase name="later" time="0.0001" classname="group"><skipped type="todo" message="later"/><failure type="testCodeFailure" message="x">x</failure></testcase>
\t</testsuite>
\t<!-- tests 3 -->
</testsuites>`;

const brief = (xml: string) => parseJUnit(xml).map((o) => `${o.path.join(" > ")}: ${o.status}`);

describe("parseJUnit()", () => {
  it("reads Deno's flat names and drops the describe blocks it lists as tests", () => {
    assert.deepEqual(brief(DENO), [
      "top: pass",
      "group > fails: fail",
      "group > skipped: skip",
      "group > a <b>: pass",
    ]);
  });

  it("reads Bun's nested testsuites under the file's", () => {
    assert.deepEqual(brief(BUN), ["top: pass", "group > fails: fail", "group > todo: todo"]);
    assert.equal(parseJUnit(BUN)[1].message, "1 !== 2");
  });

  it("reads Node's, a timeout as an error and a failing todo as todo", () => {
    assert.deepEqual(brief(NODE), ["top: pass", "group > hangs: error", "group > later: todo"]);
  });

  it("refuses a document that is not XML", () => {
    assert.throws(() => parseJUnit("<testsuites><testcase></testsuites>"), SyntaxError);
  });
});

describe("parseProgress()", () => {
  it("finds the test Deno was running when it was stopped", () => {
    const output = "running 2 tests from ./h.ts\nquick ... \x1b[32mok\x1b[0m (1ms)\n" +
      "group ...\n  inner ... ok (0ms)\n  hangs ...\n";
    const found = parseProgress("deno", output);
    assert.deepEqual(found.outcomes.map((o) => o.path.join(" > ")), ["quick", "group > inner"]);
    assert.deepEqual(found.running, ["group", "hangs"]);
  });

  it("reads Bun's result lines", () => {
    const found = parseProgress("bun", "(pass) a > b [0.12ms]\n(fail) c [1ms]\n(skip) d\n");
    assert.deepEqual(found.outcomes.map((o) => `${o.path.join(" > ")}: ${o.status}`), [
      "a > b: pass",
      "c: fail",
      "d: skip",
    ]);
  });
});

describe("tw trial's own reports", () => {
  it("escapes XML and drops the characters XML cannot hold", () => {
    assert.equal(escapeXml('a<b>&"c"\x1b[31m\x00'), "a&lt;b&gt;&amp;&quot;c&quot;");
  });

  it("writes a matrix row per test with a column per runtime", () => {
    const runs = ["deno", "bun"].map((runtime) => ({
      runtime,
      file: "t.ts",
      outcomes: [{ path: ["a|b"], status: runtime === "bun" ? "fail" as const : "pass" as const }],
      seconds: 0,
      exitCode: 0,
      signal: null,
      output: "",
    }));
    const result = {
      runtimes: ["deno", "bun", "node"],
      files: ["t.ts"],
      runs,
      ...collect(["deno", "bun", "node"], ["t.ts"], runs),
      seconds: 0,
      exitCode: 1,
      pass: 1,
    };
    const table = formatMatrix(result);
    // One file: the rows name tests only.
    assert.match(table, /^\| a\\\|b \| ✅ \| ❌ \| – \|$/m);
    assert.match(table, /^- bun: 0 passed, 1 failed$/m);
  });

  it("merges lcov reports, adding up the hits", () => {
    const one = "SF:/p/a.ts\nFN:1,f\nFNDA:1,f\nDA:1,1\nDA:2,0\nend_of_record\n";
    const two = "SF:file:///p/a.ts\nFN:1,f\nFNDA:2,f\nDA:2,3\nend_of_record\n";
    const merged = mergeLcov([one, two]);
    assert.match(merged, /^DA:1,1\nDA:2,3\nLF:2\nLH:2$/m);
    assert.match(merged, /^FNDA:3,f$/m);
    assert.equal(merged.match(/^SF:/gm)?.length, 1);
  });
});
