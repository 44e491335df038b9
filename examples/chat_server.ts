// A line-based chat server: every line a client sends goes to every other
// client, prefixed with the sender's name. The first line is the name.
// Run: deno run -A examples/chat_server.ts [port] | bun examples/chat_server.ts | node examples/chat_server.ts
// Try it with two terminals: nc 127.0.0.1 8001
import { Factory, type Failure, reactor } from "../mod.ts";
import { TextLineReceiver } from "../src/protocols/basic.ts";

class ChatFactory extends Factory {
  readonly users = new Map<string, Chat>();
}

class Chat extends TextLineReceiver {
  name: string | null = null;

  get chat(): ChatFactory {
    return this.factory as ChatFactory;
  }

  override connectionMade(): void {
    this.sendLine("What's your name?");
  }

  override lineReceived(line: string): void {
    if (this.name === null) return this.register(line.trim());
    for (const [name, user] of this.chat.users) {
      if (name !== this.name) user.sendLine(`<${this.name}> ${line}`);
    }
  }

  register(name: string): void {
    if (!name || this.chat.users.has(name)) {
      this.sendLine("That name is taken or empty, choose another.");
      return;
    }
    this.name = name;
    this.chat.users.set(name, this);
    this.sendLine(`Welcome, ${name}!`);
  }

  override connectionLost(_reason: Failure): void {
    if (this.name !== null) this.chat.users.delete(this.name);
  }
}

const port = Number(reactor.runtime.args()[0] ?? 8001);
const listening = reactor.listenTCP(port, ChatFactory.forProtocol(Chat), {
  interface: "127.0.0.1",
});
listening.whenListening().addCallback(() => {
  console.log(`Chat server listening on ${listening.getHost()} (${reactor.runtime.name})`);
});
await reactor.run();
