/**
 * Helpers for the web tests: a site on a StringTransport, and a small
 * HTTP/1.1 response parser to check what the server wrote.
 */
import type { Clock } from "../../src/internet/task.ts";
import { StringTransportWithDisconnection } from "../../src/testing/mod.ts";
import type { HTTPChannel, Site } from "../../src/web/mod.ts";
import { IPv4Address } from "../../src/internet/address.ts";

export const te = new TextEncoder();
export const td = new TextDecoder();

/** One parsed response. */
export interface ParsedResponse {
  version: string;
  code: number;
  message: string;
  headers: Map<string, string[]>;
  body: Uint8Array;
  text: string;
}

/** A channel connected to a StringTransportWithDisconnection. */
export interface Served {
  channel: HTTPChannel;
  transport: StringTransportWithDisconnection;
  clock: Clock;
  send(data: string | Uint8Array): void;
  responses(head?: boolean): ParsedResponse[];
  text(): string;
}

/** Builds a channel from `site` and connects it to a fresh transport. */
export function serve(site: Site, clock?: Clock): Served {
  const c = clock ?? (site.clock as Clock);
  const channel = site.buildProtocol(new IPv4Address("TCP", "192.168.1.1", 54321))!;
  const transport = new StringTransportWithDisconnection();
  transport.protocol = channel;
  channel.makeConnection(transport);
  return {
    channel,
    transport,
    clock: c,
    send(data) {
      channel.dataReceived(typeof data === "string" ? te.encode(data) : data);
    },
    responses(head = false) {
      return parseResponses(transport.value(), head);
    },
    text() {
      return transport.valueText();
    },
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function find(buf: Uint8Array, needle: string, from: number): number {
  const n = te.encode(needle);
  outer: for (let i = from; i <= buf.length - n.length; i++) {
    for (let j = 0; j < n.length; j++) if (buf[i + j] !== n[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Parses every complete response in `data`. `headOnly`: the responses
 * answer HEAD requests (no bodies). A response without length runs to the end.
 */
export function parseResponses(data: Uint8Array, headOnly = false): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const end = find(data, "\r\n\r\n", at);
    if (end < 0) throw new Error("Incomplete response head: " + td.decode(data.subarray(at)));
    const lines = td.decode(data.subarray(at, end)).split("\r\n");
    const m = /^(HTTP\/1\.[01]) (\d{3}) ?(.*)$/.exec(lines[0]);
    if (m === null) throw new Error("Bad status line: " + lines[0]);
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, [...(headers.get(name) ?? []), value]);
    }
    at = end + 4;
    const code = Number(m[2]);
    let body: Uint8Array = new Uint8Array(0);
    const noBody = headOnly || code === 204 || code === 304 || code < 200;
    if (!noBody) {
      if (headers.get("transfer-encoding")?.[0] === "chunked") {
        const parts: Uint8Array[] = [];
        for (;;) {
          const eol = find(data, "\r\n", at);
          if (eol < 0) throw new Error("Incomplete chunk size");
          const size = parseInt(td.decode(data.subarray(at, eol)), 16);
          at = eol + 2;
          if (size === 0) {
            if (td.decode(data.subarray(at, at + 2)) !== "\r\n") throw new Error("Bad last chunk");
            at += 2;
            break;
          }
          parts.push(data.subarray(at, at + size));
          at += size;
          if (td.decode(data.subarray(at, at + 2)) !== "\r\n") throw new Error("Bad chunk end");
          at += 2;
        }
        body = concat(parts);
      } else if (headers.has("content-length")) {
        const n = Number(headers.get("content-length")![0]);
        if (at + n > data.length) throw new Error("Incomplete body");
        body = data.slice(at, at + n);
        at += n;
      } else {
        body = data.slice(at);
        at = data.length;
      }
    }
    out.push({
      version: m[1],
      code,
      message: m[3],
      headers,
      body,
      text: td.decode(body),
    });
  }
  return out;
}
