// The master-file parser (RFC 1035 s5, as BIND and nsd read it): directives,
// owners and names, TTLs and classes, every record type's text form, RFC
// 3597's generic form, $INCLUDE, the errors, and round trips through toText().
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  parseZoneFile,
  resolveIncludePath,
  ZoneFileError,
  type ZoneFileOptions,
  type ZoneRecord,
} from "../../src/names/server/_zone_file.ts";
import {
  CH,
  classToText,
  HS,
  IN,
  Name,
  Record_A,
  Record_AAAA,
  Record_AFSDB,
  Record_CAA,
  Record_CNAME,
  Record_DNAME,
  Record_HINFO,
  Record_MB,
  Record_MD,
  Record_MF,
  Record_MG,
  Record_MINFO,
  Record_MR,
  Record_MX,
  Record_NAPTR,
  Record_NS,
  Record_PTR,
  Record_RP,
  Record_SOA,
  Record_SPF,
  Record_SRV,
  Record_SSHFP,
  Record_TLSA,
  Record_TXT,
  RRHeader,
  UnknownRecord,
} from "../../src/names/dns.ts";
import type { IRecord } from "../../src/names/wire/_record_base.ts";
import { decoders } from "../../src/names/wire/_record_base.ts";
import { labelToText } from "../../src/names/wire/_name.ts";
import { WireWriter } from "../../src/names/wire/_buffer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const ORIGIN: ZoneFileOptions = { origin: "example.com." };

/** Parses `text` (under example.com. unless told) and returns the records. */
function parse(text: string, options: ZoneFileOptions = ORIGIN): ZoneRecord[] {
  return parseZoneFile(text, options);
}

/** Parses one record line under example.com. and returns its RDATA. */
function one(line: string, options: ZoneFileOptions = ORIGIN): IRecord {
  const records = parse(line, options);
  assert.equal(records.length, 1);
  return records[0].record;
}

/** Asserts that parsing `text` fails with a ZoneFileError on `line` whose message matches. */
function fails(
  text: string,
  line: number,
  pattern: RegExp,
  options: ZoneFileOptions = ORIGIN,
): ZoneFileError {
  let caught: unknown;
  try {
    parseZoneFile(text, options);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ZoneFileError, `expected a ZoneFileError, got ${caught}`);
  assert.equal(caught.line, line, caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

describe("parseZoneFile: entries and directives", () => {
  it("reads a record with an absolute owner, a TTL and a class", () => {
    const [r] = parse("www.example.org. 300 IN A 192.0.2.1\n", {});
    assert.equal(r.name.name, "www.example.org");
    assert.equal(r.ttl, 300);
    assert.equal(r.cls, IN);
    assert.ok(r.record instanceof Record_A);
    assert.equal(r.record.toText(), "192.0.2.1");
    assert.equal(r.record.ttl, 300);
    assert.equal(r.file, "<zone>");
    assert.equal(r.line, 1);
  });

  it("appends relative names to $ORIGIN and reads @ as the origin", () => {
    const records = parse("$ORIGIN example.net.\n@ 60 A 192.0.2.1\nwww 60 A 192.0.2.2\n", {});
    assert.deepEqual(records.map((r) => r.name.name), ["example.net", "www.example.net"]);
  });

  it("reads a relative $ORIGIN against the current one", () => {
    const records = parse("$ORIGIN sub\nhost 60 A 192.0.2.1\n$ORIGIN .\nroot-level 60 A 192.0.2.2");
    assert.deepEqual(records.map((r) => r.name.name), ["host.sub.example.com", "root-level"]);
  });

  it("takes the origin option with or without its final dot", () => {
    for (const origin of ["example.com", "example.com.", "Example.COM."]) {
      const [r] = parse("www 1 A 192.0.2.1", { origin });
      assert.ok(r.name.equals("www.example.com"));
    }
    assert.equal(parse("www 1 A 192.0.2.1", { origin: "." })[0].name.name, "www");
    assert.equal(parse("www 1 A 192.0.2.1", { origin: "" })[0].name.name, "www");
    assert.throws(() => parse("", { origin: "a..b" }), {
      name: "SyntaxError",
      message: /Bad origin/,
    });
  });

  it("rejects a relative name or @ when no origin is set", () => {
    fails("www 60 A 192.0.2.1", 1, /^<zone>:1: Relative name www with no \$ORIGIN set$/, {});
    fails("a.b.c. 60 A 1.2.3.4\n@ 60 A 192.0.2.1", 2, /@ used with no \$ORIGIN/, {});
    fails("a. 60 CNAME b", 1, /Relative name b with no \$ORIGIN/, {});
  });

  it("gives a line that starts with a blank the previous owner", () => {
    const records = parse("mail 60 A 192.0.2.1\n\t60 AAAA 2001:db8::1\n  MX 10 mail\n");
    assert.deepEqual(records.map((r) => r.name.name), [
      "mail.example.com",
      "mail.example.com",
      "mail.example.com",
    ]);
    assert.ok(records[2].record instanceof Record_MX);
  });

  it("rejects a blank owner before any record", () => {
    fails("; a comment\n   60 A 192.0.2.1", 2, /No owner name/);
  });

  it("reads numeric owner names, as reverse zones have", () => {
    const records = parse(
      "$ORIGIN 2.0.192.in-addr.arpa.\n1 3600 PTR host1.example.com.\n10 PTR host10.example.com.\n",
    );
    assert.equal(records[0].name.name, "1.2.0.192.in-addr.arpa");
    assert.equal(records[1].name.name, "10.2.0.192.in-addr.arpa");
    assert.equal(records[1].ttl, 3600);
  });

  it("reads \\. and \\DDD escapes in names and makes their text canonical", () => {
    const [a, b, c] = parse(
      "a\\.b 1 A 192.0.2.1\n\\097\\098c 1 CNAME x\\032y\\.z.\nw\\\\ 1 A 192.0.2.1",
    );
    assert.equal(a.name.labels().length, 3);
    assert.equal(dec.decode(a.name.labels()[0]), "a.b");
    assert.equal(a.name.name, "a\\.b.example.com");
    assert.equal(b.name.name, "abc.example.com");
    assert.equal((b.record as Record_CNAME).name.name, "x\\032y\\.z");
    assert.equal(c.name.name, "w\\\\.example.com");
    const [d, e] = parse("dot\\. 1 A 192.0.2.1\nslash\\\\. 1 A 192.0.2.1");
    assert.equal(d.name.name, "dot\\..example.com", "an escaped final dot is in the label");
    assert.equal(e.name.name, "slash\\\\", "a dot after an escaped backslash ends the name");
  });

  it("writes a non-ASCII name as its UTF-8 bytes", () => {
    const [r] = parse("bücher 1 A 192.0.2.1");
    assert.deepEqual([...r.name.labels()[0]], [...enc.encode("bücher")]);
    assert.equal(r.name.name, "b\\195\\188cher.example.com");
  });

  it("rejects bad escapes, empty labels, long labels and long names", () => {
    fails("a\\256 1 A 192.0.2.1", 1, /Bad escape \\256/);
    fails("a\\12 1 A 192.0.2.1", 1, /Bad escape \\12/);
    fails("a..b 1 A 192.0.2.1", 1, /Empty label/);
    fails("a.. 1 A 192.0.2.1", 1, /Empty label/);
    fails(".a. 1 A 192.0.2.1", 1, /Empty label/);
    fails(`${"x".repeat(64)} 1 A 192.0.2.1`, 1, /Label longer than 63 bytes/);
    assert.equal(parse(`${"x".repeat(63)} 1 A 192.0.2.1`).length, 1);
    const long = Array(9).fill("y".repeat(30)).join(".");
    fails(`${long} 1 A 192.0.2.1`, 1, /Name longer than 255 bytes/);
    fails(`\n\nhost 1 CNAME ${long}.`, 3, /Name longer than 255 bytes/);
  });

  it("reads $TTL in seconds and in BIND's units", () => {
    const cases: [string, number][] = [
      ["86400", 86400],
      ["1h30m", 5400],
      ["1d", 86400],
      ["1w", 604800],
      ["2H", 7200],
      ["1w2d3h4m5s", 788645],
      ["0", 0],
    ];
    for (const [text, seconds] of cases) {
      assert.equal(parse(`$TTL ${text}\nwww A 192.0.2.1`)[0].ttl, seconds, text);
    }
  });

  it("rejects a bad $TTL", () => {
    fails("$TTL 1x", 1, /Bad TTL "1x"/);
    fails("$TTL 1h30", 1, /Bad TTL "1h30"/);
    fails("$TTL 2147483648", 1, /Bad TTL/);
    fails("$TTL", 1, /Missing a TTL after \$TTL/);
    fails("$TTL 1 2", 1, /Extra field "2" after \$TTL/);
  });

  it("reads the TTL and the class in either order, or neither", () => {
    const records = parse(
      "$TTL 99\na 300 IN A 192.0.2.1\nb IN 300 A 192.0.2.1\nc 1h IN A 192.0.2.1\nd CH A 192.0.2.1\ne A 192.0.2.1",
    );
    assert.deepEqual(records.map((r) => [r.ttl, r.cls]), [
      [300, IN],
      [300, IN],
      [3600, IN],
      [99, CH],
      [99, CH],
    ]);
  });

  it("reads the classes IN, CH, HS, CS and CLASSnnn", () => {
    const records = parse(
      "a 1 IN A 192.0.2.1\nb 1 ch A 192.0.2.1\nc 1 HS A 192.0.2.1\nd 1 CS A 192.0.2.1\ne 1 CLASS32 A 192.0.2.1",
    );
    assert.deepEqual(records.map((r) => r.cls), [IN, CH, HS, 2, 32]);
  });

  it("rejects the classes ANY, NONE and CLASS0", () => {
    fails("a 1 ANY A 192.0.2.1", 1, /Class ANY cannot appear/);
    fails("a 1 NONE A 192.0.2.1", 1, /Class NONE cannot appear/);
    fails("a 1 CLASS0 A 192.0.2.1", 1, /Class CLASS0 cannot appear/);
  });

  it("gives a record without TTL $TTL, whatever TTL came before", () => {
    const records = parse("$TTL 100\na 5 A 192.0.2.1\nb A 192.0.2.2\n$TTL 7\nc A 192.0.2.3");
    assert.deepEqual(records.map((r) => r.ttl), [5, 100, 7]);
  });

  it("without $TTL, gives a record without TTL the last TTL written", () => {
    const records = parse("a 5 A 192.0.2.1\nb A 192.0.2.2\nc 6 A 192.0.2.3\nd A 192.0.2.4");
    assert.deepEqual(records.map((r) => r.ttl), [5, 5, 6, 6]);
  });

  it("without $TTL or an earlier TTL, gives the SOA and what follows the SOA minimum", () => {
    const records = parse(
      "@ SOA ns hostmaster 1 2 3 4 300\n NS ns\nwww 60 A 192.0.2.1\nx A 1.2.3.4",
    );
    assert.deepEqual(records.map((r) => r.ttl), [300, 300, 60, 60]);
  });

  it("falls back on defaultTTL (3600 unless told) when nothing gives a TTL", () => {
    assert.equal(parse("www A 192.0.2.1")[0].ttl, 3600);
    assert.equal(parse("www A 192.0.2.1", { ...ORIGIN, defaultTTL: 42 })[0].ttl, 42);
    assert.throws(() => parse("", { defaultTTL: -1 }), RangeError);
  });

  it("rejects a record TTL over 2^31 - 1", () => {
    fails("a 2147483648 A 192.0.2.1", 1, /TTL 2147483648 is over the limit/);
    assert.equal(parse("a 2147483647 A 192.0.2.1")[0].ttl, 2147483647);
  });

  it("joins the lines inside parentheses into one entry", () => {
    const records = parse(
      "a 1 IN ( A\n  192.0.2.1 )\nb 1 (\n\n  MX\n  ; a comment\n  10 ( mx ) )\nc 1 A 192.0.2.3",
    );
    assert.deepEqual(records.map((r) => [r.name.name, r.line, r.record.toText()]), [
      ["a.example.com", 1, "192.0.2.1"],
      ["b.example.com", 3, "10 mx.example.com."],
      ["c.example.com", 8, "192.0.2.3"],
    ]);
  });

  it("rejects an unclosed or an unopened parenthesis", () => {
    fails("ok 1 A 192.0.2.1\nbad 1 MX ( 10\n mx\nnext 1 A 192.0.2.1\n", 2, /never closed/);
    fails("a 1 A 192.0.2.1 )", 1, /Closing parenthesis without an opening one/);
  });

  it("drops comments but keeps ; and parentheses inside quotes", () => {
    const records = parse(
      '; header\n\na 1 TXT "semi; colon" ; comment\n   ; only a comment\nb 1 TXT "(paren" x\\;y',
    );
    assert.equal(records.length, 2);
    assert.deepEqual((records[0].record as Record_TXT).data.map((d) => dec.decode(d)), [
      "semi; colon",
    ]);
    assert.deepEqual((records[1].record as Record_TXT).data.map((d) => dec.decode(d)), [
      "(paren",
      "x;y",
    ]);
  });

  it('reads quoted strings with spaces, \\" and \\DDD', () => {
    const r = one('a 1 TXT "two words" "say \\"hi\\"" "\\065\\066\\\\" "" "é"') as Record_TXT;
    assert.deepEqual(r.data.map((d) => dec.decode(d)), [
      "two words",
      'say "hi"',
      "AB\\",
      "",
      "é",
    ]);
  });

  it("rejects an unterminated quoted string on the line it opens", () => {
    fails('a 1 A 192.0.2.1\nb 1 TXT "never closed\nc 1 A 192.0.2.1', 2, /not closed on its line/);
    fails('a 1 TXT "at the end', 1, /never closed/);
  });

  it("counts lines in CRLF files and skips a byte order mark", () => {
    const records = parse("\ufeffa 1 A 192.0.2.1\r\n\r\nb 1 A 192.0.2.2\r\n");
    assert.deepEqual(records.map((r) => [r.name.name, r.line]), [
      ["a.example.com", 1],
      ["b.example.com", 3],
    ]);
  });

  it("rejects $GENERATE, unknown directives and a directive's extra fields", () => {
    fails("$GENERATE 1-10 host$ A 192.0.2.$", 1, /\$GENERATE is not supported/);
    fails("\n$FOO bar", 2, /Unknown directive \$FOO/);
    fails("$ORIGIN a. b.", 1, /Extra field "b." after \$ORIGIN/);
    fails("$ORIGIN", 1, /Missing a name after \$ORIGIN/);
  });

  it("reports errors as SyntaxErrors naming the file and line", () => {
    const e = fails(
      "\n\nwww 1 A 999.1.1.1\n",
      3,
      /^db\.example:3: Bad IPv4 address "999\.1\.1\.1"$/,
      {
        ...ORIGIN,
        file: "db.example",
      },
    );
    assert.ok(e instanceof SyntaxError);
    assert.equal(e.name, "ZoneFileError");
    assert.equal(e.file, "db.example");
    assert.equal(e.reason, 'Bad IPv4 address "999.1.1.1"');
  });
});

describe("parseZoneFile: record types", () => {
  it("reads A and AAAA records", () => {
    assert.equal(one("a 1 A 192.0.2.1").toText(), "192.0.2.1");
    assert.equal(one("a 1 AAAA 2001:DB8:0::1").toText(), "2001:db8::1");
    assert.equal(one("a 1 AAAA ::ffff:192.0.2.1").toText(), "::ffff:c000:201");
  });

  it("rejects bad addresses", () => {
    fails("a 1 A 192.0.2", 1, /Bad IPv4 address "192\.0\.2"/);
    fails("a 1 A 192.0.2.01", 1, /Bad IPv4 address/);
    fails("a 1 A 2001:db8::1", 1, /Bad IPv4 address/);
    fails("a 1 AAAA 192.0.2.1", 1, /Bad IPv6 address/);
    fails("a 1 AAAA 1:2:3:4:5:6:7:8:9", 1, /Bad IPv6 address/);
    fails('a 1 A "192.0.2.1"', 1, /not a quoted string/);
  });

  it("reads the one-name records, relative to the origin", () => {
    const cases: [string, new (n: string) => IRecord][] = [
      ["NS", Record_NS],
      ["CNAME", Record_CNAME],
      ["PTR", Record_PTR],
      ["DNAME", Record_DNAME],
      ["MB", Record_MB],
      ["MG", Record_MG],
      ["MR", Record_MR],
      ["MD", Record_MD],
      ["MF", Record_MF],
    ];
    for (const [type, cls] of cases) {
      const record = one(`a 1 ${type} target`);
      assert.ok(record instanceof cls, type);
      assert.equal(record.toText(), "target.example.com.");
      assert.equal(one(`a 1 ${type.toLowerCase()} other.net.`).toText(), "other.net.");
      assert.equal(one(`a 1 ${type} @`).toText(), "example.com.");
    }
  });

  it("reads MINFO and RP records", () => {
    const minfo = one("a 1 MINFO admin errors.example.net.") as Record_MINFO;
    assert.ok(minfo instanceof Record_MINFO);
    assert.equal(minfo.toText(), "admin.example.com. errors.example.net.");
    const rp = one("a 1 RP hostmaster.example.com. . ") as Record_RP;
    assert.ok(rp instanceof Record_RP);
    assert.equal(rp.toText(), "hostmaster.example.com. .");
  });

  it("reads an SOA on one line", () => {
    const soa = one("@ 1 SOA ns1 hostmaster 2026120601 7200 3600 1209600 300") as Record_SOA;
    assert.ok(soa instanceof Record_SOA);
    assert.equal(
      soa.toText(),
      "ns1.example.com. hostmaster.example.com. 2026120601 7200 3600 1209600 300",
    );
  });

  it("reads a multi-line SOA with comments and TTL units in its timers", () => {
    const [r] = parse(
      [
        "@   IN  SOA  ns1.example.com. hostmaster.example.com. (",
        "            4294967295  ; serial",
        "            2h          ; refresh",
        "            30M         ; retry",
        "            2w          ; expire",
        "            1h30m )     ; minimum",
      ].join("\n"),
    );
    const soa = r.record as Record_SOA;
    assert.deepEqual(
      [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum],
      [4294967295, 7200, 1800, 1209600, 5400],
    );
    assert.equal(r.ttl, 5400);
    assert.equal(r.line, 1);
  });

  it("rejects an SOA with a missing, bad or extra field", () => {
    fails("@ SOA ns1 hostmaster (\n 1 2 3 4\n )", 3, /Missing minimum in the SOA record/);
    fails("@ SOA ns1 hostmaster 1h 2 3 4 5", 1, /Bad serial "1h"/);
    fails("@ SOA ns1 hostmaster 4294967296 2 3 4 5", 1, /Bad serial/);
    fails("@ SOA ns1 hostmaster (\n1 2 3\n4x 5 )", 3, /Bad expire "4x"/);
    fails("@ SOA ns1 hostmaster 1 2 3 4 5 6", 1, /Extra field "6" in the SOA record/);
  });

  it("reads MX and AFSDB records", () => {
    const mx = one("@ 1 MX 10 mail") as Record_MX;
    assert.equal(mx.preference, 10);
    assert.equal(mx.toText(), "10 mail.example.com.");
    const afsdb = one("@ 1 AFSDB 1 afs.example.net.") as Record_AFSDB;
    assert.ok(afsdb instanceof Record_AFSDB);
    assert.equal(afsdb.toText(), "1 afs.example.net.");
  });

  it("rejects bad numbers and missing fields", () => {
    fails("@ 1 MX 65536 mail", 1, /Bad preference "65536": not a number from 0 to 65535/);
    fails("@ 1 MX ten mail", 1, /Bad preference "ten"/);
    fails("@ 1 MX -1 mail", 1, /Bad preference "-1"/);
    fails("@ 1 MX 10", 1, /Missing exchange in the MX record/);
    fails("@ 1 SRV 1 2", 1, /Missing port in the SRV record/);
    fails("@ 1 A", 1, /Missing address in the A record/);
    fails("@ 1", 1, /Missing the record type/);
    fails("@ 1 MX 10 a b", 1, /Extra field "b" in the MX record/);
    fails("@ 1 A 192.0.2.1 192.0.2.2", 1, /Extra field "192\.0\.2\.2"/);
  });

  it("reads TXT and SPF records with several strings, quoted or not", () => {
    const txt = one('a 1 TXT "v=spf1 -all" second "" third') as Record_TXT;
    assert.ok(txt instanceof Record_TXT);
    assert.deepEqual(txt.data.map((d) => dec.decode(d)), ["v=spf1 -all", "second", "", "third"]);
    const spf = one("a 1 SPF v=spf1") as Record_SPF;
    assert.ok(spf instanceof Record_SPF);
    assert.equal(spf.toText(), '"v=spf1"');
  });

  it("rejects an empty TXT and a string over 255 bytes", () => {
    fails("a 1 TXT", 1, /Missing text in the TXT record/);
    fails(`a 1 TXT "${"x".repeat(256)}"`, 1, /is 256 bytes, over 255/);
    assert.equal((one(`a 1 TXT "${"x".repeat(255)}"`) as Record_TXT).data[0].length, 255);
  });

  it("reads HINFO records", () => {
    const r = one('a 1 HINFO "Intel x86" Linux') as Record_HINFO;
    assert.ok(r instanceof Record_HINFO);
    assert.equal(r.toText(), '"Intel x86" "Linux"');
    fails('a 1 HINFO "only cpu"', 1, /Missing OS in the HINFO record/);
  });

  it("reads SRV records", () => {
    const r = one("_xmpp-server._tcp 1 SRV 10 5 5269 xmpp") as Record_SRV;
    assert.ok(r instanceof Record_SRV);
    assert.equal(r.toText(), "10 5 5269 xmpp.example.com.");
    assert.equal(one("_x._tcp 1 SRV 0 0 0 .").toText(), "0 0 0 .");
  });

  it("reads NAPTR records", () => {
    const r = one(
      'a 1 NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .',
    ) as Record_NAPTR;
    assert.ok(r instanceof Record_NAPTR);
    assert.equal(r.toText(), '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .');
    const s = one('a 1 NAPTR 10 0 S SIP+D2U "" _sip._udp') as Record_NAPTR;
    assert.equal(s.toText(), '10 0 "S" "SIP+D2U" "" _sip._udp.example.com.');
  });

  it("reads CAA records with the value quoted or not", () => {
    const quoted = one('@ 1 CAA 0 issue "letsencrypt.org; validationmethods=dns-01"');
    assert.ok(quoted instanceof Record_CAA);
    assert.equal(dec.decode(quoted.value), "letsencrypt.org; validationmethods=dns-01");
    const bare = one("@ 1 CAA 128 iodef mailto:security@example.com") as Record_CAA;
    assert.equal(bare.toText(), '128 iodef "mailto:security@example.com"');
    assert.equal((one(`@ 1 CAA 0 issue "${"v".repeat(400)}"`) as Record_CAA).value.length, 400);
    fails("@ 1 CAA 0 bad-tag x", 1, /Bad CAA tag "bad-tag"/);
    fails("@ 1 CAA 256 issue x", 1, /Bad flags "256"/);
    fails("@ 1 CAA 0 issue a b", 1, /Extra field "b"/);
  });

  it("reads SSHFP and TLSA records whose hex has spaces", () => {
    const sshfp = one("host 1 SSHFP 4 2 ( 0123456789abcdef\n  0123 4567 )") as Record_SSHFP;
    assert.ok(sshfp instanceof Record_SSHFP);
    assert.equal(sshfp.toText(), "4 2 0123456789ABCDEF01234567");
    const tlsa = one("_443._tcp 1 TLSA 3 1 1 ABCD ef01") as Record_TLSA;
    assert.ok(tlsa instanceof Record_TLSA);
    assert.equal(tlsa.toText(), "3 1 1 ABCDEF01");
    fails("host 1 SSHFP 4 2 ABC", 1, /Bad fingerprint in the SSHFP record/);
    fails("host 1 SSHFP 4 2 XY", 1, /Bad fingerprint/);
    fails("host 1 SSHFP 4 2", 1, /Missing fingerprint/);
    fails("_443._tcp 1 TLSA 3 1 1", 1, /Missing certificate association data/);
  });

  it("reads TYPEnnn with RFC 3597 generic RDATA as an UnknownRecord", () => {
    const records = parse("a 1 TYPE65280 \\# 4 0A000001\nb 1 TYPE731 \\# 0\nc 1 WKS \\# 2 ab cd");
    const [a, b, c] = records.map((r) => r.record as UnknownRecord);
    assert.ok(a instanceof UnknownRecord);
    assert.equal(a.TYPE, 65280);
    assert.deepEqual([...a.data], [10, 0, 0, 1]);
    assert.equal(b.TYPE, 731);
    assert.equal(b.toText(), "\\# 0");
    assert.equal(c.TYPE, 11);
    assert.equal(c.toText(), "\\# 2 ABCD");
  });

  it("decodes generic RDATA of a known type with its wire decoder", () => {
    const a = one("a 1 TYPE1 \\# 4 0A000001");
    assert.ok(a instanceof Record_A);
    assert.equal(a.toText(), "10.0.0.1");
    const mx = one("a 1 MX \\# 8 000a 046d61696c 00");
    assert.ok(mx instanceof Record_MX);
    assert.equal(mx.toText(), "10 mail.");
    const txt = one("a 1 TYPE16 ( \\# 3\n 02 6869 )");
    assert.ok(txt instanceof Record_TXT);
    assert.equal(txt.toText(), '"hi"');
  });

  it("rejects generic RDATA whose length or content is wrong", () => {
    fails("a 1 TYPE1 \\# 4 0A0000", 1, /is 3 bytes, not 4/);
    fails("a 1 TYPE65280 \\# 0 00", 1, /is 1 bytes, not 0/);
    fails("a 1 TYPE1 \\# 5 0A00000100", 1, /A RDATA must be 4 bytes/);
    fails("a 1 MX \\# 4 000a0000", 1, /has 1 bytes too many/);
    fails("a 1 NS \\# 2 c000", 1, /Bad \\# RDATA for the NS record/);
    fails("a 1 TYPE65280 \\# 70000", 1, /Bad RDATA length "70000"/);
    fails("a 1 TYPE65280 \\# 2 zz", 1, /Bad RDATA/);
  });

  it("rejects unknown types and text RDATA for types without a text form", () => {
    fails("a 1 FOO 192.0.2.1", 1, /Unknown type "FOO"/);
    fails("a 1 TYPE65536 \\# 0", 1, /Unknown type "TYPE65536"/);
    fails('a 1 "A" 192.0.2.1', 1, /Unknown type "A"/);
    fails("a 1 TYPE65280 0A000001", 1, /TYPE65280 records must be written in the \\# form/);
    fails("a 1 WKS 192.0.2.1 TCP smtp", 1, /WKS records must be written in the \\# form/);
  });

  it("rejects NULL records and query-only types", () => {
    fails("a 1 NULL \\# 1 00", 1, /NULL records cannot appear in a zone file/);
    fails("a 1 TYPE10 \\# 1 00", 1, /NULL records cannot appear/);
    for (const type of ["AXFR", "IXFR", "MAILB", "TSIG", "OPT", "TYPE0", "TYPE128"]) {
      fails(`a 1 ${type} \\# 0`, 1, new RegExp(`Type ${type} cannot appear in a zone file`));
    }
  });
});

/** A fake file system for $INCLUDE: path -> text, resolved POSIX-style. */
function files(map: Record<string, string>): ZoneFileOptions["readInclude"] {
  return (path, from) => {
    const full = resolveIncludePath(path, from);
    const text = map[full];
    if (text === undefined) throw new Error(`No such file: ${full}`);
    return text;
  };
}

describe("parseZoneFile: $INCLUDE", () => {
  it("reads an included file relative to the including file, with its records in place", () => {
    const readInclude = files({
      "zones/hosts.inc": "www 60 A 192.0.2.10\n$INCLUDE sub/mail.inc\n",
      "zones/sub/mail.inc": "mail 60 A 192.0.2.25\n",
    });
    const records = parse("a 1 A 192.0.2.1\n$INCLUDE hosts.inc\nz 1 A 192.0.2.2\n", {
      ...ORIGIN,
      file: "zones/db.example",
      readInclude,
    });
    assert.deepEqual(records.map((r) => [r.name.name, r.file, r.line]), [
      ["a.example.com", "zones/db.example", 1],
      ["www.example.com", "zones/hosts.inc", 1],
      ["mail.example.com", "zones/sub/mail.inc", 1],
      ["z.example.com", "zones/db.example", 3],
    ]);
  });

  it("reads an included file under the origin given, and keeps its $ORIGIN to itself", () => {
    const readInclude = files({
      "inc": "host 60 A 192.0.2.1\n$ORIGIN elsewhere.test.\nother 60 A 192.0.2.2\n",
    });
    const records = parse("$INCLUDE inc sub\nafter 60 A 192.0.2.3\n@ 60 A 192.0.2.4", {
      ...ORIGIN,
      readInclude,
    });
    assert.deepEqual(records.map((r) => r.name.name), [
      "host.sub.example.com",
      "other.elsewhere.test",
      "after.example.com",
      "example.com",
    ]);
  });

  it("lets $TTL and the last TTL carry on out of an included file", () => {
    const readInclude = files({ "inc": "$TTL 77\na A 192.0.2.1\n" });
    const records = parse("$INCLUDE inc\nb A 192.0.2.2", { ...ORIGIN, readInclude });
    assert.deepEqual(records.map((r) => r.ttl), [77, 77]);
  });

  it("starts an included file with no previous owner", () => {
    const readInclude = files({ "inc": "  A 192.0.2.1\n" });
    const e = fails("www 1 A 192.0.2.1\n$INCLUDE inc", 1, /No owner name/, {
      ...ORIGIN,
      readInclude,
    });
    assert.equal(e.file, "inc");
  });

  it("names the included file and its line in an error there", () => {
    const readInclude = files({ "dir/bad.inc": "ok 1 A 192.0.2.1\n\nbad 1 MX x y\n" });
    const e = fails("\n$INCLUDE dir/bad.inc", 3, /^dir\/bad\.inc:3: Bad preference "x"/, {
      ...ORIGIN,
      readInclude,
    });
    assert.equal(e.file, "dir/bad.inc");
  });

  it("accepts a quoted file name", () => {
    const readInclude = files({ "my file": "a 1 A 192.0.2.1" });
    assert.equal(parse('$INCLUDE "my file"', { ...ORIGIN, readInclude }).length, 1);
  });

  it("fails on the $INCLUDE line when the file cannot be read or no readInclude is given", () => {
    const e = fails("\n$INCLUDE missing", 2, /Cannot include missing: No such file: missing/, {
      ...ORIGIN,
      readInclude: files({}),
    });
    assert.ok(e.cause instanceof Error);
    fails("$INCLUDE inc", 1, /Cannot include inc: \$INCLUDE needs the readInclude option/);
    fails("$INCLUDE", 1, /Missing a file name after \$INCLUDE/, {
      ...ORIGIN,
      readInclude: files({}),
    });
  });

  it("stops includes nested deeper than maxIncludeDepth, naming the file", () => {
    const readInclude = files({ "loop.inc": "$INCLUDE loop.inc\n" });
    const e = fails("$INCLUDE loop.inc", 1, /Cannot include loop\.inc: .*deeper than 8 files/, {
      ...ORIGIN,
      readInclude,
    });
    assert.equal(e.file, "loop.inc");
    const chain = files({
      "1": "$INCLUDE 2\n",
      "2": "$INCLUDE 3\n",
      "3": "deep 1 A 192.0.2.1\n",
    });
    assert.equal(
      parse("$INCLUDE 1", { ...ORIGIN, readInclude: chain, maxIncludeDepth: 3 }).length,
      1,
    );
    fails("$INCLUDE 1", 1, /Cannot include 3: .*deeper than 2 files/, {
      ...ORIGIN,
      readInclude: chain,
      maxIncludeDepth: 2,
    });
    fails("$INCLUDE 1", 1, /deeper than 0 files/, {
      ...ORIGIN,
      readInclude: chain,
      maxIncludeDepth: 0,
    });
  });
});

describe("resolveIncludePath", () => {
  it("joins a relative path to the including file's directory, POSIX-style", () => {
    assert.equal(resolveIncludePath("hosts.inc", "/etc/zones/db.example"), "/etc/zones/hosts.inc");
    assert.equal(resolveIncludePath("sub/x", "zones/db.example"), "zones/sub/x");
    assert.equal(resolveIncludePath("../common/x", "zones/a/db"), "zones/common/x");
    assert.equal(resolveIncludePath("./x", "db.example"), "x");
    assert.equal(resolveIncludePath("../x", "db.example"), "../x");
    assert.equal(resolveIncludePath("../../x", "/a/db"), "/x");
    assert.equal(resolveIncludePath("x", "<zone>"), "x");
  });

  it("keeps an absolute path as it is", () => {
    assert.equal(resolveIncludePath("/var/named/x", "zones/db"), "/var/named/x");
  });
});

describe("parseZoneFile: a realistic zone", () => {
  it("reads an nsd-style example zone", () => {
    const zone = `; example.com zone, in the style of nsd's example zones
$ORIGIN example.com.
$TTL 86400 ; 24 hours

@	IN	SOA	ns1.example.com.	hostmaster.example.com. (
			2026120601	; serial, todays date + todays serial #
			28800		; refresh, seconds
			7200		; retry, seconds
			3600000		; expire, seconds
			86400 )		; minimum, seconds
;
		NS	ns1		; Inet Address of name server
		NS	ns2.example.net.
		MX	10 mail.example.com.	; Primary Mail Exchanger
		MX	20 mail2
		TXT	"v=spf1 mx -all"
		CAA	0 issue "letsencrypt.org"

localhost	A	127.0.0.1
ns1		A	192.0.2.53
		AAAA	2001:db8::53
mail		A	192.0.2.25
mail2	3600	IN	A	192.0.2.26
www		CNAME	@
ftp	IN	CNAME	www.example.com.
_sip._udp	SRV	0 5 5060 sip
sip		A	192.0.2.60
_443._tcp.www	TLSA	3 1 1 (
			0C72AC70B745AC19998811B131D662C9
			AC69DBDBE7CB23E5B514B56664C5D3D6 )
www		SSHFP	4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789
$ORIGIN sub.example.com.
host		A	192.0.2.100
`;
    const records = parse(zone, { file: "example.com.zone" });
    assert.equal(records.length, 19);
    const soa = records[0];
    assert.equal(soa.name.name, "example.com");
    assert.equal(soa.ttl, 86400);
    assert.ok(soa.record instanceof Record_SOA);
    assert.equal((soa.record as Record_SOA).expire, 3600000);
    const text = records.map((r) =>
      new RRHeader({ name: r.name, type: r.record.TYPE, cls: r.cls, ttl: r.ttl, payload: r.record })
        .toString()
    );
    assert.deepEqual(text.slice(1, 7), [
      "example.com. 86400 IN NS ns1.example.com.",
      "example.com. 86400 IN NS ns2.example.net.",
      "example.com. 86400 IN MX 10 mail.example.com.",
      "example.com. 86400 IN MX 20 mail2.example.com.",
      'example.com. 86400 IN TXT "v=spf1 mx -all"',
      'example.com. 86400 IN CAA 0 issue "letsencrypt.org"',
    ]);
    assert.equal(text[8], "ns1.example.com. 86400 IN A 192.0.2.53");
    assert.equal(text[9], "ns1.example.com. 86400 IN AAAA 2001:db8::53");
    assert.equal(text[11], "mail2.example.com. 3600 IN A 192.0.2.26");
    assert.equal(text[12], "www.example.com. 86400 IN CNAME example.com.");
    assert.equal(text[14], "_sip._udp.example.com. 86400 IN SRV 0 5 5060 sip.example.com.");
    assert.match(text[16], /^_443\._tcp\.www\.example\.com\. 86400 IN TLSA 3 1 1 0C72AC70/);
    assert.equal((records[16].record as Record_TLSA).certificateAssociationData.length, 32);
    assert.equal(records[16].line, 28);
    assert.equal(text[18], "host.sub.example.com. 86400 IN A 192.0.2.100");
  });
});

// Property tests: records rendered through toText() come back equal, and no
// input makes the parser throw anything but a ZoneFileError.

const label = fc.uint8Array({ minLength: 1, maxLength: 63 });
const name = fc.array(label, { maxLength: 3 }).map((labels) =>
  new Name(labels.map((l) => labelToText(l, 0, l.length)).join("."))
);
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const str = fc.uint8Array({ maxLength: 255 });
const someBytes = fc.uint8Array({ minLength: 1, maxLength: 64 });
const unknownType = fc.integer({ min: 1, max: 0xffff }).filter((t) =>
  !decoders.has(t) && t !== 41 && (t < 128 || t > 255)
);

const record: fc.Arbitrary<IRecord> = fc.oneof(
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => new Record_A(b)),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => new Record_AAAA(b)),
  fc.tuple(
    fc.constantFrom(
      Record_NS,
      Record_CNAME,
      Record_PTR,
      Record_DNAME,
      Record_MB,
      Record_MG,
      Record_MR,
      Record_MD,
      Record_MF,
    ),
    name,
  ).map(([C, n]) => new C(n)),
  fc.tuple(name, name).map(([a, b]) => new Record_MINFO(a, b)),
  fc.tuple(name, name).map(([a, b]) => new Record_RP(a, b)),
  fc.record({
    mname: name,
    rname: name,
    serial: u32,
    refresh: u32,
    retry: u32,
    expire: u32,
    minimum: u32,
  }).map((f) => new Record_SOA(f)),
  fc.tuple(u16, name).map(([p, n]) => new Record_MX(p, n)),
  fc.tuple(u16, name).map(([p, n]) => new Record_AFSDB(p, n)),
  fc.array(str, { minLength: 1, maxLength: 4 }).map((d) => new Record_TXT(d)),
  fc.array(str, { minLength: 1, maxLength: 2 }).map((d) => new Record_SPF(d)),
  fc.tuple(str, str).map(([c, o]) => new Record_HINFO(c, o)),
  fc.record({ priority: u16, weight: u16, port: u16, target: name }).map((f) => new Record_SRV(f)),
  fc.record({
    order: u16,
    preference: u16,
    flags: str,
    service: str,
    regexp: str,
    replacement: name,
  }).map((f) => new Record_NAPTR(f)),
  fc.tuple(u8, fc.stringMatching(/^[A-Za-z0-9]{1,15}$/), fc.uint8Array({ maxLength: 300 })).map((
    [f, t, v],
  ) => new Record_CAA(f, t, v)),
  fc.tuple(u8, u8, someBytes).map(([a, t, d]) => new Record_SSHFP(a, t, d)),
  fc.record({
    certificateUsage: u8,
    selector: u8,
    matchingType: u8,
    certificateAssociationData: someBytes,
  }).map((f) => new Record_TLSA(f)),
  fc.tuple(fc.uint8Array({ maxLength: 64 }), unknownType).map(([d, t]) =>
    new UnknownRecord(d, null, t)
  ),
);

const cls = fc.oneof(fc.constantFrom(IN, CH, HS), fc.integer({ min: 1, max: 253 }));
const ttl = fc.integer({ min: 0, max: 0x7fffffff });

describe("parseZoneFile: properties", () => {
  it("reads back every record written as a zone line with toText()", () => {
    fc.assert(
      fc.property(
        name,
        ttl,
        cls,
        record,
        fc.constantFrom("plain", "class first", "parentheses"),
        (owner, seconds, klass, payload, layout) => {
          const header = new RRHeader({ name: owner, ttl: seconds, cls: klass, payload });
          let line = header.toString();
          const type = line.split(" ")[3];
          const ownerText = `${owner.name}.`;
          if (layout === "class first") {
            line = `${ownerText} ${classToText(klass)} ${seconds} ${type} ${payload.toText()}`;
          } else if (layout === "parentheses") {
            line = `${ownerText} ${seconds} ${
              classToText(klass)
            } ${type} (\n ${payload.toText()}\n)`;
          }
          const records = parseZoneFile(line + "\n");
          assert.equal(records.length, 1, line);
          const [r] = records;
          assert.equal(r.record.toText(), payload.toText(), line);
          assert.equal(r.record.TYPE, payload.TYPE);
          assert.equal(r.record.constructor, payload.constructor);
          assert.ok(r.name.equals(owner));
          assert.equal(r.name.name, owner.name);
          assert.equal(r.ttl, seconds);
          assert.equal(r.cls, klass);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("turns random lines into records that encode, or a ZoneFileError, never another error", () => {
    const noise = fc.oneof(
      fc.constantFrom("(", ")", ";", '"', "\\", "\n", "\t", "$ORIGIN", "$TTL", "$INCLUDE", "loop"),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: "binary", maxLength: 4 }),
    );
    const owner = fc.constantFrom("@", ".", "www", "a.b.", "10", "x\\.y", "\\200", "a..b");
    const ttlOrClass = fc.constantFrom("3600", "1h30m", "9999999999", "IN", "CH", "CLASS9", "ANY");
    const type = fc.constantFrom(
      ...["A", "AAAA", "NS", "MINFO", "SOA", "MX", "TXT", "SPF", "HINFO", "SRV", "NAPTR"],
      ...["CAA", "SSHFP", "TLSA", "NULL", "WKS", "OPT", "TYPE1", "TYPE16", "TYPE65280", "FOO"],
    );
    const datum = fc.oneof(
      fc.constantFrom(
        ...["\\#", "0", "4", "10", "65536", "1h", "0A000001", "0a", "c000", "ab cd", "."],
        ...["192.0.2.1", "::1", "1.2.3", "mail", "x.", '"a b"', '""', "issue", "\\065"],
        ...[`"${"x".repeat(256)}"`, "(", ")", ";"],
      ),
      fc.string({ maxLength: 4 }),
    );
    const recordLine = fc.tuple(
      fc.boolean(),
      owner,
      fc.array(ttlOrClass, { maxLength: 2 }),
      type,
      fc.array(datum, { maxLength: 8 }),
    ).map(([blank, o, tc, t, data]) => [blank ? "" : o, ...tc, t, ...data].join(" "));
    const garbage = fc.tuple(fc.boolean(), fc.array(fc.oneof(noise, datum), { maxLength: 10 }))
      .map(([blank, parts]) => (blank ? " " : "") + parts.join(" "));
    const line = fc.oneof(recordLine, recordLine, garbage);
    const readInclude = (path: string) => path === "loop" ? "$INCLUDE loop\n" : "x 1 A 192.0.2.1\n";
    fc.assert(
      fc.property(fc.array(line, { maxLength: 4 }), fc.boolean(), fc.boolean(), (
        lines,
        withOrigin,
        withOwner,
      ) => {
        let records: ZoneRecord[];
        try {
          records = parseZoneFile((withOwner ? "first. 1 A 192.0.2.1\n" : "") + lines.join("\n"), {
            origin: withOrigin ? "example.com" : undefined,
            readInclude,
          });
        } catch (e) {
          assert.ok(e instanceof ZoneFileError, `${e} for ${JSON.stringify(lines)}`);
          assert.ok(e.line >= 1);
          assert.ok(e.message.startsWith(`${e.file}:${e.line}: `), e.message);
          return;
        }
        for (const r of records) {
          const writer = new WireWriter();
          r.record.encode(writer);
          writer.name(r.name);
          assert.ok(writer.length <= 0xffff);
        }
      }),
      { numRuns: 500 },
    );
  });
});
