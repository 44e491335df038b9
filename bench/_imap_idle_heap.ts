// Heap per idle IDLE session, in-process, on the runtime that runs this file:
// a 1,000-message maildir (10 KB each) served by MaildirAccount; N IMAP4Server
// sessions over StringTransport (output discarded), each LOGIN, SELECT INBOX
// and IDLE, with a few IDLE polls; the heap used (after a full GC) with the N
// sessions minus the heap with one, divided by N-1 (and the same of RSS, after the
// GC, without sockets). Prints one JSON line.
// Run by bench/imap_bench.ts:
//   node --expose-gc bench/_imap_idle_heap.ts [SESSIONS] [MESSAGES]
//   deno run -A --v8-flags=--expose-gc bench/_imap_idle_heap.ts ...
//   bun bench/_imap_idle_heap.ts ...
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { reactor } from "../mod.ts";
import { Clock } from "../src/internet/task.ts";
import { StringTransport } from "../src/testing/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../src/cred/mod.ts";
import { IAccount, IMAP4Server, MaildirAccount } from "../src/mail/imap4/mod.ts";

const SESSIONS = Number(process.argv[2] ?? 200);
const MESSAGES = Number(process.argv[3] ?? 1000);
const enc = new TextEncoder();

const work = mkdtempSync(`${tmpdir()}/tw-imap-heap-`);
const dir = `${work}/alice`;
for (const sub of ["cur", "new", "tmp"]) mkdirSync(`${dir}/${sub}`, { recursive: true });
const line = "x".repeat(76) + "\n";
for (let i = 0; i < MESSAGES; i++) {
  const head = `From: bench@example.org\nTo: alice@example.com\nSubject: message ${i}\n\n`;
  writeFileSync(`${dir}/cur/${1600000000 + i}.M${i}P1.bench:2,S`, head + line.repeat(130));
}

const account = new MaildirAccount(reactor.runtime, dir);
const portal = new Portal({
  requestAvatar: () => [IAccount, account, () => {}],
}, [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })]);
const clock = new Clock();

function gc(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(full: boolean): void } };
  if (g.Bun) g.Bun.gc(true);
  else if (g.gc) g.gc();
  else throw new Error("run with --expose-gc (node) or --v8-flags=--expose-gc (deno)");
}

async function settle(): Promise<[number, number]> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
  // Typed arrays' contents live outside V8's heap: counted too.
  const m = process.memoryUsage();
  return [m.heapUsed + m.external, m.rss];
}

const sessions: [IMAP4Server, StringTransport][] = [];
async function open(): Promise<void> {
  const transport = new StringTransport();
  const server = new IMAP4Server({ portal, clock });
  server.makeConnection(transport);
  server.dataReceived(enc.encode("a LOGIN alice secret\r\nb SELECT INBOX\r\nc IDLE\r\n"));
  const latin1 = new TextDecoder("latin1");
  for (let i = 0; i < 10000; i++) {
    if (latin1.decode(transport.value()).includes("+ idling")) break;
    await new Promise((r) => setTimeout(r, i < 20 ? 0 : 2));
  }
  if (!latin1.decode(transport.value()).includes("+ idling")) throw new Error("not idling");
  transport.clear();
  sessions.push([server, transport]);
}

async function polls(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    clock.advance(2);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const [, t] of sessions) t.clear();
}

await open();
await polls();
const [one, rssOne] = await settle();
for (let i = 1; i < SESSIONS; i++) await open();
await polls();
const [all, rssAll] = await settle();
const perSession = (all - one) / (SESSIONS - 1) / 1024;
const rssPerSession = (rssAll - rssOne) / (SESSIONS - 1) / 1024;
for (const [server] of sessions) server.connectionLost();
rmSync(work, { recursive: true, force: true });
const runtime = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";
console.log(
  JSON.stringify({
    runtime,
    sessions: SESSIONS,
    messages: MESSAGES,
    kib: perSession,
    rssKib: rssPerSession,
  }),
);
process.exit(0);
