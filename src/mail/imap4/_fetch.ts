/**
 * FETCH responses and SEARCH matching for one message. Private to the imap4 folder.
 * @module
 */
import type { IMessage, IMessageFile, IMessagePart } from "./_interfaces.ts";
import { decodeHeaderText } from "./_rfc2047.ts";
import type { FetchAttribute, SearchKey, Section } from "./_syntax.ts";
import { formatDateTime } from "./_syntax.ts";
import {
  bodyStructure,
  type Entity,
  envelope,
  headerValues,
  parseEntity,
  sectionBytes,
  toCRLF,
} from "./_mime.ts";

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

/** A message as a session sees it: its state and, loaded on demand, its bytes. */
export class LoadedMessage {
  /** Sequence number. */
  readonly seq: number;
  /** UID. */
  readonly uid: number;
  /** Flags (with `\Recent` when recent). */
  flags: string[];
  /** INTERNALDATE. */
  readonly internalDate: Date;
  #load: () => PromiseLike<Uint8Array> | Uint8Array;
  #bytes: Uint8Array | null = null;
  #entity: Entity | null = null;

  /**
   * Makes the instance.
   * @param seq sequence number
   * @param uid UID
   * @param flags flags
   * @param internalDate INTERNALDATE
   * @param load reads the stored bytes
   */
  constructor(
    seq: number,
    uid: number,
    flags: string[],
    internalDate: Date,
    load: () => PromiseLike<Uint8Array> | Uint8Array,
  ) {
    this.seq = seq;
    this.uid = uid;
    this.flags = flags;
    this.internalDate = internalDate;
    this.#load = load;
  }

  /** The message with CRLF line endings. */
  async bytes(): Promise<Uint8Array> {
    return this.#bytes ??= toCRLF(await this.#load());
  }

  /** Its MIME structure. */
  async entity(): Promise<Entity> {
    const bytes = await this.bytes();
    return this.#entity ??= parseEntity(bytes);
  }
}

/** A part of a loaded message as an `IMessagePart`. */
class PartView implements IMessagePart {
  protected readonly loaded: LoadedMessage;
  readonly #path: number[];

  constructor(loaded: LoadedMessage, path: number[]) {
    this.loaded = loaded;
    this.#path = path;
  }

  protected async part(): Promise<Entity> {
    let e = await this.loaded.entity();
    for (const i of this.#path) {
      const next = e.message !== null ? e.message : e.parts[i];
      if (next === undefined) throw new RangeError(`No part ${i}`);
      e = next;
    }
    return e;
  }

  async getHeaders(negate: boolean, ...names: string[]): Promise<Record<string, string>> {
    const wanted = new Set(names.map((n) => n.toUpperCase()));
    const out: Record<string, string> = {};
    for (const [name, value] of (await this.part()).headers) {
      if (names.length > 0 && wanted.has(name) === negate) continue;
      const key = name.toLowerCase();
      if (!(key in out)) out[key] = value;
    }
    return out;
  }

  async getBodyFile(): Promise<Uint8Array> {
    const e = await this.part();
    return (await this.loaded.bytes()).subarray(e.bodyStart, e.end);
  }

  async getSize(): Promise<number> {
    const e = await this.part();
    return e.end - e.headerStart;
  }

  async isMultipart(): Promise<boolean> {
    return (await this.part()).type === "multipart";
  }

  async getSubPart(part: number): Promise<IMessagePart> {
    const e = await this.part();
    const ok = e.message !== null ? part === 0 : part >= 0 && part < e.parts.length;
    if (!ok) throw new RangeError(`No part ${part}`);
    return new PartView(this.loaded, [...this.#path, part]);
  }
}

/** A message of a session's view as an `IMessage` and `IMessageFile` (for `IMessageCopier`). */
export class MessageView extends PartView implements IMessage, IMessageFile {
  readonly #flags: string[];

  /**
   * Makes the instance.
   * @param loaded the message
   * @param flags its flags, without \Recent
   */
  constructor(loaded: LoadedMessage, flags: string[]) {
    super(loaded, []);
    this.#flags = flags;
  }

  getUID(): number {
    return this.loaded.uid;
  }

  getFlags(): string[] {
    return [...this.#flags];
  }

  getInternalDate(): Date {
    return this.loaded.internalDate;
  }

  override async getSize(): Promise<number> {
    return (await this.loaded.bytes()).byteLength;
  }

  async open(): Promise<Uint8Array> {
    return await this.loaded.bytes();
  }
}

/** True when an attribute needs the message's bytes. */
export function needsBody(att: FetchAttribute): boolean {
  return !["FLAGS", "INTERNALDATE", "UID"].includes(att.kind);
}

/** True when fetching this attribute sets \Seen. */
export function setsSeen(att: FetchAttribute): boolean {
  return (att.kind === "BODY[]" && !att.peek) || att.kind === "RFC822" ||
    att.kind === "RFC822.TEXT";
}

function sectionName(section: Section): string {
  let s = section.part.join(".");
  if (section.text !== "") s += (s === "" ? "" : ".") + section.text;
  if (section.fields.length > 0) s += ` (${section.fields.join(" ")})`;
  return s;
}

const flagList = (flags: string[]): string => `(${flags.join(" ")})`;

/**
 * The items of a FETCH response (`FLAGS (\Seen) BODY[] {12}...`) as pieces:
 * text (octets as latin1) and bytes.
 */
export async function fetchItems(
  m: LoadedMessage,
  atts: FetchAttribute[],
  uid: boolean,
): Promise<(string | Uint8Array)[]> {
  const out: (string | Uint8Array)[] = [];
  let text = "";
  const item = (s: string) => {
    text += (text === "" && out.length === 0 ? "" : " ") + s;
  };
  const literal = (prefix: string, bytes: Uint8Array | null) => {
    if (bytes === null) {
      item(`${prefix} NIL`);
      return;
    }
    item(`${prefix} {${bytes.byteLength}}\r\n`);
    out.push(text, bytes);
    text = "";
  };
  if (uid && !atts.some((a) => a.kind === "UID")) item(`UID ${m.uid}`);
  for (const att of atts) {
    switch (att.kind) {
      case "UID":
        item(`UID ${m.uid}`);
        break;
      case "FLAGS":
        item(`FLAGS ${flagList(m.flags)}`);
        break;
      case "INTERNALDATE":
        item(`INTERNALDATE "${formatDateTime(m.internalDate)}"`);
        break;
      case "RFC822.SIZE":
        item(`RFC822.SIZE ${(await m.bytes()).byteLength}`);
        break;
      case "ENVELOPE":
        item(`ENVELOPE ${envelope(await m.entity())}`);
        break;
      case "BODY":
      case "BODYSTRUCTURE":
        item(
          `${att.kind} ${
            bodyStructure(await m.bytes(), await m.entity(), att.kind === "BODYSTRUCTURE")
          }`,
        );
        break;
      case "RFC822":
        literal("RFC822", await m.bytes());
        break;
      case "RFC822.HEADER":
        literal("RFC822.HEADER", sectionBytes(await m.bytes(), await m.entity(), [], "HEADER", []));
        break;
      case "RFC822.TEXT":
        literal("RFC822.TEXT", sectionBytes(await m.bytes(), await m.entity(), [], "TEXT", []));
        break;
      case "BODY[]": {
        const { part, text: t, fields } = att.section;
        const bytes = part.length === 0 && t === ""
          ? await m.bytes()
          : sectionBytes(await m.bytes(), await m.entity(), part, t, fields);
        let body = bytes ?? new Uint8Array(0);
        let name = `BODY[${sectionName(att.section)}]`;
        if (att.partial !== null) {
          const [start, length] = att.partial;
          body = body.subarray(
            Math.min(start, body.byteLength),
            Math.min(start + length, body.byteLength),
          );
          name += `<${start}>`;
        }
        literal(name, body);
        break;
      }
    }
  }
  if (text !== "") out.push(text);
  return out;
}

const DAY = 86400000;
const dayOf = (d: Date): number => Math.floor(d.getTime() / DAY);

function sentDay(e: Entity): number | null {
  const v = headerValues(e, "DATE")[0];
  if (v === undefined) return null;
  const t = Date.parse(v.replace(/\([^)]*\)/g, "").trim());
  return Number.isNaN(t) ? null : Math.floor(t / DAY);
}

function needsContent(key: SearchKey): boolean {
  switch (key.op) {
    case "AND":
      return key.keys.some(needsContent);
    case "OR":
      return needsContent(key.a) || needsContent(key.b);
    case "NOT":
      return needsContent(key.key);
    case "SIZE":
    case "HEADER":
    case "BODY":
    case "TEXT":
      return true;
    case "DATE":
      return key.sent;
    default:
      return false;
  }
}

const fold = (s: string): string => s.toLowerCase();

/** True when message `m` (of `last` messages) matches `key`. */
export async function matches(
  m: LoadedMessage,
  key: SearchKey,
  last: number,
  lastUid: number,
): Promise<boolean> {
  const content = needsContent(key);
  const bytes = content ? await m.bytes() : null;
  const entity = content ? await m.entity() : null;
  let bodyText: string | null = null;
  const body = (): string => {
    if (bodyText === null) {
      const b = bytes!.subarray(entity!.bodyStart);
      bodyText = fold(utf8.decode(b));
    }
    return bodyText;
  };
  const test = (k: SearchKey): boolean => {
    switch (k.op) {
      case "ALL":
        return true;
      case "AND":
        return k.keys.every(test);
      case "OR":
        return test(k.a) || test(k.b);
      case "NOT":
        return !test(k.key);
      case "SEQ":
        k.set.last = last;
        return k.set.contains(m.seq);
      case "UID":
        k.set.last = lastUid;
        return k.set.contains(m.uid);
      case "FLAG":
        return m.flags.some((f) => fold(f) === fold(k.flag)) === k.has;
      case "RECENT":
        return m.flags.includes("\\Recent") === k.has;
      case "SIZE":
        return k.larger ? bytes!.byteLength > k.n : bytes!.byteLength < k.n;
      case "DATE": {
        const day = k.sent ? sentDay(entity!) : dayOf(m.internalDate);
        if (day === null) return false;
        return k.cmp === "BEFORE" ? day < k.day : k.cmp === "ON" ? day === k.day : day >= k.day;
      }
      case "HEADER": {
        // Decoded text (RFC 2047 encoded-words), case-insensitive (RFC 3501 §6.4.4).
        const want = fold(k.value);
        return headerValues(entity!, k.name).some((v) => fold(decodeHeaderText(v)).includes(want));
      }
      case "BODY":
        return body().includes(fold(k.value));
      case "TEXT": {
        const want = fold(k.value);
        const head = fold(latin1.decode(bytes!.subarray(0, entity!.bodyStart)));
        return head.includes(want) || body().includes(want) ||
          entity!.headers.some(([, v]) => fold(decodeHeaderText(v)).includes(want));
      }
    }
  };
  return test(key);
}
