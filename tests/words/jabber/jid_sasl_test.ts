// JIDs per RFC 7622 (stricter than Twisted) and the SASL mechanisms: PLAIN, SASLprep, and the
// SCRAM-SHA-1 / SCRAM-SHA-256 test vectors of RFC 5802 and RFC 7677.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { jid, sasl, sasl_mechanisms } from "../../../src/words/jabber/mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("jid", () => {
  it("parses and prepares the three parts", () => {
    assert.deepEqual(jid.parse("user@host/resource"), ["user", "host", "resource"]);
    assert.deepEqual(jid.parse("host"), [null, "host", null]);
    assert.deepEqual(jid.parse("host/res/with/slashes@x"), [null, "host", "res/with/slashes@x"]);
    assert.deepEqual(jid.parse("User@EXAMPLE.com./Res"), ["user", "example.com", "Res"]);
    assert.deepEqual(jid.parse("\uff2a\uff55liet@example.com"), ["juliet", "example.com", null]);
    assert.deepEqual(jid.parse("a@[::1]"), ["a", "[::1]", null]);
    assert.deepEqual(jid.parse("caf\u0065\u0301@b\u00fccher.de/x\u00a0y"), [
      "caf\u00e9",
      "b\u00fccher.de",
      "x y",
    ]);
  });

  it("refuses what RFC 7622 refuses, stricter than Twisted", () => {
    for (
      const bad of [
        "@host",
        "host/",
        "user@host/",
        "",
        "user@",
        "us er@host",
        'us"er@host',
        "us:er@host",
        "user@ho st",
        "user@host..com",
        "user@-host.com",
        "user@host/\u0007",
        `${"a".repeat(1024)}@host`,
        `user@${"a".repeat(64)}.com`,
        "\u263a@host",
      ]
    ) {
      assert.throws(() => jid.parse(bad), jid.InvalidFormat, bad);
    }
  });

  it("has Twisted's JID accessors and interning", () => {
    const j = new jid.JID("juliet@capulet.com/balcony");
    assert.equal(j.userhost(), "juliet@capulet.com");
    assert.equal(j.full(), "juliet@capulet.com/balcony");
    assert.equal(String(j), j.full());
    assert.equal(j.userhostJID().full(), "juliet@capulet.com");
    assert.ok(j.equals(new jid.JID(null, ["Juliet", "Capulet.com", "balcony"])));
    assert.ok(!j.equals(j.userhostJID()));
    const bare = new jid.JID("capulet.com");
    assert.equal(bare.userhostJID(), bare);
    assert.equal(jid.internJID("a@b/c"), jid.internJID("a@b/c"));
    assert.throws(() => new jid.JID(), TypeError);
  });
});

describe("sasl_mechanisms", () => {
  it("PLAIN and ANONYMOUS", () => {
    assert.equal(
      dec.decode(new sasl_mechanisms.Plain("admin", "user", "pw").getInitialResponse()),
      "admin\0user\0pw",
    );
    assert.equal(new sasl_mechanisms.Anonymous().getInitialResponse(), null);
  });

  it("DIGEST-MD5 gives RFC 2831's response", () => {
    const m = new sasl_mechanisms.DigestMD5(
      "imap",
      "elwood.innosoft.com",
      null,
      "chris",
      "secret",
      {
        cnonce: "OA6MHXh6VqTrRk",
      },
    );
    assert.equal(m.getInitialResponse(), null);
    const response = dec.decode(m.getResponse(enc.encode(
      'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8',
    )));
    const d = sasl_mechanisms.DigestMD5.parse(response);
    assert.equal(d.get("response"), "d388dad90d4bbd760a152321f2143af7");
    assert.equal(d.get("digest-uri"), "imap/elwood.innosoft.com");
    assert.equal(d.get("username"), "chris");
    assert.equal(d.get("nc"), "00000001");
    assert.equal(m.getResponse(enc.encode("rspauth=ea40f60335c427b5527b84dbabcdfffd")).length, 0);
    assert.throws(() => m.getResponse(enc.encode("realm=x")), RangeError);
  });

  it("SASLprep maps and refuses as RFC 4013 says", () => {
    assert.equal(sasl_mechanisms.saslprep("I\u00adX"), "IX");
    assert.equal(sasl_mechanisms.saslprep("user"), "user");
    assert.equal(sasl_mechanisms.saslprep("USER"), "USER");
    assert.equal(sasl_mechanisms.saslprep("\u00aa"), "a");
    assert.equal(sasl_mechanisms.saslprep("\u2168"), "IX");
    assert.equal(sasl_mechanisms.saslprep("a\u00a0b"), "a b");
    assert.throws(() => sasl_mechanisms.saslprep("\u0007"), RangeError);
  });

  it("SCRAM-SHA-1 gives RFC 5802's messages and checks the server signature", async () => {
    const m = new sasl_mechanisms.ScramSHA1("user", "pencil", {
      nonce: "fyko+d2lbbFgONRv9qkxdawL",
    });
    assert.equal(dec.decode(m.getInitialResponse()), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    const final = await m.getResponse(
      enc.encode("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"),
    );
    assert.equal(
      dec.decode(final),
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    );
    assert.equal(m.checkSuccess(enc.encode("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")), true);
    assert.equal(m.checkSuccess(enc.encode("v=rmF9pqV8S7suAoZWja4dJRkFsKX=")), false);
    assert.equal(m.checkSuccess(enc.encode("e=invalid-proof")), false);
    assert.equal(m.checkSuccess(null), false);
  });

  it("SCRAM-SHA-256 gives RFC 7677's messages", async () => {
    const m = new sasl_mechanisms.ScramSHA256("user", "pencil", { nonce: "rOprNGfwEbeRWgbNEkqO" });
    assert.equal(dec.decode(m.getInitialResponse()), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const final = await m.getResponse(enc.encode(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    ));
    assert.equal(
      dec.decode(final),
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," +
        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    assert.equal(
      m.checkSuccess(enc.encode("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")),
      true,
    );
  });

  it("SCRAM refuses a bad server-first message", async () => {
    const bad = [
      "r=other,s=QSXCR+Q6sek8bf92,i=4096",
      "r=abc,s=QSXCR+Q6sek8bf92,i=4096",
      "r=abcdef,i=4096",
      "r=abcdef,s=QSXCR+Q6sek8bf92,i=0",
      "r=abcdef,s=QSXCR+Q6sek8bf92,i=99999999",
      "r=abcdef,s=!!!,i=4096",
      "m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096",
      "garbage",
    ];
    for (const b of bad) {
      const m = new sasl_mechanisms.ScramSHA1("user", "pencil", { nonce: "abc" });
      m.getInitialResponse();
      await assert.rejects(m.getResponse(enc.encode(b)), RangeError, b);
    }
  });

  it("fromBase64 is strict", () => {
    assert.equal(dec.decode(sasl.fromBase64("aGk=")), "hi");
    assert.equal(sasl.fromBase64("=").length, 0);
    for (const b of ["a", "aGk", "a*==", "aGk=aGk="]) {
      assert.throws(() => sasl.fromBase64(b), sasl.SASLIncorrectEncodingError, b);
    }
  });
});
