// Our terminal client against Twisted's: ClientProtocol and TerminalBuffer over
// our TelnetTransport log in to Twisted's own `twistd manhole`
// (tests/conch/insults/twisted_manhole_peer.py under /usr/bin/python3, Debian's
// python3-twisted) and type Python; the screen Twisted's insults and
// ColoredManhole draw (colors, cursor moves, erases) is read back.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Deferred, Factory, reactor } from "../../../mod.ts";
import { clientFromString } from "../../../src/internet/endpoints.ts";
import { trackLeaks } from "../../../src/testing/mod.ts";
import { ECHO, NAWS, SGA, TelnetProtocol, TelnetTransport } from "../../../src/conch/telnet.ts";
import { ClientProtocol, TerminalBuffer } from "../../../src/conch/insults/mod.ts";
import { PortPeer } from "../../_python_peer.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("twisted_manhole_peer.py", import.meta.url));
const HAVE_TWISTED =
  spawnSync(PYTHON, ["-c", "import twisted.conch.manhole_tap"], { stdio: "ignore" }).status === 0;
const SKIP = HAVE_TWISTED || process.env.CI === "true"
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted package";

/** Telnet in character mode, its data drawn by a ClientProtocol on a TerminalBuffer. */
class TerminalClient extends TelnetProtocol {
  readonly screen = new TerminalBuffer(80, 24);
  readonly client = new ClientProtocol(() => this.screen);
  #waiting: [RegExp, Deferred<void>][] = [];
  override connectionMade(): void {
    this.client.makeConnection(this.transport);
  }
  override dataReceived(data: Uint8Array): void {
    this.client.dataReceived(data);
    const text = this.screen.toString();
    this.#waiting = this.#waiting.filter(([pattern, done]) => {
      if (!pattern.test(text)) return true;
      done.callback(undefined);
      return false;
    });
  }
  override enableRemote(option: number): boolean {
    return option === ECHO || option === SGA;
  }
  override enableLocal(option: number): boolean {
    if (option === NAWS) {
      queueMicrotask(() => this.transport.requestNegotiation(NAWS, new Uint8Array([0, 80, 0, 24])));
    }
    return option === SGA || option === NAWS;
  }
  /** Fires once the screen matches `pattern` (10 s at most). */
  until(pattern: RegExp): Deferred<void> {
    const done = new Deferred<void>();
    if (pattern.test(this.screen.toString())) done.callback(undefined);
    else this.#waiting.push([pattern, done]);
    return done.addTimeout(10, reactor).addErrback((failure) => {
      throw new Error(`Screen never showed ${pattern}:\n${this.screen.toString().trimEnd()}`, {
        cause: failure.value,
      });
    });
  }
  type(text: string): void {
    this.transport.write(new TextEncoder().encode(text));
  }
}

describe("insults with Twisted", { skip: SKIP, timeout: 60_000 }, () => {
  it("ClientProtocol and TerminalBuffer show Twisted's manhole as a terminal would", {
    timeout: 45_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-insults-"));
    const passwd = join(dir, "passwd");
    writeFileSync(passwd, "admin:s3cret\n");
    const peer = new PortPeer();
    const child = reactor.spawnProcess(peer, PYTHON, [PYTHON, PEER, passwd]);
    try {
      const port = await peer.port.addTimeout(20, reactor);
      let terminal: TerminalClient | null = null;
      const factory = new Factory();
      factory.buildProtocol = () => new TelnetTransport(() => (terminal = new TerminalClient()));
      const transport = (await clientFromString(reactor, `tcp:127.0.0.1:${port}`).connect(
        factory,
      )) as TelnetTransport;
      const t = terminal!;
      await t.until(/Username:$/m);
      t.type("admin\n");
      await t.until(/Password:$/m);
      t.type("s3cret\n");
      await t.until(/^>>>$/m);
      t.type("1+1\r\0");
      await t.until(/^2$/m);
      // Line editing on Twisted's side, drawn through our parser: insert in the middle.
      t.type("6*7\x1b[D\x1b[D\x1b[D4\r\0");
      await t.until(/^322$/m);
      t.type("'abc'.upper()\r\0");
      await t.until(/^'ABC'$/m);
      // History: up, and Twisted redraws the line; then a backspace edits it.
      t.type("\x1b[A\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f.lower()\r\0");
      await t.until(/^'abc'$/m);
      const lines = t.screen.toString().split("\n").filter((l) => l.trim() !== "");
      assert.deepEqual(lines, [
        ">>> 1+1",
        "2",
        ">>> 46*7",
        "322",
        ">>> 'abc'.upper()",
        "'ABC'",
        ">>> 'abc'.lower()",
        "'abc'",
        ">>>",
      ]);
      transport.loseConnection();
    } finally {
      child.closeStdin();
      await peer.ended.addTimeout(20, reactor);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
