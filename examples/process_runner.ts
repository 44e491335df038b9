// Runs a command, prints its output line by line with the stream it came on,
// then its exit status. Default command: `ls -l /`.
// Run: deno run -A examples/process_runner.ts [command args...] | bun ... | node ...
import { type Failure, ProcessProtocol, ProcessTerminated, reactor } from "../mod.ts";

class Runner extends ProcessProtocol {
  override connectionMade(): void {
    this.transport!.closeStdin();
  }
  override outReceived(data: Uint8Array): void {
    this.print("out", data);
  }
  override errReceived(data: Uint8Array): void {
    this.print("err", data);
  }
  print(stream: string, data: Uint8Array): void {
    for (const line of new TextDecoder().decode(data).split("\n")) {
      if (line) console.log(`[${stream}] ${line}`);
    }
  }
  override processEnded(reason: Failure): void {
    const ended = reason.check(ProcessTerminated)
      ? (reason.value as ProcessTerminated).signal
        ? `killed by ${(reason.value as ProcessTerminated).signal}`
        : `exit code ${(reason.value as ProcessTerminated).exitCode}`
      : "exit code 0";
    console.log(`Process ended: ${ended}`);
    reactor.stop();
  }
}

const [command = "ls", ...args] = reactor.runtime.args().length
  ? reactor.runtime.args()
  : ["ls", "-l", "/"];
reactor.spawnProcess(new Runner(), command, [command, ...args]);
await reactor.run();
