// A throwaway PostgreSQL server for the interop tests and the benchmark:
// Debian's postgresql package, initdb in a temporary folder, the postmaster as
// a foreground child process on a free port (run as the postgres user when we
// are root: initdb refuses root), stopped and removed by stop().
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** Where Debian puts the server's programs (the newest version), or undefined. */
export function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb")));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], "bin") : undefined;
}

/** A running server: where, who, and how to stop it. */
export interface PostgresServer {
  port: number;
  /** A superuser with a SCRAM-SHA-256 password. */
  user: string;
  password: string;
  database: string;
  /** Runs SQL as the superuser through psql (setup only); returns its output. */
  psql(sql: string): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** The command run as the postgres user when we are root: setpriv execs (no parent left
 * between us and the server, so signals reach it), runuser is the fallback. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  if (!asRoot) return [cmd, args];
  return existsSync("/usr/bin/setpriv")
    ? ["/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", cmd, ...args]]
    : ["runuser", ["-u", "postgres", "--", cmd, ...args]];
}

/** Starts a server; throws when it cannot. */
export async function startPostgres(bin: string): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), "tw-pg-"));
  const data = join(dir, "data");
  const user = "tw";
  const password = "tw-secret";
  writeFileSync(join(dir, "pw"), password + "\n");
  if (asRoot) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout);
    chownSync(dir, uid, gid);
    chownSync(join(dir, "pw"), uid, gid);
  }
  const init = spawnSync(
    ...asPostgres(join(bin, "initdb"), [
      "-D",
      data,
      "-U",
      user,
      `--pwfile=${join(dir, "pw")}`,
      "--auth=scram-sha-256",
      "-E",
      "UTF8",
      "--no-sync",
    ]),
    { encoding: "utf8" },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stdout} ${init.stderr}`);
  }
  // md5 and cleartext roles for the other authentication methods.
  writeFileSync(
    join(data, "pg_hba.conf"),
    [
      "host all tw_md5 127.0.0.1/32 md5",
      "host all tw_clear 127.0.0.1/32 password",
      "host all all 127.0.0.1/32 scram-sha-256",
      "local all all scram-sha-256",
      "",
    ].join("\n"),
  );
  const port = await freePort();
  const [cmd, args] = asPostgres(join(bin, "postgres"), [
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=off",
    "-c",
    "max_connections=200",
  ]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes("ready to accept connections")) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`postgres exited (${code}): ${log}`)));
  }).catch((error) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const psql = (sql: string): string => {
    const r = spawnSync(
      join(bin, "psql"),
      [
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        user,
        "-d",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
        "-Atc",
        sql,
      ],
      { encoding: "utf8", env: { ...process.env, PGPASSWORD: password } },
    );
    if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
    return r.stdout;
  };
  return {
    port,
    user,
    password,
    database: "postgres",
    psql,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // SIGINT is postgres's "fast" shutdown: clients are disconnected.
        child.kill("SIGINT");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
