/**
 * UnixSession: runs a session channel's shell or command as a child process
 * of the server (`twisted.conch.unix.SSHSessionForUnixConchUser`), through
 * the reactor's `spawnProcess`.
 *
 * A pseudo-terminal (`pty-req`): `spawnProcess` has no PTY on Deno and Node,
 * so the command runs under util-linux `script -qfec WRAPPER /dev/null`,
 * which makes a real PTY, copies its stdin into it and the PTY's output to
 * its stdout, and exits with the command's status. The wrapper sets the
 * asked size with `stty rows R cols C` and `TERM` is in the environment. On
 * `window-change`, `stty -F /dev/pts/N rows R cols C` resizes that PTY (found
 * through `/proc/PID/task/PID/children` and `/proc/CHILD/fd/0`), and the
 * kernel sends SIGWINCH to its foreground process group. Linux only; on other
 * systems pty-req is refused.
 * @module
 */
import type { IProcessTransport } from "../../internet/protocol.ts";
import { ProcessProtocol } from "../../internet/protocol.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IReactorProcess } from "../../internet/interfaces.ts";
import { Logger } from "../../logger/mod.ts";
import type {
  ISession,
  ISessionSetEnv,
  ISessionSignal,
  SSHSession,
  SSHSessionProcessProtocol,
  WindowSize,
} from "../ssh/_session.ts";

const log = new Logger("tw.conch.unix");

/** Where util-linux's `script` is looked for. */
export const SCRIPT_PATH = "/usr/bin/script";

/**
 * The variables a client may set (`env` requests), as OpenSSH's default AcceptEnv.
 *
 * @example
 * ```ts
 * import { acceptedEnvName } from "@tw/core/conch/unix";
 *
 * console.log(acceptedEnvName("LC_ALL"), acceptedEnvName("LD_PRELOAD")); // true false
 * ```
 */
export function acceptedEnvName(name: string): boolean {
  return name === "LANG" || /^LC_[A-Z_]{1,32}$/.test(name);
}

/** What a session needs to know about the user it runs as. */
export interface UnixSessionUser {
  /** Runs the processes. */
  reactor: IReactorProcess;
  /** The login shell. @default "/bin/sh" */
  shell: string;
  /** The home directory, also the working directory. */
  home: string;
  /** The user name (`USER`, `LOGNAME`). */
  username: string;
  /** `PATH` for the processes. */
  path: string;
  /** False when `script` cannot be run: pty-req is then refused. */
  ptySupported: boolean;
}

/** The largest number of variables a client may set on one session. */
const MAX_ENV = 64;
/** The largest rows or columns accepted. */
const MAX_SIZE = 10000;

class Ignore extends ProcessProtocol {
  override processEnded(_reason: Failure): void {}
}

/** 0 (what a client sends when it has no terminal size) stays 0: the size is then not set. */
function clampSize(n: number): number {
  return Math.max(0, Math.min(MAX_SIZE, Math.floor(n) || 0));
}

function hostPort(address: unknown): string {
  const a = address as { host?: string; port?: number } | null;
  return `${a?.host ?? "0.0.0.0"} ${a?.port ?? 0}`;
}

/**
 * The `ISession` of a `UnixConchUser`: exec through the user's shell,
 * shell, pty-req, window-change, env (LANG and LC_* only) and signal.
 *
 * @example
 * ```ts
 * import { UnixConchUser, UnixSession } from "@tw/core/conch/unix";
 * import { SSHSession } from "@tw/core/conch";
 * import { reactor } from "@tw/core";
 *
 * const user = new UnixConchUser({ reactor, username: "me", home: "/tmp" });
 * const session = new UnixSession(new SSHSession({ avatar: user }), user);
 * session.setEnv("LANG", "C.UTF-8");
 * console.log(session.env.LANG); // "C.UTF-8"
 * ```
 */
export class UnixSession implements ISession, ISessionSetEnv, ISessionSignal {
  /** The variables the client set. */
  env: Record<string, string> = {};
  /** The terminal asked for by pty-req, or null. */
  pty: { term: string; size: WindowSize } | null = null;
  /** The running process, or null. */
  process: IProcessTransport | null = null;
  #channel: SSHSession;
  #user: UnixSessionUser;

  /**
   * Makes the session of one channel.
   * @param channel the session channel
   * @param user the user the processes run as
   */
  constructor(channel: SSHSession, user: UnixSessionUser) {
    this.#channel = channel;
    this.#user = user;
  }

  /** Remembers the terminal; throws (refusing pty-req) when `script` is missing. */
  getPty(term: string, windowSize: WindowSize, _modes: Uint8Array): void {
    if (!this.#user.ptySupported) throw new Error("pseudo-terminals need util-linux script");
    const clean = /^[A-Za-z0-9._+-]{1,64}$/.test(term) ? term : "dumb";
    this.pty = {
      term: clean,
      size: [clampSize(windowSize[0]), clampSize(windowSize[1]), windowSize[2], windowSize[3]],
    };
  }

  /** Starts the user's shell (interactive in a PTY when one was asked for). */
  openShell(processProtocol: SSHSessionProcessProtocol): void {
    this.#spawn(processProtocol, null);
  }

  /** Runs `command` with `$SHELL -c`. */
  execCommand(processProtocol: SSHSessionProcessProtocol, command: string): void {
    this.#spawn(processProtocol, command);
  }

  /** Resizes the PTY. */
  windowChanged(windowSize: WindowSize): void {
    if (this.pty === null) return;
    this.pty.size = [
      clampSize(windowSize[0]),
      clampSize(windowSize[1]),
      windowSize[2],
      windowSize[3],
    ];
    const pid = this.process?.pid;
    if (pid === null || pid === undefined) return;
    const [rows, columns] = this.pty.size;
    if (rows === 0 || columns === 0) return;
    const find = `c=$(cut -d' ' -f1 /proc/${pid}/task/${pid}/children) && ` +
      `stty -F "$(readlink /proc/$c/fd/0)" rows ${rows} cols ${columns}`;
    try {
      this.#user.reactor.spawnProcess(new Ignore(), "/bin/sh", ["sh", "-c", find], {
        env: { PATH: this.#user.path },
      });
    } catch (error) {
      log.failure("Cannot resize the terminal", error, "warn");
    }
  }

  /** Sets `name` for the command to come; throws for names other than LANG and LC_*. */
  setEnv(name: string, value: string): void {
    if (!acceptedEnvName(name)) throw new Error(`variable ${name} is not accepted`);
    if (Object.keys(this.env).length >= MAX_ENV && !(name in this.env)) {
      throw new Error("too many variables");
    }
    if (value.length > 4096 || value.includes("\0")) throw new Error("bad value");
    this.env[name] = value;
  }

  /** Sends `SIG` + `name` to the running process. */
  signal(name: string): void {
    const child = this.process;
    if (child === null || child.pid === null) return;
    try {
      child.signalProcess(name);
    } catch (error) {
      log.failure("Cannot send SIG{name}", error, "warn", { name });
    }
  }

  /** The client's EOF: the process's stdin is closed by the channel. */
  eofReceived(): void {}

  /** The channel closed: hang up a process still running. */
  closed(): void {
    const child = this.process;
    if (child !== null && child.pid !== null) {
      try {
        child.signalProcess("HUP");
      } catch {
        // it ended meanwhile
      }
    }
  }

  #environment(): Record<string, string> {
    const user = this.#user;
    const env: Record<string, string> = {
      ...this.env,
      HOME: user.home,
      USER: user.username,
      LOGNAME: user.username,
      SHELL: user.shell,
      PATH: user.path,
      SSH_CONNECTION: `${hostPort(this.#channel.getPeer())} ${hostPort(this.#channel.getHost())}`,
    };
    if (this.pty !== null) env.TERM = this.pty.term;
    return env;
  }

  #spawn(processProtocol: SSHSessionProcessProtocol, command: string | null): void {
    const user = this.#user;
    const env = this.#environment();
    let executable = user.shell;
    let args: string[];
    if (this.pty === null) {
      args = command === null ? [user.shell] : [user.shell, "-c", command];
    } else {
      // script runs WRAPPER with $SHELL -c; the command travels in the environment.
      const [rows, columns] = this.pty.size;
      env.TW_CONCH_COMMAND = command ?? "";
      const run = command === null ? `exec "$SHELL" -i` : `exec "$SHELL" -c "$c"`;
      const size = rows === 0 || columns === 0
        ? ""
        : `stty rows ${rows} cols ${columns} 2>/dev/null; `;
      const wrapper = size +
        `c=$TW_CONCH_COMMAND; unset TW_CONCH_COMMAND; ${run}`;
      executable = SCRIPT_PATH;
      args = ["script", "-qfec", wrapper, "/dev/null"];
    }
    log.info("SSH session runs {what}{pty}", {
      what: command === null ? "a shell" : JSON.stringify(command),
      pty: this.pty === null ? "" : ` in a ${this.pty.size[1]}x${this.pty.size[0]} terminal`,
    });
    try {
      this.process = user.reactor.spawnProcess(processProtocol, executable, args, {
        env,
        path: user.home,
      });
    } catch (error) {
      log.failure("Cannot start {executable}", error, "error", { executable });
      this.#channel.loseConnection();
    }
  }
}
