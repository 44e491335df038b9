/**
 * Delivery status notifications (`twisted.mail.bounce.generateBounce`), as
 * RFC 3464 reports. Private: re-exported by `src/mail/mod.ts`.
 * @module
 */
import { messageid, rfc822date } from "../smtp/_address.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const MAX_RETURNED = 10 * 1024;

/** Options of `generateBounce`. */
export interface GenerateBounceOptions {
  /**
   * The human-readable explanation (the report's first part).
   * @default a sentence naming the address and saying it will not be retried
   */
  transcript?: string;
  /**
   * The RFC 3463 status of the failure.
   * @default "5.0.0"
   */
  status?: string;
  /**
   * The remote server's reply, as `Diagnostic-Code: smtp; ...`.
   * @default none
   */
  diagnostic?: string | null;
  /**
   * The host writing the report (`Reporting-MTA: dns; ...`).
   * @default "localhost"
   */
  reportingMTA?: string;
  /**
   * The remote server (`Remote-MTA: dns; ...`).
   * @default none
   */
  remoteMTA?: string | null;
  /**
   * When the message arrived.
   * @default now
   */
  arrivalDate?: Date;
  /**
   * The time of the report.
   * @default now
   */
  now?: Date;
  /**
   * Return the whole message (`message/rfc822`) when it is no larger than this
   * (octets); a larger one is returned as its header only (`text/rfc822-headers`).
   * @default 10240
   */
  maxReturned?: number;
}

/** The header part of a message (up to the first empty line), LF line ends. */
function headerOf(text: string): string {
  const m = /\r?\n\r?\n/.exec(text);
  return m === null ? text : text.slice(0, m.index + 1);
}

const clean = (s: string): string => s.replace(/[\r\n]+/g, " ").trim();

/**
 * A bounce for a message that could not be delivered (Twisted's
 * `generateBounce`): an RFC 3464 `multipart/report; report-type=delivery-status`
 * with a readable part, the `message/delivery-status` fields (Reporting-MTA,
 * Arrival-Date, Final-Recipient, Action: failed, Status, Diagnostic-Code) and
 * the message returned (whole, or its header when large). Returns Twisted's
 * triple: the bounce's sender ("", the null reverse path), its recipient
 * (the failed message's sender) and the bounce's bytes (LF line ends).
 *
 * @example
 * ```ts
 * import { generateBounce } from "@tw/core/mail";
 * const [from, to, bounce] = generateBounce(
 *   "Subject: hi\n\nhello\n",
 *   "alice@example.com",
 *   "bob@example.org",
 *   { status: "5.1.1", diagnostic: "550 5.1.1 No such user", reportingMTA: "mx.example.com" },
 * );
 * console.log(JSON.stringify(from), to); // "" alice@example.com
 * console.log(new TextDecoder().decode(bounce).includes("Status: 5.1.1")); // true
 * ```
 */
export function generateBounce(
  message: Uint8Array | string,
  failedFrom: string,
  failedTo: string,
  options: GenerateBounceOptions = {},
): [string, string, Uint8Array] {
  const original = typeof message === "string" ? message : dec.decode(message);
  const now = options.now ?? new Date();
  const to = clean(failedTo);
  const from = clean(failedFrom);
  const at = to.lastIndexOf("@");
  const failedDomain = at >= 0 ? to.slice(at + 1) : (options.reportingMTA ?? "localhost");
  const reporting = clean(options.reportingMTA ?? "localhost");
  const status = /^[245]\.\d{1,3}\.\d{1,3}$/.test(options.status ?? "") ? options.status! : "5.0.0";
  const transcript = options.transcript ??
    `I'm sorry, the following address has permanent errors: ${to}.\n` +
      "I've given up, and I will not retry the message again.\n";
  const random = new Uint8Array(8);
  globalThis.crypto.getRandomValues(random);
  const boundary = `${now.getTime()}.${
    Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("")
  }/${reporting}`;
  const limit = options.maxReturned ?? MAX_RETURNED;
  const whole = enc.encode(original).byteLength <= limit;
  const lines = [
    `From: Mail Delivery System <postmaster@${clean(failedDomain)}>`,
    `To: ${from}`,
    "Subject: Returned Mail: see transcript for details",
    `Date: ${rfc822date(now)}`,
    `Message-ID: ${messageid("bounce", reporting)}`,
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type=delivery-status;`,
    `\tboundary="${boundary}"`,
    "",
    "This is a MIME-encapsulated message.",
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "",
    transcript.replace(/\r\n/g, "\n").replace(/\n$/, ""),
    "",
    `--${boundary}`,
    "Content-Type: message/delivery-status",
    "",
    `Reporting-MTA: dns; ${reporting}`,
    `Arrival-Date: ${rfc822date(options.arrivalDate ?? now)}`,
    "",
    `Final-Recipient: rfc822; ${to}`,
    "Action: failed",
    `Status: ${status}`,
  ];
  if (options.remoteMTA) lines.push(`Remote-MTA: dns; ${clean(options.remoteMTA)}`);
  if (options.diagnostic) lines.push(`Diagnostic-Code: smtp; ${clean(options.diagnostic)}`);
  lines.push(`Last-Attempt-Date: ${rfc822date(now)}`, "");
  lines.push(`--${boundary}`);
  lines.push(whole ? "Content-Type: message/rfc822" : "Content-Type: text/rfc822-headers", "");
  const returned = (whole ? original : headerOf(original)).replace(/\r\n/g, "\n");
  const tail = `${returned}${returned.endsWith("\n") ? "" : "\n"}\n--${boundary}--\n`;
  return ["", failedFrom, enc.encode(lines.join("\n") + "\n" + tail)];
}
