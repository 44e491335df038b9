// FTPClient against our own FTP server (FTPFactory, FTPRealm) over loopback
// on every runtime: the whole session (list, nlst, retrieve with offset,
// resumed store, rename, directories, size, mdtm, failures), passive and
// active, clear and with AUTH TLS (PROT P, the test CA), over 127.0.0.1 and ::1.
import { afterEach, beforeEach, describe, it } from "node:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type IPv4Address, reactor } from "../../../mod.ts";
import {
  AllowAnonymousAccess,
  InMemoryUsernamePasswordDatabaseDontUse,
  Portal,
} from "../../../src/cred/mod.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { type FTPClientOptions, FTPFactory, FTPRealm } from "../../../src/protocols/ftp/mod.ts";
import { connect, makeRoot, session } from "./_client_interop.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const TLS_DIR = fileURLToPath(new URL("../../fixtures/tls", import.meta.url));
const read = (name: string): string => readFileSync(join(TLS_DIR, name), "utf8");

async function run(host: string, options: FTPClientOptions): Promise<void> {
  // alice's home is <dir>/alice (userHome/avatarId); anonymous gets <dir>/pub.
  const { dir, root, cleanup } = makeRoot("alice");
  mkdirSync(join(dir, "pub"));
  const portal = new Portal(new FTPRealm(join(dir, "pub"), { userHome: dir }), [
    new AllowAnonymousAccess(),
    new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" }),
  ]);
  const factory = new FTPFactory(portal, {
    tls: { cert: read("server.pem"), key: read("server.key") },
  });
  const port = reactor.listenTCP(0, factory, { interface: host });
  try {
    await port.whenListening!();
    const client = await connect(host, (port.getHost() as IPv4Address).port, options);
    await session(client, root);
  } finally {
    await port.stopListening();
    cleanup();
  }
}

describe("FTPClient with our FTP server", { timeout: 120_000 }, () => {
  for (const host of ["127.0.0.1", "::1"]) {
    for (const passive of [true, false]) {
      for (const tls of [false, true]) {
        const name = `${passive ? "passive" : "active"}${tls ? ", AUTH TLS" : ""} over ${host}`;
        it(name, { timeout: 60_000 }, async () => {
          await run(host, { passive, ...(tls ? { tls: { ca: read("ca.pem") } } : {}) });
        });
      }
    }
  }
});
