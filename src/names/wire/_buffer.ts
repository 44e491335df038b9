/**
 * The byte cursor the codec reads with and the growable buffer it writes to,
 * with name compression (RFC 1035 s4.1.4) on both sides.
 *
 * @module
 */
import { DNSFormatError } from "../error.ts";
import { labelToText, lowerName, MAX_LABEL, MAX_NAME, type Name, trustedName } from "./_name.ts";

/**
 * Reads a DNS message; every overrun is a `DNSFormatError`. Record decoders
 * get one, positioned at their RDATA, with `end` at the RDATA's end.
 *
 * @example
 * ```ts
 * import { WireReader } from "@tw/core/names";
 * const r = new WireReader(Uint8Array.of(0, 10, 3, 0x77, 0x77, 0x77, 0));
 * console.log(r.u16(), r.name().name); // 10 www
 * ```
 */
export class WireReader {
  /** The whole message. */
  readonly bytes: Uint8Array;
  /** A view of `bytes` for multi-byte reads. */
  readonly view: DataView;
  /** The next byte to read. */
  offset = 0;
  /** Where reading stops: the message end, or an rdata's end while decoding it. */
  end: number;

  /** Reads `bytes` from the start. */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
  }

  /** Throws `DNSFormatError` unless `n` more bytes are there. */
  need(n: number, what: string): void {
    if (this.offset + n > this.end) {
      throw new DNSFormatError(`Message truncated in ${what} at byte ${this.offset}`);
    }
  }

  /** One byte. */
  u8(what = "a field"): number {
    this.need(1, what);
    return this.bytes[this.offset++];
  }

  /** A 16-bit big-endian number. */
  u16(what = "a field"): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  /** A 32-bit big-endian number. */
  u32(what = "a field"): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  /** `n` bytes, copied (records keep what they read). */
  raw(n: number, what = "a field"): Uint8Array {
    this.need(n, what);
    const v = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A `<character-string>`: a length byte and that many bytes. */
  charString(what = "a string"): Uint8Array {
    return this.raw(this.u8(what), what);
  }

  /**
   * A name, following compression pointers only backwards (so no loop can
   * form), with RFC 1035's label and name limits.
   */
  name(): Name {
    const bytes = this.bytes;
    let pos = this.offset;
    let limit = this.end; // a name may not run past the current rdata
    let jumped = false;
    let wireLength = 1;
    let text = "";
    // Labels must lie before the position of the pointer that led to them.
    let barrier = pos;
    for (;;) {
      if (pos >= limit) throw new DNSFormatError(`Name runs past its data at byte ${pos}`);
      const len = bytes[pos];
      if (len === 0) {
        pos++;
        break;
      }
      const kind = len & 0xc0;
      if (kind === 0xc0) {
        if (pos + 1 >= limit) throw new DNSFormatError(`Name pointer cut off at byte ${pos}`);
        const target = ((len & 0x3f) << 8) | bytes[pos + 1];
        if (!jumped) this.offset = pos + 2;
        if (target >= barrier) {
          throw new DNSFormatError(`Name pointer at byte ${pos} does not point backwards`);
        }
        jumped = true;
        barrier = target;
        pos = target;
        limit = bytes.length;
        continue;
      }
      if (kind !== 0) throw new DNSFormatError(`Unknown label type 0x${kind.toString(16)}`);
      if (len > MAX_LABEL) throw new DNSFormatError(`Label longer than ${MAX_LABEL} bytes`);
      if (pos + 1 + len > limit) {
        throw new DNSFormatError(`Label runs past its data at byte ${pos}`);
      }
      wireLength += len + 1;
      if (wireLength > MAX_NAME) throw new DNSFormatError(`Name longer than ${MAX_NAME} bytes`);
      const label = labelToText(bytes, pos + 1, pos + 1 + len);
      text = text === "" ? label : text + "." + label;
      pos += 1 + len;
    }
    if (!jumped) this.offset = pos;
    return trustedName(text);
  }
}

/**
 * Writes a DNS message into a buffer that grows as needed, compressing names
 * against those written before. Records write their RDATA through one.
 *
 * @example
 * ```ts
 * import { Name, WireWriter } from "@tw/core/names";
 * const w = new WireWriter();
 * w.name(new Name("example.com"));
 * w.name(new Name("www.example.com")); // "www" and a pointer to byte 0
 * console.log(w.finish().length); // 19
 * ```
 */
export class WireWriter {
  /** The buffer (replaced when it grows). */
  bytes: Uint8Array;
  /** A view of `bytes`. */
  view: DataView;
  /** Bytes written so far. */
  length = 0;
  /** Lower-cased name suffix -> offset, for compression; null disables it. */
  names: Map<string, number> | null;

  /** A writer with `size` bytes to start, compressing names unless told not to. */
  constructor(size = 512, compress = true) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.names = compress ? new Map() : null;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  /** One byte. */
  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.length++] = v;
  }

  /** A 16-bit big-endian number. */
  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
  }

  /** A 32-bit big-endian number. */
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0);
    this.length += 4;
  }

  /** Bytes as they are. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** A `<character-string>` (at most 255 bytes). */
  charString(bytes: Uint8Array): void {
    if (bytes.length > 255) {
      throw new RangeError(`A DNS character string holds at most 255 bytes, not ${bytes.length}`);
    }
    this.u8(bytes.length);
    this.raw(bytes);
  }

  /** Writes `name`, compressed against earlier names when `compress` and allowed. */
  name(name: Name, compress = true): void {
    const labels = name.labels();
    const table = this.names;
    if (table === null || labels.length === 0) {
      this.#plain(labels, 0);
      return;
    }
    const lower = lowerName(name.name);
    const plainText = !lower.includes("\\");
    let cut = 0; // index into `lower` where the suffix for label i starts
    for (let i = 0; i < labels.length; i++) {
      const key = plainText ? lower.slice(cut) : suffixKey(labels, i);
      const at = compress ? table.get(key) : undefined;
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.length < 0x4000 && !table.has(key)) table.set(key, this.length);
      this.u8(labels[i].length);
      this.raw(labels[i]);
      cut += labels[i].length + 1;
    }
    this.u8(0);
  }

  #plain(labels: Uint8Array[], from: number): void {
    for (let i = from; i < labels.length; i++) {
      this.u8(labels[i].length);
      this.raw(labels[i]);
    }
    this.u8(0);
  }

  /** The bytes written so far (a view). */
  finish(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** A compression key for labels from `i` on, for names with escapes. */
function suffixKey(labels: Uint8Array[], i: number): string {
  return labels.slice(i).map((l) => lowerName(labelToText(l, 0, l.length))).join(".");
}
