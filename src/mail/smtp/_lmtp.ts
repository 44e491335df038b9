/**
 * `LMTP` (RFC 2033): ESMTP for a front MTA, with LHLO and one reply per recipient after
 * DATA. Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import type { User } from "./_address.ts";
import type { IMessage } from "./_interfaces.ts";
import { SMTP } from "./_server.ts";

/**
 * The LMTP server (`twisted.mail.smtp`'s LMTP idea, RFC 2033): LHLO instead of HELO/EHLO,
 * and after the final dot one reply per accepted recipient, in RCPT order.
 *
 * @example
 * ```ts
 * import { LMTP } from "@tw/core/mail";
 * import { StringTransport } from "@tw/core/testing";
 * const p = new LMTP({ domain: "store.example", timeout: 0 });
 * const t = new StringTransport();
 * p.makeConnection(t);
 * p.dataReceived(new TextEncoder().encode("HELO front\r\n"));
 * console.log(t.valueText().split("\r\n")[1].slice(0, 3)); // 500
 * ```
 */
export class LMTP extends SMTP {
  /** True: this protocol speaks ESMTP. */
  protected override get esmtp(): boolean {
    return true;
  }

  /** The EHLO keywords offered now. */
  protected override extensions(): string[] {
    return this.baseExtensions();
  }

  /** Handles LHLO. */
  protected override extraCommand(verb: string, arg: string): boolean {
    if (verb !== "LHLO") return false;
    super.hello(arg, true);
    return true;
  }

  /** HELO and EHLO are refused: LMTP uses LHLO. */
  protected override hello(_arg: string, _extended: boolean): void {
    this.reply(500, "5.5.1", "LMTP needs LHLO");
  }

  /** Replies once per recipient, in RCPT order. */
  protected override deliverMessages(messages: IMessage[], recipients: User[]): void {
    const next = (i: number): void => {
      if (i >= messages.length) return;
      this.hold(
        () => messages[i].eomReceived(),
        () => {
          this.reply(250, "2.0.0", `<${recipients[i]}> Delivered`);
          next(i + 1);
        },
        (e) => {
          this.refuse(e, 451, "4.3.0", `<${recipients[i]}> Could not deliver`);
          next(i + 1);
        },
      );
    };
    next(0);
  }
}
