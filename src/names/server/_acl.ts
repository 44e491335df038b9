/**
 * Addresses for access control: IP literals compared as bytes (an IPv4-mapped
 * IPv6 address is its IPv4 address), CIDR blocks for `allowTransfer`, and the
 * peer of a message. Private to src/names/server.
 *
 * @module
 */
import type { DatagramAddress } from "../../internet/protocol.ts";
import type { DNSDatagramProtocol, DNSProtocol } from "../_protocols.ts";
import { ipv4ToBytes, ipv6ToBytes } from "../wire/_ip.ts";

/**
 * The bytes of an IP literal (4 or 16; brackets and an IPv6 zone index
 * dropped; `::ffff:a.b.c.d` as its IPv4 address), or null when it is none.
 */
export function addressBytes(host: string): Uint8Array | null {
  let text = host.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  try {
    if (!text.includes(":")) return ipv4ToBytes(text);
    const bytes = ipv6ToBytes(text);
    const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff &&
      bytes[11] === 0xff;
    return mapped ? bytes.slice(12) : bytes;
  } catch {
    return null;
  }
}

/** True when `a` and `b` are the same IP address (`::ffff:127.0.0.1` is `127.0.0.1`). */
export function sameAddress(a: string, b: string): boolean {
  const x = addressBytes(a), y = addressBytes(b);
  return x !== null && y !== null && x.length === y.length && x.every((v, i) => v === y[i]);
}

interface Block {
  bytes: Uint8Array;
  prefix: number;
}

/**
 * A CIDR block (`192.0.2.0/24`, `2001:db8::/32`, or one address).
 * @throws SyntaxError for anything else, or host bits set beyond the prefix
 */
export function parseCIDR(text: string): Block {
  const slash = text.indexOf("/");
  const host = slash < 0 ? text : text.slice(0, slash);
  const bytes = addressBytes(host);
  if (bytes === null) throw new SyntaxError(`Not an IP address or CIDR block: ${text}`);
  const bits = bytes.length * 8;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) {
    throw new SyntaxError(`Bad prefix length in ${text}: at most ${bits}`);
  }
  for (let bit = prefix; bit < bits; bit++) {
    if ((bytes[bit >> 3] & (0x80 >> (bit & 7))) !== 0) {
      throw new SyntaxError(`${text} has bits set past its /${prefix}`);
    }
  }
  return { bytes, prefix };
}

function within(address: Uint8Array, block: Block): boolean {
  if (address.length !== block.bytes.length) return false;
  const whole = block.prefix >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== block.bytes[i]) return false;
  const rest = block.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole] & mask) === block.bytes[whole];
}

/** A list of CIDR blocks, IPv4 and IPv6 (`tw dns --allow-transfer`). */
export class AddressList {
  /** The blocks as given. */
  readonly blocks: readonly string[];
  readonly #parsed: Block[];

  /** @throws SyntaxError naming a bad block */
  constructor(blocks: Iterable<string>) {
    this.blocks = [...blocks];
    this.#parsed = this.blocks.map(parseCIDR);
  }

  /** True when `host` (an IP literal) is in one of the blocks. */
  matches(host: string | null): boolean {
    const bytes = host === null ? null : addressBytes(host);
    return bytes !== null && this.#parsed.some((block) => within(bytes, block));
  }
}

/** The IP address a message came from (UDP: `address`; TCP: the connection's peer), or null. */
export function peerHost(
  protocol: DNSDatagramProtocol | DNSProtocol,
  address?: DatagramAddress,
): string | null {
  if (address) return address[0];
  try {
    const peer = (protocol as DNSProtocol).transport?.getPeer() as { host?: unknown } | undefined;
    return typeof peer?.host === "string" ? peer.host : null;
  } catch {
    return null;
  }
}
