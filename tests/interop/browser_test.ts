// A real browser (Debian's chromium, headless, installed by .ci/run) against
// the example site (examples/site/main.ts) run as a program on this test's
// own runtime. First with --dump-dom: the page's own script must have
// fetched /api/time and POSTed JSON to /api/echo, and written the answers
// into the page. Then driven through the DevTools protocol, spoken by our own
// WebSocket client (connectWS): the same page with its WebSocket echo too
// (which --dump-dom cannot wait for), the guest book form posted by the
// browser (url-encoded, and multipart with a file) with its redirect after
// post, and the session cookie. Chromium runs in a fresh profile directory,
// is ended by its PID, and every temporary directory is removed.
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Deferred,
  type Failure,
  ProcessProtocol,
  type ProcessTransport,
  reactor,
} from "../../mod.ts";
import { connectWS, WebSocketClientFactory, WebSocketClientProtocol } from "../../src/web/mod.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });
const CHROMIUM = "/usr/bin/chromium";
const decoder = new TextDecoder();
const MAIN = fileURLToPath(new URL("../../examples/site/main.ts", import.meta.url));
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A child process whose output is collected; `waitFor` matches stdout or stderr. */
class Child extends ProcessProtocol {
  out = "";
  err = "";
  exitCode: number | null | undefined = undefined;
  signal: string | null = null;
  ended = new Deferred<void>();
  #waiters: [RegExp, Deferred<RegExpExecArray>][] = [];

  override outReceived(data: Uint8Array): void {
    this.out += decoder.decode(data, { stream: true });
    this.#check();
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
    this.#check();
  }
  override processEnded(reason: Failure): void {
    const value = reason.value as { exitCode?: number | null; signal?: string | null };
    this.exitCode = value.exitCode ?? 0;
    this.signal = value.signal ?? null;
    for (const [pattern, d] of this.#waiters.splice(0)) {
      d.errback(new Error(`Exited before printing ${pattern}: ${this.err.slice(-2000)}`));
    }
    this.ended.callback(undefined);
  }
  /** Fires with the first match of `pattern` in the output (stdout, then stderr). */
  waitFor(pattern: RegExp, seconds = 30): Deferred<RegExpExecArray> {
    const d = new Deferred<RegExpExecArray>();
    this.#waiters.push([pattern, d]);
    this.#check();
    return d.addTimeout(seconds, reactor);
  }
  #check(): void {
    this.#waiters = this.#waiters.filter(([pattern, d]) => {
      const m = pattern.exec(this.out) ?? pattern.exec(this.err);
      if (m) d.callback(m);
      return !m;
    });
  }
}

/** Ends a child we started: SIGTERM, then SIGKILL if it lingers. */
async function end(child: Child, transport: ProcessTransport): Promise<void> {
  if (child.exitCode !== undefined) return;
  transport.signalProcess("TERM");
  try {
    await child.ended.addTimeout(10, reactor);
  } catch {
    if (child.exitCode === undefined) transport.signalProcess("KILL");
    await child.ended.addTimeout(10, reactor);
  }
}

/** A DevTools protocol client over our WebSocket client: commands in, results out. */
class DevTools extends WebSocketClientProtocol {
  #nextId = 1;
  #pending = new Map<number, Deferred<Record<string, unknown>>>();

  /** Sends `method` (to the page `sessionId`, when given) and resolves with its result. */
  command(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const d = new Deferred<Record<string, unknown>>();
    this.#pending.set(id, d);
    this.sendMessage(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return Promise.resolve(d.addTimeout(15, reactor));
  }

  override onMessage(payload: Uint8Array): void {
    const message = JSON.parse(decoder.decode(payload)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: { message: string };
    };
    // Events (no id) are not needed: the test polls the page's state.
    if (message.id === undefined) return;
    const d = this.#pending.get(message.id);
    this.#pending.delete(message.id);
    if (d === undefined) return;
    if (message.error !== undefined) d.errback(new Error(`DevTools: ${message.error.message}`));
    else d.callback(message.result ?? {});
  }

  override onClose(_wasClean: boolean, code: number, reason: string): void {
    for (const d of this.#pending.values()) {
      d.errback(new Error(`DevTools connection closed: ${code} ${reason}`));
    }
    this.#pending.clear();
  }
}

/** A page opened through DevTools: evaluates JavaScript in it and navigates it. */
class Page {
  readonly devtools: DevTools;
  readonly sessionId: string;

  constructor(devtools: DevTools, sessionId: string) {
    this.devtools = devtools;
    this.sessionId = sessionId;
  }

  /** The value of `expression` in the page (awaited if a promise). */
  async evaluate<T>(expression: string): Promise<T> {
    const result = await this.devtools.command(
      "Runtime.evaluate",
      { expression, returnByValue: true, awaitPromise: true },
      this.sessionId,
    ) as { result: { value?: T }; exceptionDetails?: { text: string } };
    if (result.exceptionDetails !== undefined) {
      throw new Error(`Page threw: ${JSON.stringify(result.exceptionDetails)}`);
    }
    return result.result.value as T;
  }

  /** Polls `expression` until it is truthy (bounded), resolving with its value. */
  async until<T>(expression: string, seconds = 15): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      let value: T | undefined;
      try {
        value = await this.evaluate<T>(expression);
      } catch {
        // The page may be between documents while it navigates.
      }
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`Still false after ${seconds} s: ${expression}`);
      await sleep(50);
    }
  }

  /** Loads `url` and waits until the new document has loaded. */
  async goto(url: string): Promise<void> {
    await this.devtools.command("Page.navigate", { url }, this.sessionId);
    await this.until(
      `document.readyState === "complete" && location.href === ${JSON.stringify(url)}`,
    );
  }
}

let scratch: string;
let site: Child;
let siteTransport: ProcessTransport;
let base: string;

describe(`the example site in headless Chromium, served on ${reactor.runtime.name}`, {
  timeout: 180_000,
  skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (Debian's chromium package)`,
}, () => {
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), "tw-site-browser-"));
    site = new Child();
    const exe = process.execPath;
    const argv = "Deno" in globalThis ? [exe, "run", "-A", MAIN, "0"] : [exe, MAIN, "0"];
    siteTransport = reactor.spawnProcess(site, exe, argv);
    const m = await site.waitFor(/Site listening on (http:\/\/127\.0\.0\.1:\d+)\//);
    base = m[1];
  });

  after(async () => {
    try {
      if (site !== undefined) await end(site, siteTransport);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("runs the page's script: server time and JSON echo (--dump-dom)", async () => {
    const profile = mkdtempSync(join(scratch, "profile-"));
    const browser = new Child();
    const transport = reactor.spawnProcess(browser, CHROMIUM, [
      CHROMIUM,
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${profile}`,
      "--virtual-time-budget=10000",
      "--dump-dom",
      `${base}/`,
    ]);
    try {
      await browser.ended.addTimeout(60, reactor);
    } finally {
      await end(browser, transport);
    }
    assert.equal(browser.exitCode, 0, browser.err.slice(-2000));
    const dom = browser.out;
    const text = (id: string): string | undefined =>
      new RegExp(`<dd id="${id}"[^>]*>([^<]*)</dd>`).exec(dom)?.[1];
    // The time came from the server (GET /api/time), close to ours.
    const time = /^Server time: (\S+)$/.exec(text("time") ?? "");
    assert.ok(time !== null, `No server time in the page: ${text("time")}`);
    assert.ok(Math.abs(Date.parse(time[1]) - Date.now()) < 120_000, time[1]);
    // Not the WebSocket echo: virtual time waits for pending fetches, not for
    // WebSocket messages, so the budget can end (and the DOM be dumped)
    // between the send and the echo. The DevTools tests below wait for it.
    assert.equal(
      text("echo")?.replaceAll("&quot;", '"'),
      'Echoed: {"greeting":"hello from the browser","numbers":[1,2,3]}',
    );
  });

  describe("driven through the DevTools protocol by our WebSocket client", () => {
    let browser: Child;
    let browserTransport: ProcessTransport;
    let devtools: DevTools;
    let page: Page;

    before(async () => {
      const profile = mkdtempSync(join(scratch, "profile-"));
      browser = new Child();
      browserTransport = reactor.spawnProcess(browser, CHROMIUM, [
        CHROMIUM,
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
      ]);
      const [, url] = await browser.waitFor(/DevTools listening on (ws:\/\/\S+)/);
      const factory = new WebSocketClientFactory(url, DevTools, { maxMessageSize: 64 << 20 });
      devtools = await connectWS<DevTools>(factory, { timeout: 10 });
      const { targetId } = await devtools.command("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await devtools.command("Target.attachToTarget", {
        targetId,
        flatten: true,
      });
      page = new Page(devtools, sessionId as string);
      await devtools.command("Page.enable", {}, page.sessionId);
    });

    after(async () => {
      if (browser === undefined) return;
      try {
        // Chromium closes itself and its helpers when asked; a signal is the fallback.
        if (devtools !== undefined && browser.exitCode === undefined) {
          await devtools.command("Browser.close").catch(() => {});
          await browser.ended.addTimeout(10, reactor).then(undefined, () => {});
        }
      } finally {
        await end(browser, browserTransport);
      }
    });

    it("the page's script fills in all three answers", async () => {
      await page.goto(`${base}/`);
      const state = await page.until<string>(
        `["done", "failed"].includes(document.getElementById("status").dataset.state) &&
          document.getElementById("status").dataset.state`,
      );
      const read = (id: string): Promise<string> =>
        page.evaluate<string>(`document.getElementById(${JSON.stringify(id)}).textContent`);
      assert.equal(state, "done", await page.evaluate<string>("document.body.innerText"));
      assert.match(await read("time"), /^Server time: \d{4}-\d\d-\d\dT/);
      assert.equal(await read("ws"), "Echo: hello over WebSocket");
      assert.equal(
        await read("echo"),
        'Echoed: {"greeting":"hello from the browser","numbers":[1,2,3]}',
      );
      // The logo and the style sheet loaded too (the style sheet gzip-encoded).
      assert.equal(await page.evaluate<number>("document.querySelector('img').naturalWidth"), 32);
      assert.equal(
        await page.evaluate<string>("getComputedStyle(document.querySelector('a')).color"),
        "rgb(40, 103, 200)",
      );
    });

    it("posts the url-encoded guest book form and lands on it again after a 303", async () => {
      await page.goto(`${base}/form`);
      const message = `<b>browser</b> ${Math.random().toString(36).slice(2)}`;
      await page.evaluate(`{
        const form = document.forms[0];
        form.elements.name.value = "Chromium";
        form.elements.message.value = ${JSON.stringify(message)};
        form.submit();
      }`);
      const entry = await page.until<string>(
        `document.readyState === "complete" &&
          [...document.querySelectorAll(".entry")].map((e) => e.textContent)
            .find((t) => t.includes(${JSON.stringify(message)}))`,
      );
      assert.equal(entry, `Chromium (url-encoded): ${message}`);
      assert.equal(await page.evaluate<string>("location.pathname"), "/form");
      // POST /form answered 303, and the browser followed with a GET.
      assert.equal(
        await page.evaluate<number>(`performance.getEntriesByType("navigation")[0].redirectCount`),
        1,
      );
    });

    it("posts the multipart form with a file chosen through DevTools", async () => {
      await page.goto(`${base}/form`);
      const attachment = join(scratch, "notes.txt");
      writeFileSync(attachment, "twelve bytes");
      const { result } = await devtools.command("Runtime.evaluate", {
        expression: "document.forms[1].elements.attachment",
      }, page.sessionId) as { result: { objectId: string } };
      await devtools.command("DOM.setFileInputFiles", {
        files: [attachment],
        objectId: result.objectId,
      }, page.sessionId);
      const message = `multipart ${Math.random().toString(36).slice(2)}`;
      await page.evaluate(`{
        const form = document.forms[1];
        form.elements.name.value = "Chromium";
        form.elements.message.value = ${JSON.stringify(message)};
        form.submit();
      }`);
      const entry = await page.until<string>(
        `document.readyState === "complete" &&
          [...document.querySelectorAll(".entry")].map((e) => e.textContent)
            .find((t) => t.includes(${JSON.stringify(message)}))`,
      );
      assert.equal(entry, `Chromium (multipart): ${message} [attached notes.txt, 12 bytes]`);
    });

    it("keeps the visit counter in the session cookie across page loads", async () => {
      const url = `${base}/hello?name=${encodeURIComponent("<i>Chromium</i>")}`;
      await page.goto(url);
      assert.equal(
        await page.evaluate<string>("document.querySelector('h1').textContent"),
        "Hello, <i>Chromium</i>!",
      );
      assert.equal(await page.evaluate<number>("document.querySelectorAll('h1 i').length"), 0);
      const first = await page.evaluate<string>("document.getElementById('visits').textContent");
      const count = Number(/seen this page (\d+) time/.exec(first)?.[1]);
      await page.goto(`${url}&again=1`);
      const second = await page.evaluate<string>("document.getElementById('visits').textContent");
      assert.match(second, new RegExp(`seen this page ${count + 1} times`));
      // The cookie is HttpOnly: the page's scripts cannot read it.
      assert.equal(await page.evaluate<string>("document.cookie"), "");
    });
  });

  it("the site stops cleanly on SIGTERM with exit code 0", async () => {
    siteTransport.signalProcess("TERM");
    await site.ended.addTimeout(20, reactor);
    assert.equal(site.signal, null, site.err);
    assert.equal(site.exitCode, 0, site.err);
  });
});
