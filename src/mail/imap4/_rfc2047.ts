/**
 * Header text as people read it, for SEARCH: RFC 2047 encoded-words
 * (`=?UTF-8?B?...?=`, `=?ISO-8859-1?Q?...?=`) decoded, and raw 8-bit octets
 * read as UTF-8 (or, when they are not UTF-8, ISO-8859-1). Private to the imap4
 * folder.
 * @module
 */

const ENCODED_WORD = /=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=/g;
const decoders = new Map<string, TextDecoder | null>();

function decoderFor(charset: string): TextDecoder | null {
  // RFC 2231 adds a language: `UTF-8*en`.
  const name = charset.split("*")[0].toLowerCase();
  let d = decoders.get(name);
  if (d === undefined) {
    try {
      d = new TextDecoder(name);
    } catch {
      d = null; // a charset this runtime does not know: the word stays as it is
    }
    if (decoders.size < 64) decoders.set(name, d);
  }
  return d;
}

function base64Octets(text: string): Uint8Array | null {
  const clean = text.replace(/[^A-Za-z0-9+/]/g, "");
  const padded = clean + "=".repeat((4 - (clean.length % 4)) % 4);
  if (clean.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function qOctets(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "_") out.push(0x20);
    else if (c === "=" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(octetOf(c.charCodeAt(0)));
  }
  return Uint8Array.from(out);
}

const utf8Fatal = new TextDecoder("utf-8", { fatal: true });

// Header text comes from TextDecoder("latin1"), which is windows-1252: 0x80-0x9f
// may have become other code points. This maps them back to their octets.
const OCTET_OF = new Map<number, number>();
{
  const high = new TextDecoder("latin1").decode(
    Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i),
  );
  for (let i = 0; i < high.length; i++) OCTET_OF.set(high.charCodeAt(i), 0x80 + i);
}
const octetOf = (c: number): number => (c <= 0xff ? c : OCTET_OF.get(c) ?? 0x3f);

/** Octets given as latin1 text, read as UTF-8 when they are, else as they were. */
function eightBit(text: string): string {
  // deno-lint-ignore no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return text;
  try {
    return utf8Fatal.decode(Uint8Array.from(text, (c) => octetOf(c.charCodeAt(0))));
  } catch {
    return text;
  }
}

/**
 * Decodes a header field's value (octets as latin1 text, unfolded): each
 * encoded-word in its charset, whitespace between adjacent encoded-words
 * dropped (RFC 2047 §6.2), words that cannot be decoded left as they are.
 */
export function decodeHeaderText(raw: string): string {
  let out = "";
  let at = 0;
  let lastWasWord = false;
  for (const m of raw.matchAll(ENCODED_WORD)) {
    const between = raw.slice(at, m.index);
    const decoder = decoderFor(m[1]);
    const octets = decoder === null
      ? null
      : m[2].toUpperCase() === "B"
      ? base64Octets(m[3])
      : qOctets(m[3]);
    if (octets === null) {
      out += eightBit(between) + m[0];
      lastWasWord = false;
    } else {
      if (!(lastWasWord && /^\s*$/.test(between))) out += eightBit(between);
      out += decoder!.decode(octets);
      lastWasWord = true;
    }
    at = m.index + m[0].length;
  }
  return out + eightBit(raw.slice(at));
}
