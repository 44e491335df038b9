// Python's ftplib (FTP and FTP_TLS, passive and active, IPv4 and ::1) against the FTP
// server: UTF-8 folder and file names, STOR, SIZE, MDTM, RETR with REST, APPE, TYPE A
// lines, NLST, MLSD, LIST, ABOR in the middle of a download (426 then 226), RNFR/RNTO,
// DELE, RMD, and a path above the root refused. FTP_TLS starts the data connection's
// TLS after the 150 reply. Skipped without python3, except under CI.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { CA, have, PYTHON, run, skipUnless, withServer } from "./_server_interop.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PEER = fileURLToPath(new URL("server_peer_ftplib.py", import.meta.url));
const skip = skipUnless(have(PYTHON, ["-c", "import ftplib, ssl"]), "python3");
const md5 = (data: Uint8Array): string => createHash("md5").update(data).digest("hex");

const CASES = [
  { mode: "plain", data: "passive", host: "127.0.0.1" },
  { mode: "plain", data: "active", host: "127.0.0.1" },
  { mode: "tls", data: "passive", host: "localhost" },
  { mode: "tls", data: "active", host: "localhost" },
  { mode: "plain", data: "passive", host: "::1" },
  { mode: "tls", data: "active", host: "::1" },
];

describe("FTP server with ftplib", { skip }, () => {
  for (const { mode, data, host } of CASES) {
    it(`${mode}, ${data}, ${host}: files, folders, REST, APPE, MLSD, ABOR`, async () => {
      await withServer(async ({ port, home, big, scratch }) => {
        const upload = join(scratch, "upload.bin");
        writeFileSync(upload, big);
        // Large enough (and sparse) that the download is still running when ABOR comes.
        writeFileSync(join(home, "abort.bin"), "");
        truncateSync(join(home, "abort.bin"), 256 * 1024 * 1024);
        const r = await run(PYTHON, [PEER, host, String(port), CA, mode, data, upload]);
        assert.equal(r.code, 0, r.err);
        const out = JSON.parse(r.out);
        assert.match(out.welcome, /^220 /);
        if (mode === "tls") {
          assert.match(out.auth, /^234 /);
          assert.match(out.prot, /^200 /);
        }
        assert.match(out.login, /^230 /);
        assert.ok(out.feat.includes(" MLST type*;size*;modify*;perm*;unix.mode*;"));
        assert.equal(out.mkd, "/dossier é");
        assert.equal(out.pwd, "/dossier é");
        assert.match(out.stor, /^226 /);
        assert.equal(out.size, big.byteLength);
        assert.match(out.mdtm, /^213 \d{14}$/);
        assert.equal(out.retr_md5, md5(big));
        assert.equal(out.rest_md5, md5(big.subarray(1000)));
        assert.equal(out.size_after_appe, big.byteLength + 4);
        assert.deepEqual(out.retrlines, ["one", "two"]);
        assert.deepEqual(out.nlst, ["lines.txt", "ünï.bin"]);
        assert.deepEqual(out.mlsd, [
          [".", "cdir", "4096"],
          ["lines.txt", "file", "8"],
          ["ünï.bin", "file", String(big.byteLength + 4)],
        ]);
        assert.equal(out.list.length, 2);
        assert.match(out.list[1], /^-rw-r--r-- .* ünï\.bin$/);
        assert.match(out.abort, /^426 /);
        assert.equal(out.after_abort, "226 Abort successful");
        assert.equal(out.noop, "200 Command OK");
        assert.match(out.rename, /^250 /);
        assert.match(out.rmd, /^250 /);
        assert.match(out.escape, /^550 /);
        assert.equal(out.quit, "221 Goodbye.");
        assert.equal(existsSync(join(home, "moved.txt")), false);
        assert.equal(existsSync(join(home, "dossier é")), false);
      }, { host: host === "localhost" ? "127.0.0.1" : host });
    });
  }
});
