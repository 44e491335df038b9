// An IRC bot, the way Twisted's users write one: subclass IRCClient, override signedOn
// and privmsg. It joins a channel, answers "NICK: ..." with an echo, "!time" with the
// time, an ACTION with one back, and leaves on "!quit".
// Run: deno run -A examples/irc_bot.ts HOST PORT CHANNEL [NICK] [PASSWORD]
//      (bun examples/irc_bot.ts ... | node examples/irc_bot.ts ...)
// Try it against `tw words --irc-port tcp:6667 --auth memory:twbot:secret:me:pw`.
import { ClientFactory, type Failure, type IConnector, reactor } from "../mod.ts";
import { IRCClient, type Tags } from "../src/words/irc/mod.ts";

const [host = "127.0.0.1", port = "6667", channel = "#tw", nick = "twbot", password] = reactor
  .runtime.args();

class Bot extends IRCClient {
  override nickname = nick;
  override password = password ?? null;
  override versionName = "tw irc_bot example";
  override versionNum = "1.0";

  override signedOn(): void {
    console.log(`signed on as ${this.nickname}`);
    this.join(channel);
  }

  override joined(channel: string): void {
    console.log(`joined ${channel}`);
  }

  override privmsg(user: string, channel: string, message: string, tags: Tags): void {
    const who = user.split("!", 1)[0];
    const when = tags.time ?? new Date().toISOString();
    console.log(`[${when}] <${who}> ${channel}: ${message}`);
    const replyTo = channel === this.nickname ? who : channel;
    if (message === "!time") {
      this.msg(replyTo, `${who}: it is ${new Date().toUTCString()}`);
    } else if (message === "!quit") {
      this.quit("asked to leave");
    } else if (message.startsWith(`${this.nickname}:`)) {
      this.msg(replyTo, `${who}: you said "${message.slice(this.nickname.length + 1).trim()}"`);
    }
  }

  override action(user: string, channel: string, data: string): void {
    this.describe(channel, `waves back at ${user.split("!", 1)[0]} (who ${data})`);
  }
}

class BotFactory extends ClientFactory {
  override protocol = Bot;
  override clientConnectionFailed(_connector: IConnector, reason: Failure): void {
    console.error("Connection failed:", reason.getErrorMessage());
    reactor.stop();
  }
  override clientConnectionLost(_connector: IConnector, _reason: Failure): void {
    console.log("disconnected");
    reactor.stop();
  }
}

reactor.connectTCP(host, Number(port), new BotFactory());
await reactor.run();
