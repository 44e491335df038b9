import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  contentRange,
  datetimeToString,
  parseRangeHeader,
  stringToDatetime,
} from "../../src/web/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("parseRangeHeader", () => {
  it("parses single, open-ended, suffix and multiple ranges, clipped to the size", () => {
    assert.deepEqual(parseRangeHeader("bytes=0-9", 100), [[0, 9]]);
    assert.deepEqual(parseRangeHeader("bytes=90-", 100), [[90, 99]]);
    assert.deepEqual(parseRangeHeader("bytes=-10", 100), [[90, 99]]);
    assert.deepEqual(parseRangeHeader("bytes=-500", 100), [[0, 99]]);
    assert.deepEqual(parseRangeHeader("bytes=0-0, 50-200", 100), [[0, 0], [50, 99]]);
    assert.deepEqual(parseRangeHeader("Bytes = 1-2", 100), [[1, 2]]);
  });

  it("reports unsatisfiable ranges and ignores malformed headers", () => {
    assert.equal(parseRangeHeader("bytes=100-", 100), "unsatisfiable");
    assert.equal(parseRangeHeader("bytes=-0", 100), "unsatisfiable");
    assert.equal(parseRangeHeader("bytes=5-1", 100), null);
    assert.equal(parseRangeHeader("bytes=a-b", 100), null);
    assert.equal(parseRangeHeader("items=0-1", 100), null);
    assert.equal(parseRangeHeader("bytes=", 100), null);
    assert.equal(parseRangeHeader("bytes=-", 100), null);
  });

  it("formats Content-Range", () => {
    assert.equal(contentRange([0, 9], 100), "bytes 0-9/100");
    assert.equal(contentRange(null, 100), "bytes */100");
  });
});

describe("HTTP dates", () => {
  it("formats IMF-fixdate and parses the three HTTP date formats", () => {
    assert.equal(datetimeToString(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert.equal(stringToDatetime("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    assert.equal(stringToDatetime("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
    assert.equal(stringToDatetime("Sun Nov  6 08:49:37 1994"), 784111777);
    assert.equal(stringToDatetime("not a date"), null);
  });
});
