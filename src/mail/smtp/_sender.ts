/**
 * `SMTPSender`, `ESMTPSender`, their factories, and `sendmail`. Private: re-exported by
 * `src/mail/mod.ts`.
 * @module
 */
import { ClientFactory } from "../../internet/protocol.ts";
import type { Address as NetAddress } from "../../internet/address.ts";
import { Deferred } from "../../internet/_defer_core.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IConnector, IReactorTCP, IReactorTime } from "../../internet/interfaces.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import { type RecipientResult, type SendResult, SMTPClient } from "./_client.ts";
import { type SMTPClientError, SMTPConnectError } from "./_client_errors.ts";
import type { IResolver } from "../../names/common.ts";
import { MXCalculator } from "./_mx.ts";

/** Options of `SMTPSenderFactory`. */
export interface SMTPSenderFactoryOptions {
  /** Connection attempts after the first. @default 5 */
  retries?: number;
  /** Seconds to wait for each reply. @default 60 */
  timeout?: number;
  /** The name sent in EHLO / HELO. @default "localhost" */
  identity?: string;
  /** The clock for timeouts. @default the reactor */
  clock?: IReactorTime | null;
}

/** Options of `ESMTPSenderFactory`. */
export interface ESMTPSenderFactoryOptions extends SMTPSenderFactoryOptions {
  /** Options for STARTTLS (`ca` ...); null disables it. @default {} */
  tlsOptions?: TlsOptions | null;
  /** Fall back to HELO when EHLO is refused. @default false */
  heloFallback?: boolean;
  /** Fail unless AUTH succeeds. @default false */
  requireAuthentication?: boolean;
  /** Fail unless STARTTLS succeeds. @default true */
  requireTransportSecurity?: boolean;
  /** The name the server's certificate must carry. @default the connected host */
  hostname?: string | null;
}

/**
 * The client built by `SMTPSenderFactory` (`SMTPSender`): sends the factory's message.
 *
 * @example
 * ```ts
 * import { SMTPSender } from "@tw/core/mail";
 * console.log(typeof SMTPSender); // function
 * ```
 */
export class SMTPSender extends SMTPClient {
  /** The factory whose message is sent. */
  senderFactory: SMTPSenderFactory | null = null;
  /** The factory's sender. */
  override getMailFrom(): string | null {
    return this.senderFactory?.fromEmail ?? null;
  }
  /** The factory's recipients. */
  override getMailTo(): string[] {
    return this.senderFactory?.toEmail ?? [];
  }
  /** The factory's message. */
  override getMailData(): Uint8Array | string {
    return this.senderFactory?.message ?? "";
  }
  /** Reports success to the factory. */
  override sentMail(
    _code: number,
    _resp: string,
    numOk: number,
    addresses: RecipientResult[],
  ): void {
    this.senderFactory?.sendFinished([numOk, addresses]);
  }
  /** Reports the failure to the factory. */
  override sendError(error: SMTPClientError): void {
    this.senderFactory?.sendFailed(error);
  }
}

/**
 * The client built by `ESMTPSenderFactory` (`ESMTPSender`).
 *
 * @example
 * ```ts
 * import { ESMTPSender } from "@tw/core/mail";
 * console.log(typeof ESMTPSender); // function
 * ```
 */
export class ESMTPSender extends SMTPSender {
  /** True: EHLO and the extensions. */
  protected override get esmtp(): boolean {
    return true;
  }
}

/**
 * Sends one message with retries (`SMTPSenderFactory`): `deferred` fires with
 * `[numOk, [[address, code, resp], ...]]` or fails with an `SMTPClientError`.
 *
 * @example
 * ```ts
 * import { SMTPSenderFactory } from "@tw/core/mail";
 * import { Deferred } from "@tw/core/defer";
 * const d = new Deferred<[number, [string, number, string][]]>();
 * const f = new SMTPSenderFactory("a@x.example", ["b@y.example"], "Hi\n", d, { retries: 0 });
 * console.log(f.toEmail); // [ "b@y.example" ]
 * ```
 */
export class SMTPSenderFactory extends ClientFactory {
  /** The sender. */
  fromEmail: string;
  /** The recipients. */
  toEmail: string[];
  /** The message. */
  message: Uint8Array | string;
  /** Fires with the result. */
  result: Deferred<SendResult>;
  /** Attempts left. */
  retries: number;
  /** Options in force. */
  protected options: ESMTPSenderFactoryOptions;
  #lastError: SMTPClientError | null = null;
  /** The protocol now sending, if any. */
  currentProtocol: SMTPSender | null = null;

  /** Sends `message` from `fromEmail` to `toEmail`, firing `deferred`. */
  constructor(
    fromEmail: string,
    toEmail: string | string[],
    message: Uint8Array | string,
    deferred: Deferred<SendResult>,
    options: SMTPSenderFactoryOptions = {},
  ) {
    super();
    this.fromEmail = fromEmail;
    this.toEmail = typeof toEmail === "string" ? [toEmail] : [...toEmail];
    this.message = message;
    this.result = deferred;
    this.retries = options.retries ?? 5;
    this.options = options;
  }

  /** Makes the sender protocol. */
  override buildProtocol(_addr: NetAddress): SMTPSender {
    const p = this.makeSender();
    p.senderFactory = this;
    p.factory = this;
    this.currentProtocol = p;
    return p;
  }

  /** The protocol to send with (`SMTPSender`; `ESMTPSenderFactory` makes `ESMTPSender`). */
  protected makeSender(): SMTPSender {
    const o = this.options;
    return new SMTPSender({ identity: o.identity, timeout: o.timeout, clock: o.clock });
  }

  /** The message was accepted. */
  sendFinished(result: SendResult): void {
    if (!this.result.called) this.result.callback(result);
  }

  /** Sending failed: retried on connection loss when the error allows, or reported. */
  sendFailed(error: SMTPClientError): void {
    if (this.result.called) return;
    if (error.retry && this.retries > 0) {
      this.#lastError = error;
      return;
    }
    this.result.errback(error);
  }

  /** Retries while attempts are left. */
  override clientConnectionFailed(connector: IConnector, reason: Failure): void {
    this.#retryOr(
      connector,
      new SMTPConnectError(-1, reason.value.message, { cause: reason.value }),
    );
  }

  /** Retries a retryable failure while attempts are left. */
  override clientConnectionLost(connector: IConnector, _reason: Failure): void {
    const error = this.#lastError;
    this.#lastError = null;
    this.currentProtocol = null;
    if (error !== null) this.#retryOr(connector, error);
  }

  #retryOr(connector: IConnector, error: SMTPClientError): void {
    if (this.result.called) return;
    if (this.retries-- > 0) connector.connect();
    else this.result.errback(error);
  }
}

/**
 * Sends one message over ESMTP (`ESMTPSenderFactory`): STARTTLS unless
 * `requireTransportSecurity: false`, AUTH with `username` / `password` when given.
 *
 * @example
 * ```ts
 * import { ESMTPSenderFactory } from "@tw/core/mail";
 * import { Deferred } from "@tw/core/defer";
 * const d = new Deferred<[number, [string, number, string][]]>();
 * const f = new ESMTPSenderFactory("alice", "pw", "a@x.example", "b@y.example", "Hi\n", d, {
 *   requireAuthentication: true,
 * });
 * console.log(f.username); // alice
 * ```
 */
export class ESMTPSenderFactory extends SMTPSenderFactory {
  /** The user name for AUTH. */
  username: string | null;
  /** The password for AUTH. */
  password: string | null;

  /** Sends `message` as `username` (null for no AUTH). */
  constructor(
    username: string | null,
    password: string | null,
    fromEmail: string,
    toEmail: string | string[],
    message: Uint8Array | string,
    deferred: Deferred<SendResult>,
    options: ESMTPSenderFactoryOptions = {},
  ) {
    super(fromEmail, toEmail, message, deferred, options);
    this.username = username;
    this.password = password;
  }

  /** Makes an `ESMTPSender`. */
  protected override makeSender(): SMTPSender {
    const o = this.options;
    return new ESMTPSender({
      identity: o.identity,
      timeout: o.timeout,
      clock: o.clock,
      username: this.username,
      secret: this.password,
      tlsOptions: o.tlsOptions,
      hostname: o.hostname,
      heloFallback: o.heloFallback,
      requireAuthentication: o.requireAuthentication,
      requireTransportSecurity: o.requireTransportSecurity,
    });
  }
}

/** Options of `sendmail`. */
export interface SendmailOptions {
  /** The port. @default 25 */
  port?: number;
  /** The name sent in EHLO. @default "localhost" */
  senderDomainName?: string;
  /** The user name for AUTH. @default null */
  username?: string | null;
  /** The password for AUTH. @default null */
  password?: string | null;
  /** Fail unless AUTH succeeds. @default false */
  requireAuthentication?: boolean;
  /** Fail unless STARTTLS succeeds. @default true */
  requireTransportSecurity?: boolean;
  /** Options for STARTTLS (`ca` ...). @default {} */
  tlsOptions?: TlsOptions | null;
  /** Connection attempts after the first. @default 0 */
  retries?: number;
  /** Seconds to wait for each reply. @default 60 */
  timeout?: number;
  /** The reactor to connect with. @default the reactor */
  reactor?: IReactorTCP & IReactorTime;
  /** The resolver for MX lookups when `smarthost` is null. @default `@tw/core/names`' */
  resolver?: Pick<IResolver, "lookupMailExchange"> | null;
}

/**
 * Sends `message` through `smarthost` (`twisted.mail.smtp.sendmail`): a cancellable Deferred
 * of `[numOk, [[address, code, resp], ...]]`. STARTTLS is required unless
 * `requireTransportSecurity: false` (then used when offered); the certificate is checked
 * against `smarthost`. Messages may use LF or CRLF line ends. With `smarthost: null` the
 * message goes to each recipient domain's mail exchangers (`MXCalculator`), trying them in
 * order of preference until one answers; the results are merged.
 *
 * @example
 * ```ts
 * import { sendmail } from "@tw/core/mail";
 * console.log(typeof sendmail); // function
 * // await sendmail("smtp.example.com", "a@example.com", ["b@example.net"], "Subject: hi\n\nHello\n",
 * //   { port: 587, username: "a", password: "secret" });
 * ```
 */
export function sendmail(
  smarthost: string | null,
  fromAddr: string,
  toAddrs: string | string[],
  message: Uint8Array | string,
  options: SendmailOptions = {},
): Deferred<SendResult> {
  if (smarthost === null) return sendmailMX(fromAddr, toAddrs, message, options);
  let connector: IConnector | null = null;
  let factory: ESMTPSenderFactory | null = null;
  const d = new Deferred<SendResult>(() => {
    if (factory !== null) factory.retries = 0;
    connector?.disconnect();
    factory?.currentProtocol?.transport?.abortConnection();
  });
  const reactor = options.reactor ?? getReactor();
  factory = new ESMTPSenderFactory(
    options.username ?? null,
    options.password ?? null,
    fromAddr,
    toAddrs,
    message,
    d,
    {
      retries: options.retries ?? 0,
      timeout: options.timeout,
      identity: options.senderDomainName,
      tlsOptions: options.tlsOptions,
      hostname: smarthost,
      requireAuthentication: options.requireAuthentication,
      requireTransportSecurity: options.requireTransportSecurity,
      clock: reactor,
    },
  );
  connector = reactor.connectTCP(smarthost, options.port ?? 25, factory);
  return d;
}

function sendmailMX(
  fromAddr: string,
  toAddrs: string | string[],
  message: Uint8Array | string,
  options: SendmailOptions,
): Deferred<SendResult> {
  const byDomain = new Map<string, string[]>();
  for (const addr of typeof toAddrs === "string" ? [toAddrs] : toAddrs) {
    const at = addr.lastIndexOf("@");
    const domain = at < 0 ? "" : addr.slice(at + 1).replace(/>$/, "").toLowerCase();
    byDomain.set(domain, [...byDomain.get(domain) ?? [], addr]);
  }
  const running = new Set<Deferred<unknown>>();
  let cancelled = false;
  const d = new Deferred<SendResult>(() => {
    cancelled = true;
    for (const r of running) r.cancel();
  });
  const mx = new MXCalculator(options.resolver ?? null, { clock: options.reactor ?? null });
  const track = <T>(x: Deferred<T>): Promise<T> => {
    running.add(x as Deferred<unknown>);
    return Promise.resolve(x).finally(() => running.delete(x as Deferred<unknown>));
  };
  const one = async (domain: string, rcpts: string[]): Promise<SendResult> => {
    const hosts = await track(mx.getMXList(domain));
    let last: unknown = new SMTPConnectError(-1, `No mail exchanger for ${domain}`);
    for (const host of hosts) {
      if (cancelled) break;
      try {
        const result = await track(sendmail(host, fromAddr, rcpts, message, options));
        mx.markGood(host);
        return result;
      } catch (e) {
        last = e;
        // Only a host that could not be reached or failed midway is worth the next one.
        if (!(e instanceof SMTPConnectError) && !(e as SMTPClientError).retry) break;
        mx.markBad(host);
      }
    }
    throw last;
  };
  Promise.all([...byDomain].map(([domain, rcpts]) => one(domain, rcpts))).then(
    (results) => {
      if (d.called) return;
      const all: RecipientResult[] = results.flatMap((r) => r[1]);
      d.callback([results.reduce((n, r) => n + r[0], 0), all]);
    },
    (e) => {
      if (!d.called) d.errback(e);
    },
  );
  return d;
}
