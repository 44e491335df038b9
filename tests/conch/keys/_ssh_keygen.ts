// ssh-keygen (Debian's openssh-client) as a test peer: run synchronously, skipped with a
// message naming the package when missing, except under CI where the tests must fail.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const CI = process.env.CI === "true";

/** True when ssh-keygen runs. */
export const HAVE_SSH_KEYGEN: boolean =
  spawnSync("ssh-keygen", ["-?"], { stdio: "ignore" }).error === undefined;

/** The `skip` option of an ssh-keygen test. */
export const SKIP_NO_SSH_KEYGEN: string | false = HAVE_SSH_KEYGEN || CI
  ? false
  : "peer missing: install Debian's openssh-client (apt-get install -y openssh-client)";

/** What a run gave. */
export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs ssh-keygen with `args` (and `input` on its stdin). */
export function sshKeygen(args: string[], input?: string | Uint8Array): Run {
  const result = spawnSync("ssh-keygen", args, { input, encoding: "utf8" });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs ssh-keygen and throws unless it exits 0; returns its stdout. */
export function sshKeygenOk(args: string[], input?: string | Uint8Array): string {
  const run = sshKeygen(args, input);
  if (run.status !== 0) {
    throw new Error(`ssh-keygen ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  }
  return run.stdout;
}

/** A fresh temporary directory and its removal. */
export function tempDir(prefix = "tw-keys-"): [string, () => void] {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return [dir, () => rmSync(dir, { recursive: true, force: true })];
}
