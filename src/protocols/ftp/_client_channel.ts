/**
 * The FTP client's control channel: a queue of jobs that take turns on the
 * connection (one command in flight at a time, as Twisted's client), and the
 * dispatch of each reply to the step waiting for it. Knows nothing of
 * sockets: it writes lines through a function and is fed lines. Private.
 * @module
 */
import { CommandFailed, ConnectionLost, UnexpectedResponse } from "./_client_errors.ts";
import { type FTPReply, type ReplyLimits, ReplyParser } from "./_client_reply.ts";

/** What waits for the reply to one command. */
export interface Step {
  /** A preliminary (1xx) reply. */
  mark?(reply: FTPReply): void;
  /** The final reply (2xx to 5xx); its lines start with any 1xx lines before it. */
  reply(reply: FTPReply): void;
}

/** A unit of work that holds the control channel from `run` until `channel.release(job)`. */
export interface Job {
  /** The job's turn: send commands with `channel.send`, then `channel.release(this)`. */
  run(channel: ControlChannel): void;
  /** The channel failed (connection lost, bad reply, failed login): fail what is pending. */
  abandon(error: Error): void;
}

/** Turns a final reply into its lines, or a `CommandFailed` for 4xx/5xx. */
export function checkReply(reply: FTPReply): { ok: true; lines: string[] } | {
  ok: false;
  error: CommandFailed;
} {
  return reply.code < 400
    ? { ok: true, lines: reply.lines }
    : { ok: false, error: new CommandFailed(reply.lines) };
}

/** How the channel reports to its owner. */
export interface ChannelOwner {
  /** Writes one command line (CR LF added by the owner). */
  writeLine(line: string): void;
  /** The greeting arrived (2xx). */
  greeted(reply: FTPReply): void;
  /** Something broke the channel: close the connection. */
  broken(error: Error): void;
}

/** The command queue and reply dispatch of one control connection. */
export class ControlChannel {
  #owner: ChannelOwner;
  #parser: ReplyParser;
  #queue: Job[] = [];
  #active: Job | null = null;
  #step: Step | null;
  #marks: string[] = [];
  #greeted = false;
  #failure: Error | null = null;
  #pumping = false;

  /**
   * Makes a channel waiting for the server's greeting.
   * @param owner where lines go and events are told
   * @param limits reply size limits
   */
  constructor(owner: ChannelOwner, limits?: ReplyLimits) {
    this.#owner = owner;
    this.#parser = new ReplyParser(limits);
    this.#step = {
      reply: (reply) => {
        if (reply.code >= 400) {
          this.fail(new CommandFailed(reply.lines));
          return;
        }
        this.#greeted = true;
        this.#owner.greeted(reply);
        this.#pump();
      },
    };
  }

  /** The error the channel failed with, or null while it works. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Adds a job; it runs when the jobs before it are done. */
  enqueue(job: Job): void {
    if (this.#failure !== null) {
      job.abandon(this.#lost());
      return;
    }
    this.#queue.push(job);
    this.#pump();
  }

  /** Removes a job that has not started; true when it was waiting. */
  remove(job: Job): boolean {
    const at = this.#queue.indexOf(job);
    if (at < 0) return false;
    this.#queue.splice(at, 1);
    return true;
  }

  /** Removes and returns the next waiting job (Twisted's `popCommandQueue`). */
  popNext(): Job | undefined {
    return this.#queue.shift();
  }

  /** Sends a command for the running job; `step` gets its replies. */
  send(job: Job, line: string, step: Step): void {
    if (this.#active !== job || this.#failure !== null) return;
    this.#step = step;
    this.#marks = [];
    this.#owner.writeLine(line);
  }

  /** Waits for one more reply without sending (after ABOR). */
  expect(job: Job, step: Step): void {
    if (this.#active !== job || this.#failure !== null) return;
    this.#step = step;
  }

  /** Writes a line outside the step order (ABOR while a transfer runs). */
  sendOutOfBand(job: Job, line: string): void {
    if (this.#active === job && this.#failure === null) this.#owner.writeLine(line);
  }

  /** Ends the running job's turn; the next job starts. */
  release(job: Job): void {
    if (this.#active !== job) return;
    this.#active = null;
    this.#step = null;
    this.#pump();
  }

  /** True while `job` holds the channel. */
  isActive(job: Job): boolean {
    return this.#active === job;
  }

  /** Takes one line from the server. */
  lineReceived(line: string): void {
    if (this.#failure !== null) return;
    let reply: FTPReply | null;
    try {
      reply = this.#parser.feed(line);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (reply !== null) this.#dispatch(reply);
  }

  #dispatch(reply: FTPReply): void {
    const step = this.#step;
    if (reply.code < 200) {
      if (step === null) {
        this.fail(new UnexpectedResponse(reply.lines));
        return;
      }
      this.#marks.push(...reply.lines);
      if (this.#marks.length > 1000) this.#marks.splice(0, this.#marks.length - 1000);
      try {
        step.mark?.(reply);
      } catch (error) {
        this.fail(error as Error);
      }
      return;
    }
    if (step === null) {
      this.fail(new UnexpectedResponse(reply.lines));
      return;
    }
    this.#step = null;
    const lines = this.#marks.length > 0 ? [...this.#marks, ...reply.lines] : reply.lines;
    this.#marks = [];
    try {
      step.reply({ code: reply.code, lines });
    } catch (error) {
      this.fail(error as Error);
    }
  }

  /**
   * Fails the channel: the running job and every waiting one are abandoned with
   * `ConnectionLost` (cause: `error`), and the owner closes the connection.
   */
  fail(error: Error): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.#step = null;
    const lost = this.#lost();
    const jobs = this.#active === null ? this.#queue : [this.#active, ...this.#queue];
    this.#active = null;
    this.#queue = [];
    for (const job of jobs) job.abandon(lost);
    this.#owner.broken(error);
  }

  #lost(): ConnectionLost {
    const cause = this.#failure;
    return cause instanceof ConnectionLost
      ? cause
      : new ConnectionLost("FTP connection lost", { cause });
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (
        this.#greeted && this.#active === null && this.#failure === null && this.#queue.length > 0
      ) {
        const job = this.#queue.shift()!;
        this.#active = job;
        try {
          job.run(this);
        } catch (error) {
          this.fail(error as Error);
          return;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }
}
