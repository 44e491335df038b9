// Property tests (fast-check) for what the FTP client parses: replies (single
// and multi-line, any chunking, CR LF or LF) reach the commands waiting for
// them intact; any bytes from a server give replies or a clean close, never
// a throw; `ls -l` lines written from random entries read back the same in
// any chunking, random bytes never throw; 257 paths survive RFC 959 quoting.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Failure } from "../../../src/internet/failure.ts";
import { MemoryReactor, StringTransport, trackLeaks } from "../../../src/testing/mod.ts";
import {
  CommandFailed,
  FTPClient,
  type FTPFileInfo,
  FTPFileListProtocol,
  parsePWDResponse,
} from "../../../src/protocols/ftp/mod.ts";

trackLeaks({ beforeEach, afterEach });

const RUNS = { numRuns: 200 };
const enc = new TextEncoder();

function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (data.byteLength + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of [...points, data.byteLength]) {
    out.push(data.slice(at, p));
    at = p;
  }
  return out;
}

function loggedIn(): { client: FTPClient; transport: StringTransport } {
  const client = new FTPClient("u", "p", { reactor: new MemoryReactor() });
  const transport = new StringTransport();
  client.makeConnection(transport);
  client.dataReceived(enc.encode("220 hi\r\n230 ok\r\n200 binary\r\n"));
  transport.clear();
  return { client, transport };
}

/** Printable text without CR or LF (and no leading code in continuation lines, see below). */
const text = fc.string({ unit: fc.constantFrom(...'abc XYZ 019-"/_é'), maxLength: 30 });

const reply = fc.record({
  code: fc.integer({ min: 200, max: 599 }),
  first: text,
  middle: fc.array(text, { maxLength: 5 }),
  last: text,
}).map(({ code, first, middle, last }) => {
  // A continuation line must not look like the end: "<code> " at its start.
  const safe = middle.map((line) =>
    line.startsWith(`${code} `) || line === `${code}` ? ` ${line}` : line
  );
  const lines = middle.length === 0 && first === last
    ? [`${code} ${first}`]
    : [`${code}-${first}`, ...safe, `${code} ${last}`];
  return { code, lines };
});

describe("FTPClient reply parsing (property)", () => {
  it("delivers each reply's lines to its command, however the bytes are split", () => {
    fc.assert(
      fc.property(
        fc.array(reply, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        (replies, cuts, crlf) => {
          const { client } = loggedIn();
          const seen: (string[] | CommandFailed)[] = [];
          for (let i = 0; i < replies.length; i++) {
            client.queueStringCommand(`NOOP ${i}`).addCallbacks(
              (lines) => void seen.push(lines),
              (failure: Failure) => void seen.push(failure.value as CommandFailed),
            );
          }
          const eol = crlf ? "\r\n" : "\n";
          const wire = enc.encode(replies.map((r) => r.lines.join(eol) + eol).join(""));
          for (const chunk of split(wire, cuts)) client.dataReceived(chunk);
          assert.equal(seen.length, replies.length);
          replies.forEach((r, i) => {
            const got = seen[i];
            if (r.code < 400) assert.deepEqual(got, r.lines);
            else {
              assert.ok(got instanceof CommandFailed);
              assert.deepEqual(got.response, r.lines);
            }
          });
        },
      ),
      RUNS,
    );
  });

  it("any bytes from the server give replies or a clean close, never a throw", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.constantFrom("220 ok\r\n", "211-x\r\n", "150 go\r\n", "\r\n", "5"), {
          maxLength: 8,
        }),
        (chunks, lines) => {
          const client = new FTPClient("u", "p", { reactor: new MemoryReactor() });
          const transport = new StringTransport();
          client.makeConnection(transport);
          const results: unknown[] = [];
          client.pwd().addBoth((r) => void results.push(r));
          for (let i = 0; i < Math.max(chunks.length, lines.length); i++) {
            if (i < lines.length) client.dataReceived(enc.encode(lines[i]));
            if (i < chunks.length) client.dataReceived(chunks[i]);
          }
          client.connectionLost(new Failure(new Error("end")));
          assert.equal(results.length, 1);
          assert.ok(transport.value().byteLength < 100);
        },
      ),
      RUNS,
    );
  });
});

const word = fc.string({ unit: fc.constantFrom(..."abcxyz019_"), minLength: 1, maxLength: 10 });
const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const entry = fc.record({
  filetype: fc.constantFrom("-", "d", "l", "c", "b", "p", "s"),
  perms: fc.stringMatching(/^[-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT]$/),
  nlinks: fc.integer({ min: 0, max: 99999 }),
  owner: word,
  group: word,
  size: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  date: fc.tuple(
    fc.constantFrom(...months),
    fc.integer({ min: 1, max: 31 }),
    fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) =>
        `${h}:${String(m).padStart(2, "0")}`
      ),
      fc.integer({ min: 1970, max: 2099 }).map(String),
    ),
  ).map(([m, d, t]) => `${m} ${d} ${t}`),
  filename: fc.string({ unit: fc.constantFrom(..."ab z.é-_>"), minLength: 1, maxLength: 16 })
    .filter((n) => n.trim() === n && !/ ->|-> /.test(n)),
  linktarget: fc.option(word, { nil: null }),
}).map((e): FTPFileInfo => ({ ...e, linktarget: e.filetype === "l" ? e.linktarget : null }));

function lsLine(e: FTPFileInfo): string {
  const name = e.linktarget === null ? e.filename : `${e.filename} -> ${e.linktarget}`;
  return `${e.filetype}${e.perms} ${String(e.nlinks).padStart(4)} ${e.owner.padEnd(8)} ` +
    `${e.group.padEnd(8)} ${String(e.size).padStart(8)} ${e.date} ${name}`;
}

describe("FTPFileListProtocol (property)", () => {
  it("reads back the entries of ls -l lines in any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (entries, cuts) => {
          const files = new FTPFileListProtocol();
          files.makeConnection(new StringTransport());
          const wire = enc.encode(["total 1", ...entries.map(lsLine)].join("\r\n") + "\r\n");
          for (const chunk of split(wire, cuts)) files.dataReceived(chunk);
          assert.deepEqual(files.files, entries);
        },
      ),
      RUNS,
    );
  });

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (chunks) => {
        const files = new FTPFileListProtocol();
        files.makeConnection(new StringTransport());
        for (const chunk of chunks) files.dataReceived(chunk);
        for (const f of files.files) assert.equal(typeof f.size, "number");
      }),
      RUNS,
    );
  });
});

describe("parsePWDResponse (property)", () => {
  it("undoes RFC 959 quoting of any path", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 20 }), (path, tail) => {
        const quoted = `257 "${path.replaceAll('"', '""')}"${tail === "" ? "" : " " + tail}`;
        assert.equal(parsePWDResponse(quoted), path);
      }),
      RUNS,
    );
  });
});
