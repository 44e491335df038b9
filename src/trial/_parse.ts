/**
 * Reads what each runtime's own test runner reports about one test file: its
 * JUnit file (`deno test --junit-path`, `bun test --reporter=junit`, `node
 * --test --test-reporter=junit`, three different shapes), and, when the run
 * was stopped before it wrote one, the lines it printed as it went.
 *
 * @module
 */

/** How one test ended: trial's outcomes, `todo` for an expected failure. */
export type TestStatus = "pass" | "fail" | "error" | "skip" | "todo";

/** One test's result on one runtime. */
export interface TestOutcome {
  /** The names from the outermost `describe` to the test. */
  path: string[];
  /** How it ended. */
  status: TestStatus;
  /** The failure's or skip's one-line message. */
  message?: string;
  /** The failure's full text (stack and all). */
  details?: string;
  /** Seconds it took, when reported. */
  seconds?: number;
}

/** An XML element, as far as JUnit files need. */
interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Replaces XML character and entity references. */
export function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith("#x")) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}

/** Parses the elements of an XML document (no DTDs; comments and declarations skipped). */
function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: "#root", attrs: {}, children: [], text: "" };
  const stack = [root];
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const top = stack[stack.length - 1];
    if (lt < 0) break;
    if (lt > i) top.text += unescapeXml(xml.slice(i, lt));
    if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt);
      i = end < 0 ? xml.length : end + 3;
      continue;
    }
    if (xml.startsWith("<![CDATA[", lt)) {
      const end = xml.indexOf("]]>", lt);
      top.text += xml.slice(lt + 9, end < 0 ? xml.length : end);
      i = end < 0 ? xml.length : end + 3;
      continue;
    }
    if (xml.startsWith("<?", lt) || xml.startsWith("<!", lt)) {
      const end = xml.indexOf(">", lt);
      i = end < 0 ? xml.length : end + 1;
      continue;
    }
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (m === null) throw new SyntaxError(`Malformed XML at offset ${lt}`);
    i = tag.lastIndex;
    if (m[1] === "/") {
      if (stack.length > 1 && top.name === m[2]) stack.pop();
      else throw new SyntaxError(`Unexpected </${m[2]}> at offset ${lt}`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of m[3].matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attrs[a[1]] = unescapeXml(a[2] ?? a[3]);
    }
    const element: XmlElement = { name: m[2], attrs, children: [], text: "" };
    top.children.push(element);
    if (m[4] !== "/") stack.push(element);
  }
  if (stack.length > 1) throw new SyntaxError(`Unclosed <${stack[stack.length - 1].name}>`);
  return root;
}

function firstLine(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const line = text.trim().split("\n")[0].trim();
  return line === "" ? undefined : line;
}

function timedOut(text: string): boolean {
  return /timed? ?out/i.test(text);
}

/** The outcome a `<testcase>` element reports. */
function caseOutcome(element: XmlElement, path: string[]): TestOutcome {
  const failure = element.children.find((c) => c.name === "failure" || c.name === "error");
  const skipped = element.children.find((c) => c.name === "skipped");
  const seconds = Number(element.attrs.time);
  const outcome: TestOutcome = { path, status: "pass" };
  if (Number.isFinite(seconds)) outcome.seconds = seconds;
  const todo = skipped !== undefined &&
    (skipped.attrs.type === "todo" || skipped.attrs.message === "TODO");
  if (skipped !== undefined) {
    outcome.status = todo ? "todo" : "skip";
    const why = firstLine(skipped.attrs.message);
    if (why !== undefined && why !== "TODO") outcome.message = why;
  } else if (failure !== undefined) {
    const message = failure.attrs.message ?? "";
    const details = failure.text.trim() || message;
    outcome.status = timedOut(message) || failure.name === "error" ? "error" : "fail";
    outcome.message = firstLine(message) ?? firstLine(details) ?? "failed";
    outcome.details = details;
  }
  return outcome;
}

/**
 * The test results of one runner's JUnit file for one test file: leaf tests
 * only (Deno also lists each `describe` as a test case; one that failed with
 * no failed test inside, a failing hook, is kept).
 */
export function parseJUnit(xml: string): TestOutcome[] {
  const root = parseXml(xml);
  const found: TestOutcome[] = [];
  const suites = root.children.find((c) => c.name === "testsuites") ?? root;
  // Bun wraps each file in a <testsuite> whose name is the file (it has `file`).
  const walk = (element: XmlElement, path: string[], depth: number): void => {
    for (const child of element.children) {
      if (child.name === "testsuite") {
        const fileSuite = depth === 0 &&
          (child.attrs.file !== undefined && child.attrs.file === child.attrs.name ||
            /^(\.\/|ext:|file:)/.test(child.attrs.name ?? ""));
        walk(child, fileSuite ? path : [...path, child.attrs.name ?? ""], depth + 1);
      } else if (child.name === "testcase") {
        const name = child.attrs.name ?? "";
        // Deno names nested tests "outer > inner" in one flat list.
        const parts = child.attrs.classname?.startsWith("ext:deno") ||
            element.attrs.name?.startsWith("./")
          ? name.split(" > ")
          : [name];
        found.push(caseOutcome(child, [...path, ...parts]));
      }
    }
  };
  walk(suites, [], 0);
  const key = (o: TestOutcome): string => o.path.join("\u0000");
  const keys = found.map(key);
  const isParent = (i: number): boolean =>
    keys.some((k, j) => j !== i && k.startsWith(keys[i] + "\u0000"));
  return found.filter((outcome, i) => {
    if (!isParent(i)) return true;
    if (outcome.status !== "fail" && outcome.status !== "error") return false;
    const prefix = keys[i] + "\u0000";
    return !found.some((o, j) =>
      keys[j].startsWith(prefix) && (o.status === "fail" || o.status === "error")
    );
  });
}

/** Removes terminal colour and cursor sequences. */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

/**
 * What a run stopped before its JUnit file was written had printed: Deno's
 * `name ... ok` lines (indented by nesting) or Bun's `(pass) a > b` lines. A
 * test started but never finished is returned last with status `error` and
 * `running: true`.
 */
export function parseProgress(
  runtime: string,
  output: string,
): { outcomes: TestOutcome[]; running?: string[] } {
  const outcomes: TestOutcome[] = [];
  const lines = stripAnsi(output).split(/\r?\n/);
  if (runtime === "bun") {
    for (const line of lines) {
      const m = /^\((pass|fail|skip|todo)\) (.*?)(?: \[[\d.]+m?s\])?$/.exec(line);
      if (m === null) continue;
      const status = ({ pass: "pass", fail: "fail", skip: "skip", todo: "todo" } as const)[
        m[1] as "pass" | "fail" | "skip" | "todo"
      ];
      outcomes.push({ path: m[2].split(" > "), status });
    }
    return { outcomes };
  }
  if (runtime === "node") return nodeProgress(lines);
  if (runtime !== "deno") return { outcomes };
  const open: { indent: number; name: string }[] = [];
  let running: string[] | undefined;
  for (const line of lines) {
    const m = /^( *)(.+?) \.\.\.(?: (ok|FAILED|ignored)\b.*)?$/.exec(line);
    if (m === null) continue;
    const indent = m[1].length;
    while (open.length > 0 && open[open.length - 1].indent >= indent) open.pop();
    const path = [...open.map((o) => o.name), m[2]];
    if (m[3] === undefined) {
      open.push({ indent, name: m[2] });
      running = path;
      continue;
    }
    running = undefined;
    const status = m[3] === "ok" ? "pass" : m[3] === "ignored" ? "skip" : "fail";
    outcomes.push({ path, status });
  }
  // Parents were reported like tests: keep leaves only.
  const keys = outcomes.map((o) => o.path.join("\u0000"));
  const leaves = outcomes.filter((_o, i) =>
    !keys.some((k, j) => j !== i && k.startsWith(keys[i] + "\u0000"))
  );
  return running === undefined ? { outcomes: leaves } : { outcomes: leaves, running };
}

/** The results node's spec reporter printed: `✔ name`, `✖ name`, suites opened by `▶`. */
function nodeProgress(lines: string[]): { outcomes: TestOutcome[] } {
  const outcomes: TestOutcome[] = [];
  const open: { indent: number; name: string }[] = [];
  for (const line of lines) {
    if (/^(ℹ |✖ failing tests:|Interrupted while running)/.test(line)) break;
    const m = /^( *)(✔|✖|﹣|▶) (.+?)(?: \(([\d.]+)(m?s)\))?(?: # (SKIP|TODO)\b.*)?$/.exec(line);
    if (m === null) continue;
    const indent = m[1].length;
    while (open.length > 0 && open[open.length - 1].indent >= indent) open.pop();
    if (m[2] === "▶") {
      open.push({ indent, name: m[3] });
      continue;
    }
    const status: TestStatus = m[6] === "SKIP"
      ? "skip"
      : m[6] === "TODO"
      ? "todo"
      : m[2] === "✔"
      ? "pass"
      : m[2] === "﹣"
      ? "skip"
      : "fail";
    const outcome: TestOutcome = { path: [...open.map((o) => o.name), m[3]], status };
    if (m[4] !== undefined) outcome.seconds = Number(m[4]) / (m[5] === "ms" ? 1000 : 1);
    outcomes.push(outcome);
  }
  const keys = outcomes.map((o) => o.path.join("\u0000"));
  return {
    outcomes: outcomes.filter((_o, i) =>
      !keys.some((k, j) => j !== i && k.startsWith(keys[i] + "\u0000"))
    ),
  };
}
