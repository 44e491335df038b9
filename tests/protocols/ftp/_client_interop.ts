// Shared by the FTPClient interop tests: running a Python FTP server as a peer
// (a foreground /usr/bin/python3 process announcing "PORT n", stopped by closing
// its stdin), and the session every peer is put through.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClientCreator, Protocol, reactor } from "../../../mod.ts";
import type { Failure } from "../../../src/internet/failure.ts";
import {
  CommandFailed,
  FTPClient,
  type FTPClientOptions,
  FTPFileListProtocol,
} from "../../../src/protocols/ftp/mod.ts";
import { PortPeer } from "../../_python_peer.ts";

export const PYTHON = "/usr/bin/python3";

/** Collects what a data connection brings. */
export class Collect extends Protocol {
  chunks: Uint8Array[] = [];
  override dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
  }
  override connectionLost(_reason: Failure): void {}
  bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/** Asserts two byte arrays are equal without diffing 300,000 elements. */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.byteLength, expected.byteLength, `${what}: length`);
  const at = actual.findIndex((b, i) => b !== expected[i]);
  assert.equal(at, -1, `${what}: first difference at ${at}`);
}

/** A served folder with a few files; removed by `cleanup`. */
export function makeRoot(name = "root"): { dir: string; root: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tw-ftpc-"));
  const root = join(dir, name);
  mkdirSync(root);
  writeFileSync(join(root, "a.txt"), "hello world\n");
  mkdirSync(join(root, "sub"));
  writeFileSync(join(root, "sub", "inner.txt"), "inner\n");
  return { dir, root, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `script` with `args` under /usr/bin/python3 until `fn` is done; `fn` gets its port. */
export async function withPythonPeer(
  script: string,
  args: string[],
  fn: (port: number) => Promise<void>,
): Promise<void> {
  const peer = new PortPeer();
  const child = reactor.spawnProcess(peer, PYTHON, [PYTHON, script, ...args]);
  try {
    const port = await peer.port.addTimeout(20, reactor);
    await fn(port);
  } catch (error) {
    throw new Error(`${(error as Error).stack}\n--- peer output ---\n${peer.out}\n${peer.err}`, {
      cause: error,
    });
  } finally {
    child.closeStdin();
    await peer.ended.addTimeout(20, reactor);
  }
}

/** A logged-in client (the login runs behind the first command). */
export async function connect(
  host: string,
  port: number,
  options: FTPClientOptions,
  user: [string, string] = ["alice", "secret"],
): Promise<FTPClient> {
  return await new ClientCreator(reactor, FTPClient, user[0], user[1], { reactor, ...options })
    .connectTCP(host, port);
}

/** Uploads `data` in chunks through storeFile; resolves with the STOR reply. */
export async function upload(
  client: FTPClient,
  path: string,
  data: Uint8Array,
  offset = 0,
): Promise<string[]> {
  const [consumerD, done] = client.storeFile(path, offset);
  const consumer = await consumerD;
  for (let at = 0; at < data.byteLength; at += 65536) {
    consumer.write(data.subarray(at, at + 65536));
  }
  consumer.finish();
  return await done;
}

/** What `session` checks that a server can do. */
export interface SessionOptions {
  /** The server answers MDTM. @default true */
  mdtm?: boolean;
  /** The server takes REST (before RETR and STOR). @default true */
  rest?: boolean;
}

/** The common session: list, retrieve (with offset), store (resumed), rename, dirs, size, mdtm. */
export async function session(
  client: FTPClient,
  root: string,
  options: SessionOptions = {},
): Promise<void> {
  assert.equal(await client.getDirectory(), "/");
  const listing = new FTPFileListProtocol();
  const listed = await client.list("/", listing);
  assert.match(listed.at(-1)!, /^2\d\d /);
  const byName = new Map(listing.files.map((f) => [f.filename, f]));
  assert.equal(byName.get("a.txt")?.size, 12);
  assert.equal(byName.get("a.txt")?.filetype, "-");
  assert.equal(byName.get("sub")?.filetype, "d");
  const names = new Collect();
  await client.nlst("/sub", names);
  assert.match(names.text(), /inner\.txt/);

  const whole = new Collect();
  const retr = await client.retrieveFile("a.txt", whole);
  assert.match(retr.at(-1)!, /^226 /);
  assert.equal(whole.text(), "hello world\n");
  if (options.rest !== false) {
    const tail = new Collect();
    await client.retrieveFile("/a.txt", tail, 6);
    assert.equal(tail.text(), "world\n");
  } else {
    await assert.rejects(
      client.retrieveFile("/a.txt", new Collect(), 6).asPromise(),
      CommandFailed,
    );
  }

  const data = new Uint8Array(300_000).map((_, i) => (i * 7 + (i >> 9)) & 255);
  await upload(client, "up.bin", data.subarray(0, 100_000));
  if (options.rest !== false) {
    await upload(client, "up.bin", data.subarray(100_000), 100_000);
  } else {
    await upload(client, "up.bin", data);
  }
  assertSameBytes(readFileSync(join(root, "up.bin")), data, "stored file");
  assert.equal(await client.size("up.bin"), 300_000);
  if (options.mdtm !== false) {
    const when = await client.modificationTime("up.bin");
    const mtime = Math.floor(statSync(join(root, "up.bin")).mtimeMs / 1000);
    assert.equal(Math.floor(when.getTime() / 1000), mtime);
  }
  const back = new Collect();
  await client.retrieveFile("up.bin", back, options.rest !== false ? 250_000 : 0);
  assertSameBytes(back.bytes(), data.subarray(options.rest !== false ? 250_000 : 0), "retrieved");

  await client.rename("up.bin", "moved.bin");
  assertSameBytes(readFileSync(join(root, "moved.bin")), data, "renamed file");
  await client.makeDirectory("newdir");
  await client.cwd("newdir");
  assert.equal(await client.getDirectory(), "/newdir");
  await client.cdup();
  await client.removeDirectory("newdir");
  await client.removeFile("moved.bin");
  await assert.rejects(
    client.retrieveFile("missing.txt", new Collect()).asPromise(),
    CommandFailed,
  );
  await assert.rejects(client.removeFile("missing.txt").asPromise(), (e: Error) => {
    assert.ok(e instanceof CommandFailed);
    assert.equal(e.code, 550);
    return true;
  });
  // The session goes on after failures.
  assert.equal(await client.getDirectory(), "/");
  await client.quit();
}
