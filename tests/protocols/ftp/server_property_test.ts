// Property test: any bytes, in any chunks, to the FTP server (before or after an
// anonymous login) give well-formed replies or a clean close - never a throw, an
// unhandled rejection, or an unbounded buffer.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import fc from "fast-check";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { enc, Session } from "./_server_helpers.ts";

trackLeaks({ beforeEach, afterEach });

const COMMANDS = [
  "USER anonymous",
  "PASS x",
  "USER alice",
  "PASS secret",
  "PASV",
  "EPSV",
  "EPSV ALL",
  "PORT 192,168,1,1,200,1",
  "PORT 1,2,3",
  "EPRT |1|192.168.1.1|6000|",
  "EPRT |9|x|y|",
  "REST 3",
  "REST -1",
  "RETR hello.txt",
  "RETR ../../etc/passwd",
  "STOR x",
  "APPE x",
  "LIST",
  "NLST *",
  "MLSD",
  "MLST hello.txt",
  "CWD dir",
  "CDUP",
  "PWD",
  "SIZE hello.txt",
  "MDTM hello.txt",
  "RNFR hello.txt",
  "RNTO y",
  "DELE hello.txt",
  "TYPE A",
  "TYPE X",
  "ABOR",
  "FEAT",
  "OPTS MLST size;",
  "HELP",
  "AUTH TLS",
  "PBSZ 0",
  "PROT P",
  "SITE CHMOD 777 hello.txt",
  "QUIT",
];

const chunk = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(...COMMANDS).map((c) => enc.encode(c + "\r\n")),
  fc.constantFrom(...COMMANDS).map((c) => enc.encode(c)),
  fc.constantFrom("\r\n", "\n", "\r", "\xff\xf4", " ", "\0").map((c) => enc.encode(c)),
  fc.nat({ max: 20000 }).map((n) => new Uint8Array(n).fill(65)),
);

async function settle(s: Session): Promise<void> {
  let last = -1;
  let still = 0;
  for (let i = 0; i < 2000 && still < 30; i++) {
    const size = s.transport.value().byteLength;
    still = size === last ? still + 1 : 0;
    last = size;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("FTP server: any input", () => {
  it("gives replies or a clean close, never a throw", async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(chunk, { maxLength: 30 }), async (login, chunks) => {
        const s = new Session();
        try {
          if (login) s.send("USER anonymous", "PASS guest");
          for (const data of chunks) {
            s.ftp.dataReceived(data);
            s.reactor.advance(1);
          }
          await settle(s);
          // Finish what is waiting on a data connection.
          s.reactor.advance(15);
          await settle(s);
          const text = s.transport.valueText();
          assert.ok(text.endsWith("\r\n") || text === "", JSON.stringify(text.slice(-80)));
          for (const line of text.split("\r\n").slice(0, -1)) {
            assert.match(line, /^(\d{3}[ -]| )[^\r\n]*$/, JSON.stringify(line));
          }
          assert.ok(text.length < 200000);
        } finally {
          s.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
