/**
 * SFTP's wire format: file attributes, the length-prefixed packet framing
 * (bounded), and writing packets.
 * @module
 */
import { SSHReader, SSHWireError, SSHWriter } from "../ssh/_wire.ts";
import {
  FILEXFER_ATTR_ACMODTIME,
  FILEXFER_ATTR_EXTENDED,
  FILEXFER_ATTR_PERMISSIONS,
  FILEXFER_ATTR_SIZE,
  FILEXFER_ATTR_UIDGID,
  MAX_PACKET_LENGTH,
} from "./_constants.ts";

/** File attributes (`ATTRS`): every field is optional. Times are seconds since the epoch. */
export interface SFTPAttrs {
  /** Size in bytes. */
  size?: number;
  /** Owner's user id (set together with `gid`). */
  uid?: number;
  /** Owner's group id (set together with `uid`). */
  gid?: number;
  /** Permission bits and file type (`st_mode`). */
  permissions?: number;
  /** Access time (set together with `mtime`). */
  atime?: number;
  /** Modification time (set together with `atime`). */
  mtime?: number;
  /** Extended attributes: name and value pairs. */
  extended?: [string, Uint8Array][];
}

/** One directory entry: file name, `ls -l` style long name, attributes. */
export type DirectoryEntry = [filename: string, longname: string, attrs: SFTPAttrs];

const MAX_EXTENDED_ATTRS = 64;

/** Appends `attrs` to `writer`. */
export function writeAttrs(writer: SSHWriter, attrs: SFTPAttrs): SSHWriter {
  let flags = 0;
  if (attrs.size !== undefined) flags |= FILEXFER_ATTR_SIZE;
  if (attrs.uid !== undefined && attrs.gid !== undefined) flags |= FILEXFER_ATTR_UIDGID;
  if (attrs.permissions !== undefined) flags |= FILEXFER_ATTR_PERMISSIONS;
  if (attrs.atime !== undefined && attrs.mtime !== undefined) flags |= FILEXFER_ATTR_ACMODTIME;
  if (attrs.extended !== undefined && attrs.extended.length > 0) flags |= FILEXFER_ATTR_EXTENDED;
  writer.uint32(flags >>> 0);
  if (flags & FILEXFER_ATTR_SIZE) writer.uint64(BigInt(Math.max(0, Math.trunc(attrs.size!))));
  if (flags & FILEXFER_ATTR_UIDGID) writer.uint32(attrs.uid! >>> 0).uint32(attrs.gid! >>> 0);
  if (flags & FILEXFER_ATTR_PERMISSIONS) writer.uint32(attrs.permissions! >>> 0);
  if (flags & FILEXFER_ATTR_ACMODTIME) {
    writer.uint32(Math.trunc(attrs.atime!) >>> 0).uint32(Math.trunc(attrs.mtime!) >>> 0);
  }
  if (flags & FILEXFER_ATTR_EXTENDED) {
    writer.uint32(attrs.extended!.length);
    for (const [name, value] of attrs.extended!) writer.string(name).string(value);
  }
  return writer;
}

/** Reads attributes from `reader`; a malformed block is an `SSHWireError`. */
export function readAttrs(reader: SSHReader): SFTPAttrs {
  const flags = reader.uint32();
  const attrs: SFTPAttrs = {};
  if (flags & FILEXFER_ATTR_SIZE) attrs.size = readUint64(reader);
  if (flags & FILEXFER_ATTR_UIDGID) {
    attrs.uid = reader.uint32();
    attrs.gid = reader.uint32();
  }
  if (flags & FILEXFER_ATTR_PERMISSIONS) attrs.permissions = reader.uint32();
  if (flags & FILEXFER_ATTR_ACMODTIME) {
    attrs.atime = reader.uint32();
    attrs.mtime = reader.uint32();
  }
  if (flags & FILEXFER_ATTR_EXTENDED) {
    const count = reader.uint32();
    if (count > MAX_EXTENDED_ATTRS) throw new SSHWireError("Too many extended attributes");
    attrs.extended = [];
    for (let i = 0; i < count; i++) {
      attrs.extended.push([reader.text(), reader.string().slice()]);
    }
  }
  return attrs;
}

/** A uint64 that must fit a JavaScript number exactly. */
export function readUint64(reader: SSHReader): number {
  const value = reader.uint64();
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new SSHWireError("A 64-bit value is too big");
  return Number(value);
}

/**
 * A packet: `type`, then the body written by `fill`, framed with its length.
 * `size`, the whole packet's length when known, spares a big one copies.
 */
export function packet(
  type: number,
  fill: (writer: SSHWriter) => void,
  size = 64,
): Uint8Array {
  const writer = new SSHWriter(size).uint32(0).byte(type);
  fill(writer);
  const bytes = writer.bytes();
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(0, bytes.length - 4);
  return bytes;
}

/**
 * Splits a byte stream into SFTP packets (without their length field).
 * A length of 0 or past `maxLength` is an `SSHWireError`; the buffer never
 * holds more than one packet plus one chunk.
 */
export class PacketBuffer {
  readonly #maxLength: number;
  #chunks: Uint8Array[] = [];
  #size = 0;

  /** A buffer refusing packets longer than `maxLength`. */
  constructor(maxLength: number = MAX_PACKET_LENGTH) {
    this.#maxLength = maxLength;
  }

  /** Bytes buffered. */
  get size(): number {
    return this.#size;
  }

  /** Adds received bytes. */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#chunks.push(data);
    this.#size += data.length;
  }

  #peekLength(): number {
    const head = new Uint8Array(4);
    let at = 0;
    for (const chunk of this.#chunks) {
      const take = Math.min(4 - at, chunk.length);
      head.set(chunk.subarray(0, take), at);
      at += take;
      if (at === 4) break;
    }
    return new DataView(head.buffer).getUint32(0);
  }

  /** The next whole packet (type byte first), or null when more bytes are needed. */
  next(): Uint8Array | null {
    if (this.#size < 4) return null;
    const length = this.#peekLength();
    if (length === 0) throw new SSHWireError("An empty SFTP packet");
    if (length > this.#maxLength) {
      throw new SSHWireError(`An SFTP packet of ${length} bytes is over the limit`);
    }
    if (this.#size < 4 + length) return null;
    const total = 4 + length;
    let whole: Uint8Array;
    if (this.#chunks[0].length >= total) {
      whole = this.#chunks[0].subarray(0, total);
      const rest = this.#chunks[0].subarray(total);
      if (rest.length > 0) this.#chunks[0] = rest;
      else this.#chunks.shift();
    } else {
      whole = new Uint8Array(total);
      let at = 0;
      while (at < total) {
        const chunk = this.#chunks[0];
        const take = Math.min(total - at, chunk.length);
        whole.set(chunk.subarray(0, take), at);
        at += take;
        if (take === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(take);
      }
    }
    this.#size -= total;
    return whole.subarray(4);
  }
}

export { SSHReader, SSHWireError, SSHWriter };
