import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ScramClient, ScramError } from "../../src/cred/_scram.ts";
import { saslPrep } from "../../src/cred/mod.ts";

describe("SCRAM client (src/cred)", () => {
  it("computes RFC 5802's SCRAM-SHA-1 example and checks the server's signature", async () => {
    const scram = new ScramClient("user", "pencil", {
      hash: "SHA-1",
      nonce: "fyko+d2lbbFgONRv9qkxdawL",
    });
    assert.equal(scram.clientFirst(), "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    assert.equal(scram.awaitingServerFinal, false);
    const final = await scram.clientFinal(
      "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    );
    assert.equal(
      final,
      "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    );
    assert.equal(scram.awaitingServerFinal, true);
    assert.equal(scram.verifyServerFinal("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), true);
    assert.equal(scram.verifyServerFinal("v=rmF9pqV8S7suAoZWja4dJRkFsKA="), false);
    assert.equal(scram.verifyServerFinal("e=invalid-proof"), false);
    assert.equal(scram.verifyServerFinal("v=not base64"), false);
  });

  it("computes RFC 7677's SCRAM-SHA-256 example", async () => {
    const scram = new ScramClient("user", "pencil", { nonce: "rOprNGfwEbeRWgbNEkqO" });
    const final = await scram.clientFinal(
      "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    );
    assert.ok(final.endsWith(",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="), final);
    assert.equal(scram.verifyServerFinal("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), true);
  });

  it("escapes names, carries an authorization identity in the channel-binding header", async () => {
    const scram = new ScramClient("a=b,c", "pw", { nonce: "n0nce", authzid: "ad,min" });
    assert.equal(scram.clientFirst(), "n,a=ad=2Cmin,n=a=3Db=2Cc,r=n0nce");
    const final = await scram.clientFinal("r=n0nceXYZ,s=AAAA,i=1");
    // c= is the base64 of the header "n,a=ad=2Cmin,".
    assert.ok(final.startsWith(`c=${btoa("n,a=ad=2Cmin,")},r=n0nceXYZ,p=`), final);
  });

  it("refuses server messages that are malformed or set an unacceptable cost", async () => {
    const make = () =>
      new ScramClient("u", "p", { nonce: "abc", minIterations: 4096, maxIterations: 100_000 });
    for (
      const bad of [
        "r=xyz123,s=AAAA,i=4096", // nonce not extended
        "r=abc,s=AAAA,i=4096", // nonce not extended at all
        "r=abcd,i=4096", // no salt
        "r=abcd,s=AAAA,i=4095", // below the floor
        "r=abcd,s=AAAA,i=100001", // above the ceiling
        "r=abcd,s=AAAA,i=1e4", // not a decimal count
        "r=abcd,s=A!AA,i=4096", // bad base64
        "m=ext,r=abcd,s=AAAA,i=4096", // mandatory extension
        "garbage",
        "",
      ]
    ) {
      await assert.rejects(make().clientFinal(bad), ScramError, bad);
    }
  });

  it("SASLprep maps spaces and soft hyphens, applies NFKC, and refuses control characters", () => {
    assert.equal(saslPrep("I\u00ADX"), "IX");
    assert.equal(saslPrep("\u2168"), "IX");
    assert.equal(saslPrep("a\u00A0b"), "a b");
    assert.throws(() => saslPrep("\u0007"), RangeError);
    assert.throws(() => saslPrep("\uE000"), RangeError);
    assert.throws(() => new ScramClient("u", "\u0007"), RangeError);
    // PostgreSQL's way: a password SASLprep refuses is used as it is.
    assert.doesNotThrow(() => new ScramClient("", "\u0007", { passwordPrep: "raw" }));
  });

  it("answers any server-first message with a client-final one or a ScramError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), async (tail) => {
        const scram = new ScramClient("u", "p", { nonce: "abc", maxIterations: 64 });
        try {
          const final = await scram.clientFinal(`r=abc${tail}`);
          assert.match(final, /^c=biws,r=abc.*,p=[A-Za-z0-9+/]+=*$/);
        } catch (error) {
          assert.ok(error instanceof ScramError, String(error));
        }
      }),
      { numRuns: 200 },
    );
  });
});
