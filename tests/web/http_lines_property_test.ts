// The request-line and header-line parsers (the header one with a one-regex
// fast path for well-formed lines) checked against the rules written out
// plainly, on random lines made of the characters that matter. The one-pass
// head parser the channel tries first must accept exactly the heads they accept.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  HTTPParseError,
  latin1Bytes,
  parseHead,
  parseHeaderLine,
  parseRequestLine,
} from "../../src/web/_http_parse.ts";
import { Headers } from "../../src/web/_headers.ts";
import { valuesOf } from "../../src/web/_internal.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

// An HTTPChannel's defaults.
const LIMITS = { maxRequestLineLength: 8192, maxHeaders: 100 };
const TOKEN_CHARS = "!#$%&'*+-.^_`|~09AZaz";
const isTokenChar = (c: string): boolean => /[0-9A-Za-z]/.test(c) || "!#$%&'*+-.^_`|~".includes(c);
const isToken = (s: string): boolean => s.length > 0 && [...s].every(isTokenChar);

/** The header-line rules (RFC 9110 5.5, RFC 9112 5.2): [name, value] or null for "refused". */
function referenceHeader(line: string): [string, string] | null {
  if (line.startsWith(" ") || line.startsWith("\t")) return null; // obs-fold
  const colon = line.indexOf(":");
  if (colon <= 0 || !isToken(line.slice(0, colon))) return null;
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
  for (const c of value) {
    const code = c.charCodeAt(0);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return null;
  }
  return [line.slice(0, colon), value];
}

/** The request-line rules: [method, uri, version], "505", or null for 400. */
function referenceRequestLine(line: string): [string, string, string] | "505" | null {
  const parts = line.split(" ");
  if (parts.length !== 3) return null;
  const [method, uri, version] = parts;
  if (!isToken(method)) return null;
  if (uri.length === 0 || [...uri].some((c) => c < "\x21" || c > "\x7e")) return null;
  if (version === "HTTP/1.1" || version === "HTTP/1.0") return [method, uri, version];
  return /^HTTP\/\d\.\d$/.test(version) ? "505" : null;
}

function outcome<T>(fn: () => T): T | number {
  try {
    return fn();
  } catch (e) {
    assert.ok(e instanceof HTTPParseError, `only HTTPParseError escapes: ${e}`);
    return e.code;
  }
}

const headerChars = (max: number) =>
  fc.array(
    fc.constantFrom(
      ...TOKEN_CHARS,
      ":",
      " ",
      "\t",
      "\x00",
      "\x01",
      "\x0b",
      "\x7f",
      "\xe9",
      "\r",
      "v",
      "/",
    ),
    { maxLength: max },
  ).map((cs) => cs.join(""));
const ows = fc.constantFrom("", " ", "\t", "  \t");
// Random lines, and lines shaped like headers (name, colon, OWS, value, OWS).
const headerLine = fc.oneof(
  headerChars(24),
  fc.tuple(fc.constantFrom("Host", "X-a.b", "a b", "", "\xe9"), ows, headerChars(12), ows)
    .map(([name, pre, value, post]) => `${name}:${pre}${value}${post}`),
);

// Lines shaped like request lines, with good and bad parts in each place.
const requestLine = fc.tuple(
  fc.constantFrom("GET", "get", "P@ST", "", "M-SEARCH"),
  fc.constantFrom(" ", "  ", "\t", ""),
  fc.constantFrom("/", "/a?b=1", "*", "", "/\x7f", "/\xe9", "/ x", "http://h/p"),
  fc.constantFrom(" ", "  ", ""),
  fc.constantFrom(
    "HTTP/1.1",
    "HTTP/1.0",
    "HTTP/1.2",
    "HTTP/2.0",
    "HTTP/1.10",
    "http/1.1",
    "",
    "HTTP/1.1 ",
  ),
).map((parts) => parts.join(""));

describe("HTTP line parsers", () => {
  it("parse header lines as the rules say", () => {
    fc.assert(
      fc.property(headerLine, (line) => {
        const expected = referenceHeader(line);
        const got = outcome(() => parseHeaderLine(line));
        if (expected === null) assert.equal(got, 400, JSON.stringify(line));
        else assert.deepEqual(got, expected, JSON.stringify(line));
      }),
      { numRuns: 3000 },
    );
    assert.deepEqual(parseHeaderLine("Host: a b \t"), ["Host", "a b"]);
    assert.deepEqual(parseHeaderLine("X:"), ["X", ""]);
  });

  it("parse request lines as the rules say", () => {
    fc.assert(
      fc.property(requestLine, (line) => {
        const expected = referenceRequestLine(line);
        const got = outcome(() => parseRequestLine(line));
        if (expected === null) assert.equal(got, 400, JSON.stringify(line));
        else if (expected === "505") assert.equal(got, 505, JSON.stringify(line));
        else {
          assert.deepEqual(got, { method: expected[0], uri: expected[1], version: expected[2] });
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("read a whole head in one pass exactly as line by line", () => {
    // Mostly good lines, so that many heads are whole and well formed; some
    // with one bad character somewhere, some random.
    const goodValue = fc.array(fc.constantFrom("a", "~", "/", " ", "\t", "\xe9", ":", "v"), {
      maxLength: 8,
    }).map((cs) => cs.join(""));
    const goodHeader = fc.tuple(fc.constantFrom("Host", "X-a.b", "~"), ows, goodValue, ows)
      .map(([name, pre, value, post]) => `${name}:${pre}${value}${post}`);
    const spoiledHeader = fc.tuple(
      goodHeader,
      fc.constantFrom("\x00", "\x7f", "\r", "\x0b", " ", "\t", "\r\x00"),
      fc.nat(),
    ).map(([line, bad, at]) =>
      line.slice(0, at % (line.length + 1)) + bad + line.slice(at % (line.length + 1))
    );
    const anyHeader = fc.oneof(
      { arbitrary: goodHeader, weight: 4 },
      { arbitrary: spoiledHeader, weight: 2 },
      { arbitrary: headerLine, weight: 1 },
    );
    const head = fc.tuple(
      fc.oneof({ arbitrary: fc.constant("GET /x?y=1 HTTP/1.1"), weight: 2 }, {
        arbitrary: requestLine,
        weight: 1,
      }),
      fc.array(anyHeader, { maxLength: 4 }),
    ).map(([line, headers]) => [line, ...headers].join("\r\n"));
    fc.assert(
      fc.property(head, (text) => {
        // The head ends at its first blank line.
        const all = text.split("\r\n");
        const blank = all.indexOf("", 1);
        const lines = blank < 0 ? all : all.slice(0, blank);
        const end = lines.join("\r\n").length + 4;
        const requestLine = referenceRequestLine(lines[0]);
        const fields = lines.slice(1).map(referenceHeader);
        const got = new Headers();
        const bytes = latin1Bytes(text + "\r\n\r\n");
        const result = parseHead(bytes, 0, bytes.length, got, LIMITS);
        if (
          /\r(?!\n)/.test(lines.join("\r\n")) || !Array.isArray(requestLine) ||
          fields.some((f) => f === null)
        ) {
          assert.equal(result, null, JSON.stringify(text));
          return;
        }
        assert.deepEqual(result, {
          method: requestLine[0],
          uri: requestLine[1],
          version: requestLine[2],
          end,
        });
        // Cut anywhere, the head is incomplete: no answer, and nothing read.
        const cut = (text.length * 7919) % end;
        const partial = new Headers();
        assert.equal(parseHead(bytes, 0, cut, partial, LIMITS), null);
        assert.equal(parseHead(bytes.subarray(0, cut), 0, cut, partial, LIMITS), null);
        assert.equal(partial.size, 0);
        const expected = new Headers();
        for (const [name, value] of fields as [string, string][]) {
          expected.addRawHeader(name, value);
        }
        assert.deepEqual([...got], [...expected], JSON.stringify(text));
      }),
      { numRuns: 5000 },
    );
    const headers = new Headers();
    // A head in the middle of a read, with a value above ASCII.
    // It ends at the first blank line: a pipelined request follows.
    const read = latin1Bytes(
      "xGET / HTTP/1.1\r\nHost: a \r\nhost:\xe9\r\n\r\nGET / HTTP/1.1\r\n\r\n",
    );
    assert.deepEqual(parseHead(read, 1, read.length, headers, LIMITS), {
      method: "GET",
      uri: "/",
      version: "HTTP/1.1",
      end: read.length - 18,
    });
    // Over a limit: left to the line-by-line reading, which names the error.
    assert.equal(
      parseHead(read, 1, read.length, new Headers(), { ...LIMITS, maxHeaders: 1 }),
      null,
    );
    assert.equal(
      parseHead(read, 1, read.length, new Headers(), { ...LIMITS, maxRequestLineLength: 14 }),
      null,
    );
    assert.notEqual(
      parseHead(read, 1, read.length, new Headers(), { ...LIMITS, maxRequestLineLength: 15 }),
      null,
    );
    assert.deepEqual(headers[valuesOf]("host"), ["a", "\xe9"]);
    assert.deepEqual(headers.getRawHeaders("HOST"), ["a", "\xe9"]);
  });
});
