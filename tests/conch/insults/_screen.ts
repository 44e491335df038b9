// The screen the tests read: what a server writes goes through our insults
// ClientProtocol into a TerminalBuffer (which wraps lines as xterm does).
import { ClientProtocol, TerminalBuffer } from "../../../src/conch/insults/mod.ts";
import { StringTransport } from "../../../src/testing/mod.ts";

export class Screen {
  readonly buffer: TerminalBuffer;
  readonly client: ClientProtocol;

  constructor(width = 80, height = 24) {
    const buffer = new TerminalBuffer(width, height);
    this.buffer = buffer;
    this.client = new ClientProtocol(() => buffer);
    this.client.makeConnection(new StringTransport());
  }

  get x(): number {
    return this.buffer.x;
  }
  get y(): number {
    return this.buffer.y;
  }

  /** The text of line `n` (trailing spaces removed). */
  line(n = this.buffer.y): string {
    return this.buffer.lines[n].join("").replace(/ +$/, "");
  }

  /** Every non-empty line. */
  text(): string[] {
    return this.buffer.lines.map((_, i) => this.line(i)).filter((l) => l !== "");
  }

  feed(data: string | Uint8Array): void {
    this.client.dataReceived(typeof data === "string" ? new TextEncoder().encode(data) : data);
  }
}
