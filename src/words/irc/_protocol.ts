/**
 * `IRC`: Twisted's IRC server protocol (`twisted.words.protocols.irc.IRC`),
 * with bounded framing, message tags and byte-exact limits.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Protocol } from "../../internet/protocol.ts";
import type { Failure } from "../../internet/failure.ts";
import { Logger } from "../../logger/mod.ts";
import { ctcpStringify } from "./_ctcp.ts";
import { ERR_INPUTTOOLONG } from "./_numerics.ts";
import { decodeLine, encodeText, LineFramer } from "./_text.ts";
import {
  formatMessage,
  MAX_CLIENT_TAG_BYTES,
  MAX_LINE_BYTES,
  parsemsg,
  type Tags,
} from "./_wire.ts";

const log = new Logger("tw.words.irc");

/** Options of `IRC`. */
export interface IRCOptions {
  /**
   * Bytes of an unfinished line after which the connection is closed.
   * @default 16384
   */
  maxPendingBytes?: number;
  /**
   * Bytes waiting in the transport's write buffer (`bufferedAmount`) past
   * which a client that does not read is dropped (an IRC server's SendQ).
   * @default 1048576
   */
  maxSendQueueBytes?: number;
}

type Handler = (prefix: string, params: string[], tags: Tags) => void;

/**
 * The server side of an IRC connection (Twisted's `IRC`): parses client
 * lines and calls `irc_<COMMAND>(prefix, params, tags)` (upper-cased;
 * `irc_unknown` otherwise), and formats replies. A line longer than 512
 * bytes without its tags (or with more than 4,096 bytes of tags) is
 * answered with 417 and not dispatched; 16 KiB without a line end closes
 * the connection. Invalid UTF-8 is read as latin-1.
 *
 * @example
 * ```ts
 * import { IRC } from "@tw/core/words/irc";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Echo extends IRC {
 *   override hostname = "irc.example";
 *   irc_PING(_prefix: string, params: string[]): void {
 *     this.sendCommand("PONG", [this.hostname!, ":" + (params[0] ?? "")], { prefix: this.hostname });
 *   }
 * }
 * const server = new Echo();
 * const transport = new StringTransport();
 * server.makeConnection(transport);
 * server.dataReceived(new TextEncoder().encode("PING :abc\r\n"));
 * console.log(transport.valueText()); // ":irc.example PONG irc.example :abc\r\n"
 * ```
 */
export class IRC extends Protocol {
  /** The server's name, used as the prefix of its messages. */
  hostname: string | null = null;
  /** Channels this connection is on (Twisted's `channels`). */
  channels: string[] = [];
  #framer = new LineFramer(MAX_CLIENT_TAG_BYTES + MAX_LINE_BYTES);
  #maxPending: number;
  #maxSendQ: number;
  #closed = false;

  /**
   * Makes the protocol.
   * @param options limits
   */
  constructor(options: IRCOptions = {}) {
    super();
    this.#maxPending = options.maxPendingBytes ?? 16384;
    this.#maxSendQ = options.maxSendQueueBytes ?? 1 << 20;
  }

  /** Sets `hostname` when unset. */
  override connectionMade(): void {
    this.channels = [];
    this.hostname ??= "localhost";
  }

  /** Marks the connection closed. */
  override connectionLost(_reason?: Failure): void {
    this.#closed = true;
  }

  /**
   * Sends a line (CR LF added). A client whose unsent output passes
   * `maxSendQueueBytes` is dropped (SendQ exceeded) rather than buffered
   * without bound.
   */
  sendLine(line: string): void {
    if (this.#closed) return;
    if (/[\r\n\0]/.test(line)) throw new TypeError("An IRC line cannot hold CR, LF or NUL");
    this.sendEncodedLine(encodeText(line + "\r\n"));
  }

  /**
   * Sends a line already encoded with its CR LF (a server relaying one
   * message to many clients encodes it once); the SendQ limit applies. The
   * bytes are not copied: do not change them afterwards.
   */
  sendEncodedLine(bytes: Uint8Array): void {
    if (this.#closed) return;
    const queued = (this.transport as { bufferedAmount?: number }).bufferedAmount ?? 0;
    if (queued > this.#maxSendQ) {
      log.info("Dropping an IRC client: SendQ exceeded ({n} bytes)", { n: queued });
      this.#closed = true;
      this.transport.abortConnection();
      return;
    }
    this.transport.write(bytes);
  }

  /**
   * Sends `COMMAND params...`, the parameters joined as given (Twisted's
   * `sendMessage`); a final `{prefix}` object adds a prefix.
   */
  sendMessage(command: string, ...args: (string | { prefix?: string })[]): void {
    const last = args[args.length - 1];
    const options = typeof last === "object" ? last : {};
    const params = args.filter((a): a is string => typeof a === "string");
    this.sendLine(formatMessage(command, params, { prefix: options.prefix }));
  }

  /**
   * Sends a command with optional prefix and tags (Twisted's `sendCommand`);
   * the caller adds `:` before a final parameter with spaces.
   */
  sendCommand(
    command: string,
    params: readonly string[],
    options: { prefix?: string | null; tags?: Tags | null } = {},
  ): void {
    this.sendLine(formatMessage(command, params, options));
  }

  /** Takes bytes from the client. */
  override dataReceived(data: Uint8Array): void {
    this.#framer.push(data);
    for (;;) {
      if (this.#closed || this.transport.disconnecting) return;
      const event = this.#framer.next();
      if (event === null) break;
      if (event === "tooLong") {
        this.lineTooLong();
        continue;
      }
      this.#line(event);
    }
    if (this.#framer.pending > this.#maxPending) {
      log.info("Closing an IRC connection: {n} bytes without a line end", {
        n: this.#framer.pending,
      });
      this.transport.loseConnection();
    }
  }

  #line(bytes: Uint8Array): void {
    if (bytes.includes(0)) return;
    let body = bytes;
    if (bytes[0] === 0x40 /* @ */) {
      const sp = bytes.indexOf(0x20);
      if (sp > MAX_CLIENT_TAG_BYTES) return this.lineTooLong();
      body = bytes.subarray(sp < 0 ? bytes.length : sp + 1);
    }
    if (body.length > MAX_LINE_BYTES - 2) return this.lineTooLong();
    const line = decodeLine(bytes);
    if (line.trim() === "") return;
    let parsed;
    try {
      parsed = parsemsg(line);
    } catch {
      return;
    }
    const [prefix, command, params, tags] = parsed;
    this.handleCommand(command.toUpperCase(), prefix, params, tags);
  }

  /** Answers a line over the limits with 417 (ERR_INPUTTOOLONG). */
  lineTooLong(): void {
    this.sendCommand(ERR_INPUTTOOLONG, ["*", ":Input line was too long"], {
      prefix: this.hostname,
    });
  }

  /**
   * Calls `irc_<command>(prefix, params, tags)` or `irc_unknown`; a
   * handler's error is logged.
   */
  handleCommand(command: string, prefix: string, params: string[], tags: Tags = {}): void {
    const method = (this as unknown as Record<string, unknown>)[`irc_${command}`];
    try {
      if (/^[A-Z0-9_]+$/.test(command) && typeof method === "function") {
        (method as Handler).call(this, prefix, params, tags);
      } else this.irc_unknown(prefix, command, params, tags);
    } catch (error) {
      log.failure("Error handling IRC {command}", error, "error", { command });
    }
  }

  /** Called for commands without a handler; override it (421 in `IRCUser`). */
  irc_unknown(_prefix: string, _command: string, _params: string[], _tags: Tags): void {}

  /** Sends a PRIVMSG from `sender` to `recip`. */
  privmsg(sender: string, recip: string, message: string, tags?: Tags): void {
    this.sendCommand("PRIVMSG", [recip, ":" + message], { prefix: sender, tags });
  }

  /** Sends a NOTICE from `sender` to `recip`. */
  notice(sender: string, recip: string, message: string, tags?: Tags): void {
    this.sendCommand("NOTICE", [recip, ":" + message], { prefix: sender, tags });
  }

  /** Sends a CTCP ACTION from `sender` to `recip`. */
  action(sender: string, recip: string, message: string): void {
    this.privmsg(sender, recip, ctcpStringify([["ACTION", message]]));
  }

  /** Sends a channel's topic (332), or 331 when `topic` is null. */
  topic(user: string, channel: string, topic: string | null, author?: string): void {
    if (author !== undefined) {
      this.sendCommand("TOPIC", [channel, ":" + (topic ?? "")], { prefix: author });
    } else if (topic === null || topic === "") {
      this.sendCommand("331", [user, channel, ":No topic is set."], { prefix: this.hostname });
    } else this.sendCommand("332", [user, channel, ":" + topic], { prefix: this.hostname });
  }

  /** Sends who set a topic and when (333). */
  topicAuthor(user: string, channel: string, author: string, date: number): void {
    this.sendCommand("333", [user, channel, author, String(Math.trunc(date))], {
      prefix: this.hostname,
    });
  }

  /** Sends NAMES replies (353, 366), as many lines as 512 bytes need. */
  names(user: string, channel: string, names: readonly string[]): void {
    const head = `:${this.hostname} 353 ${user} = ${channel} :`;
    let line: string[] = [];
    let size = encodeText(head).length;
    for (const name of names) {
      if (line.length > 0 && size + encodeText(name).length + 1 > MAX_LINE_BYTES - 2) {
        this.sendLine(head + line.join(" "));
        line = [];
        size = encodeText(head).length;
      }
      line.push(name);
      size += encodeText(name).length + 1;
    }
    if (line.length > 0) this.sendLine(head + line.join(" "));
    this.sendCommand("366", [user, channel, ":End of /NAMES list"], { prefix: this.hostname });
  }

  /** Sends WHO replies (352, 315). */
  who(
    user: string,
    channel: string,
    memberInfo: readonly [string, string, string, string, string, number, string][],
  ): void {
    for (const [username, hostmask, server, nickname, flag, hops, realName] of memberInfo) {
      this.sendCommand("352", [
        user,
        channel,
        username,
        hostmask,
        server,
        nickname,
        flag,
        `:${hops} ${realName}`,
      ], { prefix: this.hostname });
    }
    this.sendCommand("315", [user, channel, ":End of /WHO list"], { prefix: this.hostname });
  }

  /** Tells `who` joined `where`. */
  join(who: string, where: string, tags?: Tags): void {
    this.sendCommand("JOIN", [where], { prefix: who, tags });
  }

  /** Tells `who` left `where`. */
  part(who: string, where: string, reason?: string): void {
    this.sendCommand("PART", reason ? [where, ":" + reason] : [where], { prefix: who });
  }

  /** Sends a channel's modes (324). */
  channelMode(user: string, channel: string, mode: string, ...args: string[]): void {
    this.sendCommand("324", [user, channel, mode, ...args], { prefix: this.hostname });
  }
}
