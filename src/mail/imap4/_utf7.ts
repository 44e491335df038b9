/**
 * Modified UTF-7 for mailbox names (RFC 3501 §5.1.3). Private: re-exported by `mod.ts`.
 * @module
 */

/**
 * Encodes a mailbox name in modified UTF-7 (`&` as `&-`, non-ASCII as `&...-`).
 *
 * @example
 * ```ts
 * import { encodeMailboxName } from "@tw/core/mail/imap4";
 * console.log(encodeMailboxName("Entwürfe")); // "Entw&APw-rfe"
 * ```
 * @param name the name
 */
export function encodeMailboxName(name: string): string {
  let out = "";
  let pending: number[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const bytes = new Uint8Array(pending.length * 2);
    pending.forEach((u, i) => {
      bytes[2 * i] = u >> 8;
      bytes[2 * i + 1] = u & 0xff;
    });
    out += "&" + btoa(String.fromCharCode(...bytes)).replace(/=+$/, "").replaceAll("/", ",") + "-";
    pending = [];
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += c === 0x26 ? "&-" : name[i];
    } else pending.push(c);
  }
  flush();
  return out;
}

/**
 * Decodes a modified UTF-7 mailbox name; throws `SyntaxError` when it is not one.
 *
 * @example
 * ```ts
 * import { decodeMailboxName } from "@tw/core/mail/imap4";
 * console.log(decodeMailboxName("Entw&APw-rfe")); // "Entwürfe"
 * ```
 * @param name the encoded name
 */
export function decodeMailboxName(name: string): string {
  return name.replace(/&([^-]*)-|&/g, (all, b64: string | undefined) => {
    if (b64 === undefined) throw new SyntaxError("Bad modified UTF-7: & without -");
    if (b64 === "") return "&";
    if (!/^[A-Za-z0-9+,]+$/.test(b64)) throw new SyntaxError("Bad modified UTF-7");
    let raw: string;
    try {
      raw = atob(b64.replaceAll(",", "/") + "===".slice((b64.length + 3) % 4));
    } catch {
      throw new SyntaxError(`Bad modified UTF-7 ${JSON.stringify(all)}`);
    }
    let s = "";
    for (let i = 0; i + 1 < raw.length; i += 2) {
      s += String.fromCharCode((raw.charCodeAt(i) << 8) | raw.charCodeAt(i + 1));
    }
    return s;
  });
}
