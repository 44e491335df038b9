/**
 * HPACK (RFC 7541): the header compression of HTTP/2. `HpackDecoder` reads
 * header blocks (integers, string literals with Huffman, the static and
 * dynamic tables, table size updates) with the decoded list bounded while it
 * decodes (the HPACK bomb); `HpackEncoder` writes them.
 *
 * Strings are latin1 on both sides (one char per octet), as the HTTP/1.1
 * parser reads them; a value with chars above U+00FF is sent as UTF-8.
 *
 * @module
 */
import { STATIC_TABLE } from "./_hpack_tables.ts";
import { huffmanDecode, huffmanEncodeInto, HuffmanError, huffmanLength } from "./_huffman.ts";

/** A header block HPACK cannot decode (a COMPRESSION_ERROR, RFC 7541 §2.4). */
export class CompressionError extends Error {
  override name = "CompressionError";
}

/** A header field: name (lower case) and value. */
export type HeaderField = [name: string, value: string];

/** What `HpackDecoder.decode` returns. */
export interface DecodedBlock {
  /** The fields, in order (cut short when `tooLarge`). */
  headers: HeaderField[];
  /** The list's size as RFC 7541 §4.1 counts it (name + value + 32 each), all fields. */
  size: number;
  /** True when `size` went past the limit: `headers` stops there. */
  tooLarge: boolean;
}

const STATIC_LENGTH = STATIC_TABLE.length; // 61
const ENTRY_OVERHEAD = 32;
// Integers beyond this are no legitimate index, length or size.
const MAX_INT = 0x7fffffff;

const STATIC_FULL = new Map<string, number>();
const STATIC_NAME = new Map<string, number>();
for (let i = 0; i < STATIC_LENGTH; i++) {
  const [name, value] = STATIC_TABLE[i];
  if (!STATIC_NAME.has(name)) STATIC_NAME.set(name, i + 1);
  const key = name + "\0" + value;
  if (!STATIC_FULL.has(key)) STATIC_FULL.set(key, i + 1);
}

/** The dynamic table (RFC 7541 §2.3.2): newest entry last, evicted from the front. */
class DynamicTable {
  entries: HeaderField[] = [];
  seqs: number[] = [];
  size = 0;
  maxSize: number;
  /** How many entries were ever added (for the encoder's index arithmetic). */
  added = 0;
  /** Called with each evicted entry and its sequence number. */
  onEvict: ((field: HeaderField, seq: number) => void) | null = null;

  constructor(maxSize: number) {
    this.maxSize = maxSize;
  }

  /** Entry `index` (1 is the newest), or undefined. */
  get(index: number): HeaderField | undefined {
    return this.entries[this.entries.length - index];
  }

  add(field: HeaderField): void {
    const size = field[0].length + field[1].length + ENTRY_OVERHEAD;
    this.added++;
    if (size > this.maxSize) {
      // An entry larger than the table empties it and is not added (§4.4).
      this.#evictTo(0);
      return;
    }
    this.#evictTo(this.maxSize - size);
    this.entries.push(field);
    this.seqs.push(this.added);
    this.size += size;
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.#evictTo(maxSize);
  }

  #evictTo(limit: number): void {
    let drop = 0;
    const entries = this.entries;
    let size = this.size;
    while (size > limit && drop < entries.length) {
      const [name, value] = entries[drop];
      size -= name.length + value.length + ENTRY_OVERHEAD;
      this.onEvict?.(entries[drop], this.seqs[drop]);
      drop++;
    }
    if (drop > 0) {
      entries.splice(0, drop);
      this.seqs.splice(0, drop);
    }
    this.size = size;
  }
}

/**
 * Decodes HPACK header blocks, keeping the dynamic table across blocks.
 */
export class HpackDecoder {
  #table: DynamicTable;
  /** The largest table the peer may ask for (our SETTINGS_HEADER_TABLE_SIZE). */
  maxAllowedTableSize: number;

  /**
   * Makes it.
   * @param maxTableSize our SETTINGS_HEADER_TABLE_SIZE
   */
  constructor(maxTableSize = 4096) {
    this.maxAllowedTableSize = maxTableSize;
    this.#table = new DynamicTable(maxTableSize);
  }

  /** The dynamic table's current size in bytes (RFC 7541 §4.1). */
  get tableSize(): number {
    return this.#table.size;
  }

  /** The dynamic table's entries, newest first (for tests). */
  get tableEntries(): HeaderField[] {
    return this.#table.entries.slice().reverse();
  }

  /**
   * Decodes one complete header block. Fields are collected until their
   * size passes `maxListSize`; decoding goes on past it (the table must stay
   * in step with the peer's) but keeps nothing more.
   * @throws {CompressionError} on any malformed representation
   */
  decode(block: Uint8Array, maxListSize: number = Infinity): DecodedBlock {
    const headers: HeaderField[] = [];
    let size = 0;
    let tooLarge = false;
    let pos = 0;
    let fieldsSeen = false;
    const end = block.length;
    const table = this.#table;
    try {
      while (pos < end) {
        const b = block[pos];
        let field: HeaderField;
        if (b & 0x80) {
          const [index, next] = readInt(block, pos, 7);
          pos = next;
          field = this.#lookup(index);
        } else if ((b & 0xe0) === 0x20) {
          // Dynamic table size update: only before the first field (§4.2).
          if (fieldsSeen) throw new CompressionError("Table size update after a header field");
          const [newSize, next] = readInt(block, pos, 5);
          pos = next;
          if (newSize > this.maxAllowedTableSize) {
            throw new CompressionError(`Table size update to ${newSize} beyond the limit`);
          }
          table.resize(newSize);
          continue;
        } else {
          const indexing = (b & 0xc0) === 0x40;
          const [index, next] = readInt(block, pos, indexing ? 6 : 4);
          pos = next;
          let name: string;
          if (index === 0) {
            const [s, after] = readString(block, pos);
            name = s;
            pos = after;
          } else name = this.#lookup(index)[0];
          const [value, after] = readString(block, pos);
          pos = after;
          field = [name, value];
          if (indexing) table.add(field);
        }
        fieldsSeen = true;
        size += field[0].length + field[1].length + ENTRY_OVERHEAD;
        if (!tooLarge) {
          if (size > maxListSize) tooLarge = true;
          else headers.push(field);
        }
      }
    } catch (e) {
      if (e instanceof HuffmanError) throw new CompressionError(e.message);
      throw e;
    }
    return { headers, size, tooLarge };
  }

  #lookup(index: number): HeaderField {
    if (index === 0) throw new CompressionError("Header index 0");
    if (index <= STATIC_LENGTH) return STATIC_TABLE[index - 1] as HeaderField;
    const field = this.#table.get(index - STATIC_LENGTH);
    if (field === undefined) throw new CompressionError(`Header index ${index} out of range`);
    return field;
  }
}

/** Reads an HPACK integer with an `n`-bit prefix at `pos`: [value, next position]. */
export function readInt(src: Uint8Array, pos: number, n: number): [number, number] {
  const max = (1 << n) - 1;
  let value = src[pos] & max;
  pos++;
  if (value < max) return [value, pos];
  let shift = 0;
  for (;;) {
    if (pos >= src.length) throw new CompressionError("Truncated integer");
    const b = src[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if (value > MAX_INT) throw new CompressionError("Integer too large");
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

function readString(src: Uint8Array, pos: number): [string, number] {
  if (pos >= src.length) throw new CompressionError("Truncated string");
  const huffman = (src[pos] & 0x80) !== 0;
  const [length, start] = readInt(src, pos, 7);
  const end = start + length;
  if (end > src.length) throw new CompressionError("String longer than its block");
  if (huffman) return [huffmanDecode(src, start, end), end];
  return [latin1(src, start, end), end];
}

function latin1(src: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode.apply(
      null,
      src.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return out;
}

const utf8 = new TextEncoder();

/** The octets of a header string: latin1, or UTF-8 when a char is above U+00FF. */
function octets(s: string): Uint8Array {
  const n = s.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return utf8.encode(s);
    out[i] = c;
  }
  return out;
}

/** Fields never put in the dynamic table (secrets, or values that rarely repeat). */
const NEVER_INDEX = new Set(["authorization", "cookie", "set-cookie", "proxy-authorization"]);
const NO_INDEX = new Set(["content-length", "etag", "last-modified", "content-range", "age"]);

/** A growable output buffer. */
class Out {
  buf = new Uint8Array(256);
  at = 0;
  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }
  int(value: number, n: number, first: number): void {
    this.room(8);
    const max = (1 << n) - 1;
    if (value < max) {
      this.buf[this.at++] = first | value;
      return;
    }
    this.buf[this.at++] = first | max;
    value -= max;
    while (value >= 128) {
      this.buf[this.at++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buf[this.at++] = value;
  }
  string(s: string): void {
    const bytes = octets(s);
    const hlen = huffmanLength(bytes);
    if (hlen < bytes.length) {
      this.int(hlen, 7, 0x80);
      this.room(hlen);
      this.at = huffmanEncodeInto(bytes, this.buf, this.at);
    } else {
      this.int(bytes.length, 7, 0);
      this.room(bytes.length);
      this.buf.set(bytes, this.at);
      this.at += bytes.length;
    }
  }
}

/**
 * Encodes header lists as HPACK blocks, with a dynamic table sized by the
 * peer's SETTINGS_HEADER_TABLE_SIZE (at most `maxTableSize`).
 */
export class HpackEncoder {
  #table: DynamicTable;
  #seqOf = new Map<string, number>();
  #pendingSize = -1;
  #minPending = -1;
  #cap: number;

  /**
   * Makes it.
   * @param maxTableSize the largest table we use, whatever the peer allows
   */
  constructor(maxTableSize = 4096) {
    this.#cap = maxTableSize;
    this.#table = new DynamicTable(Math.min(4096, maxTableSize));
    this.#table.onEvict = (field, seq) => {
      const key = field[0] + "\0" + field[1];
      if (this.#seqOf.get(key) === seq) this.#seqOf.delete(key);
    };
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE changed: the next block announces our new size. */
  setMaxTableSize(peerSize: number): void {
    const size = Math.min(peerSize, this.#cap);
    if (size === this.#table.maxSize && this.#pendingSize < 0) return;
    this.#minPending = this.#minPending < 0 ? size : Math.min(this.#minPending, size);
    this.#pendingSize = size;
  }

  /** Encodes `fields` (names in lower case) as one header block. */
  encode(fields: Iterable<HeaderField>): Uint8Array {
    const out = new Out();
    const table = this.#table;
    if (this.#pendingSize >= 0) {
      // A shrink and a regrow in between must both be announced (§4.2).
      if (this.#minPending < this.#pendingSize) {
        table.resize(this.#minPending);
        out.int(this.#minPending, 5, 0x20);
      }
      table.resize(this.#pendingSize);
      out.int(this.#pendingSize, 5, 0x20);
      this.#pendingSize = -1;
      this.#minPending = -1;
    }
    for (const [name, value] of fields) {
      const key = name + "\0" + value;
      const full = STATIC_FULL.get(key);
      if (full !== undefined) {
        out.int(full, 7, 0x80);
        continue;
      }
      const seq = this.#seqOf.get(key);
      if (seq !== undefined) {
        out.int(STATIC_LENGTH + table.added - seq + 1, 7, 0x80);
        continue;
      }
      const nameIndex = STATIC_NAME.get(name) ?? 0;
      const never = NEVER_INDEX.has(name);
      const size = name.length + value.length + ENTRY_OVERHEAD;
      if (never || NO_INDEX.has(name) || size > table.maxSize / 2) {
        out.int(nameIndex, 4, never ? 0x10 : 0);
      } else {
        out.int(nameIndex, 6, 0x40);
        table.add([name, value]);
        if (table.seqs[table.seqs.length - 1] === table.added) this.#seqOf.set(key, table.added);
      }
      if (nameIndex === 0) out.string(name);
      out.string(value);
    }
    return out.buf.slice(0, out.at);
  }
}
