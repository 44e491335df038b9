/**
 * Relaying the queue (`twisted.mail.relaymanager`): `SmartHostSMTPRelayingManager`,
 * `SmartHostESMTPRelayingManager` and `RelayStateHelper`, with retries and backoff,
 * then an RFC 3464 bounce. Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import type { ServiceResult } from "../../application/_service.ts";
import { TimerService } from "../../application/_timer.ts";
import type { IReactorTime } from "../../internet/interfaces.ts";
import { getReactor } from "../../internet/reactor.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import { Logger } from "../../logger/mod.ts";
import { Address, User } from "../smtp/_address.ts";
import { SMTPClientError } from "../smtp/_client_errors.ts";
import type { SendResult } from "../smtp/_client.ts";
import type { IMessage } from "../smtp/_interfaces.ts";
import { sendmail } from "../smtp/_sender.ts";
import { generateBounce } from "./_bounce.ts";
import type { IDomain } from "./_domain.ts";
import type { Queue, QueueEnvelope } from "./_queue.ts";

const log = new Logger("tw.mail.relay");

/** Sends one queued message: resolves with `sendmail`'s result, or fails. */
export type RelaySend = (
  from: string,
  to: string,
  message: Uint8Array,
) => PromiseLike<SendResult>;

/** Options of the relaying managers. */
export interface RelayingManagerOptions {
  /**
   * Messages relayed at once.
   * @default 2
   */
  maxConnections?: number;
  /**
   * Relay everything to this host (`HOST` or `HOST:PORT`, `[IPv6]:PORT`); null
   * sends to each recipient domain's MX.
   * @default null
   */
  smarthost?: string | null;
  /**
   * The port of the MX hosts (and of a smart host given without one).
   * @default 25
   */
  port?: number;
  /**
   * The name sent in EHLO and written in bounces.
   * @default "localhost"
   */
  hostname?: string;
  /**
   * Fail (and retry) when the next hop offers no STARTTLS; MX hosts often do
   * not, so relaying uses TLS when offered.
   * @default false
   */
  requireTransportSecurity?: boolean;
  /**
   * TLS options for STARTTLS (a `ca`...).
   * @default {}
   */
  tlsOptions?: TlsOptions | null;
  /**
   * How a message is sent.
   * @default `sendmail` with the options above
   */
  send?: RelaySend;
  /**
   * The clock for retry times.
   * @default the reactor
   */
  clock?: IReactorTime;
  /**
   * Seconds before the first retry; each next one waits twice as long.
   * @default 60
   */
  retryDelay?: number;
  /**
   * The longest wait between two attempts, in seconds.
   * @default 3600
   */
  maxRetryDelay?: number;
  /**
   * Seconds after which a message still failing temporarily is bounced
   * (RFC 5321 §4.5.4.1: at least 4 to 5 days).
   * @default 432000
   */
  giveUpAfter?: number;
  /**
   * Where bounces to local addresses are delivered: a recipient whose domain
   * is one of these gets its bounce at once; others go through the queue.
   * @default none
   */
  domains?: { hasOwn(name: string): boolean; getItem(name: string): IDomain } | null;
}

/** Splits `HOST:PORT` (`[IPv6]:PORT`); the port defaults to `port`. */
export function splitHostPort(text: string, port: number): [string, number] {
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (v6) return [v6[1], v6[2] ? Number(v6[2]) : port];
  const m = /^([^:]+):(\d{1,5})$/.exec(text);
  if (m) return [m[1], Number(m[2])];
  return [text, port];
}

function describe(error: unknown): string {
  if (error instanceof SMTPClientError) {
    return error.code >= 0 ? `${error.code} ${error.resp}` : error.resp;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A permanent failure (5xx): bounce at once. */
function isPermanent(code: number): boolean {
  return code >= 500 && code < 600;
}

const enhanced = (text: string, fallback: string): string =>
  /(?:^|\s)([245]\.\d{1,3}\.\d{1,3})(?:\s|$)/.exec(text)?.[1] ?? fallback;

/**
 * Relays the queue's messages (Twisted's `SmartHostSMTPRelayingManager`):
 * `checkState()` reads the queue directory and sends waiting messages, at
 * most `maxConnections` at a time, to the smart host or to each recipient's
 * MX. A delivered message leaves the queue; a temporary failure (4xx, no
 * connection, a timeout) is retried after `retryDelay` seconds, doubling up
 * to `maxRetryDelay`, until `giveUpAfter`; a permanent failure (5xx) or
 * giving up sends an RFC 3464 bounce to the sender (never for a bounce:
 * a message from the null sender is dropped and logged).
 *
 * @example
 * ```ts
 * import { Queue, SmartHostSMTPRelayingManager } from "@tw/core/mail";
 * import { reactor } from "@tw/core";
 * await reactor.runtime.mkdir("/tmp/tw-relay-example", { recursive: true });
 * const queue = new Queue("/tmp/tw-relay-example");
 * const sent: string[] = [];
 * const manager = new SmartHostSMTPRelayingManager(queue, {
 *   send: (_from, to) => {
 *     sent.push(to);
 *     return Promise.resolve([1, [[to, 250, "OK"]]]);
 *   },
 * });
 * const m = queue.createNewMessage({ from: "a@example.com", to: "b@example.org" });
 * m.lineReceived(new TextEncoder().encode("Subject: hi"));
 * await m.eomReceived();
 * await manager.checkState();
 * console.log(sent); // [ "b@example.org" ]
 * ```
 */
export class SmartHostSMTPRelayingManager {
  /** The queue relayed. */
  readonly queue: Queue;
  /** Messages relayed at once. */
  maxConnections: number;
  /** The messages being relayed now. */
  readonly managed: Set<string> = new Set();
  #options: RelayingManagerOptions;
  #clock: IReactorTime | undefined;
  #sending = new Set<PromiseLike<SendResult> & { cancel?(): void }>();
  #stopped = false;

  /**
   * Makes the manager.
   * @param queue the queue to relay
   * @param options where to send, retries and bounces
   */
  constructor(queue: Queue, options: RelayingManagerOptions = {}) {
    this.queue = queue;
    this.maxConnections = Math.max(1, options.maxConnections ?? 2);
    this.#options = options;
    this.#clock = options.clock;
  }

  #now(): number {
    return (this.#clock ?? getReactor()).seconds() * 1000;
  }

  /**
   * Reads the queue and relays what is due; resolves once the attempts it
   * started are over. Never fails (problems are logged).
   */
  async checkState(): Promise<void> {
    this.#stopped = false;
    try {
      await this.queue.readDirectory();
    } catch (error) {
      log.error("Cannot read the relay queue {dir}: {error}", {
        dir: this.queue.directory,
        error: describe(error),
      });
      return;
    }
    const now = this.#now();
    const attempts: Promise<void>[] = [];
    for (const name of this.queue.getWaiting()) {
      if (this.managed.size >= this.maxConnections || this.#stopped) break;
      let envelope: QueueEnvelope;
      try {
        envelope = await this.queue.getEnvelope(name);
      } catch (error) {
        log.error("Cannot read the envelope of {name}: {error}", { name, error: describe(error) });
        continue;
      }
      if ((envelope.nextAttempt ?? 0) > now) continue;
      if (!this.queue.getWaiting().includes(name)) continue;
      this.queue.setRelaying(name);
      this.managed.add(name);
      attempts.push(this.#relay(name, envelope).finally(() => this.managed.delete(name)));
    }
    await Promise.all(attempts);
  }

  #send(from: string, to: string, message: Uint8Array): PromiseLike<SendResult> {
    const o = this.#options;
    if (o.send) return o.send(from, to, message);
    const port = o.port ?? 25;
    const [host, hostPort] = o.smarthost ? splitHostPort(o.smarthost, port) : [null, port];
    return sendmail(host, from, to, message, {
      port: hostPort,
      senderDomainName: o.hostname ?? "localhost",
      requireTransportSecurity: o.requireTransportSecurity ?? false,
      tlsOptions: o.tlsOptions ?? null,
    });
  }

  async #relay(name: string, envelope: QueueEnvelope): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = await this.queue.getMessage(name);
    } catch (error) {
      log.error("Cannot read queued message {name}: {error}", { name, error: describe(error) });
      this.queue.setWaiting(name);
      return;
    }
    if (this.#stopped) {
      this.queue.setWaiting(name);
      return;
    }
    let code = -1;
    let reply = "";
    try {
      const sending = this.#send(envelope.from, envelope.to, bytes);
      this.#sending.add(sending);
      let result: SendResult;
      try {
        result = await sending;
      } finally {
        this.#sending.delete(sending);
      }
      const [numOk, results] = result;
      if (numOk >= 1) {
        log.info("Relayed {name} to {to}", { name, to: envelope.to });
        await this.queue.done(name);
        return;
      }
      const [, c, r] = results[0] ?? ["", -1, "Recipient refused"];
      code = c;
      reply = `${c} ${r}`;
    } catch (error) {
      code = error instanceof SMTPClientError ? error.code : -1;
      reply = describe(error);
    }
    if (this.#stopped) {
      // Stopped mid-attempt: the message waits, as it was, for the next start.
      this.queue.setWaiting(name);
      return;
    }
    try {
      await this.#failed(name, envelope, bytes, code, reply);
    } catch (error) {
      log.error("Cannot update queued message {name}: {error}", { name, error: describe(error) });
      this.queue.setWaiting(name);
    }
  }

  /** Cancels the attempts in progress (their messages wait for the next `checkState`). */
  stop(): void {
    this.#stopped = true;
    for (const sending of [...this.#sending]) sending.cancel?.();
  }

  async #failed(
    name: string,
    envelope: QueueEnvelope,
    bytes: Uint8Array,
    code: number,
    reply: string,
  ): Promise<void> {
    const o = this.#options;
    const now = this.#now();
    const attempts = (envelope.attempts ?? 0) + 1;
    const created = envelope.created ?? now;
    const giveUp = (o.giveUpAfter ?? 5 * 86400) * 1000;
    if (!isPermanent(code) && now - created < giveUp) {
      const base = o.retryDelay ?? 60;
      const delay = Math.min(base * 2 ** Math.min(attempts - 1, 30), o.maxRetryDelay ?? 3600);
      await this.queue.setEnvelope(name, {
        ...envelope,
        attempts,
        nextAttempt: now + delay * 1000,
        lastError: reply,
      });
      log.warn("Relaying {name} to {to} failed ({reply}); retrying in {delay} s", {
        name,
        to: envelope.to,
        reply,
        delay,
      });
      this.queue.setWaiting(name);
      return;
    }
    log.warn("Giving up relaying {name} to {to}: {reply}", { name, to: envelope.to, reply });
    if (envelope.from !== "") {
      await this.#bounce(envelope, bytes, code, reply, created);
    } else {
      log.warn("Dropping undeliverable bounce {name} to {to}", { name, to: envelope.to });
    }
    await this.queue.done(name);
  }

  async #bounce(
    envelope: QueueEnvelope,
    bytes: Uint8Array,
    code: number,
    reply: string,
    created: number,
  ): Promise<void> {
    const o = this.#options;
    const permanent = isPermanent(code);
    const [from, to, bounce] = generateBounce(bytes, envelope.from, envelope.to, {
      status: permanent ? enhanced(reply, "5.0.0") : "4.4.7",
      diagnostic: code >= 0 ? reply : null,
      transcript: permanent
        ? `Your message to ${envelope.to} was refused: ${reply}\n`
        : `Your message to ${envelope.to} could not be delivered in time; ` +
          `the last attempt failed with: ${reply}\n`,
      reportingMTA: o.hostname ?? "localhost",
      arrivalDate: new Date(created),
      now: new Date(this.#now()),
    });
    let address: Address;
    try {
      address = new Address(to);
    } catch {
      log.warn("Cannot bounce to {to}: not an address", { to });
      return;
    }
    if (o.domains && address.domain !== "" && o.domains.hasOwn(address.domain)) {
      const domain = o.domains.getItem(address.domain);
      try {
        const make = await domain.exists(new User(address, null, null, ""));
        const message: IMessage = make();
        for (const line of splitLines(bounce)) message.lineReceived(line);
        await message.eomReceived();
        return;
      } catch (error) {
        log.warn("Cannot deliver the bounce to {to}: {error}", { to, error: describe(error) });
        return;
      }
    }
    const name = this.queue.createNewMessage({ from, to }).name;
    await this.queue.writeMessage(name, { from, to }, bounce);
  }
}

function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] !== 0x0a) continue;
    lines.push(bytes.subarray(start, i > start && bytes[i - 1] === 0x0d ? i - 1 : i));
    start = i + 1;
  }
  if (start < bytes.byteLength) lines.push(bytes.subarray(start));
  return lines;
}

/**
 * Twisted's ESMTP relaying manager: the same as `SmartHostSMTPRelayingManager`
 * here, whose client always speaks ESMTP (EHLO, STARTTLS when offered,
 * falling back to HELO).
 *
 * @example
 * ```ts
 * import { Queue, SmartHostESMTPRelayingManager } from "@tw/core/mail";
 * const manager = new SmartHostESMTPRelayingManager(new Queue("/tmp/tw-relay-example"), {
 *   smarthost: "smtp.example.com:587",
 *   hostname: "mx.example.com",
 * });
 * console.log(manager.maxConnections); // 2
 * ```
 */
export class SmartHostESMTPRelayingManager extends SmartHostSMTPRelayingManager {}

/**
 * A service calling `manager.checkState()` every `delay` seconds (Twisted's
 * `RelayStateHelper`, a `TimerService`).
 *
 * @example
 * ```ts
 * import { Queue, RelayStateHelper, SmartHostSMTPRelayingManager } from "@tw/core/mail";
 * const manager = new SmartHostSMTPRelayingManager(new Queue("/tmp/tw-relay-example"));
 * const helper = RelayStateHelper(manager, 1);
 * console.log(helper.interval); // 1
 * ```
 */
export function RelayStateHelper(
  manager: SmartHostSMTPRelayingManager,
  delay: number,
): TimerService {
  return new RelayStateService(delay, manager);
}

/** The timer of `RelayStateHelper`: stopping it cancels the attempts in progress. */
class RelayStateService extends TimerService {
  #manager: SmartHostSMTPRelayingManager;

  constructor(delay: number, manager: SmartHostSMTPRelayingManager) {
    super(delay, () => manager.checkState());
    this.#manager = manager;
  }

  override stopService(): ServiceResult {
    this.#manager.stop();
    return super.stopService();
  }
}
