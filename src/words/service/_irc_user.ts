/**
 * `IRCUser` and `IRCFactory`: an IRC server over cred and a words realm
 * (Twisted's `twisted.words.service.IRCUser`), with RFC 2812 registration,
 * CAP 302, SASL PLAIN, message-tags and server-time.
 * Private: re-exported by `../mod.ts`.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import type { IDelayedCall } from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import { UsernamePassword } from "../../cred/_credentials.ts";
import { UnauthorizedLogin } from "../../cred/_errors.ts";
import type { Logout } from "../../cred/_portal.ts";
import { Logger } from "../../logger/mod.ts";
import { IRC } from "../irc/_protocol.ts";
import type { Tags } from "../irc/_wire.ts";
import { AlreadyLoggedIn, NoSuchUser } from "./_errors.ts";
import {
  type GroupMeta,
  type IChatClient,
  type IGroup,
  isGroup,
  IUser,
  type WordsMessage,
} from "./_interfaces.ts";
import type { WordsRealm } from "./_realm.ts";
import type { IRCFactory } from "./_irc_factory.ts";
import { SaslExchange } from "./_sasl.ts";
import { encodedLines, holdingOutput, OutputHold, relayLines } from "./_relay.ts";
import * as commands from "./_irc_commands.ts";

const log = new Logger("tw.words.irc");

/** NickServ's prefix, which asks for passwords (Twisted's `NICKSERV`). */
export const NICKSERV = "NickServ!NickServ@services";
/** The longest nickname accepted. */
export const NICKLEN = 30;
const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;
const BEFORE_LOGIN = new Set([
  "CAP",
  "PASS",
  "NICK",
  "USER",
  "AUTHENTICATE",
  "PING",
  "PONG",
  "QUIT",
  "PRIVMSG",
]);
const MAX_QUEUED = 256;

/**
 * One client connection to the words service (Twisted's `IRCUser`): an
 * `IRC` protocol and an `IChatClient`. Registration needs NICK and USER
 * (and CAP END when CAP was used); the password comes from SASL PLAIN,
 * PASS, or a PRIVMSG to NickServ as in Twisted. Commands are handled in
 * order; reading pauses while 256 wait.
 *
 * @example
 * ```ts
 * import { InMemoryWordsRealm, IRCFactory } from "@tw/core/words";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 * import { StringTransportWithDisconnection } from "@tw/core/testing";
 * import { IPv4Address } from "@tw/core";
 *
 * const realm = new InMemoryWordsRealm("irc.example");
 * const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })]);
 * const user = new IRCFactory(realm, portal).buildProtocol(new IPv4Address("TCP", "127.0.0.1", 1))!;
 * const transport = new StringTransportWithDisconnection();
 * transport.protocol = user;
 * user.makeConnection(transport);
 * user.dataReceived(new TextEncoder().encode("PASS pw\r\nNICK alice\r\nUSER a 0 * :Alice\r\n"));
 * await new Promise((r) => setTimeout(r, 0));
 * console.log(transport.valueText().includes(" 001 alice ")); // true
 * transport.loseConnection(); // logs out and stops the timers
 * ```
 */
export class IRCUser extends IRC implements IChatClient {
  /** The name messages are addressed to: the nickname, `*` before one. */
  name = "*";
  /** The nickname given, until logged in. */
  nickname: string | null = null;
  /** The PASS password, until used. */
  password: string | null = null;
  /** The user name from USER. */
  username = "";
  /** The real name from USER. */
  realname = "";
  /** The avatar once logged in. */
  avatar: IUser | null = null;
  /** The realm. */
  realm: WordsRealm | null = null;
  /** Capabilities this client enabled. */
  enabledCapabilities: Set<string> = new Set();
  /** The account SASL logged into. */
  account: string | null = null;
  /** True once the welcome was sent. */
  registered = false;
  #logout: Logout | null = null;
  #gotUser = false;
  #capNegotiating = false;
  #loggingIn = false;
  #sasl = new SaslExchange();
  #queue: [string, string, string[], Tags][] = [];
  #busy = false;
  #paused = false;
  #lost = false;
  #timer: IDelayedCall | null = null;
  #pinged = false;
  #out = new OutputHold(this, (bytes) => this.#writeNow(bytes));

  /** The factory, with the realm and portal. */
  get ircFactory(): IRCFactory {
    return this.factory as unknown as IRCFactory;
  }

  /**
   * Takes the realm's name as the server name, turns off Nagle's algorithm
   * (chat is interactive) and starts the registration timer.
   */
  override connectionMade(): void {
    super.connectionMade();
    (this.transport as { setTcpNoDelay?: (on: boolean) => void }).setTcpNoDelay?.(true);
    this.realm = this.ircFactory.realm;
    this.hostname = this.realm.name;
    const limit = this.ircFactory.registrationTimeout;
    if (limit > 0) this.#schedule(limit, () => this.#close("Registration timed out"));
  }

  /** Logs out (leaving every group). */
  override connectionLost(reason?: Failure): void {
    super.connectionLost(reason);
    this.#lost = true;
    this.#queue = [];
    this.#out.drop();
    this.#timer?.cancel();
    this.#timer = null;
    const logout = this.#logout;
    this.#logout = null;
    this.avatar = null;
    logout?.();
  }

  /**
   * Takes bytes; any input counts as activity for the PING timer. What
   * other clients are sent meanwhile goes out in one write each.
   */
  override dataReceived(data: Uint8Array): void {
    if (this.registered && !this.#lost) this.#idle();
    holdingOutput(this, () => super.dataReceived(data));
  }

  /** Sends an encoded line, held while another client's input is handled. */
  override sendEncodedLine(bytes: Uint8Array): void {
    if (!this.#out.hold(bytes)) super.sendEncodedLine(bytes);
  }

  #writeNow(bytes: Uint8Array): void {
    super.sendEncodedLine(bytes);
  }

  #schedule(seconds: number, fn: () => void): void {
    this.#timer?.cancel();
    this.#timer = (this.ircFactory.clock ?? getReactor()).callLater(seconds, () => {
      this.#timer = null;
      fn();
    });
  }

  #idle(): void {
    const interval = this.ircFactory.pingInterval;
    this.#pinged = false;
    if (interval <= 0) {
      this.#timer?.cancel();
      this.#timer = null;
      return;
    }
    this.#schedule(interval, () => {
      if (this.#pinged) return this.#close(`Ping timeout: ${interval} seconds`);
      this.#pinged = true;
      this.sendCommand("PING", [":" + this.hostname]);
      this.#schedule(interval, () => this.#close(`Ping timeout: ${interval} seconds`));
    });
  }

  #close(reason: string): void {
    if (this.#lost) return;
    this.sendLine(`ERROR :Closing Link: ${this.name} (${reason})`);
    this.transport.loseConnection();
  }

  /** This client's `nick!user@host`. */
  get prefix(): string {
    return this.mask(this.name);
  }

  /** `name!name@host` for a user of this server (Twisted's form). */
  mask(name: string): string {
    return `${name}!${name}@${this.hostname}`;
  }

  /** Sends a numeric or command from the server, addressed to this client. */
  reply(command: string, ...params: string[]): void {
    this.sendCommand(command, [this.name, ...params], { prefix: this.hostname });
  }

  /** Answers a line over 512 bytes with 417. */
  override lineTooLong(): void {
    this.reply("417", ":Input line was too long");
  }

  /** Runs commands one at a time, in order; reading pauses while many wait. */
  override handleCommand(command: string, prefix: string, params: string[], tags: Tags = {}): void {
    if (this.#busy || this.#queue.length > 0) {
      this.#queue.push([command, prefix, params, tags]);
      if (this.#queue.length >= MAX_QUEUED && !this.#paused) {
        this.#paused = true;
        this.transport.pauseProducing?.();
      }
      return;
    }
    this.#run(command, prefix, params, tags);
  }

  #run(command: string, prefix: string, params: string[], tags: Tags): void {
    if (this.#lost) return;
    if (!this.registered && !BEFORE_LOGIN.has(command)) {
      this.reply("451", ":You have not registered");
      return;
    }
    const method = (this as unknown as Record<string, unknown>)[`irc_${command}`];
    let result: unknown;
    try {
      if (/^[A-Z]+$/.test(command) && typeof method === "function") {
        result = (method as (p: string, a: string[], t: Tags) => unknown).call(
          this,
          prefix,
          params,
          tags,
        );
      } else this.irc_unknown(prefix, command, params, tags);
    } catch (error) {
      log.failure("Error handling IRC {command}", error, "error", { command });
    }
    if (result && typeof (result as PromiseLike<void>).then === "function") {
      this.#busy = true;
      (result as PromiseLike<void>).then(() => this.#next(), (error: unknown) => {
        log.failure("Error handling IRC {command}", error, "error", { command });
        this.#next();
      });
    }
  }

  #next(): void {
    this.#busy = false;
    while (!this.#busy && this.#queue.length > 0 && !this.#lost) {
      this.#run(...this.#queue.shift()!);
    }
    if (this.#paused && this.#queue.length === 0 && !this.#lost) {
      this.#paused = false;
      this.transport.resumeProducing?.();
    }
  }

  /** 421 for commands the server does not know. */
  override irc_unknown(_prefix: string, command: string, _params: string[], _tags: Tags): void {
    this.reply("421", command.slice(0, 32), ":Unknown command");
  }

  // ---- registration ----

  /** PASS: the password for registration. */
  irc_PASS(_prefix: string, params: string[]): void {
    if (this.registered) return this.reply("462", ":You may not reregister");
    this.password = params[params.length - 1] ?? null;
  }

  /** NICK: the nickname (checked, 432/433); changes after login are refused (484). */
  async irc_NICK(_prefix: string, params: string[]): Promise<void> {
    const nick = params[0] ?? "";
    if (nick === "") return this.reply("431", ":No nickname given");
    if (this.registered) return this.reply("484", ":Nickname changes are not supported");
    if (nick.length > NICKLEN || !NICK.test(nick)) {
      return this.reply("432", nick.slice(0, 64), ":Erroneous nickname");
    }
    if (this.account !== null && nick.toLowerCase() !== this.account.toLowerCase()) {
      return this.reply("902", ":You must use a nick assigned to you");
    }
    try {
      const user = await this.realm!.lookupUser(nick);
      if (user.mind !== null && user.mind !== this) {
        return this.reply("433", nick, ":Nickname is already in use");
      }
    } catch (error) {
      if (!(error instanceof NoSuchUser)) throw error;
    }
    this.nickname = nick;
    this.name = nick;
    await this.#maybeRegister();
  }

  /** USER: user name and real name. */
  async irc_USER(_prefix: string, params: string[]): Promise<void> {
    if (this.registered) return this.reply("462", ":You may not reregister");
    if (params.length < 4) return this.reply("461", "USER", ":Not enough parameters");
    this.username = params[0].slice(0, 16);
    this.realname = params[3].slice(0, 128);
    this.#gotUser = true;
    await this.#maybeRegister();
  }

  /** CAP: LS, LIST, REQ and END (CAP 302). */
  async irc_CAP(_prefix: string, params: string[]): Promise<void> {
    const sub = (params[0] ?? "").toUpperCase();
    const offered = ["message-tags", "server-time", "sasl"];
    switch (sub) {
      case "LS": {
        if (!this.registered) this.#capNegotiating = true;
        const v302 = Number.parseInt(params[1] ?? "0", 10) >= 302;
        const caps = offered.map((c) => (c === "sasl" && v302 ? "sasl=PLAIN" : c));
        return this.sendCommand("CAP", [this.name, "LS", ":" + caps.join(" ")], {
          prefix: this.hostname,
        });
      }
      case "LIST":
        return this.sendCommand("CAP", [
          this.name,
          "LIST",
          ":" + [...this.enabledCapabilities].join(" "),
        ], {
          prefix: this.hostname,
        });
      case "REQ": {
        if (!this.registered) this.#capNegotiating = true;
        const text = params[1] ?? "";
        const asked = text.split(" ").filter((c) => c !== "");
        const ok = asked.length > 0 &&
          asked.every((c) => offered.includes(c.replace(/^-/, "")));
        if (ok) {
          for (const c of asked) {
            if (c.startsWith("-")) this.enabledCapabilities.delete(c.slice(1));
            else this.enabledCapabilities.add(c);
          }
        }
        return this.sendCommand("CAP", [this.name, ok ? "ACK" : "NAK", ":" + text.slice(0, 400)], {
          prefix: this.hostname,
        });
      }
      case "END":
        if (!this.#capNegotiating) return;
        this.#capNegotiating = false;
        return await this.#maybeRegister();
      default:
        return this.reply("410", sub.slice(0, 16) || "*", ":Invalid CAP command");
    }
  }

  /** AUTHENTICATE: SASL PLAIN through the portal (900/903, or 904-908). */
  async irc_AUTHENTICATE(_prefix: string, params: string[]): Promise<void> {
    if (!this.enabledCapabilities.has("sasl")) {
      return this.reply("904", ":SASL authentication failed");
    }
    if (this.account !== null || this.registered) {
      return this.reply("907", ":You have already authenticated using SASL");
    }
    const step = this.#sasl.step(params[0] ?? "");
    switch (step.kind) {
      case "challenge":
        return this.sendCommand("AUTHENTICATE", ["+"]);
      case "continue":
        return;
      case "abort":
        return this.reply("906", ":SASL authentication aborted");
      case "badMechanism":
        this.reply("908", "PLAIN", ":are available SASL mechanisms");
        return this.reply("904", ":SASL authentication failed");
      case "tooLong":
        return this.reply("905", ":SASL message too long");
      case "fail":
        return this.reply("904", ":SASL authentication failed");
    }
    const { authcid, passwd } = step.response;
    if (this.nickname !== null && this.nickname.toLowerCase() !== authcid.toLowerCase()) {
      this.reply("902", ":You must use a nick assigned to you");
      return this.reply("904", ":SASL authentication failed");
    }
    if (!(await this.#login(authcid, passwd, false))) {
      return this.reply("904", ":SASL authentication failed");
    }
    this.account = authcid;
    this.reply(
      "900",
      this.mask(this.nickname ?? authcid),
      authcid,
      `:You are now logged in as ${authcid}`,
    );
    this.reply("903", ":SASL authentication successful");
  }

  async #maybeRegister(): Promise<void> {
    if (this.registered || this.#loggingIn || this.#capNegotiating) return;
    if (this.nickname === null || !this.#gotUser) return;
    if (this.avatar !== null) return this.#welcome();
    if (this.password !== null) {
      const password = this.password;
      this.password = null;
      if (await this.#login(this.nickname, password, true)) this.#welcome();
      return;
    }
    this.privmsg(NICKSERV, this.nickname, "Password?");
  }

  /** NickServ's PRIVMSG before login: the password (Twisted's `irc_NICKSERV_PRIVMSG`). */
  async irc_NICKSERV_PRIVMSG(_prefix: string, params: string[]): Promise<void> {
    if (this.nickname === null || !this.#gotUser) {
      return this.reply("451", ":You have not registered");
    }
    if ((params[0] ?? "").toLowerCase() !== "nickserv") {
      this.privmsg(NICKSERV, this.nickname, "Denied.  Please send me (NickServ) your password.");
      return;
    }
    if (this.#loggingIn) return;
    if (await this.#login(this.nickname, params[params.length - 1] ?? "", true)) this.#welcome();
  }

  async #login(name: string, password: string, closeOnFailure: boolean): Promise<boolean> {
    this.#loggingIn = true;
    try {
      const [, avatar, logout] = await this.ircFactory.portal.login(
        new UsernamePassword(name, password),
        this,
        IUser,
      );
      if (this.#lost) {
        logout();
        return false;
      }
      this.avatar = avatar as IUser;
      this.#logout = logout;
      this.name = this.nickname ?? name;
      return true;
    } catch (error) {
      if (!closeOnFailure) {
        if (!(error instanceof UnauthorizedLogin) && !(error instanceof AlreadyLoggedIn)) {
          log.failure("Error during login", error, "error");
        }
        return false;
      }
      if (error instanceof AlreadyLoggedIn) {
        this.privmsg(NICKSERV, name, "Already logged in.  No pod people allowed!");
      } else if (error instanceof UnauthorizedLogin) {
        this.reply("464", ":Password incorrect");
        this.privmsg(NICKSERV, name, "Login failed.  Goodbye.");
      } else {
        log.failure("Error during login", error, "error");
        this.privmsg(NICKSERV, name, "Server error during login.  Sorry.");
      }
      this.transport.loseConnection();
      return false;
    } finally {
      this.#loggingIn = false;
    }
  }

  #welcome(): void {
    const info = this.ircFactory.serverInfo;
    this.registered = true;
    this.#idle();
    this.nickname = null;
    this.reply("001", `:Welcome to the ${info.serviceName} IRC network, ${this.prefix}`);
    this.reply("002", `:Your host is ${info.serviceName}, running version ${info.serviceVersion}`);
    this.reply("003", `:This server was created ${info.creationDate}`);
    this.reply("004", info.serviceName, info.serviceVersion, "w", "n");
    this.reply(
      "005",
      "CHANTYPES=#",
      `NICKLEN=${NICKLEN}`,
      "CASEMAPPING=ascii",
      `NETWORK=${info.serviceName.replace(/[^A-Za-z0-9.-]/g, "")}`,
      `CHANNELLEN=${commands.CHANNELLEN}`,
      `CHANLIMIT=#:${commands.CHANLIMIT}`,
      "PREFIX=",
      "CHANMODES=,,,",
      "TARGMAX=PRIVMSG:4,NOTICE:4",
      ":are supported by this server",
    );
    this.reply("375", `:- ${info.serviceName} Message of the Day - `);
    this.reply("376", ":End of /MOTD command.");
  }

  // ---- after login ----

  /** PRIVMSG: to `#group` or a user; before login, the password for NickServ. */
  irc_PRIVMSG(prefix: string, params: string[], tags: Tags): Promise<void> | void {
    if (!this.registered) return this.irc_NICKSERV_PRIVMSG(prefix, params);
    return commands.message(this, "PRIVMSG", params, tags);
  }

  /** NOTICE: as PRIVMSG, never answered with an error. */
  irc_NOTICE(_prefix: string, params: string[], tags: Tags): Promise<void> | void {
    return commands.message(this, "NOTICE", params, tags);
  }

  /** PING: `PONG server :token`. */
  irc_PING(_prefix: string, params: string[]): void {
    this.sendCommand("PONG", [this.hostname!, ":" + (params[params.length - 1] ?? "")], {
      prefix: this.hostname,
    });
  }

  /** PONG: ignored. */
  irc_PONG(): void {}

  /** QUIT: closes the connection. */
  irc_QUIT(_prefix: string, params: string[]): void {
    this.sendLine(`ERROR :Closing Link: ${this.name} (${(params[0] ?? "Quit").slice(0, 200)})`);
    this.transport.loseConnection();
  }

  /** JOIN: joins groups (`#a,#b`); `JOIN 0` leaves all. */
  irc_JOIN(_prefix: string, params: string[]): Promise<void> {
    return commands.join(this, params);
  }
  /** PART: leaves groups. */
  irc_PART(_prefix: string, params: string[]): Promise<void> {
    return commands.part(this, params);
  }
  /** NAMES: a group's members. */
  irc_NAMES(_prefix: string, params: string[]): Promise<void> {
    return commands.names(this, params);
  }
  /** TOPIC: shows or sets a group's topic. */
  irc_TOPIC(_prefix: string, params: string[]): Promise<void> {
    return commands.topic(this, params);
  }
  /** LIST: groups with their size and topic. */
  irc_LIST(_prefix: string, params: string[]): Promise<void> {
    return commands.list(this, params);
  }
  /** WHO: a group's members or a user. */
  irc_WHO(_prefix: string, params: string[]): Promise<void> {
    return commands.who(this, params);
  }
  /** WHOIS: a user. */
  irc_WHOIS(_prefix: string, params: string[]): Promise<void> {
    return commands.whois(this, params);
  }
  /** MODE: no modes are supported; shows `+`. */
  irc_MODE(_prefix: string, params: string[]): Promise<void> {
    return commands.mode(this, params);
  }
  /** AWAY: 305/306. */
  irc_AWAY(_prefix: string, params: string[]): void {
    if ((params[0] ?? "") === "") this.reply("305", ":You are no longer marked as being away");
    else this.reply("306", ":You have been marked as being away");
  }
  /** USERHOST: an empty answer. */
  irc_USERHOST(): void {
    this.reply("302", ":");
  }
  /** OPER: no operators here. */
  irc_OPER(): void {
    this.reply("491", ":O-lines not applicable");
  }

  // ---- IChatClient ----

  /** Someone joined a group this client is in. */
  userJoined(group: IGroup, user: IChatClient): void {
    this.join(this.mask(user.name), "#" + group.name);
  }

  /** Someone left a group this client is in. */
  userLeft(group: IGroup, user: IChatClient, reason?: string): void {
    this.part(this.mask(user.name), "#" + group.name, reason || "leaving");
  }

  /**
   * A message for this client: one line per line of text, cut to fit 512
   * bytes with the sender's prefix; client tags only when message-tags is
   * enabled, `time` with server-time.
   */
  receive(sender: IChatClient, recipient: IGroup | IChatClient, message: WordsMessage): void {
    const target = isGroup(recipient) ? "#" + recipient.name : recipient.name;
    const command = (message as { notice?: boolean }).notice ? "NOTICE" : "PRIVMSG";
    // One message goes to every member of a group: format and encode it once.
    const relay = relayLines(message, command, target, sender.name, this.hostname);
    const caps = this.enabledCapabilities;
    const lines = encodedLines(relay, message, caps.has("message-tags"), caps.has("server-time"));
    for (const bytes of lines) this.sendEncodedLine(bytes);
  }

  /** A group's topic changed. */
  groupMetaUpdate(group: IGroup, meta: GroupMeta): void {
    if (!("topic" in meta)) return;
    const author = String(meta.topic_author ?? "");
    this.topic(this.name, "#" + group.name, String(meta.topic), this.mask(author));
  }
}
