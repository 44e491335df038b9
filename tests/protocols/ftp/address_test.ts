import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeExtendedAddress,
  decodeExtendedPassiveReply,
  decodeHostPort,
  decodePassiveReply,
  encodeExtendedAddress,
  encodeExtendedPassiveReply,
  encodeHostPort,
  InvalidHostPort,
} from "../../../src/protocols/ftp/mod.ts";

describe("FTP addresses", () => {
  it("reads and writes RFC 959's h1,h2,h3,h4,p1,p2", () => {
    assert.deepEqual(decodeHostPort("192,168,0,1,19,137"), { host: "192.168.0.1", port: 5001 });
    assert.deepEqual(decodeHostPort(" 10, 0, 0, 2, 0, 21 "), { host: "10.0.0.2", port: 21 });
    assert.equal(encodeHostPort("192.168.0.1", 5001), "192,168,0,1,19,137");
  });

  it("refuses malformed PORT arguments", () => {
    for (
      const bad of [
        "",
        "1,2,3,4,5",
        "1,2,3,4,5,6,7",
        "256,0,0,1,4,1",
        "1,2,3,4,0,0",
        "a,b,c,d,e,f",
        "1,2,3,4,-1,5",
        "1,2,3,4,1000,1",
        "1.2.3.4,4,1",
      ]
    ) {
      assert.throws(() => decodeHostPort(bad), InvalidHostPort, bad);
    }
    assert.throws(() => encodeHostPort("::1", 21), InvalidHostPort);
    assert.throws(() => encodeHostPort("127.0.0.1", 70000), InvalidHostPort);
  });

  it("reads and writes RFC 2428's |af|host|port|, any delimiter", () => {
    assert.deepEqual(decodeExtendedAddress("|1|132.235.1.2|6275|"), {
      host: "132.235.1.2",
      port: 6275,
    });
    assert.deepEqual(decodeExtendedAddress("|2|1080::8:800:200C:417A|5282|"), {
      host: "1080::8:800:200c:417a",
      port: 5282,
    });
    assert.deepEqual(decodeExtendedAddress("!2!::ffff:127.0.0.1!21!"), {
      host: "::ffff:127.0.0.1",
      port: 21,
    });
    assert.equal(encodeExtendedAddress("::1", 6275), "|2|::1|6275|");
    assert.equal(encodeExtendedAddress("127.0.0.1", 21), "|1|127.0.0.1|21|");
  });

  it("refuses EPRT arguments whose family, host or port is wrong", () => {
    for (
      const bad of [
        "",
        "|1|127.0.0.1|21",
        "|2|127.0.0.1|21|",
        "|1|::1|21|",
        "|3|127.0.0.1|21|",
        "|1|127.0.0.1|0|",
        "|1|127.0.0.1|65536|",
        "|1|127.0.0.256|21|",
        "|2|1::2::3|21|",
        "|2|1:2:3:4:5:6:7:8:9|21|",
        "|2|g::1|21|",
        "|1|127.0.0.1|21|x",
        " 1 127.0.0.1 21 ",
      ]
    ) {
      assert.throws(() => decodeExtendedAddress(bad), InvalidHostPort, JSON.stringify(bad));
    }
  });

  it("finds the address in 227 and the port in 229 replies", () => {
    assert.deepEqual(decodePassiveReply("Entering Passive Mode (127,0,0,1,195,80)."), {
      host: "127.0.0.1",
      port: 50000,
    });
    assert.deepEqual(decodePassiveReply("=127,0,0,1,195,81"), { host: "127.0.0.1", port: 50001 });
    assert.equal(decodeExtendedPassiveReply("Entering Extended Passive Mode (|||6446|)"), 6446);
    assert.equal(decodeExtendedPassiveReply("EPSV ok (!!!21!)"), 21);
    assert.equal(encodeExtendedPassiveReply(6446), "(|||6446|)");
    assert.throws(() => decodePassiveReply("Entering Passive Mode"), InvalidHostPort);
    assert.throws(() => decodeExtendedPassiveReply("(|||0|)"), InvalidHostPort);
    assert.throws(() => decodeExtendedPassiveReply("(|!|21|)"), InvalidHostPort);
  });

  it("round-trips every IPv4 address and port, and any text decodes or throws InvalidHostPort", () => {
    const ipv4 = fc.tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
    ).map((parts) => parts.join("."));
    const port = fc.integer({ min: 1, max: 65535 });
    fc.assert(fc.property(ipv4, port, (host, p) => {
      assert.deepEqual(decodeHostPort(encodeHostPort(host, p)), { host, port: p });
      assert.deepEqual(decodeExtendedAddress(encodeExtendedAddress(host, p)), { host, port: p });
      assert.equal(decodeExtendedPassiveReply(`229 ${encodeExtendedPassiveReply(p)}`), p);
    }));
    fc.assert(fc.property(fc.ipV6(), port, (host, p) => {
      assert.equal(decodeExtendedAddress(encodeExtendedAddress(host, p)).port, p);
    }));
    const decoders = [decodeHostPort, decodeExtendedAddress, decodePassiveReply];
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (text) => {
      for (const decode of decoders) {
        try {
          decode(text);
        } catch (error) {
          assert.ok(error instanceof InvalidHostPort, String(error));
        }
      }
    }));
  });
});
