// Test helpers: a temporary folder, and a FileTransferClient wired to a
// FileTransferServer over SFTPServerForUnixConchUser in memory (loopbackAsync).
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  FileTransferClient,
  FileTransferServer,
  type FileTransferServerOptions,
  SFTPServerForUnixConchUser,
  type SFTPServerForUnixOptions,
} from "../../../src/conch/sftp/mod.ts";
import { loopbackAsync } from "../../../src/protocols/loopback.ts";
import { reactor } from "../../../mod.ts";

/** A fresh temporary folder (real path) and its cleanup. */
export function tempDir(prefix = "tw-sftp-"): [string, () => void] {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  return [dir, () => rmSync(dir, { recursive: true, force: true })];
}

/** Runs `body` with a client connected to a server over `options`, then disconnects. */
export async function withSftp(
  options: SFTPServerForUnixOptions,
  body: (client: FileTransferClient, server: FileTransferServer) => Promise<void>,
  serverOptions: FileTransferServerOptions = { swapSymlinkPaths: false },
): Promise<void> {
  const server = new FileTransferServer(
    new SFTPServerForUnixConchUser({
      runtime: reactor.runtime,
      ...options,
    }),
    serverOptions,
  );
  const client = new FileTransferClient({ swapSymlinkPaths: false });
  const done = loopbackAsync(server, client);
  try {
    await client.whenVersion();
    await body(client, server);
  } finally {
    client.transport?.loseConnection();
    await done;
  }
}
