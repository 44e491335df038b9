// The Unix avatar of `tw conch` (src/conch/unix/) on a fake process reactor, through the
// session channel's requests: exec through the user's shell with HOME, USER, SHELL, PATH and
// SSH_CONNECTION; env (LANG and LC_* only, bounded); pty-req through util-linux `script`
// with the size and TERM; window-change through `stty -F`; signal; hang-up on close; and
// forwarding turned on (direct-tcpip, tcpip-forward on loopback) or off.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ConchError,
  SSHConnectForwardingChannel,
  SSHConnection,
  SSHReader,
  type SSHSession,
  SSHSessionProcessProtocol,
  SSHWireError,
  SSHWriter,
} from "../../../src/conch/mod.ts";
import {
  acceptedEnvName,
  SCRIPT_PATH,
  UnixConchUser,
  UnixSession,
} from "../../../src/conch/unix/mod.ts";
import type { ProcessProtocol } from "../../../src/internet/protocol.ts";
import type { IProtocolFactory, SpawnProcessOptions } from "../../../src/internet/interfaces.ts";
import { succeed } from "../../../src/internet/defer.ts";

interface Spawn {
  executable: string;
  args: string[];
  options: SpawnProcessOptions;
  signals: string[];
  pid: number | null;
}

class FakeReactor {
  spawns: Spawn[] = [];
  listens: { port: number; options: unknown; stopped: boolean }[] = [];
  connects: [string, number][] = [];
  nextPort = 40000;
  spawnProcess(
    _protocol: ProcessProtocol,
    executable: string,
    args: string[] = [],
    options: SpawnProcessOptions = {},
  ) {
    const spawn: Spawn = { executable, args, options, signals: [], pid: 4242 };
    this.spawns.push(spawn);
    return {
      get pid() {
        return spawn.pid;
      },
      signalProcess(name: string) {
        spawn.signals.push(name);
      },
    } as never;
  }
  listenTCP(port: number, _factory: IProtocolFactory, options: unknown) {
    const entry = { port: port || this.nextPort++, options, stopped: false };
    this.listens.push(entry);
    return {
      getHost: () => ({ port: entry.port }),
      whenListening: () => succeed(null),
      stopListening: () => {
        entry.stopped = true;
        return succeed(undefined);
      },
    } as never;
  }
  connectTCP(host: string, port: number) {
    this.connects.push([host, port]);
    return {} as never;
  }
}

function setup(ptySupported = true): [FakeReactor, UnixConchUser, SSHSession] {
  const reactor = new FakeReactor();
  const user = new UnixConchUser({
    reactor: reactor as never,
    username: "alice",
    home: "/home/alice",
    shell: "/bin/bash",
    path: "/usr/bin:/bin",
    ptySupported,
  });
  const channel = user.lookupChannel("session", 65536, 32768, new Uint8Array(0)) as SSHSession;
  return [reactor, user, channel];
}

const exec = (command: string) => new SSHWriter().string(command).bytes();
const env = (name: string, value: string) => new SSHWriter().string(name).string(value).bytes();
const pty = (term: string, cols: number, rows: number) =>
  new SSHWriter().string(term).uint32(cols).uint32(rows).uint32(0).uint32(0).string(
    new Uint8Array(0),
  )
    .bytes();
const size = (cols: number, rows: number) =>
  new SSHWriter().uint32(cols).uint32(rows).uint32(0).uint32(0).bytes();

describe("UnixSession", () => {
  it("runs exec through the user's shell with the login environment", () => {
    const [reactor, , channel] = setup();
    assert.equal(channel.request_env(env("LANG", "C.UTF-8")), true);
    assert.equal(channel.request_env(env("LC_TIME", "en_GB.UTF-8")), true);
    assert.equal(channel.request_env(env("LD_PRELOAD", "/tmp/evil.so")), false);
    assert.equal(channel.request_env(env("PATH", "/tmp")), false);
    assert.equal(channel.request_exec(exec("echo hi; exit 3")), true);
    assert.equal(reactor.spawns.length, 1);
    const [spawn] = reactor.spawns;
    assert.equal(spawn.executable, "/bin/bash");
    assert.deepEqual(spawn.args, ["/bin/bash", "-c", "echo hi; exit 3"]);
    assert.equal(spawn.options.path, "/home/alice");
    const e = spawn.options.env!;
    assert.equal(e.HOME, "/home/alice");
    assert.equal(e.USER, "alice");
    assert.equal(e.LOGNAME, "alice");
    assert.equal(e.SHELL, "/bin/bash");
    assert.equal(e.PATH, "/usr/bin:/bin");
    assert.equal(e.LANG, "C.UTF-8");
    assert.equal(e.LC_TIME, "en_GB.UTF-8");
    assert.equal(e.LD_PRELOAD, undefined);
    assert.equal(e.TERM, undefined);
    assert.match(e.SSH_CONNECTION, /^\S+ \d+ \S+ \d+$/);
    assert.equal(channel.request_exec(exec("again")), false, "one command per channel");
  });

  it("starts the shell with no arguments", () => {
    const [reactor, , channel] = setup();
    assert.equal(channel.request_shell(new Uint8Array(0)), true);
    assert.deepEqual(reactor.spawns[0].args, ["/bin/bash"]);
  });

  it("runs a pty-req session under script with the size and TERM", () => {
    const [reactor, , channel] = setup();
    assert.equal(channel.request_pty_req(pty("xterm-256color", 132, 43)), true);
    assert.equal(channel.request_exec(exec("vi 'a file'")), true);
    const [spawn] = reactor.spawns;
    assert.equal(spawn.executable, SCRIPT_PATH);
    assert.equal(spawn.args[0], "script");
    assert.equal(spawn.args[1], "-qfec");
    assert.match(spawn.args[2], /^stty rows 43 cols 132 2>\/dev\/null; /);
    assert.match(spawn.args[2], /exec "\$SHELL" -c "\$c"$/);
    assert.equal(spawn.args[3], "/dev/null");
    assert.equal(spawn.options.env!.TERM, "xterm-256color");
    assert.equal(spawn.options.env!.TW_CONCH_COMMAND, "vi 'a file'");
  });

  it("cleans a strange TERM, bounds the size and leaves a 0 size unset", () => {
    const [reactor, , channel] = setup();
    channel.request_pty_req(pty("x; rm -rf /", 0, 0));
    channel.request_shell(new Uint8Array(0));
    const [spawn] = reactor.spawns;
    assert.equal(spawn.options.env!.TERM, "dumb");
    assert.doesNotMatch(spawn.args[2], /stty/);
    assert.match(spawn.args[2], /exec "\$SHELL" -i$/);
    const [reactor2, , channel2] = setup();
    channel2.request_pty_req(pty("vt100", 0xffffffff, 5));
    channel2.request_exec(exec("true"));
    assert.match(reactor2.spawns[0].args[2], /^stty rows 5 cols 10000 /);
  });

  it("refuses pty-req when script is missing", () => {
    const [, , channel] = setup(false);
    assert.throws(() => channel.request_pty_req(pty("xterm", 80, 24)), /util-linux script/);
  });

  it("resizes the terminal with stty -F on the process's pty", () => {
    const [reactor, , channel] = setup();
    channel.request_window_change(size(100, 30));
    assert.equal(reactor.spawns.length, 0, "no pty: nothing to resize");
    channel.request_pty_req(pty("xterm", 80, 24));
    channel.request_exec(exec("top"));
    assert.equal(channel.request_window_change(size(120, 40)), true);
    const resize = reactor.spawns[1];
    assert.equal(resize.executable, "/bin/sh");
    assert.match(resize.args[2], /\/proc\/4242\/task\/4242\/children/);
    assert.match(resize.args[2], /stty -F "\$\(readlink \/proc\/\$c\/fd\/0\)" rows 40 cols 120$/);
  });

  it("passes signals and hangs up a running process when the channel closes", () => {
    const [reactor, , channel] = setup();
    channel.request_exec(exec("sleep 100"));
    const signal = new SSHWriter().string("INT").bytes();
    assert.equal(channel.request_signal(signal), true);
    assert.equal(channel.request_signal(new SSHWriter().string("int; rm").bytes()), false);
    channel.closed();
    assert.deepEqual(reactor.spawns[0].signals, ["INT", "HUP"]);
  });

  it("accepts exactly LANG and LC_* names, and bounds what it keeps", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 50 }), (name, value) => {
        const [, , channel] = setup();
        const session = new UnixSession(channel, channel.avatar as UnixConchUser);
        let ok = true;
        try {
          session.setEnv(name, value);
        } catch (e) {
          assert.ok(e instanceof Error);
          ok = false;
        }
        const expected = (name === "LANG" || /^LC_[A-Z_]{1,32}$/.test(name)) &&
          !value.includes("\0");
        assert.equal(ok, expected);
        assert.equal(acceptedEnvName(name), name === "LANG" || /^LC_[A-Z_]{1,32}$/.test(name));
      }),
    );
    const [, , channel] = setup();
    const session = new UnixSession(channel, channel.avatar as UnixConchUser);
    for (let i = 0; i < 64; i++) {
      session.setEnv(`LC_X${"_".repeat(i % 30)}${i % 2 ? "A" : "B"}`, "v");
    }
    assert.throws(() => session.setEnv("LANG", "x".repeat(5000)), /bad value/);
    const names = Object.keys(session.env).length;
    assert.ok(names <= 64);
  });

  it("reads random pty-req and window-change data into a bounded terminal or a wire error", () => {
    const term = fc.string({ maxLength: 80 });
    const n = fc.nat({ max: 0xffffffff });
    const wellFormed = fc.tuple(term, n, n).map(([t, c, r]) => pty(t, c, r));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), wellFormed), (data) => {
        const [, , channel] = setup();
        for (const request of ["pty_req", "window_change"] as const) {
          try {
            const ok = request === "pty_req"
              ? channel.request_pty_req(data)
              : channel.request_window_change(data);
            assert.equal(ok, true);
          } catch (e) {
            assert.ok(e instanceof SSHWireError, String(e));
          }
        }
        const session = channel.session as UnixSession | null;
        if (session?.pty) {
          assert.match(session.pty.term, /^[A-Za-z0-9._+-]{1,64}$/);
          assert.ok(session.pty.size[0] <= 10000 && session.pty.size[1] <= 10000);
        }
      }),
    );
  });
});

describe("UnixConchUser forwarding", () => {
  it("opens direct-tcpip channels that connect once open", () => {
    const [reactor, user] = setup();
    const data = new SSHWriter().string("127.0.0.1").uint32(8080).string("o").uint32(1).bytes();
    const channel = user.lookupChannel("direct-tcpip", 65536, 32768, data);
    assert.ok(channel instanceof SSHConnectForwardingChannel);
    channel.channelOpen(new Uint8Array(0));
    assert.deepEqual(reactor.connects, [["127.0.0.1", 8080]]);
  });

  it("listens for tcpip-forward on loopback only and stops at logout", async () => {
    const [reactor, user] = setup();
    user.conn = new SSHConnection();
    const request = (address: string, port: number) =>
      new SSHWriter().string(address).uint32(port).bytes();
    assert.equal(await user.gotGlobalRequest("tcpip-forward", request("0.0.0.0", 7000)), true);
    const answer = await user.gotGlobalRequest("tcpip-forward", request("", 0));
    assert.ok(Array.isArray(answer) && answer[0] === true);
    assert.equal(new SSHReader(answer[1]).uint32(), 40000);
    assert.deepEqual(reactor.listens.map((l) => l.options), [
      { interface: "127.0.0.1" },
      { interface: "127.0.0.1" },
    ]);
    user.logout();
    assert.ok(reactor.listens.every((l) => l.stopped));
  });

  it("refuses both forwardings with forwarding: false", async () => {
    const reactor = new FakeReactor();
    const plain = new UnixConchUser({
      reactor: reactor as never,
      username: "u",
      home: "/",
      forwarding: false,
    });
    assert.equal(await plain.gotGlobalRequest("tcpip-forward", new Uint8Array(0)), false);
    assert.throws(() => plain.lookupChannel("direct-tcpip", 1, 1, new Uint8Array(0)), ConchError);
  });
});

// The process protocol type is part of the contract the session hands to spawnProcess.
void SSHSessionProcessProtocol;
