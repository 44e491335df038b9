/**
 * Merges lcov reports (one per runtime and file run) into one: the hits of
 * each line, function and branch of a source file are added up, and the
 * totals recomputed.
 *
 * @module
 */

interface SourceRecord {
  lines: Map<number, number>;
  functions: Map<string, { line: number; hits: number }>;
  branches: Map<string, number | null>;
}

function recordOf(files: Map<string, SourceRecord>, path: string): SourceRecord {
  let record = files.get(path);
  if (record === undefined) {
    record = { lines: new Map(), functions: new Map(), branches: new Map() };
    files.set(path, record);
  }
  return record;
}

/** Normalizes a source path: `file://` URLs become paths. */
function sourcePath(text: string): string {
  if (!text.startsWith("file://")) return text;
  try {
    return decodeURIComponent(new URL(text).pathname);
  } catch {
    return text;
  }
}

/**
 * Adds `reports` (lcov texts) together into one lcov text, the source files
 * sorted by path. `place`, when given, turns each source path into the one to
 * report (relative ones made absolute...), or undefined to leave it out.
 */
export function mergeLcov(
  reports: string[],
  place?: (path: string) => string | undefined,
): string {
  const files = new Map<string, SourceRecord>();
  for (const report of reports) {
    let current: SourceRecord | undefined;
    for (const raw of report.split(/\r?\n/)) {
      const line = raw.trim();
      const colon = line.indexOf(":");
      const tag = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1);
      if (tag === "SF") {
        const path = place === undefined ? sourcePath(value) : place(sourcePath(value));
        current = path === undefined ? undefined : recordOf(files, path);
      } else if (tag === "end_of_record") {
        current = undefined;
      } else if (current === undefined) {
        continue;
      } else if (tag === "DA") {
        const [lineNo, hits] = value.split(",");
        const n = Number(lineNo);
        current.lines.set(n, (current.lines.get(n) ?? 0) + (Number(hits) || 0));
      } else if (tag === "FN") {
        const comma = value.indexOf(",");
        const name = value.slice(comma + 1);
        if (!current.functions.has(name)) {
          current.functions.set(name, { line: Number(value.slice(0, comma)), hits: 0 });
        }
      } else if (tag === "FNDA") {
        const comma = value.indexOf(",");
        const name = value.slice(comma + 1);
        const fn = current.functions.get(name) ?? { line: 0, hits: 0 };
        fn.hits += Number(value.slice(0, comma)) || 0;
        current.functions.set(name, fn);
      } else if (tag === "BRDA") {
        const parts = value.split(",");
        const key = parts.slice(0, 3).join(",");
        const taken = parts[3] === "-" ? null : Number(parts[3]) || 0;
        const before = current.branches.get(key);
        current.branches.set(
          key,
          before === undefined || before === null ? taken : before + (taken ?? 0),
        );
      }
    }
  }
  const out: string[] = [];
  for (const path of [...files.keys()].sort()) {
    const record = files.get(path)!;
    out.push("TN:", `SF:${path}`);
    const functions = [...record.functions].sort((a, b) => a[1].line - b[1].line);
    for (const [name, fn] of functions) out.push(`FN:${fn.line},${name}`);
    for (const [name, fn] of functions) out.push(`FNDA:${fn.hits},${name}`);
    out.push(`FNF:${functions.length}`, `FNH:${functions.filter(([, f]) => f.hits > 0).length}`);
    for (const [key, taken] of record.branches) out.push(`BRDA:${key},${taken ?? "-"}`);
    const branches = [...record.branches.values()];
    out.push(`BRF:${branches.length}`, `BRH:${branches.filter((t) => (t ?? 0) > 0).length}`);
    const lines = [...record.lines].sort((a, b) => a[0] - b[0]);
    for (const [n, hits] of lines) out.push(`DA:${n},${hits}`);
    out.push(`LF:${lines.length}`, `LH:${lines.filter(([, h]) => h > 0).length}`);
    out.push("end_of_record");
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}
