// The IRC wire codec: parsemsg with tags, formatting, tag escaping, parseModes, CTCP
// quoting, split by UTF-8 bytes, the LF framer, decoding, ServerSupportedFeatures; property
// tests with fast-check (random lines round-trip, random splits of a byte stream give the
// same lines, random bytes never throw anything but IRCBadMessage).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  byteLength,
  ctcpDequote,
  ctcpExtract,
  ctcpQuote,
  ctcpStringify,
  decodeLine,
  escapeTagValue,
  formatMessage,
  IRCBadMessage,
  IRCBadModes,
  LineFramer,
  lowDequote,
  lowQuote,
  numeric_to_symbolic,
  parseModes,
  parsemsg,
  parseTags,
  RPL_WELCOME,
  ServerSupportedFeatures,
  split,
  stringTags,
  symbolic_to_numeric,
  unescapeTagValue,
} from "../../../src/words/irc/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("parsemsg", () => {
  it("splits prefix, command, middle and trailing parameters as Twisted does", () => {
    assert.deepEqual(parsemsg(":nick!u@h PRIVMSG #chan :hello there"), [
      "nick!u@h",
      "PRIVMSG",
      ["#chan", "hello there"],
      {},
    ]);
    assert.deepEqual(parsemsg("PING :abc"), ["", "PING", ["abc"], {}]);
    assert.deepEqual(parsemsg("MODE #c +o  bob"), ["", "MODE", ["#c", "+o", "bob"], {}]);
    assert.deepEqual(parsemsg("NICK :"), ["", "NICK", [""], {}]);
    assert.deepEqual(parsemsg(":srv 001 me :Welcome :to IRC"), [
      "srv",
      "001",
      ["me", "Welcome :to IRC"],
      {},
    ]);
  });

  it("parses and unescapes IRCv3 tags", () => {
    const [prefix, command, params, tags] = parsemsg(
      "@time=2021-01-01T00:00:00.000Z;msgid=a\\sb\\:c\\\\d;+draft/flag;empty= :n!u@h PRIVMSG #x :hi",
    );
    assert.equal(prefix, "n!u@h");
    assert.equal(command, "PRIVMSG");
    assert.deepEqual(params, ["#x", "hi"]);
    assert.deepEqual(tags, {
      time: "2021-01-01T00:00:00.000Z",
      msgid: "a b;c\\d",
      "+draft/flag": "",
      empty: "",
    });
  });

  it("refuses lines without a command with IRCBadMessage", () => {
    for (const line of ["", " ", ":prefix-only", ":prefix ", "@tags-only", "@a=b :p", ":p :x"]) {
      assert.throws(() => parsemsg(line), IRCBadMessage, line);
    }
  });

  it("never throws anything but IRCBadMessage on random lines", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (line) => {
        try {
          const [, command, params] = parsemsg(line);
          assert.ok(command.length > 0 && !command.includes(" "));
          assert.ok(Array.isArray(params));
        } catch (error) {
          assert.ok(error instanceof IRCBadMessage, String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips formatMessage for random commands, params and tags", () => {
    const word = fc.stringMatching(/^[^\s:\0\r\n][^\s\0\r\n]{0,20}$/);
    const trailing = fc.stringMatching(/^[^\0\r\n]{0,40}$/);
    const tagKey = fc.stringMatching(/^\+?[a-z][a-z0-9-]{0,8}$/);
    const tagValue = fc.stringMatching(/^[^\0]{0,12}$/);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Z]{1,8}$/),
        fc.array(word, { maxLength: 5 }),
        trailing,
        fc.dictionary(tagKey, tagValue, { maxKeys: 4 }),
        fc.option(fc.stringMatching(/^[a-z]{1,8}![a-z]{1,5}@[a-z.]{1,10}$/), { nil: undefined }),
        (command, middle, last, tags, prefix) => {
          const line = formatMessage(command, [...middle, ":" + last], { tags, prefix });
          const [p, c, params, t] = parsemsg(line);
          assert.equal(p, prefix ?? "");
          assert.equal(c, command);
          assert.deepEqual(params, [...middle, last]);
          assert.deepEqual(t, { ...tags });
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("formatMessage and tags", () => {
  it("refuses CR, LF, NUL and bad commands or tag names", () => {
    assert.throws(() => formatMessage("PRIVMSG", ["#a", ":x\r\nQUIT"]), TypeError);
    assert.throws(() => formatMessage("", []), TypeError);
    assert.throws(() => formatMessage("A B", []), TypeError);
    assert.throws(() => formatMessage(":X", []), TypeError);
    assert.throws(() => stringTags({ "bad key": "1" }), TypeError);
    assert.throws(() => stringTags({ "a;b": "1" }), TypeError);
  });

  it("escapes and unescapes tag values, dropping a lone final backslash", () => {
    assert.equal(escapeTagValue("a b;c\\d\r\n"), "a\\sb\\:c\\\\d\\r\\n");
    assert.equal(unescapeTagValue("a\\sb\\:c\\\\d\\r\\n"), "a b;c\\d\r\n");
    assert.equal(unescapeTagValue("x\\qy\\"), "xqy");
    assert.deepEqual(parseTags("a=1;;a=2;b"), { a: "2", b: "" });
    fc.assert(
      fc.property(fc.string(), (s) => assert.equal(unescapeTagValue(escapeTagValue(s)), s)),
    );
  });
});

describe("parseModes", () => {
  it("parses added and removed modes with their parameters", () => {
    assert.deepEqual(parseModes("+o-v+l", ["alice", "bob", "10"], ["ovl", "ov"]), [
      [["o", "alice"], ["l", "10"]],
      [["v", "bob"]],
    ]);
    assert.deepEqual(parseModes("+nt", []), [[["n", null], ["t", null]], []]);
  });

  it("refuses malformed mode strings with IRCBadModes", () => {
    for (
      const [modes, params] of [["", []], ["o", []], ["+", []], ["+-o", []], ["+o", []], [
        "+n",
        ["x"],
      ]] as [string, string[]][]
    ) {
      assert.throws(() => parseModes(modes, params, ["o", "o"]), IRCBadModes, modes);
    }
  });
});

describe("CTCP", () => {
  it("extracts CTCP messages and normal text as Twisted does", () => {
    assert.deepEqual(ctcpExtract("\x01ACTION waves\x01"), {
      extended: [["ACTION", "waves"]],
      normal: [],
    });
    assert.deepEqual(ctcpExtract("\x01VERSION\x01\x01PING 123\x01"), {
      extended: [["VERSION", null], ["PING", "123"]],
      normal: [],
    });
    assert.deepEqual(ctcpExtract("\x01ACTION unterminated"), {
      extended: [["ACTION", "unterminated"]],
      normal: [],
    });
  });

  it("quotes and stringifies, and dequotes back", () => {
    assert.equal(ctcpStringify([["ACTION", "a\x01b"]]), "\x01ACTION a\\ab\x01");
    fc.assert(fc.property(fc.string(), (s) => assert.equal(ctcpDequote(ctcpQuote(s)), s)));
    fc.assert(fc.property(fc.string(), (s) => assert.equal(lowDequote(lowQuote(s)), s)));
  });
});

describe("split", () => {
  it("splits by UTF-8 bytes, at spaces and newlines, never inside a character", () => {
    assert.deepEqual(split("hello there world", 11), ["hello there", "world"]);
    assert.deepEqual(split("a\nb\n\nc"), ["a", "b", "c"]);
    assert.deepEqual(split("éééé", 5), ["éé", "éé"]);
    assert.deepEqual(split("😀😀", 4), ["😀", "😀"]);
    assert.throws(() => split("x", 2), RangeError);
  });

  it("keeps every piece within the limit and loses no non-space text", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 300 }),
        fc.integer({ min: 4, max: 60 }),
        (
          text,
          length,
        ) => {
          const lines = split(text, length);
          for (const line of lines) assert.ok(byteLength(line) <= length, line);
          for (const line of lines) assert.equal(line, line.trim() === "" ? line : line);
          const squash = (s: string) => s.replace(/[\s]/g, "");
          assert.equal(squash(lines.join("")), squash(text.replace(/\r/g, "")));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("byteLength agrees with TextEncoder", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => {
      assert.equal(byteLength(s), enc.encode(s).length);
    }));
  });
});

describe("LineFramer and decodeLine", () => {
  it("splits at LF, drops CR, and holds a partial line", () => {
    const f = new LineFramer(512);
    f.push(enc.encode("A\r\nB\nC"));
    assert.equal(dec.decode(f.next() as Uint8Array), "A");
    assert.equal(dec.decode(f.next() as Uint8Array), "B");
    assert.equal(f.next(), null);
    assert.equal(f.pending, 1);
    f.push(enc.encode("D\r\n"));
    assert.equal(dec.decode(f.next() as Uint8Array), "CD");
  });

  it("reports an overlong line once and discards it up to its LF, buffering no more", () => {
    const f = new LineFramer(10);
    f.push(enc.encode("x".repeat(20)));
    assert.equal(f.next(), "tooLong");
    assert.equal(f.next(), null);
    f.push(enc.encode("y".repeat(5000)));
    assert.equal(f.next(), null);
    assert.equal(f.pending, 5020);
    f.push(enc.encode("z\nok\n"));
    assert.equal(dec.decode(f.next() as Uint8Array), "ok");
    f.push(enc.encode("0123456789AB\n"));
    assert.equal(f.next(), "tooLong");
  });

  it("gives the same lines however the stream is split, even inside UTF-8 sequences", () => {
    const lines = fc.array(
      fc.string({ unit: "grapheme", maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, "")),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(lines, fc.array(fc.nat(), { maxLength: 10 }), (texts, cuts) => {
        const bytes = enc.encode(texts.map((t) => t + "\r\n").join(""));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const f = new LineFramer(512);
        const got: string[] = [];
        let at = 0;
        for (const p of [...points, bytes.length]) {
          f.push(bytes.slice(at, p));
          at = p;
          for (let e = f.next(); e !== null; e = f.next()) got.push(decodeLine(e as Uint8Array));
        }
        assert.deepEqual(got, texts);
      }),
      { numRuns: 500 },
    );
  });

  it("decodes invalid UTF-8 as latin-1", () => {
    assert.equal(decodeLine(new Uint8Array([0x68, 0xe9])), "hé");
    assert.equal(decodeLine(enc.encode("héllo")), "héllo");
  });
});

describe("numerics and ServerSupportedFeatures", () => {
  it("maps names and numbers as Twisted does", () => {
    assert.equal(RPL_WELCOME, "001");
    assert.equal(symbolic_to_numeric.ERR_NICKNAMEINUSE, "433");
    assert.equal(numeric_to_symbolic["005"], "RPL_ISUPPORT");
    assert.equal(numeric_to_symbolic["903"], "RPL_SASLSUCCESS");
    assert.equal(numeric_to_symbolic["417"], "ERR_INPUTTOOLONG");
  });

  it("has Twisted's defaults and parses RPL_ISUPPORT", () => {
    const s = new ServerSupportedFeatures();
    assert.equal(s.getFeature("NICKLEN"), 9);
    assert.deepEqual(s.getFeature("CHANTYPES"), ["#", "&"]);
    s.parse([
      "NICKLEN=30",
      "CHANTYPES=#",
      "PREFIX=(qaohv)~&@%+",
      "CHANMODES=beI,k,l,imnpst",
      "TARGMAX=PRIVMSG:4,NOTICE:",
      "NETWORK=Net\\x20work",
      "SAFELIST",
      "EXCEPTS",
      "FOO=a,b",
      "-MODES",
      "NICKLEN=junk",
    ]);
    assert.equal(s.getFeature("NICKLEN"), 30);
    assert.deepEqual(s.getFeature("CHANTYPES"), ["#"]);
    assert.deepEqual(s.getFeature("PREFIX"), {
      q: ["~", 0],
      a: ["&", 1],
      o: ["@", 2],
      h: ["%", 3],
      v: ["+", 4],
    });
    assert.deepEqual(s.getFeature("CHANMODES"), {
      addressModes: "beI",
      param: "k",
      setParam: "l",
      noParam: "imnpst",
    });
    assert.deepEqual(s.getFeature("TARGMAX"), { PRIVMSG: 4, NOTICE: null });
    assert.equal(s.getFeature("NETWORK"), "Net work");
    assert.equal(s.getFeature("SAFELIST"), true);
    assert.equal(s.getFeature("EXCEPTS"), "e");
    assert.deepEqual(s.getFeature("FOO"), ["a", "b"]);
    assert.equal(s.hasFeature("MODES"), false);
    assert.equal(s.getFeature("MODES", 7), 7);
  });
});
