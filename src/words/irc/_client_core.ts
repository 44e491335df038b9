/**
 * `IRCClient`: Twisted's IRC client protocol, with IRCv3 (CAP 302, SASL,
 * message tags), flood protection and byte-exact splitting.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Protocol } from "../../internet/protocol.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IDelayedCall, IReactorTime } from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import { CapNegotiator, type SaslOptions } from "./_cap.ts";
import { ServerSupportedFeatures } from "./_features.ts";
import { LinePacer } from "./_pacing.ts";
import { numeric_to_symbolic } from "./_numerics.ts";
import { byteLength, decodeLine, encodeText, LineFramer, split } from "./_text.ts";
import { formatMessage, MAX_LINE_BYTES, MAX_TAG_BYTES, parsemsg, type Tags } from "./_wire.ts";

const log = new Logger("tw.words.irc");
const CHANNEL_PREFIXES = "&#!+";
const MAX_NICK_RETRIES = 20;

/** Options of `msg`, `say` and `notice`. */
export interface MessageOptions {
  /** The longest line in bytes, the command and CR LF included; default: what fits 512 bytes once the server adds its prefix. */
  length?: number;
  /** Client tags (`+name`), sent when the server enabled message-tags. */
  tags?: Tags;
}

/** Options of `mode`. */
export interface ModeOptions {
  /** The limit, for `l`. */
  limit?: number;
  /** The user, for `o`, `v` ... */
  user?: string;
  /** The mask, for `b`. */
  mask?: string;
}

type Handler = (prefix: string, params: string[], tags: Tags) => void;

/**
 * The connection half of `IRCClient`: framing, pacing, sending, commands,
 * registration, nick collisions, the heartbeat, CAP and SASL. Subclass
 * `IRCClient`, which adds the events and CTCP.
 *
 * @example
 * ```ts
 * import { IRCClient, IRCClientCore } from "@tw/core/words/irc";
 * console.log(new IRCClient() instanceof IRCClientCore); // true
 * ```
 */
export class IRCClientCore extends Protocol {
  /** The nickname to register with; after 001, the nickname in use. */
  nickname = "irc";
  /** The server password (PASS), or null. */
  password: string | null = null;
  /** The real name sent in USER. */
  realname: string | null = null;
  /** The user name sent in USER; the nickname when null. */
  username: string | null = null;
  /** Answer to CTCP USERINFO, or null. */
  userinfo: string | null = null;
  /** Answer to CTCP FINGER, or null. */
  fingerReply: string | null = null;
  /** Name in CTCP VERSION replies; no reply when null. */
  versionName: string | null = null;
  /** Version in CTCP VERSION replies. */
  versionNum: string | null = null;
  /** Environment in CTCP VERSION replies. */
  versionEnv: string | null = null;
  /** Answer to CTCP SOURCE. */
  sourceURL = "https://jsr.io/@tw/core";
  /** The nick tried when the server refuses ours as erroneous before registration. */
  erroneousNickFallback = "defaultnick";
  /** Register (PASS, NICK, USER) as soon as connected. */
  performLogin = true;
  /** Seconds between PINGs sent to the server once signed on; null: none. */
  heartbeatInterval: number | null = 120;
  /** Lines sent at once before pacing. */
  lineBurst = 5;
  /** Seconds between paced lines; null: no pacing (Twisted's default). */
  lineRate: number | null = 1;
  /** Lines that may wait for pacing; beyond, `sendLine` throws `RangeError`. */
  maxQueuedLines = 1000;
  /** IRCv3 capabilities to request when the server offers them. */
  capabilities: string[] = ["server-time", "message-tags", "multi-prefix"];
  /** SASL login, requested with the `sasl` capability; null: none. */
  sasl: SaslOptions | null = null;
  /** Capabilities the server enabled. */
  enabledCapabilities: Set<string> = new Set();
  /** The account SASL logged into (900), or null. */
  account: string | null = null;
  /** What the server announced in RPL_ISUPPORT. */
  supported: ServerSupportedFeatures = new ServerSupportedFeatures();
  /** The server's name, from the prefix of 001. */
  hostname: string | null = null;
  /** The MOTD lines being received, or null. */
  motd: string[] | null = null;
  /** Where timers run; the installed reactor when null. */
  clock: IReactorTime | null = null;
  #framer = new LineFramer(MAX_TAG_BYTES + MAX_LINE_BYTES);
  #pacer: LinePacer | null = null;
  #cap: CapNegotiator | null = null;
  #attemptedNick = "";
  #nickRetries = 0;
  #registered = false;
  #heartbeat: IDelayedCall | null = null;
  #closed = false;

  /** The clock timers use: `clock`, else the installed reactor. */
  reactorTime(): IReactorTime {
    return this.clock ?? getReactor();
  }

  /** The nickname last sent with NICK. */
  get attemptedNick(): string {
    return this.#attemptedNick;
  }

  /** True once 001 arrived. */
  get registered(): boolean {
    return this.#registered;
  }

  /** Lines waiting for pacing. */
  get queuedLines(): number {
    return this.#pacer?.queued ?? 0;
  }

  /** Starts CAP negotiation and registers (when `performLogin`). */
  override connectionMade(): void {
    this.supported = new ServerSupportedFeatures();
    this.#pacer = new LinePacer(this.reactorTime(), {
      lineBurst: this.lineBurst,
      lineRate: this.lineRate,
      maxQueuedLines: this.maxQueuedLines,
    }, (line) => this.#write(line));
    if (this.capabilities.length > 0 || this.sasl !== null) {
      this.#cap = new CapNegotiator({
        capabilities: this.capabilities,
        sasl: this.sasl,
        enabledCapabilities: this.enabledCapabilities,
        sendControl: (line) => this.#write(line),
        saslFailed: (code, message) => this.saslFailed(code, message),
        setAccount: (account) => (this.account = account),
      });
      this.#write("CAP LS 302");
    }
    if (this.performLogin) this.register(this.nickname);
  }

  /** Stops the heartbeat and drops paced lines. */
  override connectionLost(_reason?: Failure): void {
    this.#closed = true;
    this.stopHeartbeat();
    this.#pacer?.stop();
  }

  /** Takes bytes from the server. */
  override dataReceived(data: Uint8Array): void {
    this.#framer.push(data);
    for (;;) {
      if (this.#closed) return;
      const event = this.#framer.next();
      if (event === null) return;
      if (event === "tooLong") {
        log.warn("IRC line longer than {max} bytes dropped", { max: MAX_TAG_BYTES + 512 });
        continue;
      }
      this.lineReceived(decodeLine(event));
    }
  }

  /**
   * Handles one decoded line: parses it and dispatches it; a line that is
   * not a message goes to `badMessage`.
   * @param line the line without CR LF
   */
  lineReceived(line: string): void {
    if (line.trim() === "") return;
    let parsed;
    try {
      parsed = parsemsg(line);
    } catch (error) {
      this.badMessage(line, error as Error);
      return;
    }
    const [prefix, rawCommand, params, tags] = parsed;
    const command = Object.hasOwn(numeric_to_symbolic, rawCommand)
      ? numeric_to_symbolic[rawCommand]
      : rawCommand.toUpperCase();
    this.handleCommand(command, prefix, params, tags);
  }

  /**
   * Calls `irc_<command>(prefix, params, tags)`, or `irc_unknown`; an error
   * thrown by a handler is logged, never fatal.
   */
  handleCommand(command: string, prefix: string, params: string[], tags: Tags = {}): void {
    const method = (this as unknown as Record<string, unknown>)[`irc_${command}`];
    try {
      if (typeof method === "function") (method as Handler).call(this, prefix, params, tags);
      else this.irc_unknown(prefix, command, params, tags);
    } catch (error) {
      log.failure("Error handling IRC {command}", error, "error", { command });
    }
  }

  /** Called with a line that is not an IRC message. */
  badMessage(line: string, error: Error): void {
    log.warn("Bad IRC message {line}: {error}", { line: line.slice(0, 100), error: error.message });
  }

  /** Called for commands without an `irc_` method. */
  irc_unknown(_prefix: string, _command: string, _params: string[], _tags: Tags): void {}

  #write(line: string): void {
    if (this.#closed || this.transport === null) return;
    this.transport.write(encodeText(line + "\r\n"));
  }

  /**
   * Sends a line, paced by the token bucket. Throws `RangeError` when
   * `maxQueuedLines` lines already wait.
   * @param line the line without CR LF
   */
  sendLine(line: string): void {
    if (/[\r\n\0]/.test(line)) throw new TypeError("An IRC line cannot hold CR, LF or NUL");
    if (this.#pacer === null) this.#write(line);
    else this.#pacer.send(line);
  }

  /**
   * Sends a command (`sendCommand` of Twisted's `IRC`); tags go only when
   * the server enabled message-tags.
   */
  sendCommand(command: string, params: readonly string[], options: { tags?: Tags } = {}): void {
    const tags = this.enabledCapabilities.has("message-tags") ? options.tags : undefined;
    this.sendLine(formatMessage(command, params, { tags }));
  }

  // ---- commands ----

  /** Sends PASS (when `password`), NICK and USER. */
  register(nickname: string, hostname = "foo", servername = "bar"): void {
    if (this.password !== null) this.#write(`PASS ${this.password}`);
    this.setNick(nickname);
    if (this.username === null) this.username = nickname;
    this.#write(`USER ${this.username} ${hostname} ${servername} :${this.realname ?? nickname}`);
  }

  /** Sends NICK. */
  setNick(nickname: string): void {
    this.#attemptedNick = nickname;
    if (this.#registered) this.sendLine(`NICK ${nickname}`);
    else this.#write(`NICK ${nickname}`);
  }

  /** The nick to try after a collision (Twisted's: an underscore added). */
  alterCollidedNick(nickname: string): string {
    return nickname + "_";
  }

  #channel(channel: string): string {
    return CHANNEL_PREFIXES.includes(channel[0] ?? "") ? channel : "#" + channel;
  }

  /** Joins a channel (`#` added when it has no channel prefix). */
  join(channel: string, key?: string): void {
    const name = this.#channel(channel);
    this.sendLine(key ? `JOIN ${name} ${key}` : `JOIN ${name}`);
  }

  /** Leaves a channel. */
  leave(channel: string, reason?: string): void {
    const name = this.#channel(channel);
    this.sendLine(reason ? `PART ${name} :${reason}` : `PART ${name}`);
  }

  /** Leaves a channel (Twisted's alias of `leave`). */
  part(channel: string, reason?: string): void {
    this.leave(channel, reason);
  }

  /** Kicks a user from a channel. */
  kick(channel: string, user: string, reason?: string): void {
    const name = this.#channel(channel);
    this.sendLine(reason ? `KICK ${name} ${user} :${reason}` : `KICK ${name} ${user}`);
  }

  /** Invites a user to a channel. */
  invite(user: string, channel: string): void {
    this.sendLine(`INVITE ${user} ${this.#channel(channel)}`);
  }

  /** Sets a channel's topic, or asks for it when `topic` is undefined. */
  topic(channel: string, topic?: string): void {
    const name = this.#channel(channel);
    this.sendLine(topic === undefined ? `TOPIC ${name}` : `TOPIC ${name} :${topic}`);
  }

  /** Changes modes: `mode("#c", true, "o", {user: "bob"})` sends `MODE #c +o bob`. */
  mode(chan: string, set: boolean, modes: string, options: ModeOptions = {}): void {
    let line = `MODE ${chan} ${set ? "+" : "-"}${modes}`;
    if (options.limit !== undefined) line += ` ${Math.trunc(options.limit)}`;
    else if (options.user !== undefined) line += ` ${options.user}`;
    else if (options.mask !== undefined) line += ` ${options.mask}`;
    this.sendLine(line);
  }

  /** Sends a message to a channel (`#` added when it has no channel prefix). */
  say(channel: string, message: string, options: MessageOptions = {}): void {
    this.msg(this.#channel(channel), message, options);
  }

  #maxLength(): number {
    // Room for ":nick!user@host " the server prepends when relaying (user <= 10, host <= 63).
    const nickLen = Math.max(
      byteLength(this.nickname),
      (this.supported.getFeature<number>("NICKLEN") ?? 9) as number,
    );
    return MAX_LINE_BYTES - (1 + nickLen + 1 + 10 + 1 + 63 + 1);
  }

  #sendText(command: string, target: string, message: string, options: MessageOptions): void {
    const fmt = `${command} ${target} :`;
    const length = options.length ?? this.#maxLength();
    const room = length - byteLength(fmt) - 2;
    if (room < 4) throw new RangeError(`Maximum length must exceed ${byteLength(fmt) + 5} bytes`);
    for (const line of split(message, room)) {
      this.sendCommand(command, [target, ":" + line], { tags: options.tags });
    }
  }

  /**
   * Sends a PRIVMSG, split into lines of at most `length` bytes by UTF-8
   * bytes, preferring spaces, so that relayed lines fit 512 bytes.
   */
  msg(user: string, message: string, options: MessageOptions = {}): void {
    this.#sendText("PRIVMSG", user, message, options);
  }

  /** Sends a NOTICE, split as `msg` splits. */
  notice(user: string, message: string, options: MessageOptions = {}): void {
    this.#sendText("NOTICE", user, message, options);
  }

  /** Marks this client away. */
  away(message = ""): void {
    this.sendLine(`AWAY :${message}`);
  }

  /** Clears away. */
  back(): void {
    this.away();
  }

  /** Asks for WHOIS information. */
  whois(nickname: string, server?: string): void {
    this.sendLine(server === undefined ? `WHOIS ${nickname}` : `WHOIS ${server} ${nickname}`);
  }

  /** Quits (after the lines waiting for pacing). */
  quit(message = ""): void {
    this.sendLine(`QUIT :${message}`);
  }

  // ---- heartbeat ----

  /** Starts PINGing the server every `heartbeatInterval` seconds. */
  startHeartbeat(): void {
    this.stopHeartbeat();
    const interval = this.heartbeatInterval;
    if (interval === null || interval <= 0) return;
    const beat = () => {
      this.#write(`PING ${this.hostname ?? "server"}`);
      this.#heartbeat = this.reactorTime().callLater(interval, beat);
    };
    this.#heartbeat = this.reactorTime().callLater(interval, beat);
  }

  /** Stops the heartbeat. */
  stopHeartbeat(): void {
    this.#heartbeat?.cancel();
    this.#heartbeat = null;
  }

  // ---- registration, CAP and SASL ----

  /** Called once registered (001), after SASL when `sasl` is set. */
  signedOn(): void {}

  /**
   * Called when SASL fails (904-907), the server offers no usable mechanism,
   * or 001 arrives before SASL succeeded; quits by default, so that
   * `signedOn` never runs unauthenticated.
   * @param code the numeric (`"904"` ...)
   * @param message the server's text or ours
   */
  saslFailed(code: string, message: string): void {
    log.warn("SASL failed ({code}): {message}", { code, message });
    this.#write("QUIT :SASL authentication failed");
    this.transport?.loseConnection();
  }

  /** PING: answered with PONG at once. */
  irc_PING(_prefix: string, params: string[]): void {
    this.#write(`PONG :${params[params.length - 1] ?? ""}`);
  }

  /** CAP: capability negotiation. */
  irc_CAP(_prefix: string, params: string[], tags: Tags): void {
    this.#cap?.cap(params, tags);
  }

  /** AUTHENTICATE: the SASL exchange. */
  irc_AUTHENTICATE(_prefix: string, params: string[]): void {
    this.#cap?.authenticate(params);
  }

  /** 001: registered; calls `signedOn` and starts the heartbeat. */
  irc_RPL_WELCOME(prefix: string, params: string[]): void {
    this.hostname = prefix;
    this.#registered = true;
    this.nickname = params[0] || this.#attemptedNick;
    this.#cap?.end();
    if (this.sasl !== null && (this.#cap === null || !this.#cap.saslDone)) {
      if (this.#cap === null || !this.#cap.saslFailedFlag) {
        this.saslFailed("904", "Registered without SASL");
      }
      return;
    }
    this.signedOn();
    this.startHeartbeat();
  }

  #collided(): void {
    if (this.#registered) return;
    if (++this.#nickRetries > MAX_NICK_RETRIES) {
      this.#write("QUIT :No usable nickname");
      this.transport?.loseConnection();
      return;
    }
    this.setNick(this.alterCollidedNick(this.#attemptedNick));
  }

  /** 433: tries `alterCollidedNick` before registration. */
  irc_ERR_NICKNAMEINUSE(_prefix: string, _params: string[]): void {
    this.#collided();
  }

  /** 437: as 433. */
  irc_ERR_UNAVAILRESOURCE(_prefix: string, _params: string[]): void {
    this.#collided();
  }

  /** 432: tries `erroneousNickFallback` before registration. */
  irc_ERR_ERRONEUSNICKNAME(_prefix: string, _params: string[]): void {
    if (this.#registered) return;
    if (++this.#nickRetries > MAX_NICK_RETRIES) {
      this.#write("QUIT :No usable nickname");
      this.transport?.loseConnection();
      return;
    }
    this.setNick(this.erroneousNickFallback);
  }

  /** 900: logged in to an account. */
  irc_RPL_LOGGEDIN(_prefix: string, params: string[]): void {
    this.#cap?.numeric("900", params);
  }
  /** 901: logged out. */
  irc_RPL_LOGGEDOUT(_prefix: string, params: string[]): void {
    this.#cap?.numeric("901", params);
  }
  /** 902: the account is locked. */
  irc_ERR_NICKLOCKED(_prefix: string, params: string[]): void {
    this.#cap?.numeric("902", params);
  }
  /** 903: SASL succeeded; CAP END follows. */
  irc_RPL_SASLSUCCESS(_prefix: string, params: string[]): void {
    this.#cap?.numeric("903", params);
  }
  /** 904: SASL failed. */
  irc_ERR_SASLFAIL(_prefix: string, params: string[]): void {
    this.#cap?.numeric("904", params);
  }
  /** 905: SASL message too long. */
  irc_ERR_SASLTOOLONG(_prefix: string, params: string[]): void {
    this.#cap?.numeric("905", params);
  }
  /** 906: SASL aborted. */
  irc_ERR_SASLABORTED(_prefix: string, params: string[]): void {
    this.#cap?.numeric("906", params);
  }
  /** 907: already authenticated. */
  irc_ERR_SASLALREADY(_prefix: string, params: string[]): void {
    this.#cap?.numeric("907", params);
  }
}
