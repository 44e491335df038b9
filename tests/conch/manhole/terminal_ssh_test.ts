// The manhole over SSH and telnet in memory: TerminalRealm logins give an
// SSH session a pty, a shell running ColoredManhole, window changes and a
// clean end with exit status 0 on Ctrl-D; exec is refused. Over telnet,
// AuthenticatingTelnetProtocol logs in through the same realm and the
// bootstrap negotiates echo, SGA and NAWS.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { SSHChannel, SSHWriter } from "../../../src/conch/mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../../src/cred/mod.ts";
import { ServerProtocol } from "../../../src/conch/insults/mod.ts";
import {
  AuthenticatingTelnetProtocol,
  DO,
  ECHO,
  IAC,
  NAWS,
  SB,
  SE,
  SGA,
  TelnetTransport,
  WILL,
} from "../../../src/conch/telnet.ts";
import {
  ConchFactory,
  Manhole,
  TelnetBootstrapProtocol,
  TerminalRealm,
} from "../../../src/conch/manhole/mod.ts";
import { StringTransport, trackLeaks } from "../../../src/testing/mod.ts";
import {
  CollectingChannel,
  concat,
  getHostKeys,
  loginAndOpen,
  run,
  serverOf,
  TestClient,
} from "../ssh/_pair.ts";
import { Screen } from "../insults/_screen.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const td = new TextDecoder();

function portalFor(namespace: Record<string, unknown>): Portal {
  const realm = new TerminalRealm(() => new ServerProtocol(() => new Manhole(namespace)));
  return new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ admin: "s3cret" })]);
}

/** A client session: pty-req, shell, then types each step once the screen shows `until`. */
class ShellChannel extends SSHChannel {
  override name = "session";
  out: Uint8Array[] = [];
  exitStatus: number | null = null;
  steps: [string, string][];
  execRefused: boolean | null = null;
  constructor(steps: [string, string][]) {
    super();
    this.steps = [...steps];
  }
  override channelOpen(): void {
    const conn = this.conn!;
    const pty = new SSHWriter().string("xterm").uint32(100).uint32(30).uint32(0).uint32(0)
      .string(new Uint8Array(0)).bytes();
    void conn.sendRequest(this, "pty-req", pty, { wantReply: true })
      .then(() => conn.sendRequest(this, "shell", new Uint8Array(0), { wantReply: true }))
      .then(() => {
        const size = new SSHWriter().uint32(120).uint32(40).uint32(0).uint32(0).bytes();
        return conn.sendRequest(this, "window-change", size);
      })
      .catch(() => {});
  }
  text(): string {
    return td.decode(concat(this.out));
  }
  override dataReceived(data: Uint8Array): void {
    this.out.push(data);
    const next = this.steps[0];
    if (next !== undefined && this.text().includes(next[0])) {
      this.steps.shift();
      this.write(te.encode(next[1]));
    }
  }
  request_exit_status(data: Uint8Array): boolean {
    this.exitStatus = new DataView(data.buffer, data.byteOffset).getUint32(0);
    return true;
  }
  override closed(): void {
    this.conn!.transport.sendDisconnect(11, "done");
  }
}

describe("manhole over SSH", () => {
  it("TerminalRealm's SSH session runs the manhole on a pty and ends with status 0", async () => {
    const factory = new ConchFactory(portalFor({ answer: 41 }), await getHostKeys());
    factory.noisy = false;
    const server = serverOf(factory);
    const client = new TestClient();
    const channel = new ShellChannel([
      [">>> ", "answer + 1\r"],
      ["42", "x = 6 * 7\r"],
      ["42\r\n>>> ", "[1, 2].map((n) => n * 2)\r"],
      ["4 ]\r\n>>> ", "\x04"],
    ]);
    loginAndOpen(client, "s3cret", channel, "admin");
    await run(server, client);
    // The screen is reset at the end (ESC c): read what was drawn before.
    const text = channel.text();
    assert.ok(text.endsWith("\x1bc"));
    const screen = new Screen(120, 40);
    screen.feed(text.slice(0, -2));
    // Before the window change redrew the screen, the first answer was drawn.
    const before = new Screen(100, 30);
    before.feed(text.slice(0, text.indexOf("42") + 2));
    assert.deepEqual(before.text().slice(0, 2), [">>> answer + 1", "42"]);
    // The window change redraws the screen: the last lines are after it.
    assert.deepEqual(screen.text().slice(-5), [
      ">>> x = 6 * 7",
      "42",
      ">>> [1, 2].map((n) => n * 2)",
      "[ 2, 4 ]",
      ">>>",
    ]);
    assert.equal(channel.exitStatus, 0);
    assert.equal(channel.steps.length, 0);
  });

  it("TerminalSession answers exec with a message and exit status 1", async () => {
    const factory = new ConchFactory(portalFor({}), await getHostKeys());
    factory.noisy = false;
    const server = serverOf(factory);
    const client = new TestClient();
    const channel = new CollectingChannel("ls");
    loginAndOpen(client, "s3cret", channel, "admin");
    await run(server, client);
    assert.equal(channel.exitStatus, 1);
    assert.equal(td.decode(concat(channel.err)), "Cannot execute commands\n");
  });
});

describe("manhole over telnet", () => {
  it("AuthenticatingTelnetProtocol logs in to a TelnetBootstrapProtocol running the manhole", () => {
    const portal = portalFor({ answer: 41 });
    const telnet = new TelnetTransport(() => new AuthenticatingTelnetProtocol(portal));
    const transport = new StringTransport();
    telnet.makeConnection(transport);
    const send = (bytes: number[] | string) =>
      telnet.dataReceived(typeof bytes === "string" ? te.encode(bytes) : new Uint8Array(bytes));
    assert.equal(transport.valueText(), "Username: ");
    send("admin\r\n");
    assert.deepEqual([...transport.value().slice(-13, -10)], [IAC, WILL, ECHO]);
    send([IAC, DO, ECHO]);
    send("s3cret\r\n");
    // WONT ECHO acknowledged by the client: the login runs.
    send([IAC, 254, ECHO]);
    const bootstrap = telnet.protocol;
    assert.ok(bootstrap instanceof TelnetBootstrapProtocol);
    const out = transport.value();
    const text = td.decode(out);
    assert.ok(text.includes(">>> "), JSON.stringify(text));
    // The bootstrap asked for NAWS and SGA and offered ECHO and SGA.
    const asked = (cmd: number, opt: number, sent = out) =>
      sent.some((b, i) => b === IAC && sent[i + 1] === cmd && sent[i + 2] === opt);
    assert.ok(asked(DO, NAWS) && asked(DO, SGA) && asked(WILL, ECHO));
    send([IAC, WILL, SGA]);
    // The client agreed to DO SGA: now the server offers WILL SGA (character mode).
    assert.ok(asked(WILL, SGA, transport.value()));
    send([IAC, WILL, NAWS, IAC, SB, NAWS, 0, 120, 0, 40, IAC, SE]);
    assert.deepEqual(bootstrap.protocol!.termSize, { x: 120, y: 40 });
    transport.clear();
    send("answer + 1\r\0");
    const screen = new Screen(120, 40);
    screen.feed(transport.valueText());
    assert.deepEqual(screen.text(), ["answer + 1", "42", ">>>"]);
    assert.ok(!transport.valueText().includes("\r\r\n"), "one CR per line end");
    send("\x04");
    assert.equal(transport.disconnecting, true);
    telnet.connectionLost({ value: new Error("closed") } as never);
  });

  it("A failed telnet login asks again and never reaches the manhole", () => {
    const telnet = new TelnetTransport(() => new AuthenticatingTelnetProtocol(portalFor({})));
    const transport = new StringTransport();
    telnet.makeConnection(transport);
    telnet.dataReceived(te.encode("admin\r\n"));
    telnet.dataReceived(new Uint8Array([IAC, DO, ECHO]));
    telnet.dataReceived(te.encode("wrong\r\n"));
    telnet.dataReceived(new Uint8Array([IAC, 254, ECHO]));
    assert.match(transport.valueText(), /Authentication failed\r\nUsername: $/);
    assert.ok(!(telnet.protocol instanceof TelnetBootstrapProtocol));
    telnet.connectionLost({ value: new Error("closed") } as never);
  });
});
