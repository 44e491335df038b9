// Audits the public docs (README "Docs"): every exported class and function
// has an @example, and no member whose name starts with "_" is documented.
// Usage: node scripts/doc_audit.mjs [--json] [--under src/web]
// Reads `deno doc --json` of every entry point in deno.json; exits 1 on a gap.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const under = args.includes("--under") ? args[args.indexOf("--under") + 1] : "";
const deno = process.env.DENO_BIN ?? `${root}node_modules/.bin/deno`;

/** The doc nodes of every entry point, from `deno doc --json`. */
export function readDocs() {
  const exports = JSON.parse(readFileSync(`${root}deno.json`, "utf8")).exports;
  const out = execFileSync(deno, ["doc", "--json", ...Object.values(exports)], {
    cwd: root,
    maxBuffer: 1 << 28,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: "1" },
  });
  return JSON.parse(out.toString("utf8"));
}

/** Lists what the docs lack: `{ missingExamples, privateMembers }`, sorted. */
export function audit(docs) {
  const seen = new Set();
  const missingExamples = [];
  const privateMembers = [];
  for (const module of Object.values(docs.nodes)) {
    for (const symbol of module.symbols ?? []) {
      const decls = symbol.declarations.filter((d) => d.kind !== "reference");
      if (decls.length === 0) continue;
      const where = decls[0].location;
      const file = where.filename.replace(`file://${root}`, "");
      const key = `${file}:${symbol.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const at = `${file}:${where.line} ${symbol.name}`;
      const kinds = new Set(decls.map((d) => d.kind));
      const hasExample = decls.some((d) => (d.jsDoc?.tags ?? []).some((t) => t.kind === "example"));
      if ((kinds.has("class") || kinds.has("function")) && !hasExample) missingExamples.push(at);
      if (symbol.name.startsWith("_")) privateMembers.push(at);
      for (const d of decls) {
        const def = d.def ?? {};
        const members = [
          ...(def.properties ?? []),
          ...(def.methods ?? []),
          ...(def.callSignatures ?? []),
        ];
        for (const member of members) {
          if (typeof member.name !== "string" || !member.name.startsWith("_")) continue;
          // Python's special-method names (`__call__`) are public API, not internals.
          if (/^__\w+__$/.test(member.name)) continue;
          if (member.accessibility === "private") continue;
          privateMembers.push(`${at}.${member.name}`);
        }
      }
    }
  }
  const inScope = (line) => line.startsWith(under);
  return {
    missingExamples: missingExamples.filter(inScope).sort(),
    privateMembers: [...new Set(privateMembers)].filter(inScope).sort(),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = audit(readDocs());
  if (args.includes("--json")) console.log(JSON.stringify(result, null, 2));
  else {
    for (const line of result.missingExamples) console.log(`no @example: ${line}`);
    for (const line of result.privateMembers) console.log(`documented _ member: ${line}`);
    console.log(
      `${result.missingExamples.length} without an example, ` +
        `${result.privateMembers.length} documented _ members`,
    );
  }
  process.exit(result.missingExamples.length + result.privateMembers.length === 0 ? 0 : 1);
}
