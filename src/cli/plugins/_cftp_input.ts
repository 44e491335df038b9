/**
 * Where `tw cftp` reads its commands: a batch file's lines, or standard input
 * line by line through `StandardIO` (`-b -`, and the interactive mode).
 * Reading stdin is bounded: at most `MAX_QUEUED` lines wait (the transport is
 * paused past that), and a line longer than `MAX_LINE` bytes is refused.
 *
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import { Protocol } from "../../internet/protocol.ts";
import type { Reactor } from "../../internet/reactor.ts";
import { StandardIO } from "../../internet/stdio.ts";

/** The longest command line read from standard input, in bytes. */
export const MAX_LINE: number = 64 * 1024;
/** Lines read ahead before standard input is paused. */
const MAX_QUEUED = 64;

/** A source of command lines. */
export interface CommandLines {
  /** Standard input is a terminal (prompts are shown). */
  readonly isTTY: boolean;
  /** The next line (without its end), or null at the end. Throws for an over-long line. */
  next(): Promise<string | null>;
  /** Stops reading. */
  close(): void;
}

/** The lines of a batch file's text. */
export function fileLines(text: string): CommandLines {
  const lines = text.split("\n");
  let at = 0;
  return {
    isTTY: false,
    next: () => Promise.resolve(at < lines.length ? lines[at++] : null),
    close: () => {
      at = lines.length;
    },
  };
}

/** Splits standard input into lines for `next()`, pausing when too many wait. */
class LineQueue extends Protocol {
  #partial: Uint8Array[] = [];
  #partialLength = 0;
  #lines: (string | Error)[] = [];
  #ended = false;
  #waiter: (() => void) | null = null;
  #paused = false;
  #decoder = new TextDecoder();

  override dataReceived(data: Uint8Array): void {
    let start = 0;
    for (;;) {
      const end = data.indexOf(10, start);
      if (end < 0) break;
      this.#add(data.subarray(start, end));
      this.#push(this.#take());
      start = end + 1;
    }
    this.#add(data.subarray(start));
  }

  #add(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    if (this.#partialLength + bytes.byteLength > MAX_LINE) {
      // Keep nothing of an over-long line; it becomes an error in its place.
      this.#partialLength = MAX_LINE + 1;
      this.#partial = [];
      return;
    }
    this.#partial.push(bytes.slice());
    this.#partialLength += bytes.byteLength;
  }

  #take(): string | Error {
    if (this.#partialLength > MAX_LINE) {
      this.#partial = [];
      this.#partialLength = 0;
      return new Error(`Command line longer than ${MAX_LINE} bytes`);
    }
    const line = new Uint8Array(this.#partialLength);
    let at = 0;
    for (const part of this.#partial) {
      line.set(part, at);
      at += part.byteLength;
    }
    this.#partial = [];
    this.#partialLength = 0;
    return this.#decoder.decode(line).replace(/\r$/, "");
  }

  #push(line: string | Error): void {
    this.#lines.push(line);
    if (this.#lines.length >= MAX_QUEUED && !this.#paused) {
      this.#paused = true;
      this.transport.pauseProducing();
    }
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  /** The end of stdin: a last line without its end counts. */
  readConnectionLost(): void {
    this.#end();
  }

  override connectionLost(_reason: Failure): void {
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    if (this.#partialLength > 0) this.#lines.push(this.#take());
    this.#ended = true;
    this.#wake();
  }

  async next(): Promise<string | null> {
    while (this.#lines.length === 0 && !this.#ended) {
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
    const line = this.#lines.shift();
    if (this.#paused && this.#lines.length < MAX_QUEUED / 2 && !this.#ended) {
      this.#paused = false;
      this.transport.resumeProducing();
    }
    if (line === undefined) return null;
    if (line instanceof Error) throw line;
    return line;
  }
}

/** Standard input's lines, through `StandardIO` on `reactor`'s runtime. */
export function stdinLines(reactor: Reactor): CommandLines {
  const queue = new LineQueue();
  const stdio = new StandardIO(queue, { reactor });
  return {
    isTTY: stdio.isTTY,
    next: () => queue.next(),
    close: () => stdio.loseConnection(),
  };
}
