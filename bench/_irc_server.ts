// The IRC server for irc_bench.ts: `tw words`' service (IRCFactory over an in-memory words
// realm, cred with one password for users u0..u99) on the runtime that runs it, on
// 127.0.0.1. Usage: <runtime> bench/_irc_server.ts
// Prints `READY <port>` on stdout once listening; runs until killed.
import { reactor } from "../mod.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../src/cred/mod.ts";
import { InMemoryWordsRealm, IRCFactory } from "../src/words/mod.ts";

const users: Record<string, string> = {};
for (let i = 0; i < 100; i++) users[`u${i}`] = "pw";
const realm = new InMemoryWordsRealm("bench.irc");
realm.createGroupOnRequest = true;
const factory = new IRCFactory(
  realm,
  new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse(users)]),
);
factory.noisy = false;
const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
port.whenListening().addCallback(() => {
  const { port: number } = port.getHost() as { port: number };
  reactor.runtime.writeStdout(new TextEncoder().encode(`READY ${number}\n`));
});
void reactor.run();
