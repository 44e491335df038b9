// Shared test helpers for the SMTP tests: a recording IMessageDelivery.
import {
  Address,
  type IMessage,
  type IMessageDelivery,
  SMTPBadRcpt,
  type User,
} from "../../src/mail/mod.ts";

const dec = new TextDecoder();

/** A delivery that records messages in memory; recipients starting with "nobody" fail. */
export class RecordingDelivery implements IMessageDelivery {
  delivered: { to: string; from: string; body: Uint8Array[] }[] = [];
  lost = 0;
  pendingTo: ((ok: boolean) => void)[] = [];
  asyncTo = false;

  receivedHeader(_helo: [string, string] | null, _origin: Address, _r: User[]): string {
    return "Received: from test";
  }

  validateFrom(_helo: [string, string] | null, origin: Address): Address {
    return origin;
  }

  validateTo(user: User): (() => IMessage) | Promise<() => IMessage> {
    const make = (): IMessage => {
      const body: Uint8Array[] = [];
      return {
        lineReceived: (line) => void body.push(line),
        eomReceived: () => {
          this.delivered.push({ to: String(user.dest), from: String(user.orig), body });
        },
        connectionLost: () => void this.lost++,
      };
    };
    if (user.dest.local.startsWith("nobody")) throw new SMTPBadRcpt(user);
    if (!this.asyncTo) return make;
    return new Promise((resolve, reject) => {
      this.pendingTo.push((ok) => ok ? resolve(make) : reject(new SMTPBadRcpt(user)));
    });
  }

  text(i: number): string {
    return this.delivered[i].body.map((l) => dec.decode(l)).join("\n");
  }
}

export { Address };
