// permessage-deflate (RFC 7692) against real peers over loopback, messages
// of 1 B to 1 MiB: autobahn (Debian's python3-autobahn) both ways, its client
// against our server and our client against its server, with context
// takeover and without, with full and small windows; and Chromium's
// WebSocket (Debian's chromium, headless, a fresh profile) against our server.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Deferred, type IPv4Address, ProcessProtocol, reactor } from "../../mod.ts";
import {
  connectWS,
  Resource,
  Site,
  WebSocketClientFactory,
  WebSocketClientProtocol,
  WebSocketResource,
  WebSocketServerFactory,
  WebSocketServerProtocol,
} from "../../src/web/mod.ts";
import { Data } from "../../src/web/static.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import { exec } from "../cli/_program.ts";

trackLeaks({ beforeEach, afterEach });

const dec = new TextDecoder();
const PYTHON = "/usr/bin/python3";
const HAS_AUTOBAHN = await exec([PYTHON, "-c", "import autobahn.twisted.websocket"]).then(
  (r) => r.code === 0,
  () => false,
);
const SKIP = HAS_AUTOBAHN || process.env.CI === "true"
  ? false
  : "no autobahn: install Debian's python3-autobahn package";
const PEER = fileURLToPath(new URL("./peers/autobahn_deflate.py", import.meta.url));
const SIZES = [1, 10, 125, 126, 1000, 65535, 65536, 300000, 1 << 20];

class Peer extends ProcessProtocol {
  out = "";
  port = new Deferred<number>();
  ended = new Deferred<void>();
  override outReceived(data: Uint8Array): void {
    this.out += dec.decode(data);
    const m = /READY (\d+)/.exec(this.out);
    if (m && !this.port.called) this.port.callback(Number(m[1]));
  }
  override errReceived(data: Uint8Array): void {
    this.out += dec.decode(data);
  }
  override processEnded(): void {
    if (!this.port.called) this.port.errback(new Error(`autobahn peer ended: ${this.out}`));
    this.ended.callback(undefined);
  }
}

class Echo extends WebSocketServerProtocol {
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    this.sendMessage(payload, isBinary);
  }
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
}

function messages(): [Uint8Array | string, boolean][] {
  const out: [Uint8Array | string, boolean][] = [];
  for (const size of SIZES) {
    out.push([`permessage-deflate ${size} `.repeat(size / 10 + 1).slice(0, size), false]);
    out.push([randomBytes(size), true]);
  }
  return out;
}

const MODES: ["takeover" | "reset", number][] = [["takeover", 15], ["reset", 15], [
  "takeover",
  9,
], ["reset", 10]];

describe("permessage-deflate with autobahn", { timeout: 120_000 }, () => {
  for (const [mode, bits] of MODES) {
    const reset = mode === "reset";
    it(
      `autobahn's client exchanges 1 B to 1 MiB with our server (${mode}, ${bits} window bits)`,
      { skip: SKIP },
      async () => {
        const factory = new WebSocketServerFactory(Echo, {
          perMessageDeflate: {
            threshold: 0,
            serverNoContextTakeover: reset,
            clientNoContextTakeover: reset,
            clientMaxWindowBits: bits,
          },
        });
        let opened: WebSocketServerProtocol | null = null;
        factory.protocol = class extends Echo {
          override onOpen(): void {
            opened = this;
          }
        };
        const listening = reactor.listenTCP(0, new Site(new WebSocketResource(factory)), {
          interface: "127.0.0.1",
        });
        await listening.whenListening();
        try {
          const { port } = listening.getHost() as IPv4Address;
          const run = await exec([
            PYTHON,
            PEER,
            "client",
            `ws://127.0.0.1:${port}/ws`,
            mode,
            `${bits}`,
          ]);
          const out = run.out + run.err;
          assert.match(out, new RegExp(`OK ${SIZES.length * 2}`), out);
          assert.match(out, /EXT PerMessageDeflate/, out);
          assert.match(out, /CLOSED True 1000/, out);
          const params = (opened as WebSocketServerProtocol | null)?.perMessageDeflate;
          assert.equal(params?.serverNoContextTakeover, reset);
          assert.equal(params?.clientNoContextTakeover, reset);
          if (bits < 15) {
            assert.equal(params?.serverMaxWindowBits, bits, "autobahn asked for a small window");
            assert.equal(params?.clientMaxWindowBits, bits);
          }
        } finally {
          await listening.stopListening();
        }
      },
    );

    it(
      `our client exchanges 1 B to 1 MiB with autobahn's server (${mode}, ${bits} window bits)`,
      { skip: SKIP },
      async () => {
        const peer = new Peer();
        const transport = reactor.spawnProcess(peer, PYTHON, [
          PYTHON,
          PEER,
          "server",
          mode,
          `${bits}`,
        ]);
        try {
          const port = await peer.port.addTimeout(20, reactor);
          const sent = messages();
          const done = new Deferred<void>();
          const got: [Uint8Array, boolean][] = [];
          class Check extends WebSocketClientProtocol {
            override onOpen(): void {
              for (const [m, binary] of sent) this.sendMessage(m, binary);
            }
            override onMessage(payload: Uint8Array, isBinary: boolean): void {
              got.push([payload.slice(), isBinary]);
              if (got.length === sent.length) done.callback(undefined);
            }
            override onClose(_clean: boolean, code: number, reason: string): void {
              if (!done.called) done.errback(new Error(`closed ${code} ${reason}: ${peer.out}`));
            }
          }
          const factory = new WebSocketClientFactory(`ws://127.0.0.1:${port}/ws`, Check, {
            perMessageDeflate: {
              threshold: 0,
              clientNoContextTakeover: reset,
              serverNoContextTakeover: reset,
              ...(bits < 15 ? { serverMaxWindowBits: bits, clientMaxWindowBits: bits } : {}),
            },
          });
          const client = await connectWS<Check>(factory, { reactor });
          const params = client.perMessageDeflate;
          assert.ok(params !== null, "permessage-deflate negotiated");
          assert.equal(params.serverNoContextTakeover, reset);
          assert.equal(params.clientNoContextTakeover, reset);
          await done.addTimeout(60, reactor);
          const enc = new TextEncoder();
          for (let i = 0; i < sent.length; i++) {
            const [m, binary] = sent[i];
            assert.equal(got[i][1], binary);
            assert.deepEqual(got[i][0], typeof m === "string" ? enc.encode(m) : m, `message ${i}`);
          }
          assert.match(peer.out, /EXT PerMessageDeflate/);
          client.sendClose(1000);
          await new Promise<void>((resolve) => {
            const wait = () => client.readyState === 3 ? resolve() : reactor.callLater(0.01, wait);
            wait();
          });
        } finally {
          transport.signalProcess("TERM");
          await peer.ended.addTimeout(10, reactor).addErrback(() =>
            transport.signalProcess("KILL")
          );
        }
      },
    );
  }
});

// ---- a browser: Chromium's WebSocket offers permessage-deflate -------------------------

const CHROMIUM = "/usr/bin/chromium";
const SKIP_CHROMIUM = existsSync(CHROMIUM) || process.env.CI === "true"
  ? false
  : "no chromium: install Debian's chromium package";

/** The page: sends 1 B to 1 MiB (text and binary), checks each echo, then reports. */
function page(port: number): string {
  return `<!doctype html><title>deflate</title><script>
const sizes = ${JSON.stringify(SIZES)};
const sent = [];
for (const size of sizes) {
  sent.push(("permessage-deflate " + size + " ").repeat(size / 10 + 1).slice(0, size));
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  sent.push(bytes);
}
const ws = new WebSocket("ws://127.0.0.1:${port}/ws");
ws.binaryType = "arraybuffer";
let got = 0, bad = null;
ws.onopen = () => { for (const m of sent) ws.send(m); };
ws.onmessage = (e) => {
  const want = sent[got++];
  const same = typeof want === "string" ? e.data === want
    : e.data instanceof ArrayBuffer && e.data.byteLength === want.length &&
      new Uint8Array(e.data).every((b, i) => b === want[i]);
  if (!same && bad === null) bad = got - 1;
  if (got === sent.length) ws.send("RESULT " + (bad === null ? "ok" : "bad " + bad) + " " + got + " " + ws.extensions);
};
</script>`;
}

describe("permessage-deflate with Chromium", { timeout: 120_000 }, () => {
  const modes: [string, Record<string, unknown>, RegExp][] = [
    ["defaults", { threshold: 0 }, /^permessage-deflate$/],
    [
      "no context takeover and small windows",
      {
        threshold: 0,
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 9,
      },
      /server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9/,
    ],
  ];
  for (const [what, options, extensions] of modes) {
    it(`Chromium's WebSocket exchanges 1 B to 1 MiB with our server (${what})`, {
      skip: SKIP_CHROMIUM,
    }, async () => {
      const result = new Deferred<string>();
      let params: unknown = null;
      class Check extends Echo {
        override onOpen(): void {
          params = this.perMessageDeflate;
        }
        override onMessage(payload: Uint8Array, isBinary: boolean): void {
          const text = isBinary ? "" : dec.decode(payload);
          if (text.startsWith("RESULT ")) {
            if (!result.called) result.callback(text);
            this.sendClose(1000);
          } else super.onMessage(payload, isBinary);
        }
      }
      const root = new Resource();
      root.putChild(
        "ws",
        new WebSocketResource(
          new WebSocketServerFactory(Check, {
            perMessageDeflate: options,
          }),
        ),
      );
      const listening = reactor.listenTCP(0, new Site(root), { interface: "127.0.0.1" });
      await listening.whenListening();
      const { port } = listening.getHost() as IPv4Address;
      root.putChild("", new Data(new TextEncoder().encode(page(port)), "text/html"));
      const profile = mkdtempSync(join(tmpdir(), "tw-chromium-"));
      const browser = new Peer();
      // A browser prints no READY line: its port Deferred fails when it ends, unheeded.
      browser.port.addErrback(() => {});
      const transport = reactor.spawnProcess(browser, CHROMIUM, [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        `http://127.0.0.1:${port}/`,
      ]);
      try {
        const text = await result.addTimeout(60, reactor);
        assert.match(text, new RegExp(`^RESULT ok ${SIZES.length * 2} `), text);
        assert.match(text.split(" ").slice(3).join(" "), extensions);
        assert.ok(params !== null, "permessage-deflate negotiated");
      } finally {
        transport.signalProcess("TERM");
        await browser.ended.addTimeout(10, reactor).addErrback(() => {
          transport.signalProcess("KILL");
          return browser.ended.addTimeout(10, reactor);
        });
        rmSync(profile, { recursive: true, force: true });
        await listening.stopListening();
      }
    });
  }
});
