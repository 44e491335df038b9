/**
 * Bun's TLS options from the contract's, and Node-style error codes for Bun's errors.
 *
 * @module
 */
import type { TlsOptions } from "../src/internet/socket.ts";
import type { BunTlsOptions } from "./_bun_types.ts";

/** OpenSSL's SSL_OP_NO_TLSv1, _v1_1 and _v1_2 bits, for `minVersion`. */
const NO_TLS_1_0 = 0x04000000;
const NO_TLS_1_1 = 0x10000000;
const NO_TLS_1_2 = 0x08000000;

/** Gives `error` a Node-style `code` where Bun left one out. */
export function normalizeError(error: unknown): Error {
  const err = error instanceof Error ? error : new Error(String(error));
  const withCode = err as Error & { code?: string };
  if (typeof withCode.code !== "string") {
    const match = /\b(E[A-Z]{3,}|ERR_[A-Z_]+)\b/.exec(err.message);
    if (match) withCode.code = match[1];
  }
  if (withCode.code === "EAI_NONAME" || withCode.code === "EAI_NODATA") {
    withCode.code = "ENOTFOUND";
  }
  return err;
}

/** ALPN names in TLS wire format: each name prefixed by its length. */
function alpnWire(names: string[]): Uint8Array {
  const encoded = names.map((name) => new TextEncoder().encode(name));
  const out = new Uint8Array(encoded.reduce((n, e) => n + 1 + e.length, 0));
  let at = 0;
  for (const e of encoded) {
    out[at++] = e.length;
    out.set(e, at);
    at += e.length;
  }
  return out;
}

/** Translates the contract's TLS options into Bun's. */
export function bunTls(options: TlsOptions, isServer: boolean, host?: string): BunTlsOptions {
  const tls: BunTlsOptions = {};
  if (options.cert !== undefined) tls.cert = options.cert;
  if (options.key !== undefined) tls.key = options.key;
  if (options.ca !== undefined) tls.ca = options.ca;
  if (options.alpnProtocols?.length) tls.ALPNProtocols = alpnWire(options.alpnProtocols);
  let secureOptions = NO_TLS_1_0 | NO_TLS_1_1;
  if (options.minVersion === "TLSv1.3") secureOptions |= NO_TLS_1_2;
  tls.secureOptions = secureOptions;
  if (isServer) {
    tls.requestCert = options.requestCert ?? false;
    tls.rejectUnauthorized = options.requestCert ?? false;
  } else {
    tls.rejectUnauthorized = options.verify ?? true;
    const name = options.serverName ?? host;
    if (name !== undefined) tls.serverName = name;
  }
  return tls;
}
