/**
 * `IRCClient`: Twisted's IRC client protocol (`twisted.words.protocols.irc.IRCClient`):
 * the events a bot overrides and CTCP. Private: re-exported by `mod.ts`.
 * @module
 */
import { Logger } from "../../logger/mod.ts";
import { IRCClientCore } from "./_client_core.ts";
import { ctcpExtract, type CtcpMessage, ctcpStringify, X_DELIM } from "./_ctcp.ts";
import { IRCBadModes, parseModes, type Tags } from "./_wire.ts";

const log = new Logger("tw.words.irc");

function nickOf(prefix: string): string {
  return prefix.split("!", 1)[0];
}

/**
 * An IRC client (Twisted's `IRCClient`): subclass it, override callbacks
 * (`signedOn`, `privmsg`, `joined` ...) and call commands (`join`, `say`,
 * `msg` ...). Lines are split at LF before decoding (invalid UTF-8 reads as
 * latin-1); `irc_<COMMAND>` methods (numerics by their names, e.g.
 * `irc_RPL_WELCOME`) get `(prefix, params, tags)`; unknown ones go to
 * `irc_unknown`. `privmsg`, `noticed` and `action` get the message's tags
 * last (`{}` when none; `tags.time` with server-time). Beyond Twisted:
 * CAP 302 (`capabilities`, `enabledCapabilities`), SASL (`sasl`), message
 * tags, a token bucket (`lineBurst`, `lineRate`, `maxQueuedLines`), and at
 * most one CTCP reply per nick and second. Unlike Twisted, lines are not
 * passed through `lowDequote` (no server quotes that way, and it mangled
 * `\x10` in text).
 *
 * @example
 * ```ts
 * import { IRCClient } from "@tw/core/words/irc";
 * import { StringTransport } from "@tw/core/testing";
 *
 * class Bot extends IRCClient {
 *   override nickname = "bot";
 *   override signedOn(): void {
 *     this.join("#test");
 *   }
 *   override privmsg(user: string, channel: string, message: string): void {
 *     if (message === "!ping") this.say(channel, "pong");
 *   }
 * }
 * const bot = new Bot();
 * bot.heartbeatInterval = null;
 * const transport = new StringTransport();
 * bot.makeConnection(transport);
 * bot.dataReceived(new TextEncoder().encode(":srv 001 bot :Welcome\r\n"));
 * console.log(transport.valueText().includes("JOIN #test")); // true
 * ```
 */
export class IRCClient extends IRCClientCore {
  #pings = new Map<string, number>();
  #ctcpReplies = new Map<string, number>();

  /** Sends a CTCP ACTION (`/me`). */
  describe(channel: string, action: string): void {
    this.ctcpMakeQuery(channel, [["ACTION", action]]);
  }

  /** Sends a CTCP PING; `pong(user, secs)` gets the round trip. */
  ping(user: string, text?: string): void {
    const key = text ?? Math.random().toString(36).slice(2, 14);
    if (this.#pings.size >= 100) this.#pings.delete(this.#pings.keys().next().value!);
    this.#pings.set(`${user}\0${key}`, this.reactorTime().seconds());
    this.ctcpMakeQuery(user, [["PING", key]]);
  }

  // ---- CTCP ----

  /** Sends CTCP queries in a PRIVMSG. */
  ctcpMakeQuery(user: string, messages: CtcpMessage[]): void {
    this.msg(user, ctcpStringify(messages));
  }

  /** Sends CTCP replies in a NOTICE. */
  ctcpMakeReply(user: string, messages: CtcpMessage[]): void {
    this.notice(user, ctcpStringify(messages));
  }

  /** Whether another CTCP reply to this nick is allowed now (one per nick and second). */
  #mayReply(nick: string): boolean {
    const now = this.reactorTime().seconds();
    const last = this.#ctcpReplies.get(nick);
    if (last !== undefined && now - last < 1) return false;
    if (this.#ctcpReplies.size >= 1000) {
      for (const [k, t] of this.#ctcpReplies) if (now - t >= 1) this.#ctcpReplies.delete(k);
      if (this.#ctcpReplies.size >= 1000) return false;
    }
    this.#ctcpReplies.set(nick, now);
    return true;
  }

  /** Dispatches CTCP queries to `ctcpQuery_<TAG>` or `ctcpUnknownQuery`. */
  ctcpQuery(user: string, channel: string, messages: CtcpMessage[], tags: Tags = {}): void {
    for (const [tag, data] of messages) {
      if (tag === "ACTION") {
        this.action(user, channel, data ?? "", tags);
        continue;
      }
      const method = (this as unknown as Record<string, unknown>)[`ctcpQuery_${tag}`];
      if (typeof method !== "function") {
        this.ctcpUnknownQuery(user, channel, tag, data);
        continue;
      }
      if (!this.#mayReply(nickOf(user))) continue;
      (method as (u: string, c: string, d: string | null) => void).call(this, user, channel, data);
    }
  }

  /** Answers CTCP PING with the same data. */
  ctcpQuery_PING(user: string, _channel: string, data: string | null): void {
    this.ctcpMakeReply(nickOf(user), [["PING", data]]);
  }

  /** Answers CTCP VERSION with `versionName:versionNum:versionEnv` (when `versionName`). */
  ctcpQuery_VERSION(user: string, _channel: string, _data: string | null): void {
    if (this.versionName === null) return;
    this.ctcpMakeReply(nickOf(user), [[
      "VERSION",
      `${this.versionName}:${this.versionNum ?? ""}:${this.versionEnv ?? ""}`,
    ]]);
  }

  /** Answers CTCP TIME with the local time. */
  ctcpQuery_TIME(user: string, _channel: string, _data: string | null): void {
    const when = new Date(this.reactorTime().seconds() * 1000);
    this.ctcpMakeReply(nickOf(user), [["TIME", ":" + when.toUTCString()]]);
  }

  /** Answers CTCP CLIENTINFO with the queries answered. */
  ctcpQuery_CLIENTINFO(user: string, _channel: string, _data: string | null): void {
    this.ctcpMakeReply(nickOf(user), [[
      "CLIENTINFO",
      "ACTION CLIENTINFO PING SOURCE TIME USERINFO VERSION",
    ]]);
  }

  /** Answers CTCP SOURCE with `sourceURL`. */
  ctcpQuery_SOURCE(user: string, _channel: string, _data: string | null): void {
    this.ctcpMakeReply(nickOf(user), [["SOURCE", this.sourceURL]]);
  }

  /** Answers CTCP USERINFO with `userinfo` (when set). */
  ctcpQuery_USERINFO(user: string, _channel: string, _data: string | null): void {
    if (this.userinfo !== null) {
      this.ctcpMakeReply(nickOf(user), [["USERINFO", ":" + this.userinfo]]);
    }
  }

  /** Answers CTCP FINGER with `fingerReply` (when set). */
  ctcpQuery_FINGER(user: string, _channel: string, _data: string | null): void {
    if (this.fingerReply !== null) this.ctcpMakeReply(nickOf(user), [["FINGER", this.fingerReply]]);
  }

  /** Called for a CTCP query nobody answers. */
  ctcpUnknownQuery(_user: string, _channel: string, _tag: string, _data: string | null): void {}

  /** Dispatches CTCP replies (NOTICE) to `ctcpReply_<TAG>`. */
  ctcpReply(user: string, channel: string, messages: CtcpMessage[]): void {
    for (const [tag, data] of messages) {
      const method = (this as unknown as Record<string, unknown>)[`ctcpReply_${tag}`];
      if (typeof method === "function") {
        (method as (u: string, c: string, d: string | null) => void).call(
          this,
          user,
          channel,
          data,
        );
      }
    }
  }

  /** Matches a PING reply with our `ping` and calls `pong`. */
  ctcpReply_PING(user: string, _channel: string, data: string | null): void {
    const nick = nickOf(user);
    const key = `${nick}\0${data ?? ""}`;
    const start = this.#pings.get(key);
    if (start === undefined) return;
    this.#pings.delete(key);
    this.pong(user, this.reactorTime().seconds() - start);
  }

  // ---- callbacks (override these) ----

  /** 003: when the server was created. */
  created(_when: string): void {}
  /** 002: the server's host. */
  yourHost(_info: string): void {}
  /** 004: server name, version, user modes and channel modes. */
  myInfo(_servername: string, _version: string, _umodes: string, _cmodes: string): void {}
  /** 251: user counts. */
  luserClient(_info: string): void {}
  /** 010: the server suggests another one. */
  bounce(_info: string): void {}
  /** 005: the features just announced (also parsed into `supported`). */
  isupport(_options: string[]): void {}
  /** 254: channel count. */
  luserChannels(_channels: number): void {}
  /** 252: operator count. */
  luserOp(_ops: number): void {}
  /** 255: local clients and servers. */
  luserMe(_info: string): void {}
  /** A PRIVMSG to a channel or to us (`channel` is our nick then). */
  privmsg(_user: string, _channel: string, _message: string, _tags: Tags): void {}
  /** We joined a channel. */
  joined(_channel: string): void {}
  /** We left a channel. */
  left(_channel: string): void {}
  /** A NOTICE. */
  noticed(_user: string, _channel: string, _message: string, _tags: Tags): void {}
  /** Modes changed on a channel or user: `set` tells added or removed, `args` their parameters. */
  modeChanged(
    _user: string,
    _channel: string,
    _set: boolean,
    _modes: string,
    _args: (string | null)[],
  ): void {}
  /** A CTCP PING reply for our `ping`: the round trip in seconds. */
  pong(_user: string, _secs: number): void {}
  /** We were kicked. */
  kickedFrom(_channel: string, _kicker: string, _message: string): void {}
  /** Our nick changed. */
  nickChanged(nick: string): void {
    this.nickname = nick;
  }
  /** Someone joined a channel we are on. */
  userJoined(_user: string, _channel: string): void {}
  /** Someone left a channel we are on. */
  userLeft(_user: string, _channel: string): void {}
  /** Someone quit. */
  userQuit(_user: string, _quitMessage: string): void {}
  /** Someone was kicked. */
  userKicked(_kickee: string, _channel: string, _kicker: string, _message: string): void {}
  /** A CTCP ACTION (`/me`). */
  action(_user: string, _channel: string, _data: string, _tags: Tags): void {}
  /** A channel's topic, on joining or when changed. */
  topicUpdated(_user: string, _channel: string, _newTopic: string): void {}
  /** Someone changed nick. */
  userRenamed(_oldname: string, _newname: string): void {}
  /** The whole MOTD arrived. */
  receivedMOTD(_motd: string[]): void {}

  // ---- server messages ----

  /** JOIN: `joined` for us, `userJoined` for others. */
  irc_JOIN(prefix: string, params: string[]): void {
    const nick = nickOf(prefix);
    const channel = params[0] ?? "";
    if (nick === this.nickname) this.joined(channel);
    else this.userJoined(nick, channel);
  }

  /** PART: `left` for us, `userLeft` for others. */
  irc_PART(prefix: string, params: string[]): void {
    const nick = nickOf(prefix);
    const channel = params[0] ?? "";
    if (nick === this.nickname) this.left(channel);
    else this.userLeft(nick, channel);
  }

  /** QUIT: `userQuit`. */
  irc_QUIT(prefix: string, params: string[]): void {
    this.userQuit(nickOf(prefix), params[0] ?? "");
  }

  /** MODE: parsed with the server's PREFIX and CHANMODES, then `modeChanged`. */
  irc_MODE(user: string, params: string[]): void {
    const [channel = "", rawModes = ""] = params;
    const args = params.slice(2);
    const modes = rawModes.startsWith("+") || rawModes.startsWith("-") ? rawModes : "+" + rawModes;
    const paramModes: [string, string] = channel === this.nickname
      ? this.getUserModeParams()
      : this.getChannelModeParams();
    let added, removed;
    try {
      [added, removed] = parseModes(modes, args, paramModes);
    } catch (error) {
      if (!(error instanceof IRCBadModes)) throw error;
      log.warn("Bad MODE from {user}: {error}", { user, error: error.message });
      return;
    }
    if (added.length > 0) {
      this.modeChanged(
        user,
        channel,
        true,
        added.map((m) => m[0]).join(""),
        added.map((m) => m[1]),
      );
    }
    if (removed.length > 0) {
      const [m, a] = [removed.map((x) => x[0]).join(""), removed.map((x) => x[1])];
      this.modeChanged(user, channel, false, m, a);
    }
  }

  /** The modes that take a parameter on a channel when added and when removed. */
  getChannelModeParams(): [string, string] {
    const prefixes = this.supported.getFeature<Record<string, unknown>>("PREFIX") ?? {};
    let add = Object.keys(prefixes).join("");
    let remove = add;
    const chanmodes = this.supported.getFeature<Record<string, string>>("CHANMODES");
    if (chanmodes !== null) {
      add += (chanmodes.addressModes ?? "") + (chanmodes.param ?? "");
      remove = add;
      add += chanmodes.setParam ?? "";
    }
    return [add, remove];
  }

  /** The modes that take a parameter on a user (none). */
  getUserModeParams(): [string, string] {
    return ["", ""];
  }

  /** PRIVMSG: CTCP queries to `ctcpQuery`, text to `privmsg`. */
  irc_PRIVMSG(prefix: string, params: string[], tags: Tags = {}): void {
    const channel = params[0] ?? "";
    let message = params[params.length - 1] ?? "";
    if (params.length < 2 || message === "") return;
    if (message.includes(X_DELIM)) {
      const { extended, normal } = ctcpExtract(message);
      if (extended.length > 0) this.ctcpQuery(prefix, channel, extended, tags);
      if (normal.length === 0) return;
      message = normal.join(" ");
    }
    this.privmsg(prefix, channel, message, tags);
  }

  /** NOTICE: CTCP replies to `ctcpReply`, text to `noticed`. */
  irc_NOTICE(prefix: string, params: string[], tags: Tags = {}): void {
    const channel = params[0] ?? "";
    let message = params[params.length - 1] ?? "";
    if (params.length < 2) return;
    if (message.includes(X_DELIM)) {
      const { extended, normal } = ctcpExtract(message);
      if (extended.length > 0) this.ctcpReply(prefix, channel, extended);
      if (normal.length === 0) return;
      message = normal.join(" ");
    }
    this.noticed(prefix, channel, message, tags);
  }

  /** NICK: `nickChanged` for us, `userRenamed` for others. */
  irc_NICK(prefix: string, params: string[]): void {
    const nick = nickOf(prefix);
    const next = params[0] ?? "";
    if (nick === this.nickname) this.nickChanged(next);
    else this.userRenamed(nick, next);
  }

  /** KICK: `kickedFrom` for us, `userKicked` for others. */
  irc_KICK(prefix: string, params: string[]): void {
    const kicker = nickOf(prefix);
    const [channel = "", kicked = ""] = params;
    const message = params[params.length - 1] ?? "";
    if (kicked.toLowerCase() === this.nickname.toLowerCase()) {
      this.kickedFrom(channel, kicker, message);
    } else this.userKicked(kicked, channel, kicker, message);
  }

  /** TOPIC: `topicUpdated`. */
  irc_TOPIC(prefix: string, params: string[]): void {
    this.topicUpdated(nickOf(prefix), params[0] ?? "", params[1] ?? "");
  }

  /** 332: the topic on joining. */
  irc_RPL_TOPIC(prefix: string, params: string[]): void {
    this.topicUpdated(nickOf(prefix), params[1] ?? "", params[2] ?? "");
  }

  /** 331: no topic. */
  irc_RPL_NOTOPIC(prefix: string, params: string[]): void {
    this.topicUpdated(nickOf(prefix), params[1] ?? "", "");
  }

  /** 375: MOTD starts. */
  irc_RPL_MOTDSTART(_prefix: string, params: string[]): void {
    this.motd = [params[params.length - 1] ?? ""];
  }

  /** 372: an MOTD line (at most 1,000 kept). */
  irc_RPL_MOTD(_prefix: string, params: string[]): void {
    this.motd ??= [];
    if (this.motd.length < 1000) this.motd.push(params[params.length - 1] ?? "");
  }

  /** 376: MOTD complete; `receivedMOTD`. */
  irc_RPL_ENDOFMOTD(_prefix: string, _params: string[]): void {
    const motd = this.motd ?? [];
    this.motd = null;
    this.receivedMOTD(motd);
  }

  /** 002. */
  irc_RPL_YOURHOST(_prefix: string, params: string[]): void {
    this.yourHost(params[1] ?? "");
  }
  /** 003. */
  irc_RPL_CREATED(_prefix: string, params: string[]): void {
    this.created(params[1] ?? "");
  }
  /** 004. */
  irc_RPL_MYINFO(_prefix: string, params: string[]): void {
    const [, servername = "", version = "", umodes = "", cmodes = ""] = params;
    this.myInfo(servername, version, umodes, cmodes);
  }
  /** 005: parsed into `supported`; `isupport`. */
  irc_RPL_ISUPPORT(_prefix: string, params: string[]): void {
    const args = params.slice(1, -1);
    this.supported.parse(args);
    this.isupport(args);
  }
  /** 010. */
  irc_RPL_BOUNCE(_prefix: string, params: string[]): void {
    this.bounce(params[1] ?? "");
  }
  /** 251. */
  irc_RPL_LUSERCLIENT(_prefix: string, params: string[]): void {
    this.luserClient(params[1] ?? "");
  }
  /** 252. */
  irc_RPL_LUSEROP(_prefix: string, params: string[]): void {
    this.luserOp(Number.parseInt(params[1] ?? "", 10) || 0);
  }
  /** 254. */
  irc_RPL_LUSERCHANNELS(_prefix: string, params: string[]): void {
    this.luserChannels(Number.parseInt(params[1] ?? "", 10) || 0);
  }
  /** 255. */
  irc_RPL_LUSERME(_prefix: string, params: string[]): void {
    this.luserMe(params[1] ?? "");
  }
}
