// Drives tests/fixtures/stdio/pty_peer.py (a pseudo-terminal held by python3)
// for the serial port and positioning source tests.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../fixtures/stdio/pty_peer.py", import.meta.url));
const HAVE_PYTHON = spawnSync("python3", ["-c", "import pty"], { stdio: "ignore" }).status === 0;
/** `skip` for pty tests: false when python3 is there or on CI (where they must fail). */
export const SKIP_NO_PTY = HAVE_PYTHON || process.env.CI === "true"
  ? false
  : "no python3 for pseudo-terminals: install Debian's python3 package";

/** A pseudo-terminal whose slave is `path`; the test talks to the master through python3. */
export class PtyPeer {
  path = "";
  #child: ChildProcessWithoutNullStreams;
  #lines: string[] = [];
  #waiting: ((line: string) => void) | null = null;
  #buffer = "";

  constructor() {
    this.#child = spawn("python3", [SCRIPT]);
    this.#child.stdout.setEncoding("utf8");
    this.#child.stdout.on("data", (text: string) => {
      this.#buffer += text;
      let at;
      while ((at = this.#buffer.indexOf("\n")) >= 0) {
        const line = this.#buffer.slice(0, at);
        this.#buffer = this.#buffer.slice(at + 1);
        const w = this.#waiting;
        this.#waiting = null;
        if (w) w(line);
        else this.#lines.push(line);
      }
    });
  }

  /** Starts the peer; resolves once the slave's name is known. */
  async start(): Promise<this> {
    this.path = await this.#line();
    return this;
  }

  #line(): Promise<string> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("pty_peer.py did not answer")), 10000);
      this.#waiting = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
    });
  }

  /** Sends a command; resolves with the answer line. */
  command(cmd: string): Promise<string> {
    this.#child.stdin.write(cmd + "\n");
    return this.#line();
  }

  /** Writes `data` into the master side (the device's output). */
  async write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    await this.command(`write ${hex}`);
  }

  /** Reads `n` bytes written to the device. */
  async read(n: number): Promise<string> {
    const hex = await this.command(`read ${n}`);
    return new TextDecoder().decode(
      Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)),
    );
  }

  /** Ends the peer (closing the master) and waits for its exit. */
  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    if (this.#child.exitCode === null) {
      this.#child.stdin.end("close\n");
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  }
}
