// A recording IRCClient for the socket tests: every callback lands in `events`, and
// `waitFor` resolves when a matching event arrives (or rejects after a timeout).
import { IRCClient, type Tags } from "../../../src/words/irc/mod.ts";

export type BotEvent = [string, ...unknown[]];

export class TestBot extends IRCClient {
  events: BotEvent[] = [];
  #waiters: { match: (e: BotEvent) => boolean; resolve: (e: BotEvent) => void }[] = [];
  lost: Promise<void>;
  #lost!: () => void;

  constructor(options: Partial<IRCClient> = {}) {
    super();
    this.heartbeatInterval = null;
    Object.assign(this, options);
    this.lost = new Promise((r) => (this.#lost = r));
  }

  record(...event: BotEvent): void {
    this.events.push(event);
    for (const w of [...this.#waiters]) {
      if (w.match(event)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  }

  waitFor(
    name: string,
    match: (e: BotEvent) => boolean = () => true,
    ms = 10000,
  ): Promise<BotEvent> {
    const found = this.events.find((e) => e[0] === name && match(e));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `timed out waiting for ${name}; events: ${JSON.stringify(this.events).slice(0, 2000)}`,
          ),
        );
      }, ms);
      this.#waiters.push({
        match: (e) => e[0] === name && match(e),
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  override connectionLost(reason?: Parameters<IRCClient["connectionLost"]>[0]): void {
    super.connectionLost(reason);
    this.record("lost");
    this.#lost();
  }
  override signedOn(): void {
    this.record("signedOn", this.nickname);
  }
  override saslFailed(code: string, message: string): void {
    this.record("saslFailed", code, message);
    super.saslFailed(code, message);
  }
  override joined(channel: string): void {
    this.record("joined", channel);
  }
  override userJoined(user: string, channel: string): void {
    this.record("userJoined", user, channel);
  }
  override privmsg(user: string, channel: string, message: string, tags: Tags): void {
    this.record("privmsg", user, channel, message, tags);
  }
  override noticed(user: string, channel: string, message: string, tags: Tags): void {
    this.record("noticed", user, channel, message, tags);
  }
  override action(user: string, channel: string, data: string, tags: Tags): void {
    this.record("action", user, channel, data, tags);
  }
  override modeChanged(
    user: string,
    channel: string,
    set: boolean,
    modes: string,
    args: (string | null)[],
  ): void {
    this.record("modeChanged", user, channel, set, modes, args);
  }
  override topicUpdated(user: string, channel: string, topic: string): void {
    this.record("topicUpdated", user, channel, topic);
  }
  override kickedFrom(channel: string, kicker: string, message: string): void {
    this.record("kickedFrom", channel, kicker, message);
  }
  override userKicked(kickee: string, channel: string, kicker: string, message: string): void {
    this.record("userKicked", kickee, channel, kicker, message);
  }
  override userQuit(user: string, message: string): void {
    this.record("userQuit", user, message);
  }
  override userLeft(user: string, channel: string): void {
    this.record("userLeft", user, channel);
  }
  override pong(user: string, secs: number): void {
    this.record("pong", user, secs);
  }
  override receivedMOTD(motd: string[]): void {
    this.record("motd", motd);
  }
  override ctcpReply(user: string, channel: string, messages: [string, string | null][]): void {
    this.record("ctcpReply", user, channel, messages);
    super.ctcpReply(user, channel, messages);
  }
  override irc_unknown(prefix: string, command: string, params: string[], tags: Tags): void {
    this.record("unknown", prefix, command, params, tags);
  }
}
