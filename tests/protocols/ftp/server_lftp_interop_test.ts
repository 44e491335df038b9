// lftp against the FTP server: ls, get, put, resumed get (REST), mirror both ways with
// UTF-8 names, in passive and active mode, in the clear and with TLS (AUTH TLS, PROT P,
// verified against the test CA; TLS 1.2, as lftp 4.9 truncates TLS 1.3 uploads).
// Skipped without lftp, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { CA, have, run, skipUnless, withServer } from "./_server_interop.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const skip = skipUnless(have("lftp", ["--version"]), "lftp");

function settings(tls: boolean, passive: boolean): string {
  const lines = [
    "set cmd:fail-exit yes",
    "set net:max-retries 1",
    "set net:timeout 10",
    "set net:reconnect-interval-base 1",
    `set ftp:passive-mode ${passive ? "on" : "off"}`,
    "set ftp:prefer-epsv yes",
  ];
  if (tls) {
    lines.push(
      "set ftp:ssl-force yes",
      "set ftp:ssl-protect-data yes",
      "set ftp:ssl-protect-list yes",
      `set ssl:ca-file ${CA}`,
      "set ssl:verify-certificate yes",
      'set ssl:priority "NORMAL:-VERS-TLS1.3"',
    );
  } else {
    lines.push("set ftp:ssl-allow no");
  }
  return lines.join("; ");
}

describe("FTP server with lftp", { skip }, () => {
  for (const tls of [false, true]) {
    for (const passive of [true, false]) {
      it(`${tls ? "TLS" : "clear"}, ${passive ? "passive" : "active"}: ls, get -c, put, mirror`, async () => {
        await withServer(async ({ port, home, big, scratch }) => {
          const local = join(scratch, "local");
          mkdirSync(join(local, "sous-dossier é"), { recursive: true });
          writeFileSync(join(local, "sous-dossier é", "fichier ü.txt"), "contenu\n");
          writeFileSync(join(local, "big.bin"), big);
          // A partial download that `get -c` resumes.
          writeFileSync(join(scratch, "resumed.bin"), big.subarray(0, 777777));
          const script = [
            settings(tls, passive),
            `open -u alice,secret ftp://${tls ? "localhost" : "127.0.0.1"}:${port}`,
            "ls",
            `get -c big.bin -o ${join(scratch, "resumed.bin")}`,
            `put ${join(local, "big.bin")} -o put.bin`,
            `mirror -R ${local} up`,
            `mirror up ${join(scratch, "down")}`,
            "bye",
          ].join("; ");
          const r = await run("lftp", ["-c", script], 90000);
          assert.equal(r.code, 0, r.err + r.out);
          assert.match(r.out, / big\.bin$/m);
          assert.deepEqual(new Uint8Array(readFileSync(join(scratch, "resumed.bin"))), big);
          assert.deepEqual(new Uint8Array(readFileSync(join(home, "put.bin"))), big);
          assert.deepEqual(new Uint8Array(readFileSync(join(home, "up", "big.bin"))), big);
          assert.equal(
            readFileSync(join(home, "up", "sous-dossier é", "fichier ü.txt"), "utf8"),
            "contenu\n",
          );
          assert.deepEqual(readdirSync(join(scratch, "down")).sort(), [
            "big.bin",
            "sous-dossier é",
          ]);
          assert.deepEqual(new Uint8Array(readFileSync(join(scratch, "down", "big.bin"))), big);
        }, { host: "127.0.0.1" });
      });
    }
  }
});
