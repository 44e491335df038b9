// The public docs, from `deno doc --json` of every entry point: each exported
// class and function has an @example, and no member named `_x` is documented.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
// @ts-types="../scripts/doc_audit.d.mts"
import { audit, readDocs } from "../scripts/doc_audit.mjs";

const location = { filename: "file:///nowhere/src/x.ts", line: 1 };

describe("docs audit", () => {
  it("finds a class without an example and a documented _ member", () => {
    const docs = {
      nodes: {
        "file:///nowhere/mod.ts": {
          symbols: [
            {
              name: "Documented",
              declarations: [{
                kind: "function",
                location,
                jsDoc: { tags: [{ kind: "example" }] },
              }],
            },
            {
              name: "Bare",
              declarations: [{
                kind: "class",
                location,
                def: { methods: [{ name: "_hidden" }, { name: "__call__" }, { name: "shown" }] },
              }],
            },
          ],
        },
      },
    };
    const found = audit(docs);
    assert.equal(found.missingExamples.length, 1);
    assert.match(found.missingExamples[0], / Bare$/);
    assert.equal(found.privateMembers.length, 1);
    assert.match(found.privateMembers[0], / Bare\._hidden$/);
  });

  it("finds nothing missing in this repository's entry points", () => {
    const found = audit(readDocs());
    assert.deepEqual(found, { missingExamples: [], privateMembers: [] });
  });
});
