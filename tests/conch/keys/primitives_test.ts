// Known answers for the synchronous primitives under src/conch/keys: SHA-1/256/512 (FIPS
// 180-4's "abc" and two-block examples), HMAC-SHA1 (RFC 2202), bcrypt_pbkdf (OpenBSD's
// vectors, as in the bcrypt-pbkdf crates' test suites), Ed25519's public key from its seed
// and a signature (RFC 8032 7.1, test 1), and the DER and key-blob edge cases.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hmac, sha1, sha256, sha512 } from "../../../src/conch/keys/_sha.ts";
import { bcryptPbkdf } from "../../../src/conch/keys/_bcrypt_pbkdf.ts";
import { ed25519PublicFromSeed } from "../../../src/conch/keys/_key_data.ts";
import { BadKeyError, Key } from "../../../src/conch/keys/mod.ts";
import { derInteger, derOid, DerReader } from "../../../src/conch/keys/_der.ts";

const enc = new TextEncoder();
const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string): Uint8Array =>
  Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

describe("SHA and HMAC", () => {
  it("hashes FIPS 180-4's examples", () => {
    assert.equal(hex(sha1(enc.encode("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert.equal(
      hex(sha256(enc.encode("abc"))),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assert.equal(
      hex(sha256(enc.encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    assert.equal(
      hex(sha512(enc.encode("abc"))),
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    );
    assert.equal(
      hex(sha512(enc.encode(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq" +
          "klmnopqrlmnopqrsmnopqrstnopqrstu",
      ))),
      "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018" +
        "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909",
    );
    assert.equal(
      hex(sha256(new Uint8Array(0))),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it("computes RFC 2202's HMAC-SHA1 test 1 and 6 (a key longer than a block)", () => {
    const key = new Uint8Array(20).fill(0x0b);
    assert.equal(
      hex(hmac(sha1, 64, key, enc.encode("Hi There"))),
      "b617318655057264e28bc0b6fb378c8ef146be00",
    );
    assert.equal(
      hex(hmac(
        sha1,
        64,
        new Uint8Array(80).fill(0xaa),
        enc.encode("Test Using Larger Than Block-Size Key - Hash Key First"),
      )),
      "aa4ae5e15272d00e95705637ce8a3b55ed402112",
    );
  });
});

describe("bcrypt_pbkdf", () => {
  const vectors: [Uint8Array, Uint8Array, number, string][] = [
    [
      enc.encode("password"),
      enc.encode("salt"),
      4,
      "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9",
    ],
    [enc.encode("password"), new Uint8Array([0]), 4, "c12b566235eee04c212598970a579a67"],
    [new Uint8Array([0]), enc.encode("salt"), 4, "6051be18c2f4f82cbf0efee5471b4bb9"],
    [
      enc.encode("password\0"),
      enc.encode("salt\0"),
      4,
      "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050",
    ],
  ];
  for (const [password, salt, rounds, expected] of vectors) {
    it(`matches OpenBSD's vector for ${JSON.stringify(new TextDecoder().decode(password))}`, () => {
      assert.equal(hex(bcryptPbkdf(password, salt, expected.length / 2, rounds)), expected);
    });
  }

  it("refuses zero rounds, an empty salt and a silly length", () => {
    assert.throws(() => bcryptPbkdf(enc.encode("p"), enc.encode("s"), 32, 0), RangeError);
    assert.throws(() => bcryptPbkdf(enc.encode("p"), new Uint8Array(0), 32, 1), RangeError);
    assert.throws(() => bcryptPbkdf(enc.encode("p"), enc.encode("s"), 5000, 1), RangeError);
  });
});

describe("Ed25519 (RFC 8032 7.1, test 1)", () => {
  const seed = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const pub = unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

  it("derives the public key from the seed", () => {
    assert.equal(hex(ed25519PublicFromSeed(seed)), hex(pub));
  });

  it("signs the empty message as the RFC does, in an SSH signature blob", async () => {
    const key = new Key({ kind: "Ed25519", pub, seed });
    const blob = await key.sign(new Uint8Array(0));
    assert.equal(
      hex(blob.subarray(blob.length - 64)),
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    );
    assert.ok(await key.public().verify(blob, new Uint8Array(0)));
    assert.equal(await key.public().verify(blob, new Uint8Array(1)), false);
  });
});

describe("DER", () => {
  it("round-trips integers and OIDs, and refuses lengths past the end", () => {
    for (const n of [0n, 127n, 128n, 255n, 256n, (1n << 2048n) - 1n]) {
      assert.equal(new DerReader(derInteger(n)).integer(), n);
    }
    for (const oid of ["1.2.840.10045.3.1.7", "1.3.132.0.35", "1.3.101.112"]) {
      assert.equal(new DerReader(derOid(oid)).oid(), oid);
    }
    assert.throws(
      () => new DerReader(new Uint8Array([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff])).next(),
      BadKeyError,
    );
    assert.throws(() => new DerReader(new Uint8Array([0x02, 0x01, 0x80])).integer(), BadKeyError);
  });
});
