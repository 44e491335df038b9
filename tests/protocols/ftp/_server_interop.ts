// Shared by the FTP server interop tests: an in-process server on a free loopback port
// over temporary folders (anonymous root and alice's home, password "secret"), with the
// test CA's certificate for AUTH TLS, and a way to run a peer program.
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type IPv4Address, reactor } from "../../../mod.ts";
import {
  AllowAnonymousAccess,
  InMemoryUsernamePasswordDatabaseDontUse,
  Portal,
} from "../../../src/cred/mod.ts";
import { FTPFactory, type FTPFactoryOptions, FTPRealm } from "../../../src/protocols/ftp/mod.ts";

export const PYTHON = "/usr/bin/python3";
export const CI = process.env.CI === "true";
export const TLS_DIR = fileURLToPath(new URL("../../fixtures/tls", import.meta.url));
export const CA = join(TLS_DIR, "ca.pem");
const tls = (name: string): string => readFileSync(join(TLS_DIR, name), "utf8");

/** True when `command args` runs and exits 0. */
export function have(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

/** A skip message naming the Debian package, or false (always false under CI: it must fail). */
export function skipUnless(present: boolean, pkg: string): string | false {
  return present || CI
    ? false
    : `peer missing: install Debian's ${pkg} (apt-get install -y ${pkg})`;
}

/** Runs a peer program; never rejects. */
export function run(
  command: string,
  args: string[],
  timeout = 60000,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout, maxBuffer: 64 << 20 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out, err });
    });
  });
}

/** The served folders and where the server listens. */
export interface Served {
  port: number;
  host: string;
  /** The anonymous root. */
  pub: string;
  /** alice's home. */
  home: string;
  /** Random bytes, also in `pub/big.bin` and `home/big.bin`. */
  big: Uint8Array;
  /** A scratch folder outside the served ones. */
  scratch: string;
}

/** Serves temporary folders on `host` for the duration of `fn`. */
export async function withServer(
  fn: (served: Served) => Promise<void>,
  options: FTPFactoryOptions & { host?: string } = {},
): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), "tw-ftp-interop-"));
  const pub = join(base, "pub");
  const homes = join(base, "homes");
  const home = join(homes, "alice");
  const scratch = join(base, "scratch");
  for (const dir of [pub, home, scratch, join(pub, "docs")]) mkdirSync(dir, { recursive: true });
  const big = new Uint8Array(randomBytes(3 * 1024 * 1024 + 123));
  writeFileSync(join(pub, "big.bin"), big);
  writeFileSync(join(home, "big.bin"), big);
  writeFileSync(join(pub, "hello.txt"), "hello\nworld\n");
  writeFileSync(join(pub, "docs", "readme.txt"), "read me\n");
  const portal = new Portal(
    new FTPRealm(pub, { userHome: homes }),
    [new AllowAnonymousAccess(), new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })],
  );
  const host = options.host ?? "127.0.0.1";
  const factory = new FTPFactory(portal, {
    tls: { cert: tls("server.pem"), key: tls("server.key") },
    timeOut: 60,
    ...options,
  });
  const port = reactor.listenTCP(0, factory, { interface: host });
  await port.whenListening!();
  try {
    await fn({ port: (port.getHost() as IPv4Address).port, host, pub, home, big, scratch });
  } finally {
    for (const session of factory.instances) session.transport.abortConnection();
    await port.stopListening();
    rmSync(base, { recursive: true, force: true });
  }
}
