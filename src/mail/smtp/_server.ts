/**
 * The SMTP server state machine: `SMTP` (RFC 5321), `ESMTP` (extensions), `SMTPFactory`.
 * Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import { Protocol } from "../../internet/protocol.ts";
import type { Address as NetAddress } from "../../internet/address.ts";
import type { IDelayedCall, ITransport } from "../../internet/interfaces.ts";
import type { Failure } from "../../internet/failure.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { Portal } from "../../cred/_portal.ts";
import { Anonymous } from "../../cred/_credentials.ts";
import { Address, User } from "./_address.ts";
import { AddressError, SMTPServerError } from "./_errors.ts";
import { type IMessage, IMessageDelivery, type MaybeDeferred } from "./_interfaces.ts";
import { LineSplitter } from "./_lines.ts";
import type { SMTPFactoryOptions } from "./_options.ts";
import { Logger } from "../../logger/mod.ts";
import {
  CLEARTEXT_MECHANISMS,
  decodeBase64,
  defaultChallengers,
  encodeBase64,
  type IChallengeResponse,
} from "./_auth.ts";

const log = new Logger("tw.mail.smtp");
const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();
const COMMAND_MAX = 4096;
const DATA_LINE_MAX = 65536;
const MAX_RECIPIENTS = 100;
const BUFFER_HIGH = 1 << 20;

type Reply = [number, string, string];

/** The SIZE of MAIL's parameters (null without one), or why they are refused. */
function mailParams(text: string, esmtp: boolean): number | null | string {
  let size: number | null = null;
  for (const param of text.trim().split(/\s+/).filter(Boolean)) {
    const [key, value = ""] = param.split("=", 2);
    const k = key.toUpperCase();
    if (!esmtp) return "Parameters need EHLO";
    if (k === "SIZE" && /^\d{1,15}$/.test(value)) size = Number(value);
    else if (k === "BODY" && /^(7BIT|8BITMIME)$/i.test(value)) continue;
    else if (!((k === "SMTPUTF8" && value === "") || k === "AUTH")) {
      return `Unsupported parameter ${key}`;
    }
  }
  return size;
}

interface Transaction {
  origin: Address;
  recipients: [User, () => IMessage][];
  size: number | null;
}

/**
 * The SMTP server protocol (`twisted.mail.smtp.SMTP`): HELO, MAIL, RCPT, DATA, RSET, NOOP,
 * VRFY, HELP, QUIT. Commands are handled in order, one at a time, so pipelined input is
 * answered in order; input waits (bounded) while a delivery decision is pending.
 *
 * @example
 * ```ts
 * import { SMTP } from "@tw/core/mail";
 * import { StringTransport } from "@tw/core/testing";
 * const p = new SMTP({ domain: "mx.example" });
 * const t = new StringTransport();
 * p.makeConnection(t);
 * p.dataReceived(new TextEncoder().encode("HELO client\r\n"));
 * console.log(t.valueText().split("\r\n")[1]); // 250 mx.example Hello client, nice to meet you
 * p.connectionLost();
 * ```
 */
export class SMTP extends Protocol {
  /** The server's name. */
  host: string;
  /** Idle timeout in seconds (0 for none). */
  timeout: number;
  /** The portal for AUTH and anonymous login, or null. */
  portal: Portal | null;
  /** The delivery in use, or null until one is known. */
  delivery: IMessageDelivery | null;
  /** The size limit in bytes. */
  maxSize: number;
  #options: SMTPFactoryOptions;
  #lines = new LineSplitter(COMMAND_MAX);
  #helo: [string, string] | null = null;
  #tx: Transaction | null = null;
  #busy = false;
  #paused = false;
  #closed = false;
  #timer: IDelayedCall | null = null;
  #lastActive = 0;
  #data: { messages: IMessage[]; failed: Reply | null; size: number } | null = null;
  #auth: IChallengeResponse | null = null;
  #authenticated = false;
  #logout: (() => void) | null = null;
  #initialDelivery: IMessageDelivery | null;
  #tls = false;

  /** Makes the protocol; `SMTPFactory.buildProtocol` passes its options. */
  constructor(options: SMTPFactoryOptions = {}) {
    super();
    this.#options = options;
    this.host = options.domain ?? "localhost";
    this.timeout = options.timeout ?? 600;
    this.portal = options.portal ?? null;
    this.delivery = options.delivery ?? options.deliveryFactory?.getMessageDelivery() ?? null;
    this.#initialDelivery = this.delivery;
    this.maxSize = options.maxSize ?? 10 * 1024 * 1024;
  }

  /** True for ESMTP (EHLO and the extensions). */
  protected get esmtp(): boolean {
    return false;
  }

  /** True once STARTTLS has run on this connection. */
  get secure(): boolean {
    return this.#tls;
  }

  /** Sends the 220 greeting and starts the idle timer. */
  override connectionMade(): void {
    // SMTPS (RFC 8314): a transport that is TLS from the start counts as after STARTTLS.
    this.#tls = (this.transport as { secure?: boolean }).secure === true;
    this.#resetTimeout();
    this.sendCode(220, `${this.host} ${this.esmtp ? "ESMTP" : "SMTP"} Service ready`);
  }

  /** Handles commands and message lines, in order. */
  override dataReceived(data: Uint8Array): void {
    if (this.#closed) return;
    this.#resetTimeout();
    this.#lines.push(data);
    this.#pump();
  }

  /** Abandons a message in progress (`IMessage.connectionLost`) and stops the timer. */
  override connectionLost(_reason?: Failure): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#abandonData();
    this.#logout?.();
    this.#logout = null;
  }

  /** Sends a reply, one line per entry of `text` (`sendCode`). */
  sendCode(code: number, text: string | string[]): void {
    if (this.#closed) return;
    if (typeof text === "string") return this.transport.write(enc.encode(`${code} ${text}\r\n`));
    const out = text.map((l, i) => `${code}${i < text.length - 1 ? "-" : " "}${l}\r\n`);
    this.transport.write(enc.encode(out.join("")));
  }

  /** Sends `code`, with the enhanced status code `enh` on ESMTP, and `text`. */
  protected reply(code: number, enh: string, text: string): void {
    this.sendCode(code, this.esmtp ? `${enh} ${text}` : text);
  }

  /** The extension keywords for EHLO, in order (ESMTP overrides). */
  protected extensions(): string[] {
    return [];
  }

  /** Called when the idle timeout fires: `421`, then close (`timeoutConnection`). */
  timeoutConnection(): void {
    this.reply(421, "4.4.2", `${this.host} Timeout; closing connection`);
    this.#abandonData();
    this.transport.loseConnection();
  }

  // Input only notes the time (one timer per idle period, not one per read); a timer
  // that fires early, input having come meanwhile, is set again for the rest.
  #resetTimeout(): void {
    if (this.timeout <= 0 || this.#closed) {
      this.#timer?.cancel();
      this.#timer = null;
      return;
    }
    const now = (this.#options.clock ?? getReactor()).seconds();
    this.#lastActive = now;
    if (this.#timer === null) this.#armTimeout(this.timeout);
    else if (this.#timer.getTime() > now + this.timeout) this.#timer.reset(this.timeout);
  }

  #armTimeout(delay: number): void {
    const clock = this.#options.clock ?? getReactor();
    this.#timer = clock.callLater(delay, () => {
      this.#timer = null;
      if (this.#closed || this.timeout <= 0) return;
      const idle = clock.seconds() - this.#lastActive; // (float steps may fall just short)
      if (idle < this.timeout - 1e-9) this.#armTimeout(this.timeout - idle);
      else this.timeoutConnection();
    });
  }

  #pump(): void {
    while (!this.#busy && !this.#closed && !this.transport.disconnecting) {
      const event = this.#lines.next();
      if (event === null) break;
      if (this.#data !== null) this.#dataLine(event);
      else if ("tooLong" in event) this.reply(500, "5.5.2", "Line too long");
      else if (this.#auth !== null) this.#authLine(latin1.decode(event.line));
      else this.#command(event.line);
    }
    // Bounded buffering: stop reading while a decision is pending and input piles up.
    const full = this.#busy && this.#lines.buffered > BUFFER_HIGH;
    if (full && !this.#paused) {
      this.#paused = true;
      this.transport.pauseProducing();
    } else if (!full && this.#paused) {
      this.#paused = false;
      this.transport.resumeProducing();
    }
  }

  /** Runs `work` (a value or Deferred), holding later commands until it settles. */
  #wait<T>(work: () => MaybeDeferred<T>, ok: (v: T) => void, bad: (e: unknown) => void): void {
    let value: MaybeDeferred<T>;
    try {
      value = work();
    } catch (e) {
      bad(e);
      return;
    }
    if (value === null || typeof (value as PromiseLike<T>)?.then !== "function") {
      ok(value as T);
      return;
    }
    this.#busy = true;
    const done = (f: () => void): void => {
      this.#busy = false;
      if (this.#closed) return;
      f();
      this.#pump();
    };
    (value as PromiseLike<T>).then(
      (v) => done(() => ok(v)),
      (e) => done(() => bad(e)),
    );
  }

  #command(raw: Uint8Array): void {
    const line = utf8.decode(raw);
    const m = /^([A-Za-z]+)(?: (.*))?$/s.exec(line);
    if (m === null) {
      this.reply(500, "5.5.2", "Command not recognized");
      return;
    }
    const verb = m[1].toUpperCase();
    const arg = (m[2] ?? "").trim();
    switch (verb) {
      case "HELO":
        return this.hello(arg, false);
      case "EHLO":
        return this.esmtp ? this.hello(arg, true) : this.#unknown();
      case "MAIL":
        return this.#mail(arg);
      case "RCPT":
        return this.#rcpt(arg);
      case "DATA":
        return this.#dataCommand(arg);
      case "RSET":
        this.#tx = null;
        return this.reply(250, "2.0.0", "OK");
      case "NOOP":
        return this.reply(250, "2.0.0", "OK");
      case "VRFY":
        return this.reply(252, "2.5.0", "Cannot VRFY user, but will accept message");
      case "HELP":
        return this.reply(214, "2.0.0", "See RFC 5321");
      case "QUIT":
        this.reply(221, "2.0.0", "See you later");
        this.transport.loseConnection();
        return;
      case "STARTTLS":
        return this.esmtp ? this.#starttls(arg) : this.#unknown();
      case "AUTH":
        return this.esmtp ? this.#authCommand(arg) : this.#unknown();
      default:
        return this.extraCommand(verb, arg) ? undefined : this.#unknown();
    }
  }

  /** A command not in SMTP: return true when handled (LMTP's LHLO). */
  protected extraCommand(_verb: string, _arg: string): boolean {
    return false;
  }

  #unknown(): void {
    this.reply(500, "5.5.1", "Command not implemented");
  }

  /** Answers HELO / EHLO (and LMTP's LHLO) for client name `arg`. */
  protected hello(arg: string, extended: boolean): void {
    if (arg === "" || /\s/.test(arg)) {
      this.reply(501, "5.5.4", "Syntax: HELO hostname");
      return;
    }
    const peer = this.transport.getPeer() as NetAddress & { host?: string };
    this.#helo = [arg, peer.host ?? ""];
    this.#tx = null;
    const greeting = `${this.host} Hello ${arg}, nice to meet you`;
    if (!extended) this.sendCode(250, greeting);
    else this.sendCode(250, [greeting, ...this.extensions()]);
  }

  #needsAuth(): boolean {
    return !this.#authenticated && this.#options.requireAuthentication === true;
  }

  #mail(arg: string): void {
    if (this.#helo === null) return this.reply(503, "5.5.1", "Send HELO or EHLO first");
    if (this.#tx !== null) return this.reply(503, "5.5.1", "Only one sender per message");
    if (this.#needsAuth()) return this.reply(530, "5.7.0", "Authentication required");
    const m = /^FROM:\s*(<[^<>]*>|\S+)(.*)$/is.exec(arg);
    if (m === null) return this.reply(501, "5.5.4", "Syntax: MAIL FROM:<address>");
    let origin: Address;
    try {
      origin = new Address(m[1]);
    } catch (e) {
      if (e instanceof AddressError) return this.reply(553, "5.1.7", "Bad sender address syntax");
      throw e;
    }
    const size = mailParams(m[2], this.esmtp);
    if (typeof size === "string") return this.reply(555, "5.5.4", size);
    if (size !== null && size > this.maxSize) {
      return this.reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
    }
    const accept = (delivery: IMessageDelivery): void => {
      this.#wait(
        () => delivery.validateFrom(this.#helo, origin),
        (from) => {
          this.#tx = { origin: from instanceof Address ? from : origin, recipients: [], size };
          this.reply(250, "2.1.0", "Sender address accepted");
        },
        (e) => this.#refuse(e, 550, "5.1.8", "Cannot receive from specified address"),
      );
    };
    if (this.delivery !== null) return accept(this.delivery);
    if (this.portal === null) return this.reply(451, "4.3.0", "No delivery configured");
    const portal = this.portal;
    this.#wait(
      () => portal.login(new Anonymous(), null, IMessageDelivery),
      ([, avatar, logout]) => {
        this.delivery = avatar;
        this.#logout = logout;
        accept(avatar);
      },
      () => this.reply(530, "5.7.0", "Authentication required"),
    );
  }

  #refuse(e: unknown, code: number, enh: string, text: string): void {
    if (e instanceof SMTPServerError) this.sendCode(e.code, e.resp);
    else {
      log.error("SMTP delivery failed: {error}", { error: String(e) });
      this.reply(code, enh, text);
    }
  }

  #rcpt(arg: string): void {
    const tx = this.#tx;
    if (tx === null) return this.reply(503, "5.5.1", "Must have sender before recipient");
    const m = /^TO:\s*(<[^<>]*>|\S+)(.*)$/is.exec(arg);
    if (m === null) return this.reply(501, "5.5.4", "Syntax: RCPT TO:<address>");
    if (tx.recipients.length >= MAX_RECIPIENTS) {
      return this.reply(452, "4.5.3", "Too many recipients");
    }
    let dest: Address;
    try {
      dest = new Address(m[1]);
      if (dest.local === "") throw new AddressError("empty");
    } catch (e) {
      if (e instanceof AddressError) {
        return this.reply(553, "5.1.3", "Bad recipient address syntax");
      }
      throw e;
    }
    const user = new User(dest, this.#helo, this, tx.origin);
    const delivery = this.delivery!;
    this.#wait(
      () => delivery.validateTo(user),
      (make) => {
        tx.recipients.push([user, make]);
        this.reply(250, "2.1.5", "Recipient address accepted");
      },
      (e) => this.#refuse(e, 550, "5.1.1", "Cannot receive for specified address"),
    );
  }

  #dataCommand(arg: string): void {
    const tx = this.#tx;
    if (arg !== "") return this.reply(501, "5.5.4", "Syntax: DATA");
    if (tx === null) return this.reply(503, "5.5.1", "Must have valid sender");
    if (tx.recipients.length === 0) return this.reply(503, "5.5.1", "Must have valid recipient");
    const messages: IMessage[] = [];
    try {
      for (const [, make] of tx.recipients) messages.push(make());
    } catch (e) {
      for (const msg of messages) msg.connectionLost();
      this.#tx = null;
      return this.#refuse(e, 451, "4.3.0", "Cannot accept the message");
    }
    const header = this.delivery!.receivedHeader(
      this.#helo,
      tx.origin,
      tx.recipients.map(([u]) => u),
    );
    this.#data = { messages, failed: null, size: 0 };
    this.#lines.max = DATA_LINE_MAX;
    this.sendCode(354, "Continue");
    if (header !== "") {
      for (const h of header.split(/\r?\n/)) this.#feed(enc.encode(h));
    }
  }

  #feed(line: Uint8Array): void {
    const data = this.#data!;
    if (data.failed !== null) return;
    data.size += line.length + 2;
    if (data.size > this.maxSize) {
      data.failed = [552, "5.3.4", "Message size exceeds fixed maximum message size"];
      for (const msg of data.messages) msg.connectionLost();
      return;
    }
    for (const msg of data.messages) msg.lineReceived(line);
  }

  #dataLine(event: { line: Uint8Array } | { tooLong: true }): void {
    const data = this.#data!;
    if ("tooLong" in event) {
      if (data.failed === null) {
        data.failed = [500, "5.5.6", "Line too long"];
        for (const msg of data.messages) msg.connectionLost();
      }
      return;
    }
    const line = event.line;
    if (line.length === 1 && line[0] === 0x2e) return this.#endData();
    this.#feed(line.length > 0 && line[0] === 0x2e ? line.subarray(1) : line);
  }

  /** Hands the finished message to each recipient's `IMessage`, then replies. */
  protected deliverMessages(messages: IMessage[], _recipients: User[]): void {
    this.#wait(
      () => {
        const results = messages.map((m) => m.eomReceived());
        const pending = results.some((r) =>
          typeof (r as PromiseLike<unknown>)?.then === "function"
        );
        return pending ? Promise.all(results) : results;
      },
      () => this.reply(250, "2.0.0", "Delivery in progress"),
      (e) => this.#refuse(e, 451, "4.3.0", "Could not send message"),
    );
  }

  /** Runs `work` holding later commands until it settles (for subclasses). */
  protected hold<T>(
    work: () => MaybeDeferred<T>,
    ok: (v: T) => void,
    bad: (e: unknown) => void,
  ): void {
    this.#wait(work, ok, bad);
  }

  /** Sends the refusal for `e` (its own code for an `SMTPServerError`). */
  protected refuse(e: unknown, code: number, enh: string, text: string): void {
    this.#refuse(e, code, enh, text);
  }

  #endData(): void {
    const data = this.#data!;
    const recipients = this.#tx!.recipients.map(([u]) => u);
    this.#data = null;
    this.#tx = null;
    this.#lines.max = COMMAND_MAX;
    if (data.failed !== null) {
      const [code, enh, text] = data.failed;
      return this.reply(code, enh, text);
    }
    this.deliverMessages(data.messages, recipients);
  }

  #abandonData(): void {
    const data = this.#data;
    this.#data = null;
    if (data !== null && data.failed === null) {
      for (const msg of data.messages) msg.connectionLost();
    }
  }

  #starttls(arg: string): void {
    const tlsOptions = this.#options.tlsOptions;
    if (arg !== "") return this.reply(501, "5.5.4", "Syntax: STARTTLS");
    if (this.#tls) return this.reply(503, "5.5.1", "TLS already active");
    if (!this.#canTLS()) return this.reply(454, "4.7.0", "TLS not available");
    this.reply(220, "2.0.0", "Ready to start TLS");
    // RFC 3207 §4.2: forget everything learned in clear text, and anything pipelined.
    this.#lines.clear();
    this.#helo = null;
    this.#tx = null;
    this.#tls = true;
    this.#logout?.();
    this.#logout = null;
    this.#authenticated = false;
    this.delivery = this.#initialDelivery;
    (this.transport as ITransport & { startTLS(o: TlsOptions): void }).startTLS({ ...tlsOptions });
  }

  #canTLS(): boolean {
    const t = this.transport as Partial<{ startTLS: unknown }>;
    return this.#options.tlsOptions != null && typeof t.startTLS === "function";
  }

  /** The AUTH mechanisms to offer now. */
  protected mechanisms(): string[] {
    if (this.portal === null) return [];
    const all = Object.keys(this.#options.challengers ?? defaultChallengers());
    return all.filter((m) => this.#tls || !CLEARTEXT_MECHANISMS.has(m));
  }

  /** The extensions common to ESMTP and LMTP. */
  protected baseExtensions(): string[] {
    const ext = ["8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES", `SIZE ${this.maxSize}`];
    ext.push("SMTPUTF8");
    if (!this.#tls && this.#canTLS()) ext.push("STARTTLS");
    const mechs = this.mechanisms();
    if (mechs.length > 0 && !this.#authenticated) ext.push(`AUTH ${mechs.join(" ")}`);
    return ext;
  }

  #authCommand(arg: string): void {
    const [mech = "", initial] = arg.split(/\s+/, 2);
    const name = mech.toUpperCase();
    if (this.#helo === null) return this.reply(503, "5.5.1", "Send EHLO first");
    if (this.#authenticated) return this.reply(503, "5.5.1", "Already authenticated");
    if (this.#tx !== null) return this.reply(503, "5.5.1", "AUTH not allowed during a transaction");
    const challengers = this.#options.challengers ?? defaultChallengers();
    if (this.portal === null || !(name in challengers)) {
      return this.reply(504, "5.5.4", "Unrecognized authentication type");
    }
    if (!this.#tls && CLEARTEXT_MECHANISMS.has(name)) {
      return this.reply(
        538,
        "5.7.11",
        "Encryption required for requested authentication mechanism",
      );
    }
    this.#auth = challengers[name](this.host);
    const first = this.#auth.getChallenge();
    if (initial !== undefined && (first === null || this.#auth.acceptsInitialResponse)) {
      return this.#authLine(initial);
    }
    if (initial !== undefined) {
      this.#auth = null;
      return this.reply(501, "5.5.2", "Initial response not allowed for this mechanism");
    }
    this.sendCode(334, encodeBase64(first ?? new Uint8Array(0)));
  }

  #authLine(text: string): void {
    const auth = this.#auth!;
    if (text === "*") {
      this.#auth = null;
      return this.reply(501, "5.0.0", "Authentication cancelled");
    }
    const response = decodeBase64(text);
    if (response === null) {
      this.#auth = null;
      return this.reply(501, "5.5.2", "Cannot decode base64 response");
    }
    let step;
    try {
      step = auth.setResponse(response);
    } catch {
      this.#auth = null;
      return this.reply(501, "5.5.2", "Malformed authentication response");
    }
    if ("challenge" in step) return this.sendCode(334, encodeBase64(step.challenge));
    this.#auth = null;
    const portal = this.portal!;
    this.#wait(
      () => portal.login(step.credentials, null, IMessageDelivery),
      ([, avatar, logout]) => {
        this.#logout?.();
        this.delivery = avatar;
        this.#logout = logout;
        this.#authenticated = true;
        this.reply(235, "2.7.0", "Authentication successful");
      },
      () => this.reply(535, "5.7.8", "Authentication credentials invalid"),
    );
  }
}
