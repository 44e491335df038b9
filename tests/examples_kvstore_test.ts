// examples/kvstore/app.ts run as `tw -y` on the runtime running this test:
// every command of the line protocol, the HTTP page and /status JSON, errors
// that keep the session going, entries kept across a restart, and SIGTERM
// ending the program with exit code 0.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { join } from "node:path";
import { reactor } from "../mod.ts";
import { Agent, readBody } from "../src/web/mod.ts";
import { trackLeaks } from "../src/testing/mod.ts";
import { CURRENT, type Program, start, talk, tempDir, terminate } from "./cli/_program.ts";
import type { ProcessTransport } from "../mod.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const decoder = new TextDecoder();

async function startStore(db: string): Promise<[Program, ProcessTransport, number, number]> {
  const env = {
    ...process.env,
    KV_PORT: "0",
    KV_HTTP_PORT: "0",
    KV_INTERFACE: "127.0.0.1",
    KV_DB: db,
  } as Record<string, string>;
  const [program, transport] = start(CURRENT, ["-n", "-y", "examples/kvstore/app.ts"], env);
  try {
    const line = Number(
      (await program.waitFor(/KVStoreFactory listening on 127\.0\.0\.1:(\d+)/))[1],
    );
    const http = Number((await program.waitFor(/Site listening on 127\.0\.0\.1:(\d+)/))[1]);
    return [program, transport, line, http];
  } catch (error) {
    await terminate(program, transport);
    throw error;
  }
}

/** Sends `lines` in one write; fires with the answer lines once `count` came. */
async function session(port: number, lines: string[], count: number): Promise<string[]> {
  const pattern = new RegExp(`^(?:[^\\n]*\\r?\\n){${count}}`);
  const text = await talk(port, lines.map((l) => l + "\n").join(""), pattern);
  return text.split(/\r?\n/).slice(0, count);
}

async function get(url: string): Promise<{ code: number; type: string; body: string }> {
  const agent = new Agent(reactor);
  const response = await agent.request("GET", url);
  const body = decoder.decode(await readBody(response));
  return { code: response.code, type: response.headers.getLast("content-type") ?? "", body };
}

describe("examples/kvstore/app.ts", { timeout: 120_000 }, () => {
  it("serves every command and the HTTP status, keeps entries across a restart, stops on SIGTERM", {
    timeout: 120_000,
  }, async () => {
    const [dir, remove] = tempDir();
    const db = join(dir, "kv.db");
    let program: Program | undefined;
    let transport: ProcessTransport | undefined;
    try {
      let port: number, http: number;
      [program, transport, port, http] = await startStore(db);
      const answers = await session(port, [
        "version",
        "count",
        "set greeting hello world",
        "set b <b>&</b>",
        "get greeting",
        "get nothing",
        "count",
        "items",
        "status",
        "delete b",
        "delete b",
        "frobnicate",
        "get",
        "set onlykey",
        "x".repeat(70_000),
        "set c 3",
        "clear",
        "count",
        "set kept for ever",
      ], 21);
      assert.match(answers[10], /^STATUS uptime=\d+$/);
      answers[10] = "STATUS";
      assert.deepEqual(answers, [
        "VERSION kvstore 1.0",
        "COUNT 0",
        "STORED",
        "STORED",
        "VALUE hello world",
        "NOT_FOUND",
        "COUNT 2",
        "ITEM b <b>&</b>",
        "ITEM greeting hello world",
        "END",
        "STATUS",
        "DELETED",
        "NOT_FOUND",
        "ERROR unknown command: frobnicate",
        "ERROR missing argument: get KEY",
        "ERROR missing argument: set KEY VALUE",
        "ERROR line too long (more than 65536 bytes)",
        "STORED",
        "CLEARED 2",
        "COUNT 0",
        "STORED",
      ]);

      await session(port, ["set html <i>x</i>"], 1);
      const json = await get(`http://127.0.0.1:${http}/status`);
      assert.equal(json.code, 200);
      assert.match(json.type, /application\/json/);
      const status = JSON.parse(json.body);
      assert.equal(status.version, "kvstore 1.0");
      assert.equal(typeof status.uptime, "number");
      assert.equal(status.count, 2);
      assert.deepEqual(status.items, { html: "<i>x</i>", kept: "for ever" });
      const page = await get(`http://127.0.0.1:${http}/`);
      assert.equal(page.code, 200);
      assert.match(page.type, /text\/html/);
      assert.match(page.body, /<td>kept<\/td><td>for ever<\/td>/);
      assert.match(page.body, /&#60;i&#62;x&#60;\/i&#62;/); // escaped
      assert.equal((await get(`http://127.0.0.1:${http}/nowhere`)).code, 404);

      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);

      // A new server on the same file has the entries.
      [program, transport, port, http] = await startStore(db);
      assert.deepEqual(await session(port, ["get kept", "count"], 2), [
        "VALUE for ever",
        "COUNT 2",
      ]);
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      if (program && transport) await terminate(program, transport);
      remove();
    }
  });
});
