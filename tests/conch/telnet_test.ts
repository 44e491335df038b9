// Telnet: the stream parsed at any chunking (IAC doubling, CR LF, CR NUL,
// commands, subnegotiations, over-long ones dropped), negotiation both ways
// with its Deferreds and errors and no loops, the transport's writes, the
// stateful and authenticating protocols, Twisted's telnet as server and as
// client (tests/conch/telnet_peer.py under /usr/bin/python3), and a
// property: any bytes give data, commands or nothing, never a throw.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { Deferred, Factory, type Failure, type IPv4Address, reactor } from "../../mod.ts";
import { clientFromString, serverFromString } from "../../src/internet/endpoints.ts";
import { connectedServerAndClient, StringTransport, trackLeaks } from "../../src/testing/mod.ts";
import { PortPeer } from "../_python_peer.ts";
import { failureResultOf, successResultOf } from "../../src/trial/mod.ts";
import {
  InMemoryUsernamePasswordDatabaseDontUse,
  type IRealm,
  type LoginResult,
  Portal,
} from "../../src/cred/mod.ts";
import {
  AlreadyEnabled,
  AlreadyNegotiating,
  AuthenticatingTelnetProtocol,
  AYT,
  ECHO,
  IAC,
  ITelnetProtocol,
  LINEMODE,
  NAWS,
  OptionRefused,
  SGA,
  StatefulTelnetProtocol,
  Telnet,
  TelnetProtocol,
  TelnetTransport,
  WILL,
} from "../../src/conch/telnet.ts";

trackLeaks({ beforeEach, afterEach }, { settle: 5000 });

const te = new TextEncoder();
const td = new TextDecoder();

class Recorder extends Telnet {
  data: number[] = [];
  commands: [number, number | null][] = [];
  subs: number[][] = [];
  override applicationDataReceived(data: Uint8Array): void {
    this.data.push(...data);
  }
  override unhandledCommand(command: number, argument: number | null): void {
    this.commands.push([command, argument]);
  }
  override unhandledSubnegotiation(option: number, data: Uint8Array): void {
    this.subs.push([option, ...data]);
  }
}

const STREAM = [
  ...te.encode("a"),
  IAC,
  IAC,
  13,
  10,
  13,
  0,
  13,
  120,
  IAC,
  AYT,
  IAC,
  250,
  24,
  1,
  IAC,
  IAC,
  2,
  IAC,
  240,
  ...te.encode("z"),
];

function feed(bytes: number[], cuts: number[] = []): Recorder {
  const t = new Recorder();
  t.makeConnection(new StringTransport());
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    t.dataReceived(new Uint8Array(bytes.slice(at, Math.max(at, c))));
    at = Math.max(at, c);
  }
  return t;
}

/** A server protocol like telnet_peer.py's: options, NAWS, lines upper-cased (ASCII, bytewise). */
class Upper extends TelnetProtocol {
  buffer: number[] = [];
  override connectionMade(): void {
    this.transport.negotiationMap.set(NAWS, (data) => {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      this.transport.write(te.encode(`NAWS ${view.getUint16(0)} ${view.getUint16(2)}\n`));
    });
    this.transport.do(NAWS).addErrback(() => null);
  }
  override enableLocal(option: number): boolean {
    return option === ECHO || option === SGA;
  }
  override enableRemote(option: number): boolean {
    return option === NAWS;
  }
  override dataReceived(data: Uint8Array): void {
    for (const b of data) {
      if (b !== 10) {
        this.buffer.push(b >= 97 && b <= 122 ? b - 32 : b);
        continue;
      }
      this.transport.write(new Uint8Array([...this.buffer, 10]));
      this.buffer = [];
    }
  }
}

describe("Telnet", () => {
  it("parses data, commands and subnegotiations at any chunking", () => {
    const whole = feed(STREAM);
    assert.deepEqual(whole.data, [...te.encode("a"), 255, 10, 13, 13, 120, ...te.encode("z")]);
    assert.deepEqual(whole.commands, [[AYT, null]]);
    assert.deepEqual(whole.subs, [[24, 1, 255, 2]]);
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const split = feed(STREAM, [cut]);
      assert.deepEqual([split.data, split.commands, split.subs], [
        whole.data,
        whole.commands,
        whole.subs,
      ]);
    }
  });

  it("drops an over-long subnegotiation", () => {
    const t = feed([IAC, 250, 24, ...new Array(10000).fill(65), IAC, 240, 66]);
    assert.deepEqual(t.subs, []);
    assert.deepEqual(t.data, [66]);
  });

  it("negotiates both ways with Deferreds, and never loops", () => {
    const [client, server, pump] = connectedServerAndClient<TelnetTransport, TelnetTransport>(
      () => new TelnetTransport(() => new Upper()),
      () => new TelnetTransport(() => new TelnetProtocol()),
    );
    // The server asked DO NAWS; our plain client refused it.
    assert.equal(server.getOptionState(NAWS).him.state, "no");
    const echo = client.do(ECHO);
    failureResultOf(client.dont(ECHO), AlreadyNegotiating);
    pump.flush();
    assert.equal(successResultOf(echo), true);
    assert.equal(server.getOptionState(ECHO).us.state, "yes");
    failureResultOf(client.do(ECHO), AlreadyEnabled);
    const refused = client.do(LINEMODE);
    pump.flush();
    failureResultOf(refused, OptionRefused);
    const off = client.dont(ECHO);
    pump.flush();
    assert.equal(successResultOf(off), true);
    assert.equal(server.getOptionState(ECHO).us.state, "no");
    pump.clientIO.loseConnection();
    pump.flush();
  });

  it("writes application data with IAC doubled and LF as CR LF", () => {
    const t = new TelnetTransport(() => new TelnetProtocol());
    const wire = new StringTransport();
    t.makeConnection(wire);
    t.write(new Uint8Array([97, 255, 10]));
    assert.deepEqual([...wire.value()], [97, 255, 255, 13, 10]);
  });

  it("fails waiting negotiations when the connection ends", () => {
    const t = new TelnetTransport(() => new TelnetProtocol());
    const wire = new StringTransport();
    t.makeConnection(wire);
    const d = t.will(ECHO);
    assert.deepEqual([...wire.value()], [IAC, WILL, ECHO]);
    t.connectionLost({ value: new Error("gone") } as unknown as Failure);
    assert.ok(failureResultOf(d));
  });

  it("StatefulTelnetProtocol moves between states; AuthenticatingTelnetProtocol logs in", async () => {
    const logouts: string[] = [];
    class Shell extends TelnetProtocol {
      override connectionMade(): void {
        this.transport.write(te.encode("welcome\n"));
      }
    }
    const realm: IRealm = {
      requestAvatar(id, _mind, iface): LoginResult {
        assert.equal(iface, ITelnetProtocol);
        return [ITelnetProtocol, new Shell(), () => logouts.push(String(id))];
      },
    };
    const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ bob: "pw" })]);
    const [client, server, pump] = connectedServerAndClient<Recorder, TelnetTransport>(
      () => new TelnetTransport(() => new AuthenticatingTelnetProtocol(portal)),
      () => new Recorder(),
    );
    const say = (text: string): void => client.transport.write(te.encode(text));
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) {
        pump.flush();
        await new Promise((r) => setTimeout(r, 0));
      }
    };
    await settle();
    assert.equal(td.decode(new Uint8Array(client.data)), "Username: ");
    say("bob\r\n");
    await settle();
    // The server offered to echo (so the password is not shown); our recorder refused.
    say("wrong\r\n");
    await settle();
    assert.match(td.decode(new Uint8Array(client.data)), /Authentication failed\nUsername: $/);
    say("bob\r\npw\r\n");
    await settle();
    assert.match(td.decode(new Uint8Array(client.data)), /welcome\n$/);
    assert.ok(server.protocol instanceof Shell);
    pump.clientIO.loseConnection();
    pump.flush();
    assert.deepEqual(logouts, ["bob"]);
  });

  it("any bytes give data, commands or nothing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(IAC, 250, 240, 13)), {
          maxLength: 300,
        }),
        (bytes) => {
          feed(bytes, [bytes.length >> 1]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

class StateMachine extends StatefulTelnetProtocol {
  seen: string[] = [];
  constructor() {
    super();
    this.state = "One";
  }
  telnet_One(line: string): string {
    this.seen.push(`one:${line}`);
    return "Two";
  }
  telnet_Two(line: string): void {
    this.seen.push(`two:${line}`);
  }
}

describe("StatefulTelnetProtocol", () => {
  it("sends each line to the current state's method", () => {
    const protocol = new StateMachine();
    const t = new TelnetTransport(() => protocol);
    t.makeConnection(new StringTransport());
    t.dataReceived(te.encode("a\r\nb\r\nc\r\n"));
    assert.deepEqual(protocol.seen, ["one:a", "two:b", "two:c"]);
  });
});

const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("telnet_peer.py", import.meta.url));
const HAVE_TWISTED =
  spawnSync(PYTHON, ["-c", "import twisted.conch.telnet"], { stdio: "ignore" }).status === 0;
const SKIP = HAVE_TWISTED || process.env.CI === "true"
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted package";

class NawsClient extends TelnetProtocol {
  received = "";
  lines = new Deferred<string>();
  override enableLocal(option: number): boolean {
    if (option !== NAWS) return false;
    // Tell the size once the option is on (the transport answers WILL first).
    queueMicrotask(() => this.transport.requestNegotiation(NAWS, new Uint8Array([0, 80, 0, 24])));
    return true;
  }
  override dataReceived(data: Uint8Array): void {
    this.received += td.decode(data);
    if (this.received.split("\n").length > 2 && !this.lines.called) {
      this.lines.callback(this.received);
    }
  }
}

describe("Telnet with Twisted", { skip: SKIP, timeout: 60_000 }, () => {
  it("our client talks to Twisted's telnet server", { timeout: 30_000 }, async () => {
    const peer = new PortPeer();
    const process_ = reactor.spawnProcess(peer, PYTHON, [PYTHON, PEER, "server"]);
    try {
      const port = await peer.port.addTimeout(20, reactor);
      let protocol: NawsClient | null = null;
      const factory = new Factory();
      factory.buildProtocol = () => new TelnetTransport(() => (protocol = new NawsClient()));
      const transport = (await clientFromString(reactor, `tcp:127.0.0.1:${port}`).connect(
        factory,
      )) as TelnetTransport;
      assert.equal(await transport.do(ECHO).addTimeout(10, reactor), true);
      const refused = await Promise.resolve(transport.do(LINEMODE)).then(() => null, (e) => e);
      assert.ok(refused instanceof OptionRefused, String(refused));
      transport.write(new Uint8Array([...te.encode("abc"), 255, ...te.encode("def\n")]));
      const text = await protocol!.lines.addTimeout(10, reactor);
      assert.match(text, /NAWS 80 24\r?\n/);
      assert.ok(text.includes("ABC\ufffdDEF"), text);
      transport.loseConnection();
    } finally {
      process_.closeStdin();
      await peer.ended.addTimeout(20, reactor);
    }
  });

  it("Twisted's telnet client talks to our server", { timeout: 30_000 }, async () => {
    const factory = new Factory();
    factory.buildProtocol = () => new TelnetTransport(() => new Upper());
    const port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(factory);
    try {
      const peer = new PortPeer();
      reactor.spawnProcess(peer, PYTHON, [
        PYTHON,
        PEER,
        "client",
        String((port.getHost() as IPv4Address).port),
      ]);
      await peer.ended.addTimeout(25, reactor);
      const checks = peer.out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
      assert.deepEqual(checks.filter((c) => !c.ok), [], peer.err);
      assert.deepEqual(checks.map((c) => c.check), [
        "do ECHO accepted",
        "do LINEMODE refused",
        "echo with 0xff",
        "second line",
      ]);
    } finally {
      await port.stopListening();
    }
  });
});
