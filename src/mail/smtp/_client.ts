/**
 * The SMTP client state machine: `SMTPClient`, `ESMTPClient` (EHLO, STARTTLS, AUTH,
 * PIPELINING, SIZE, 8BITMIME, SMTPUTF8). Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import { Protocol } from "../../internet/protocol.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IDelayedCall, IReactorTime, ITransport } from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import { decodeBase64, encodeBase64 } from "./_auth.ts";
import { quoteaddr } from "./_address.ts";
import {
  AUTHDeclinedError,
  AUTHRequiredError,
  type SMTPClientError,
  SMTPConnectError,
  SMTPDeliveryError,
  SMTPProtocolError,
  SMTPTimeoutError,
  TLSRequiredError,
} from "./_client_errors.ts";
import {
  CramMD5ClientAuthenticator,
  type IClientAuthentication,
  LOGINAuthenticator,
  PLAINAuthenticator,
} from "./_client_auth.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const REPLY_LINE_MAX = 4096;
const REPLY_LINES_MAX = 200;

/** One recipient's outcome: `[address, code, text]`. */
export type RecipientResult = [string, number, string];
/** What a sent message gives: the number accepted and every recipient's outcome. */
export type SendResult = [number, RecipientResult[]];

/** Options of `SMTPClient` / `ESMTPClient`. */
export interface ESMTPClientOptions {
  /** The name sent in EHLO / HELO. @default "localhost" */
  identity?: string;
  /** The user name for AUTH (with `secret`). @default null */
  username?: string | null;
  /** The password for AUTH. @default null */
  secret?: string | null;
  /** Options for STARTTLS (`ca`, ...); null disables STARTTLS. @default {} */
  tlsOptions?: TlsOptions | null;
  /** The name the server's certificate must carry. @default the connected host */
  hostname?: string | null;
  /** Fail unless AUTH succeeds. @default false */
  requireAuthentication?: boolean;
  /** Fail unless STARTTLS succeeds. @default true */
  requireTransportSecurity?: boolean;
  /** Fall back to HELO when EHLO is refused (never with TLS or AUTH required). @default false */
  heloFallback?: boolean;
  /** Seconds to wait for each reply. @default 60 */
  timeout?: number;
  /** The clock for timeouts. @default the reactor */
  clock?: IReactorTime | null;
}

type Handler = (code: number, lines: string[]) => void;

/**
 * Encodes a message for DATA: LF or CRLF line ends become CRLF, lines starting with `.` are
 * dot-stuffed, and the final `.` line is added. `eightBit` tells whether BODY=8BITMIME is
 * needed.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "@tw/core/mail";
 * const { data } = encodeMessage("a\n.b\n");
 * console.log(JSON.stringify(new TextDecoder().decode(data))); // "a\r\n..b\r\n.\r\n"
 * ```
 */
export function encodeMessage(
  message: Uint8Array | string,
): { data: Uint8Array; eightBit: boolean } {
  const bytes = typeof message === "string" ? enc.encode(message) : message;
  const parts: Uint8Array[] = [];
  let eightBit = false;
  let start = 0;
  let size = 0;
  const push = (line: Uint8Array): void => {
    if (line.length > 0 && line[0] === 0x2e) {
      parts.push(new Uint8Array([0x2e]));
      size++;
    }
    parts.push(line, new Uint8Array([13, 10]));
    size += line.length + 2;
  };
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 127) eightBit = true;
    if (bytes[i] === 10) {
      const end = i > start && bytes[i - 1] === 13 ? i - 1 : i;
      push(bytes.subarray(start, end));
      start = i + 1;
    }
  }
  if (start < bytes.length) push(bytes.subarray(start));
  parts.push(enc.encode(".\r\n"));
  size += 3;
  const data = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { data, eightBit };
}

/**
 * The SMTP client (`twisted.mail.smtp.SMTPClient`): sends one message, asking its hooks
 * `getMailFrom`, `getMailTo`, `getMailData`, and reporting through `sentMail` or
 * `sendError`. `ESMTPClient` adds EHLO and the extensions.
 *
 * @example
 * ```ts
 * import { SMTPClient } from "@tw/core/mail";
 * class One extends SMTPClient {
 *   override getMailFrom(): string | null {
 *     return "a@example.org";
 *   }
 *   override getMailTo(): string[] {
 *     return ["b@example.net"];
 *   }
 *   override getMailData(): string {
 *     return "Subject: hi\n\nHello\n";
 *   }
 * }
 * console.log(new One({ identity: "me.example" }).identity); // me.example
 * ```
 */
export class SMTPClient extends Protocol {
  /** The name sent in HELO / EHLO. */
  identity: string;
  /** Options in force. */
  protected options: ESMTPClientOptions;
  #expect: Handler[] = [];
  #lines: string[] = [];
  #partial = "";
  #timer: IDelayedCall | null = null;
  #done = false;
  #ext = new Map<string, string>();
  #tls = false;
  #tlsTried = false;
  #authed = false;
  #recipients: RecipientResult[] = [];
  #numOk = 0;
  #failedMail = false;

  /** Makes the client; see `ESMTPClientOptions`. */
  constructor(options: ESMTPClientOptions = {}) {
    super();
    this.options = options;
    this.identity = options.identity ?? "localhost";
  }

  /** Whether this client speaks ESMTP. */
  protected get esmtp(): boolean {
    return false;
  }

  /** The sender; null to send nothing and quit. */
  getMailFrom(): string | null {
    return null;
  }
  /** The recipients. */
  getMailTo(): string[] {
    return [];
  }
  /** The message, with LF or CRLF line ends. */
  getMailData(): Uint8Array | string {
    return new Uint8Array(0);
  }
  /** Called once the message is accepted (`sentMail`). */
  sentMail(_code: number, _resp: string, _numOk: number, _addresses: RecipientResult[]): void {}
  /** Called when sending fails (`sendError`). */
  sendError(_error: SMTPClientError): void {}

  /** The extensions the server offered, keyword (upper case) to parameters. */
  get extensions(): ReadonlyMap<string, string> {
    return this.#ext;
  }

  /** True once STARTTLS succeeded. */
  get secure(): boolean {
    return this.#tls;
  }

  /** Expects the greeting. */
  override connectionMade(): void {
    this.#expect.push((code, lines) => {
      if (code !== 220) {
        return this.#fail(new SMTPConnectError(code, lines.join("\n"), { retry: true }));
      }
      this.#hello();
    });
    this.#arm();
  }

  /** Parses reply lines and runs the handler of each complete reply, in order. */
  override dataReceived(data: Uint8Array): void {
    if (this.#done) return;
    this.#partial += dec.decode(data);
    let at: number;
    while (!this.#done && (at = this.#partial.indexOf("\n")) >= 0) {
      const line = this.#partial.slice(0, at).replace(/\r$/, "");
      this.#partial = this.#partial.slice(at + 1);
      const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (m === null || this.#lines.length > REPLY_LINES_MAX) {
        return this.#fail(new SMTPProtocolError(-1, `Bad reply line: ${line.slice(0, 100)}`));
      }
      this.#lines.push(m[3]);
      if (m[2] === "-") continue;
      const lines = this.#lines;
      this.#lines = [];
      const handler = this.#expect.shift();
      if (handler === undefined) {
        return this.#fail(new SMTPProtocolError(Number(m[1]), "Unexpected reply"));
      }
      this.#arm();
      handler(Number(m[1]), lines);
    }
    if (this.#partial.length > REPLY_LINE_MAX) {
      this.#fail(new SMTPProtocolError(-1, "Reply line too long"));
    }
  }

  /** Reports a lost connection as a retryable `SMTPConnectError` unless done. */
  override connectionLost(_reason?: Failure): void {
    this.#timer?.cancel();
    this.#timer = null;
    if (!this.#done) {
      this.#done = true;
      this.sendError(
        new SMTPConnectError(-1, "Connection lost before the message was sent", {
          retry: true,
        }),
      );
    }
  }

  /** Every recipient was refused: the last refusal's code and text (a 4xx may be retried). */
  #noRecipients(): SMTPClientError {
    const last = this.#recipients.at(-1);
    const code = last?.[1] ?? -1;
    const text = last === undefined
      ? "No recipients accepted"
      : `No recipients accepted: ${last[2]}`;
    return new SMTPDeliveryError(code, text, { retry: code >= 400 && code < 500 });
  }

  #arm(): void {
    this.#timer?.cancel();
    this.#timer = null;
    const timeout = this.options.timeout ?? 60;
    if (timeout > 0 && !this.#done && this.#expect.length > 0) {
      this.#timer = (this.options.clock ?? getReactor()).callLater(timeout, () => {
        this.#timer = null;
        this.#fail(
          new SMTPTimeoutError(-1, "Timeout waiting for SMTP server response", {
            retry: true,
          }),
        );
      });
    }
  }

  #send(line: string, handler: Handler): void {
    this.#expect.push(handler);
    this.transport.write(enc.encode(line + "\r\n"));
    this.#arm();
  }

  #fail(error: SMTPClientError): void {
    if (this.#done) return;
    this.#done = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.sendError(error);
    if (!this.transport.disconnecting) {
      this.transport.write(enc.encode("QUIT\r\n"));
      this.transport.loseConnection();
    }
  }

  #hello(): void {
    if (!this.esmtp) return this.#send(`HELO ${this.identity}`, (c, l) => this.#helloReply(c, l));
    this.#send(`EHLO ${this.identity}`, (code, lines) => {
      if (code === 250) {
        this.#ext = new Map();
        for (const l of lines.slice(1)) {
          const [k, ...rest] = l.trim().split(/\s+/);
          this.#ext.set(k.toUpperCase(), rest.join(" "));
        }
        return this.#afterHello();
      }
      const o = this.options;
      const strict = o.requireAuthentication || (o.requireTransportSecurity ?? true);
      if (o.heloFallback && !strict) {
        return this.#send(`HELO ${this.identity}`, (c, l) => this.#helloReply(c, l));
      }
      this.#fail(new SMTPConnectError(code, lines.join("\n"), { isFatal: true }));
    });
  }

  #helloReply(code: number, lines: string[]): void {
    if (code !== 250) return this.#fail(new SMTPConnectError(code, lines.join("\n")));
    this.#mail();
  }

  #afterHello(): void {
    const o = this.options;
    const tlsOptions = o.tlsOptions === undefined ? {} : o.tlsOptions;
    const requireTLS = o.requireTransportSecurity ?? true;
    const t = this.transport as ITransport & { startTLS?: (o: TlsOptions) => void };
    if (!this.#tls && !this.#tlsTried) {
      if (this.#ext.has("STARTTLS") && tlsOptions !== null && typeof t.startTLS === "function") {
        this.#tlsTried = true;
        return this.#send("STARTTLS", (code, lines) => {
          if (code === 220) {
            const opts: TlsOptions = { ...tlsOptions };
            if (o.hostname) opts.serverName = o.hostname;
            t.startTLS!(opts);
            this.#tls = true;
            return this.#hello();
          }
          if (requireTLS) return this.#fail(new TLSRequiredError(code, lines.join("\n")));
          this.#afterHello(); // twisted#10334: go on in clear text rather than quit.
        });
      }
      if (requireTLS) {
        return this.#fail(
          new TLSRequiredError(502, "Server does not support secure communication via TLS / SSL"),
        );
      }
    }
    if (!this.#authed && this.options.secret != null && this.options.username != null) {
      const offered = (this.#ext.get("AUTH") ?? "").toUpperCase().split(/\s+/);
      const user = this.options.username;
      const auth = [
        new CramMD5ClientAuthenticator(user),
        new PLAINAuthenticator(user),
        new LOGINAuthenticator(user),
      ].find((a) => offered.includes(a.getName()));
      if (auth !== undefined) return this.#auth(auth, this.options.secret);
    }
    if (!this.#authed && o.requireAuthentication) {
      return this.#fail(new AUTHRequiredError(502, "Server does not support ESMTP Authentication"));
    }
    this.#mail();
  }

  #auth(auth: IClientAuthentication, secret: string): void {
    let step = 0;
    const handler: Handler = (code, lines) => {
      if (code === 235) {
        this.#authed = true;
        return this.#mail();
      }
      if (code === 334) {
        const challenge = decodeBase64(lines[0]?.trim() ?? "");
        if (challenge === null) {
          return this.#fail(new SMTPProtocolError(code, "Bad base64 in AUTH challenge"));
        }
        const answer = auth.challengeResponse(secret, challenge, step++);
        return this.#send(encodeBase64(answer), handler);
      }
      this.#fail(new AUTHDeclinedError(code, lines.join("\n")));
    };
    if (auth.initialResponse) {
      const first = auth.challengeResponse(secret, new Uint8Array(0), step++);
      this.#send(`AUTH ${auth.getName()} ${encodeBase64(first)}`, handler);
    } else this.#send(`AUTH ${auth.getName()}`, handler);
  }

  #mail(): void {
    const from = this.getMailFrom();
    if (from === null) {
      this.#done = true;
      this.transport.write(enc.encode("QUIT\r\n"));
      this.transport.loseConnection();
      return;
    }
    const to = this.getMailTo();
    const { data, eightBit } = encodeMessage(this.getMailData());
    const params: string[] = [];
    if (this.#ext.has("SIZE")) params.push(`SIZE=${data.length}`);
    if (eightBit && this.#ext.has("8BITMIME")) params.push("BODY=8BITMIME");
    const utf8 = [from, ...to].some((a) => [...a].some((ch) => ch.charCodeAt(0) > 127));
    if (utf8 && this.#ext.has("SMTPUTF8")) params.push("SMTPUTF8");
    const pipelining = this.#ext.has("PIPELINING");
    const commands: [string, Handler][] = [];
    commands.push([`MAIL FROM:${quoteaddr(from)}${params.map((p) => " " + p).join("")}`, (c, l) => {
      if (c !== 250) {
        this.#failedMail = true;
        if (!pipelining) this.#fail(new SMTPDeliveryError(c, l.join("\n"), { retry: c < 500 }));
      } else if (!pipelining) next();
    }]);
    for (const addr of to) {
      commands.push([`RCPT TO:${quoteaddr(addr)}`, (c, l) => {
        this.#recipients.push([addr, c, l.join("\n")]);
        if (c === 250 || c === 251) this.#numOk++;
        if (!pipelining) next();
      }]);
    }
    commands.push(["DATA", (c, l) => {
      if (c === 354 && this.#numOk > 0 && !this.#failedMail) {
        this.#expect.push((code, lines) => this.#eom(code, lines));
        this.transport.write(data);
        return this.#arm();
      }
      if (this.#failedMail) {
        return this.#fail(new SMTPDeliveryError(c, "Sender refused", { retry: c < 500 }));
      }
      if (this.#numOk === 0) return this.#fail(this.#noRecipients());
      this.#fail(new SMTPDeliveryError(c, l.join("\n"), { retry: c < 500 }));
    }]);
    let i = 0;
    const next = (): void => {
      if (this.#done) return;
      const last = i === commands.length - 1;
      if (last && this.#numOk === 0) return this.#fail(this.#noRecipients());
      const [line, handler] = commands[i++];
      this.#send(line, handler);
    };
    if (pipelining) { for (const [line, handler] of commands) this.#send(line, handler); }
    else next();
  }

  #eom(code: number, lines: string[]): void {
    if (code !== 250) {
      return this.#fail(new SMTPDeliveryError(code, lines.join("\n"), { retry: code < 500 }));
    }
    this.#done = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.sentMail(code, lines.join("\n"), this.#numOk, this.#recipients);
    this.transport.write(enc.encode("QUIT\r\n"));
    this.transport.loseConnection();
  }
}

/**
 * The ESMTP client (`twisted.mail.smtp.ESMTPClient`): EHLO, STARTTLS (required unless
 * `requireTransportSecurity: false`), AUTH CRAM-MD5 / PLAIN / LOGIN, PIPELINING, SIZE,
 * 8BITMIME and SMTPUTF8 when offered.
 *
 * @example
 * ```ts
 * import { ESMTPClient } from "@tw/core/mail";
 * const c = new ESMTPClient({ username: "alice", secret: "pw", requireTransportSecurity: true });
 * console.log(c.secure); // false
 * ```
 */
export class ESMTPClient extends SMTPClient {
  /** True: EHLO and the extensions. */
  protected override get esmtp(): boolean {
    return true;
  }
}
