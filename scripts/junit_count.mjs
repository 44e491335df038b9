// Counts the leaf test cases of a Deno JUnit report (describe blocks are
// reported as test cases too; only the innermost ones are tests).
// Prints "<passed> <failed> <skipped>".
import { readFileSync } from "node:fs";

const xml = readFileSync(process.argv[2], "utf8");
const cases = [];
for (const m of xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
  cases.push({ name: m[1], failed: /<failure/.test(m[2]), skipped: /<skipped/.test(m[2]) });
}
const isParent = (c) => cases.some((o) => o.name.startsWith(c.name + " &gt; "));
let passed = 0, failed = 0, skipped = 0;
for (const c of cases) {
  if (
    c.failed &&
    (!isParent(c) || !cases.some((o) => o.failed && o !== c && o.name.startsWith(c.name)))
  ) failed++;
  else if (isParent(c)) continue;
  else if (c.skipped) skipped++;
  else passed++;
}
console.log(`${passed} ${failed} ${skipped}`);
