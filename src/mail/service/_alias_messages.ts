/**
 * The message writers behind aliases (`twisted.mail.alias`'s `FileWrapper`,
 * `MessageWrapper`, `MultiWrapper`) and `PendingMessage`. Private: re-exported
 * by `src/mail/mod.ts`.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import type { IReactorTime } from "../../internet/interfaces.ts";
import { ProcessProtocol } from "../../internet/protocol.ts";
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { SMTPBadRcpt } from "../smtp/_errors.ts";
import type { IMessage } from "../smtp/_interfaces.ts";

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

// Appends to one file at a time per path (a read, a write beside it, a rename).
const appending = new Map<string, Promise<unknown>>();

async function appendFile(fs: RuntimeFileSystem, path: string, bytes: Uint8Array): Promise<void> {
  let before: Uint8Array = new Uint8Array(0);
  try {
    before = await fs.readFile(path);
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error;
  }
  const side = `${path}.tw-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  try {
    await fs.writeFile(side, concat([before, bytes]), { mode: 0o600, exclusive: true, sync: true });
    await fs.rename(side, path);
  } catch (error) {
    await fs.remove(side).catch(() => {});
    throw error;
  }
}

/**
 * Collects a message and appends it to a file at its end (Twisted's
 * `FileWrapper`): lines end with LF; nothing is written before `eomReceived`.
 * The runtime file API has no append: the file is copied with the message
 * added beside it, synced, and renamed over it (deliveries to one file are
 * serialized), which suits small files; give a big mbox to a program alias.
 *
 * @example
 * ```ts
 * import { FileWrapper } from "@tw/core/mail";
 * import { reactor } from "@tw/core";
 * const w = new FileWrapper("/tmp/tw-file-wrapper-example.mbox", reactor.runtime);
 * w.lineReceived(new TextEncoder().encode("Subject: hi"));
 * await w.eomReceived();
 * ```
 */
export class FileWrapper implements IMessage {
  /** The file appended to. */
  readonly finalname: string;
  #fs: RuntimeFileSystem;
  #chunks: Uint8Array[] | null = [];

  /**
   * Makes the writer.
   * @param filename the file to append to
   * @param fs the file system
   */
  constructor(filename: string, fs: RuntimeFileSystem) {
    this.finalname = filename;
    this.#fs = fs;
  }

  /** Keeps a line. */
  lineReceived(line: Uint8Array): void {
    if (this.#chunks === null) return;
    const copy = new Uint8Array(line.byteLength + 1);
    copy.set(line);
    copy[line.byteLength] = 0x0a;
    this.#chunks.push(copy);
  }

  /** Appends the message; resolves with the file name. */
  eomReceived(): Promise<string> {
    const chunks = this.#chunks;
    this.#chunks = null;
    if (chunks === null) return Promise.reject(new Error("Message already ended"));
    const bytes = concat(chunks);
    const path = this.finalname;
    const previous = appending.get(path) ?? Promise.resolve();
    const mine = previous.catch(() => {}).then(() => appendFile(this.#fs, path, bytes));
    appending.set(path, mine);
    return mine.then(() => path).finally(() => {
      if (appending.get(path) === mine) appending.delete(path);
    });
  }

  /** Forgets the message. */
  connectionLost(): void {
    this.#chunks = null;
  }

  /** `<FileWrapper path>`. */
  toString(): string {
    return `<FileWrapper ${this.finalname}>`;
  }
}

/**
 * A process alias' program did not finish in time (`ProcessAliasTimeout`).
 *
 * @example
 * ```ts
 * import { ProcessAliasTimeout } from "@tw/core/mail";
 * console.log(new ProcessAliasTimeout("No answer after 60 seconds").name); // ProcessAliasTimeout
 * ```
 */
export class ProcessAliasTimeout extends Error {
  /**
   * Makes the error.
   * @param message what timed out
   */
  constructor(message: string) {
    super(message);
    this.name = "ProcessAliasTimeout";
  }
}

export class AliasProcess extends ProcessProtocol {
  onEnd: ((reason: Failure) => void) | null = null;
  override processEnded(reason: Failure): void {
    this.onEnd?.(reason);
  }
}

/**
 * Writes a message to a process' standard input (Twisted's `MessageWrapper`):
 * `eomReceived` closes it and resolves once the process exits with status 0
 * (fails otherwise, or after `completionTimeout` seconds, killing it).
 *
 * @example
 * ```ts
 * import { MessageWrapper } from "@tw/core/mail";
 * import { ProcessProtocol, reactor } from "@tw/core";
 * const protocol = new ProcessProtocol();
 * const wrapper = new MessageWrapper(protocol, "/bin/cat", reactor);
 * reactor.spawnProcess(protocol, "/bin/cat", ["/bin/cat"]);
 * wrapper.lineReceived(new TextEncoder().encode("Subject: hi"));
 * console.log(await wrapper.eomReceived()); // /bin/cat
 * ```
 */
export class MessageWrapper implements IMessage {
  /** Seconds the process has to finish once the message ended. */
  completionTimeout = 60;
  /** The program, for messages. */
  readonly processName: string;
  #protocol: AliasProcess;
  #clock: IReactorTime;
  #done = false;
  #result: Promise<string>;

  /**
   * Wraps a started process.
   * @param protocol its protocol (`processEnded` settles the message)
   * @param processName the program
   * @param clock for the timeout
   */
  constructor(protocol: ProcessProtocol, processName: string, clock: IReactorTime) {
    this.#protocol = protocol as AliasProcess;
    this.processName = processName;
    this.#clock = clock;
    this.#result = new Promise<string>((resolve, reject) => {
      this.#protocol.onEnd = (reason: Failure) => {
        this.#done = true;
        const value = reason.value as { exitCode?: number | null; signal?: string | null };
        if (value.exitCode === 0) resolve(processName);
        else reject(reason.value instanceof Error ? reason.value : new Error(String(reason.value)));
      };
    });
    this.#result.catch(() => {});
  }

  /** Writes the line and an LF to the process. */
  lineReceived(line: Uint8Array): void {
    if (this.#done) return;
    const copy = new Uint8Array(line.byteLength + 1);
    copy.set(line);
    copy[line.byteLength] = 0x0a;
    this.#protocol.transport.write(copy);
  }

  /** Closes standard input; resolves with the program once it exited with status 0. */
  eomReceived(): Promise<string> {
    if (this.#done) return this.#result;
    this.#protocol.transport.closeStdin();
    return new Promise<string>((resolve, reject) => {
      const timer = this.#clock.callLater(this.completionTimeout, () => {
        this.#protocol.onEnd = null;
        this.#done = true;
        this.#protocol.transport.signalProcess("KILL");
        reject(new ProcessAliasTimeout(`No answer after ${this.completionTimeout} seconds`));
      });
      this.#result.then(resolve, reject).finally(() => {
        if (timer.active()) timer.cancel();
      });
    });
  }

  /** The message is abandoned: the process is killed. */
  connectionLost(): void {
    if (this.#done) return;
    this.#done = true;
    this.#protocol.transport.signalProcess("KILL");
  }

  /** `<ProcessWrapper program>`. */
  toString(): string {
    return `<ProcessWrapper ${this.processName}>`;
  }
}

/**
 * Several writers as one (Twisted's `MultiWrapper`): every line goes to
 * each; the message is delivered once every one delivered it (a failure of
 * any fails it, so the sender tries again: no mail is lost).
 *
 * @example
 * ```ts
 * import { type IMessage, MultiWrapper } from "@tw/core/mail";
 * const seen: string[] = [];
 * const writer = (name: string): IMessage => ({
 *   lineReceived: (line) => void seen.push(`${name}: ${new TextDecoder().decode(line)}`),
 *   eomReceived: () => name,
 *   connectionLost: () => {},
 * });
 * const both = new MultiWrapper([writer("a"), writer("b")]);
 * both.lineReceived(new TextEncoder().encode("hi"));
 * console.log(await both.eomReceived(), seen); // [ "a", "b" ] [ "a: hi", "b: hi" ]
 * ```
 */
export class MultiWrapper implements IMessage {
  /** The writers. */
  readonly objs: IMessage[];

  /**
   * Makes the writer.
   * @param objs the writers
   */
  constructor(objs: IMessage[]) {
    this.objs = objs;
  }

  /** Gives the line to each. */
  lineReceived(line: Uint8Array): void {
    for (const o of this.objs) o.lineReceived(line);
  }

  /** Ends each; resolves with their results. */
  eomReceived(): Promise<unknown[]> {
    return Promise.all(this.objs.map((o) => Promise.resolve().then(() => o.eomReceived())));
  }

  /** Abandons each. */
  connectionLost(): void {
    for (const o of this.objs) o.connectionLost();
  }

  /** `<GroupWrapper [...]>`. */
  toString(): string {
    return `<GroupWrapper [${this.objs.map(String).join(", ")}]>`;
  }
}

/**
 * A message writer that is still being made (an alias being resolved): lines
 * wait in memory until it is there, `eomReceived` waits for it. A domain's
 * `exists` returns it for aliases, so that nothing (a process, for one) is
 * started for a transaction that never sends its message.
 *
 * @example
 * ```ts
 * import { type IMessage, PendingMessage } from "@tw/core/mail";
 * const lines: string[] = [];
 * const target: IMessage = {
 *   lineReceived: (line) => void lines.push(new TextDecoder().decode(line)),
 *   eomReceived: () => "stored",
 *   connectionLost: () => {},
 * };
 * const pending = new PendingMessage(() => Promise.resolve(target));
 * pending.lineReceived(new TextEncoder().encode("early line"));
 * console.log(await pending.eomReceived(), lines); // stored [ "early line" ]
 * ```
 */
export class PendingMessage implements IMessage {
  #target: IMessage | null = null;
  #lines: Uint8Array[] | null = [];
  #lost = false;
  #ready: Promise<IMessage>;

  /**
   * Starts making the writer.
   * @param make makes the writer (fails or gives null: the message fails)
   */
  constructor(make: () => Promise<IMessage | null>) {
    this.#ready = make().then((target) => {
      if (target === null) throw new SMTPBadRcpt("alias", 550, "Alias leads nowhere");
      if (this.#lost) {
        target.connectionLost();
        return target;
      }
      for (const line of this.#lines ?? []) target.lineReceived(line);
      this.#lines = null;
      this.#target = target;
      return target;
    });
    this.#ready.catch(() => {});
  }

  /** Forwards the line, or keeps it until the writer is there. */
  lineReceived(line: Uint8Array): void {
    if (this.#target !== null) this.#target.lineReceived(line);
    else this.#lines?.push(line.slice());
  }

  /** Ends the message once the writer is there. */
  async eomReceived(): Promise<unknown> {
    const target = await this.#ready;
    return await target.eomReceived();
  }

  /** Abandons the message (now, or once the writer is there). */
  connectionLost(): void {
    this.#lost = true;
    this.#lines = null;
    this.#target?.connectionLost();
  }
}
