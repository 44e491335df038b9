/**
 * The IMAP client's selected-state commands (SEARCH, FETCH and its helpers,
 * STORE, COPY, MOVE) on top of `IMAP4ClientBase`: `IMAP4Client`. Private:
 * re-exported by `mod.ts`.
 * @module
 */
import { type FetchSpecificOptions, IMAP4ClientBase, sets } from "./_client.ts";
import { type FetchResult, mailboxName, parseFetch } from "./_client_syntax.ts";
import type { LiteralSinkResult } from "./_literal_sink.ts";

const latin1 = new TextDecoder("latin1");
const enc = new TextEncoder();

/**
 * An IMAP client session (Twisted's `IMAP4Client`): each method sends one
 * command and resolves with its parsed result, or rejects with
 * `IMAP4Exception`. Override `newMessages`, `flagsChanged` and `alert` to
 * hear unsolicited news (during IDLE too).
 *
 * @example
 * ```ts
 * import { IMAP4Client } from "@tw/core/mail/imap4";
 * import { ClientCreator, reactor } from "@tw/core";
 * async function unseen(port: number): Promise<number[]> {
 *   const client = await new ClientCreator(reactor, IMAP4Client)
 *     .connectTCP("127.0.0.1", port) as IMAP4Client;
 *   await client.whenGreeted;
 *   await client.login("alice", "secret");
 *   await client.select("INBOX");
 *   const found = await client.search("UNSEEN");
 *   await client.logout();
 *   return found;
 * }
 * ```
 */
export class IMAP4Client extends IMAP4ClientBase {
  /** SEARCH with a query (`Query(...)` or raw criteria); UIDs with `uid`. */
  async search(query: string, options: { uid?: boolean } = {}): Promise<number[]> {
    const charset = /[^\x20-\x7e]/.test(query) ? "CHARSET UTF-8 " : "";
    const bytes = enc.encode(query);
    const r = await this.sendCommand([
      `${options.uid ? "UID " : ""}SEARCH ${charset}`,
      ...(charset ? [latin1.decode(bytes)] : [query]),
    ]);
    const out: number[] = [];
    for (const u of r.untagged) {
      if (u.name !== "SEARCH") continue;
      for (const n of u.text.trim().split(/\s+/)) if (n !== "") out.push(Number(n));
    }
    return out;
  }

  /**
   * FETCH with raw attributes: results by sequence number. A literal that a
   * `messageFile` sink took has the sink's `close()` result as its value; a
   * sink that failed rejects the command (once the server completed it).
   */
  async fetch(messages: string | number, attributes: string, uid = false): Promise<FetchResult> {
    const r = await this.sendCommand([`${uid ? "UID " : ""}FETCH ${sets(messages)} ${attributes}`]);
    const out: FetchResult = {};
    for (const u of r.untagged) {
      if (u.name !== "FETCH" || u.seq === null) continue;
      let streamed: Map<number, LiteralSinkResult> | undefined;
      if (u.streamed !== undefined) {
        streamed = new Map();
        for (const [at, result] of u.streamed) streamed.set(at, await result);
      }
      u.s.sp();
      out[u.seq] = { ...out[u.seq], ...parseFetch(u.s, streamed) };
    }
    return out;
  }

  /** FETCH UID. */
  fetchUID(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(UID)", uid);
  }
  /** FETCH FLAGS. */
  fetchFlags(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(FLAGS)", uid);
  }
  /** FETCH INTERNALDATE. */
  fetchInternalDate(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(INTERNALDATE)", uid);
  }
  /** FETCH ENVELOPE. */
  fetchEnvelope(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(ENVELOPE)", uid);
  }
  /** FETCH BODYSTRUCTURE (nested lists as parsed). */
  fetchBodyStructure(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(BODYSTRUCTURE)", uid);
  }
  /** FETCH BODY (the simplified structure). */
  fetchSimplifiedBody(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(BODY)", uid);
  }
  /** FETCH RFC822 (the whole message; sets \Seen). */
  fetchMessage(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(RFC822)", uid);
  }
  /** FETCH RFC822.HEADER. */
  fetchHeaders(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(RFC822.HEADER)", uid);
  }
  /** FETCH RFC822.TEXT. */
  fetchBody(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(RFC822.TEXT)", uid);
  }
  /** FETCH RFC822.SIZE. */
  fetchSize(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "(RFC822.SIZE)", uid);
  }
  /** FETCH FULL. */
  fetchFull(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "FULL", uid);
  }
  /** FETCH ALL. */
  fetchAll(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "ALL", uid);
  }
  /** FETCH FAST. */
  fetchFast(messages: string | number, uid = false): Promise<FetchResult> {
    return this.fetch(messages, "FAST", uid);
  }

  /** FETCH BODY[section]<partial> (BODY.PEEK with `peek`). */
  fetchSpecific(
    messages: string | number,
    options: FetchSpecificOptions = {},
  ): Promise<FetchResult> {
    let section = (options.headerNumber ?? []).join(".");
    const type = options.headerType ?? "";
    if (type !== "") section += (section === "" ? "" : ".") + type;
    if (options.headerArgs?.length) section += ` (${options.headerArgs.join(" ")})`;
    let att = `BODY${options.peek ? ".PEEK" : ""}[${section}]`;
    if (options.offset !== undefined) att += `<${options.offset}.${options.length ?? 4294967295}>`;
    return this.fetch(messages, `(${att})`, options.uid ?? false);
  }

  async #store(
    messages: string | number,
    mode: string,
    flags: string[],
    silent: boolean,
    uid: boolean,
  ): Promise<FetchResult> {
    const r = await this.sendCommand([
      `${uid ? "UID " : ""}STORE ${sets(messages)} ${mode}FLAGS${silent ? ".SILENT" : ""} (${
        flags.join(" ")
      })`,
    ]);
    const out: FetchResult = {};
    for (const u of r.untagged) {
      if (u.name !== "FETCH" || u.seq === null) continue;
      u.s.sp();
      out[u.seq] = parseFetch(u.s);
    }
    return out;
  }

  /** STORE FLAGS. */
  setFlags(
    messages: string | number,
    flags: string[],
    options: { silent?: boolean; uid?: boolean } = {},
  ): Promise<FetchResult> {
    return this.#store(messages, "", flags, options.silent ?? false, options.uid ?? false);
  }
  /** STORE +FLAGS. */
  addFlags(
    messages: string | number,
    flags: string[],
    options: { silent?: boolean; uid?: boolean } = {},
  ): Promise<FetchResult> {
    return this.#store(messages, "+", flags, options.silent ?? false, options.uid ?? false);
  }
  /** STORE -FLAGS. */
  removeFlags(
    messages: string | number,
    flags: string[],
    options: { silent?: boolean; uid?: boolean } = {},
  ): Promise<FetchResult> {
    return this.#store(messages, "-", flags, options.silent ?? false, options.uid ?? false);
  }

  /** COPY; resolves with the COPYUID text (`validity src dst`) when given. */
  async copy(
    messages: string | number,
    mailbox: string,
    options: { uid?: boolean } = {},
  ): Promise<string | null> {
    const r = await this.sendCommand([
      `${options.uid ? "UID " : ""}COPY ${sets(messages)} `,
      mailboxName(mailbox),
    ]);
    return /\[COPYUID ([^\]]*)\]/i.exec(r.text)?.[1] ?? null;
  }

  /** MOVE (RFC 6851); resolves with the expunged sequence numbers. */
  async move(
    messages: string | number,
    mailbox: string,
    options: { uid?: boolean } = {},
  ): Promise<number[]> {
    const r = await this.sendCommand([
      `${options.uid ? "UID " : ""}MOVE ${sets(messages)} `,
      mailboxName(mailbox),
    ]);
    return r.untagged.filter((u) => u.name === "EXPUNGE").map((u) => u.seq!);
  }
}
