/**
 * The IMAP client's response reader: cuts the server's bytes into whole
 * responses (lines joined by literals, RFC 3501 §4.3), keeping literals in
 * memory up to a limit and streaming the bigger ones of FETCH responses to an
 * `ILiteralSink` piece by piece as they arrive, the transport paused while a
 * sink's write is pending. A streamed literal is left in the response as an
 * empty literal `{0}` whose data offset maps to the sink's result. Private.
 * @module
 */
import { concat } from "./_wire.ts";
import type { ILiteralSink, LiteralSinkResult } from "./_literal_sink.ts";

const latin1 = new TextDecoder("latin1");
const LF = 0x0a;
const CR = 0x0d;
const PLACEHOLDER = new Uint8Array([0x7b, 0x30, 0x7d, CR, LF]); // "{0}\r\n"

/** The sinks' results of one response, by the offset of their `{0}` literal's data. */
export type Streamed = Map<number, Promise<LiteralSinkResult>>;

/** The reader's limits, all in octets. */
export interface ReaderLimits {
  /** Longest line (the text between literals). */
  maxLine: number;
  /** Largest literal kept in memory (a response holds at most this plus 4 lines). */
  maxLiteral: number;
  /** Literals of FETCH responses over this are offered to a sink. */
  memoryFileLimit: number;
  /** Largest literal streamed to a sink. */
  maxStreamedLiteral: number;
}

/** What the reader calls. */
export interface ReaderHooks {
  /** A whole response (without its final CRLF); `streamed` when sinks took literals of it. */
  response(bytes: Uint8Array, streamed: Streamed | null): void;
  /** The sink for a FETCH literal of `octets` over the memory limit, or null to keep it in memory. */
  sink(octets: number): ILiteralSink | null | undefined;
  /** Bad input (or a throwing hook): reading has stopped for good. */
  error(error: unknown): void;
  /** Stop reading (a sink's write is pending). */
  pause(): void;
  /** Read again. */
  resume(): void;
}

/** The reader gave up on the server's bytes. */
export class ReaderError extends Error {}

/** Cuts responses, streaming big FETCH literals to sinks. */
export class ResponseReader {
  #limits: ReaderLimits;
  #hooks: ReaderHooks;
  #queue: Uint8Array[] = [];
  #queueAt = 0;
  #queued = 0;
  #line: Uint8Array[] = [];
  #lineSize = 0;
  #parts: Uint8Array[] = [];
  #size = 0;
  #streamed: Streamed | null = null;
  #mode: "line" | "memory" | "sink" | "skip" = "line";
  #left = 0;
  #sink: ILiteralSink | null = null;
  #sinkAt = 0;
  #waiting = false;
  #paused = false;
  #running = false;
  #dead = false;
  #gen = 0;

  /**
   * Makes the instance.
   * @param limits the size limits
   * @param hooks what to call
   */
  constructor(limits: ReaderLimits, hooks: ReaderHooks) {
    this.#limits = limits;
    this.#hooks = hooks;
  }

  /** Octets held: bytes waiting to be read, the partial line, the response so far. */
  get buffered(): number {
    return this.#queued + this.#lineSize + this.#size;
  }

  /** True while a sink's write is pending (the transport is paused). */
  get waiting(): boolean {
    return this.#waiting;
  }

  /** Takes bytes from the server. */
  push(data: Uint8Array): void {
    if (this.#dead) return;
    if (data.byteLength > 0) {
      this.#queue.push(data);
      this.#queued += data.byteLength;
    }
    // A transport that goes on delivering while paused is bounded all the same.
    if (this.#waiting && this.#queued > this.#limits.maxLiteral) {
      return this.#fail(new ReaderError("Too much data while paused"));
    }
    this.#run();
  }

  /** Forgets everything (after STARTTLS). */
  clear(): void {
    this.#abortSink(new Error("Reading restarted"));
    this.#gen++;
    if (this.#paused) {
      this.#paused = false;
      this.#hooks.resume();
    }
    this.#queue = [];
    this.#queueAt = this.#queued = 0;
    this.#resetResponse();
    this.#waiting = false;
  }

  /** The connection is gone: aborts a sink in the middle of its literal; nothing more is read. */
  abort(reason: unknown): void {
    this.#dead = true;
    this.#gen++;
    this.#abortSink(reason);
    this.#queue = [];
    this.#queueAt = this.#queued = 0;
    this.#resetResponse();
  }

  #resetResponse(): void {
    this.#line = [];
    this.#lineSize = 0;
    this.#parts = [];
    this.#size = 0;
    this.#streamed = null;
    this.#mode = "line";
    this.#left = 0;
  }

  #abortSink(reason: unknown): void {
    const sink = this.#sink;
    this.#sink = null;
    if (sink === null) return;
    try {
      Promise.resolve(sink.abort(reason)).catch(() => {});
    } catch {
      // The sink's own clean-up failed: nothing more to do for it.
    }
  }

  #fail(error: unknown): void {
    if (this.#dead) return;
    this.abort(error);
    this.#hooks.error(error);
  }

  #run(): void {
    if (this.#running) return;
    this.#running = true;
    try {
      while (!this.#waiting && !this.#dead && this.#queue.length > 0) {
        const chunk = this.#queue[0];
        const used = this.#step(chunk, this.#queueAt);
        this.#queueAt += used;
        this.#queued -= used;
        if (this.#queueAt >= chunk.byteLength) {
          this.#queue.shift();
          this.#queueAt = 0;
        }
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#running = false;
    }
    if (this.#paused && !this.#waiting && !this.#dead) {
      this.#paused = false;
      this.#hooks.resume();
    }
  }

  /** Reads from `chunk` at `at`; returns the octets used. */
  #step(chunk: Uint8Array, at: number): number {
    const avail = chunk.byteLength - at;
    if (this.#mode === "line") {
      const lf = chunk.indexOf(LF, at);
      const end = lf < 0 ? chunk.byteLength : lf;
      if (end > at) {
        this.#lineSize += end - at;
        if (this.#lineSize > this.#limits.maxLine + 1) throw new ReaderError("Line too long");
        this.#line.push(chunk.slice(at, end));
      }
      if (lf < 0) return avail;
      let line = concat(this.#line);
      this.#line = [];
      this.#lineSize = 0;
      if (line.byteLength > 0 && line[line.byteLength - 1] === CR) line = line.subarray(0, -1);
      if (line.byteLength > this.#limits.maxLine) throw new ReaderError("Line too long");
      this.#endLine(line);
      return lf - at + 1;
    }
    const n = Math.min(avail, this.#left);
    this.#left -= n;
    if (this.#mode === "memory") {
      this.#parts.push(chunk.slice(at, at + n));
      this.#size += n;
    } else if (this.#mode === "sink") {
      this.#write(chunk.subarray(at, at + n));
    }
    if (this.#left === 0 && this.#mode !== "sink") this.#mode = "line";
    return n;
  }

  #endLine(line: Uint8Array): void {
    const tail = latin1.decode(line.subarray(Math.max(0, line.byteLength - 64)));
    const m = /\{(\d+)\+?\}$/.exec(tail);
    if (m === null) {
      this.#parts.push(line);
      const bytes = concat(this.#parts);
      const streamed = this.#streamed;
      this.#resetResponse();
      this.#hooks.response(bytes, streamed);
      return;
    }
    const n = m[1].length > 16 ? Infinity : Number(m[1]);
    const limits = this.#limits;
    let sink: ILiteralSink | null | undefined = null;
    let failed: { error: unknown } | null = null;
    if (n > limits.memoryFileLimit && n <= limits.maxStreamedLiteral && this.#isFetch(line)) {
      try {
        sink = this.#hooks.sink(n);
      } catch (error) {
        failed = { error };
      }
    }
    if (sink || failed) {
      this.#grow(line.byteLength - m[0].length + PLACEHOLDER.byteLength);
      this.#parts.push(line.subarray(0, line.byteLength - m[0].length), PLACEHOLDER);
      this.#sinkAt = this.#size;
      this.#left = n;
      if (failed) {
        // messageFile threw: the literal is read and dropped, the command rejects.
        this.#record(Promise.reject(failed.error));
        this.#mode = n > 0 ? "skip" : "line";
        return;
      }
      this.#sink = sink!;
      this.#mode = "sink";
      if (n === 0) this.#write(new Uint8Array(0));
      return;
    }
    if (n > limits.maxLiteral) {
      throw new ReaderError(
        n > limits.memoryFileLimit && this.#isFetch(line) && n <= limits.maxStreamedLiteral
          ? `Literal too big (${n} octets; over maxLiteral and no messageFile sink)`
          : "Literal too big",
      );
    }
    this.#grow(line.byteLength + 2 + n);
    this.#parts.push(line, PLACEHOLDER.subarray(3));
    this.#size -= n; // counted by #grow, added again as it arrives
    this.#mode = n === 0 ? "line" : "memory";
    this.#left = n;
  }

  #grow(octets: number): void {
    this.#size += octets;
    if (this.#size > this.#limits.maxLiteral + this.#limits.maxLine * 4) {
      throw new ReaderError("Response too big");
    }
  }

  #isFetch(line: Uint8Array): boolean {
    const first = this.#parts[0] ?? line;
    return /^\* \d+ FETCH /i.test(latin1.decode(first.subarray(0, 32)));
  }

  #write(piece: Uint8Array): void {
    const sink = this.#sink!;
    let r: void | Promise<void>;
    try {
      r = sink.write(piece);
    } catch (error) {
      return this.#sinkFailed(error);
    }
    if (r === undefined || typeof (r as Promise<void>).then !== "function") {
      if (this.#left === 0) this.#closeSink();
      return;
    }
    this.#waiting = true;
    if (!this.#paused) {
      this.#paused = true;
      this.#hooks.pause();
    }
    const gen = this.#gen;
    const settled = (error: unknown, failed: boolean): void => {
      if (gen !== this.#gen || this.#dead) return;
      this.#waiting = false;
      if (failed) this.#sinkFailed(error);
      else if (this.#left === 0) this.#closeSink();
      this.#run();
    };
    r.then(() => settled(null, false), (e) => settled(e, true));
  }

  #closeSink(): void {
    const sink = this.#sink!;
    this.#sink = null;
    let result: Promise<LiteralSinkResult>;
    try {
      result = Promise.resolve(sink.close());
    } catch (error) {
      result = Promise.reject(error);
    }
    this.#record(result);
    this.#mode = "line";
  }

  #sinkFailed(error: unknown): void {
    this.#abortSink(error);
    this.#record(Promise.reject(error));
    this.#mode = this.#left > 0 ? "skip" : "line";
  }

  #record(result: Promise<LiteralSinkResult>): void {
    result.catch(() => {});
    (this.#streamed ??= new Map()).set(this.#sinkAt, result);
  }
}
