// A test harness for the IMAP server: a session over StringTransport and Clock,
// commands sent as text, and the responses read up to a tagged completion.
import { StringTransport } from "../../../src/testing/mod.ts";
import { Clock } from "../../../src/internet/task.ts";
import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "../../../src/cred/mod.ts";
import {
  IAccount,
  type IAccount as Account,
  IMAP4Server,
  type IMAP4ServerOptions,
} from "../../../src/mail/imap4/mod.ts";

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** A portal with alice/secret whose avatar is `account`. */
export function portalFor(account: Account): Portal {
  return new Portal({
    requestAvatar: () => [IAccount, account, () => {}],
  }, [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "secret" })]);
}

/** One server session. */
export class Session {
  readonly transport = new StringTransport();
  readonly clock = new Clock();
  readonly server: IMAP4Server;
  #read = 0;

  constructor(options: IMAP4ServerOptions = {}) {
    this.server = new IMAP4Server({ clock: this.clock, ...options });
    this.server.makeConnection(this.transport);
  }

  /** Everything written so far. */
  all(): string {
    return latin1.decode(this.transport.value());
  }

  /** Output not read yet. */
  take(): string {
    const all = this.all();
    const out = all.slice(this.#read);
    this.#read = all.length;
    return out;
  }

  send(text: string | Uint8Array): void {
    this.server.dataReceived(typeof text === "string" ? enc.encode(text) : text);
  }

  /** Waits (event-loop turns, bounded) until `pattern` appears in the unread output; returns it. */
  async until(pattern: RegExp | string, turns = 2000): Promise<string> {
    const re = typeof pattern === "string"
      ? new RegExp(
        `(^|\\r\\n)${pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} (OK|NO|BAD)[^\\r]*\\r\\n`,
      )
      : pattern;
    for (let i = 0; i < turns; i++) {
      const all = this.all().slice(this.#read);
      const m = re.exec(all);
      if (m !== null) {
        this.#read += m.index + m[0].length;
        return all.slice(0, m.index + m[0].length);
      }
      await new Promise((r) => setTimeout(r, i < 50 ? 0 : 5));
    }
    throw new Error(
      `Timed out waiting for ${re}; got ${JSON.stringify(this.all().slice(this.#read))}`,
    );
  }

  /** Sends a command and waits for its completion. */
  async command(tag: string, text: string): Promise<string> {
    this.send(`${tag} ${text}\r\n`);
    return await this.until(tag);
  }

  /** Logs in as alice. */
  async login(): Promise<void> {
    const r = await this.command("L", "LOGIN alice secret");
    if (!/L OK/.test(r)) throw new Error(`login failed: ${r}`);
  }

  close(): void {
    this.server.connectionLost();
  }
}
