/**
 * `ESMTP` (the extensions on top of `SMTP`) and `SMTPFactory`. Private: re-exported by
 * `src/mail/mod.ts`.
 * @module
 */
import { Factory } from "../../internet/protocol.ts";
import type { Address as NetAddress } from "../../internet/address.ts";
import type { Portal } from "../../cred/_portal.ts";
import { SMTP } from "./_server.ts";
import type { SMTPFactoryOptions } from "./_options.ts";

/**
 * The ESMTP server (`twisted.mail.smtp.ESMTP`): EHLO with 8BITMIME, PIPELINING,
 * ENHANCEDSTATUSCODES, SIZE, SMTPUTF8, STARTTLS (with `tlsOptions`) and AUTH (with a portal;
 * PLAIN and LOGIN only after STARTTLS).
 *
 * @example
 * ```ts
 * import { ESMTP } from "@tw/core/mail";
 * import { StringTransport } from "@tw/core/testing";
 * const p = new ESMTP({ domain: "mx.example", timeout: 0 });
 * const t = new StringTransport();
 * p.makeConnection(t);
 * p.dataReceived(new TextEncoder().encode("EHLO client\r\n"));
 * console.log(t.valueText().includes("250-PIPELINING")); // true
 * ```
 */
export class ESMTP extends SMTP {
  /** True: this protocol speaks ESMTP. */
  protected override get esmtp(): boolean {
    return true;
  }

  /** The EHLO keywords offered now. */
  protected override extensions(): string[] {
    return this.baseExtensions();
  }
}

/**
 * Makes `ESMTP` servers (`twisted.mail.smtp.SMTPFactory`, which makes `SMTP`; pass
 * `protocol: SMTP` for the plain one).
 *
 * @example
 * ```ts
 * import { SMTPFactory } from "@tw/core/mail";
 * const factory = new SMTPFactory({ domain: "mx.example", timeout: 300 });
 * console.log(factory.domain); // mx.example
 * ```
 */
export class SMTPFactory extends Factory {
  /** The portal handed to each protocol. */
  portal: Portal | null;
  /** The server's name. */
  domain: string;
  /** Idle timeout in seconds. */
  timeout: number;
  /** The protocol class built. */
  smtpProtocol: new (options: SMTPFactoryOptions) => SMTP;
  #options: SMTPFactoryOptions;

  /** Makes the factory; `protocol` picks the class (default `ESMTP`). */
  constructor(
    options: SMTPFactoryOptions & { protocol?: new (options: SMTPFactoryOptions) => SMTP } = {},
  ) {
    super();
    this.#options = options;
    this.portal = options.portal ?? null;
    this.domain = options.domain ?? "localhost";
    this.timeout = options.timeout ?? 600;
    this.smtpProtocol = options.protocol ?? ESMTP;
  }

  /** Makes the protocol with the factory's options. */
  override buildProtocol(_addr: NetAddress): SMTP {
    const p = new this.smtpProtocol({
      ...this.#options,
      portal: this.portal,
      domain: this.domain,
      timeout: this.timeout,
    });
    p.factory = this;
    return p;
  }
}
