// DESIGN.md invariant 1: src/ references no runtime global and imports no node: module.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...sourceFiles(path));
    else if (path.endsWith(".ts")) found.push(path);
  }
  return found;
}

const forbidden: [RegExp, string][] = [
  [/from\s+["']node:/, "imports a node: module"],
  [/import\(\s*["']node:/, "imports a node: module"],
  [/\bDeno\./, "uses the Deno global"],
  [/\bBun\./, "uses the Bun global"],
  [/globalThis\.(Deno|Bun|process)\b/, "reads a runtime global"],
  [/\bprocess\.(env|argv|exit|on|stdout|stderr|pid|platform|nextTick)\b/, "uses Node's process"],
  [/\brequire\(/, "uses require"],
  [/from\s+["'](npm|jsr):/, "imports a registry specifier"],
];

/** Lines of `text` without comments, so documentation may name runtimes. */
function codeLines(text: string): string[] {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .split("\n").map((line) => line.replace(/\/\/.*$/, ""));
}

describe("src/ is runtime-free", () => {
  it("finds the source files to scan", () => {
    assert.ok(sourceFiles(join(root, "src")).length >= 3);
  });

  it("has no runtime global, node: import or registry specifier in any file", () => {
    const problems: string[] = [];
    for (const file of sourceFiles(join(root, "src"))) {
      codeLines(readFileSync(file, "utf8")).forEach((line, i) => {
        for (const [pattern, what] of forbidden) {
          if (pattern.test(line)) problems.push(`${file.slice(root.length)}:${i + 1} ${what}`);
        }
      });
    }
    assert.deepEqual(problems, []);
  });

  it("detects a forbidden line when one is present", () => {
    const sample = codeLines('import fs from "node:fs";\n// Deno.listen in a comment\n');
    const hits = sample.filter((line) => forbidden.some(([p]) => p.test(line)));
    assert.equal(hits.length, 1);
  });
});

describe("src/ reaches runtimes/ only through reactor selection", () => {
  const entryPoints = new Set(
    Object.values(
      JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports as Record<string, string>,
    ).map((file) => join(root, file)),
  );

  it("imports runtimes/select.ts only from entry points, and nothing else of runtimes/", () => {
    const problems: string[] = [];
    for (const file of sourceFiles(join(root, "src"))) {
      codeLines(readFileSync(file, "utf8")).forEach((line, i) => {
        const target = /(?:from\s+|import\s*\(?\s*)["']([^"']*runtimes\/[^"']*)["']/.exec(line)
          ?.[1];
        if (target === undefined) return;
        const where = `${file.slice(root.length)}:${i + 1}`;
        if (!target.endsWith("runtimes/select.ts")) problems.push(`${where} imports ${target}`);
        else if (!entryPoints.has(file)) problems.push(`${where} is no entry point`);
      });
    }
    assert.deepEqual(problems, []);
  });
});
