/**
 * IP addresses between text and bytes for A and AAAA records (inet_pton and
 * inet_ntop, with RFC 5952's shortest IPv6 form).
 *
 * @module
 */

/** Four bytes from a dotted quad. @throws SyntaxError if it is not one */
export function ipv4ToBytes(text: string): Uint8Array {
  const parts = text.split(".");
  if (parts.length !== 4) throw new SyntaxError(`Not an IPv4 address: ${JSON.stringify(text)}`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p[0] === "0")) {
      throw new SyntaxError(`Not an IPv4 address: ${JSON.stringify(text)}`);
    }
    out[i] = Number(p);
  }
  return out;
}

/** The dotted quad of four bytes. */
export function bytesToIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** Sixteen bytes from an IPv6 address (with `::` and an IPv4 tail). @throws SyntaxError */
export function ipv6ToBytes(text: string): Uint8Array {
  const bad = () => new SyntaxError(`Not an IPv6 address: ${JSON.stringify(text)}`);
  let groups: number[] = [];
  let tail: number[] = [];
  const halves = text.split("::");
  if (halves.length > 2) throw bad();
  const parse = (part: string): number[] => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i];
      if (i === pieces.length - 1 && p.includes(".")) {
        const v4 = ipv4ToBytes(p);
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else throw bad();
    }
    return out;
  };
  try {
    groups = parse(halves[0]);
    if (halves.length === 2) tail = parse(halves[1]);
  } catch {
    throw bad();
  }
  if (halves.length === 2 ? groups.length + tail.length > 7 : groups.length !== 8) throw bad();
  const all = [...groups, ...new Array(8 - groups.length - tail.length).fill(0), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >> 8;
    out[2 * i + 1] = all[i] & 0xff;
  }
  return out;
}

/** The RFC 5952 text of sixteen bytes: lower case, the longest zero run (2+) as `::`. */
export function bytesToIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(":");
  return hex.slice(0, bestStart).join(":") + "::" + hex.slice(bestStart + bestLen).join(":");
}
