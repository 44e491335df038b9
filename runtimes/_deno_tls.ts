/**
 * TLS for the Deno adapter. Native (`Deno.connectTls`, `Deno.listenTls`,
 * `Deno.startTls`) where Deno's API covers the options; otherwise node:tls
 * over the Deno connection, bridged by a Duplex: server-side STARTTLS,
 * client certificate requests, `verify: false`, TLS 1.3 minimum, and client
 * STARTTLS while a read is in flight (Deno.startTls then fails with "Busy").
 *
 * @module
 */

import { handshakeTimeoutMs, withHandshakeTimeout } from "./_tls_timeout.ts";
import type { Duplex as NodeDuplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { Socket, TlsOptions } from "../src/internet/socket.ts";
import { DenoRaw, type RawConn } from "./_deno_raw.ts";
import { DenoSocket, type Detached } from "./_deno_socket.ts";
import { codedError, normalizeError } from "./_deno_errors.ts";
import { NodeStreamRaw } from "./_deno_node_raw.ts";

function caList(ca: string | string[] | undefined): string[] | undefined {
  if (ca === undefined) return undefined;
  return Array.isArray(ca) ? ca : [ca];
}

function isIP(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

/**
 * Whether Deno's own TLS client covers `options` for a connection to
 * `hostname`. It cannot skip verification or force TLS 1.3; its `caCerts`
 * are trusted in addition to the built-in roots, whereas `ca` means "instead
 * of the system store" (node:tls in Deno does replace them: measured with
 * DENO_CERT); and a name other than the address needs `Deno.startTls`, which
 * cannot present a client certificate.
 */
export function nativeClientCapable(options: TlsOptions, hostname: string): boolean {
  const otherName = options.serverName !== undefined && options.serverName !== hostname;
  return options.verify !== false && options.minVersion !== "TLSv1.3" &&
    options.ca === undefined &&
    !(otherName && options.cert !== undefined && options.key !== undefined);
}

/**
 * Whether Deno's own TLS server covers `options`: no client certificates, no
 * 1.3 minimum, and no handshake timeout. Deno's listener runs each handshake
 * in a task that closing the connection does not stop (a client that never
 * speaks keeps its socket open, measured on Deno 2.9), so a timeout needs
 * node:tls over a plain connection, which we can close.
 */
export function nativeServerCapable(options: TlsOptions): boolean {
  return !options.requestCert && options.minVersion !== "TLSv1.3" &&
    handshakeTimeoutMs(options.handshakeTimeout) === 0;
}

/**
 * Completes a native handshake, closing the connection if it fails or takes
 * longer than `handshakeTimeout` seconds.
 */
export async function nativeHandshake(
  conn: Deno.TlsConn,
  handshakeTimeout: number | undefined,
): Promise<RawConn> {
  try {
    const info = await withHandshakeTimeout(conn.handshake(), handshakeTimeout, () => conn.close());
    return new DenoRaw(conn, { alpnProtocol: info.alpnProtocol ?? null });
  } catch (e) {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    throw tlsError(e);
  }
}

/** Handshake failures keep their message; a code helps the core tell them apart. */
function tlsError(e: unknown): Error {
  const err = normalizeError(e);
  const coded = err as Error & { code?: string };
  if (coded.code === undefined) {
    try {
      coded.code = "ERR_TLS_HANDSHAKE";
    } catch {
      // Frozen: keep it as it is.
    }
  }
  return err;
}

/** Opens a native TLS client connection (the caller checked `nativeClientCapable`). */
export async function connectTlsNative(
  hostname: string,
  port: number,
  options: TlsOptions,
): Promise<RawConn> {
  const name = options.serverName ?? hostname;
  // No caCerts: with a `ca`, nativeClientCapable chose node:tls instead.
  const common = { alpnProtocols: options.alpnProtocols };
  let conn: Deno.TlsConn;
  if (name === hostname) {
    conn = options.cert && options.key
      ? await Deno.connectTls({ hostname, port, ...common, cert: options.cert, key: options.key })
      : await Deno.connectTls({ hostname, port, ...common });
  } else {
    // Deno.connectTls verifies the address it connects to: a different name
    // needs a plain connection upgraded with Deno.startTls.
    const tcp = await Deno.connect({ hostname, port });
    try {
      conn = await Deno.startTls(tcp, { hostname: name, ...common });
    } catch (e) {
      try {
        tcp.close();
      } catch {
        // Taken over by the failed upgrade.
      }
      throw e;
    }
  }
  return await nativeHandshake(conn, options.handshakeTimeout);
}

/** Upgrades a detached socket's connection to TLS, client or server side. */
export async function upgradeSocket(
  detached: Detached,
  options: TlsOptions & { isServer?: boolean },
): Promise<Socket> {
  const { raw, prefix, pending } = detached;
  const remote = raw.remoteAddress;
  const host = remote.transport === "unix" ? "localhost" : remote.hostname;
  const tcp = raw.tcp;
  if (
    !options.isServer && tcp !== null && pending === null && prefix.length === 0 &&
    nativeClientCapable(options, host) && !(options.cert && options.key)
  ) {
    const conn = await Deno.startTls(tcp, {
      hostname: options.serverName ?? host,
      alpnProtocols: options.alpnProtocols,
    });
    return new DenoSocket(await nativeHandshake(conn, options.handshakeTimeout));
  }
  const upgraded = options.isServer
    ? await nodeTlsServer(detached, options)
    : await nodeTlsClient(detached, options, options.serverName ?? host);
  return new DenoSocket(upgraded);
}

/** A node Duplex over a raw connection, starting with the bytes already read. */
async function duplexOver(detached: Detached): Promise<NodeDuplex> {
  const { Duplex } = await import("node:stream");
  const { raw } = detached;
  const queue = [...detached.prefix];
  let pending = detached.pending;
  let reading = false;
  const pumpIn = async (): Promise<void> => {
    try {
      while (true) {
        let chunk: Uint8Array | null;
        if (queue.length > 0) chunk = queue.shift()!;
        else if (pending !== null) {
          const p = pending;
          pending = null;
          chunk = await p;
        } else chunk = await raw.read();
        if (chunk === null) {
          duplex.push(null);
          return;
        }
        if (!duplex.push(chunk)) {
          reading = false;
          return;
        }
      }
    } catch (e) {
      duplex.destroy(normalizeError(e));
    }
  };
  const duplex: NodeDuplex = new Duplex({
    allowHalfOpen: true,
    read(): void {
      if (reading) return;
      reading = true;
      void pumpIn();
    },
    write(chunk: Uint8Array, _encoding: string, callback: (error?: Error | null) => void): void {
      writeAll(raw, chunk).then(() => callback(), (e) => callback(normalizeError(e)));
    },
    final(callback: (error?: Error | null) => void): void {
      raw.closeWrite().then(() => callback(), () => callback());
    },
    destroy(error: Error | null, callback: (error?: Error | null) => void): void {
      raw.close();
      callback(error);
    },
  });
  return duplex;
}

async function writeAll(raw: RawConn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.byteLength) off += await raw.write(off === 0 ? data : data.subarray(off));
}

function nodeTlsOptions(options: TlsOptions): Record<string, unknown> {
  return {
    key: options.key,
    cert: options.cert,
    ca: options.ca,
    ALPNProtocols: options.alpnProtocols,
    minVersion: options.minVersion ?? "TLSv1.2",
  };
}

/** Runs a server-side TLS handshake with node:tls over a detached connection. */
export async function nodeTlsServer(detached: Detached, options: TlsOptions): Promise<RawConn> {
  const { TLSSocket } = await import("node:tls");
  const duplex = await duplexOver(detached);
  const tls = new TLSSocket(
    duplex,
    {
      ...nodeTlsOptions(options),
      isServer: true,
      requestCert: options.requestCert ?? false,
      rejectUnauthorized: options.requestCert ?? false,
    } as ConstructorParameters<typeof TLSSocket>[1],
  );
  await withHandshakeTimeout(settle(tls, "secure"), options.handshakeTimeout, () => {
    tls.destroy();
    detached.raw.abort();
  });
  if (options.requestCert) {
    // Deno's node:tls requires a client certificate but does not check it
    // against `ca` (and leaves `authorized` false): verify the chain here.
    const reason = await clientCertProblem(tls, options.ca);
    if (reason !== null) {
      tls.destroy();
      throw codedError(`Client certificate rejected: ${reason}`, "ERR_TLS_HANDSHAKE");
    }
  }
  return NodeStreamRaw.overTls(tls, detached.raw);
}

interface PeerCert {
  raw?: Uint8Array;
  issuerCertificate?: PeerCert;
}

/** Why the client's certificate chain does not lead to a CA in `ca`, or null if it does. */
async function clientCertProblem(
  tls: TLSSocket,
  ca: string | string[] | undefined,
): Promise<string | null> {
  const { X509Certificate } = await import("node:crypto");
  const peer = tls.getPeerCertificate(true) as PeerCert | null;
  if (!peer?.raw || peer.raw.byteLength === 0) return "no client certificate";
  const roots = splitPem(caList(ca) ?? []).map((pem) => new X509Certificate(pem));
  if (roots.length === 0) return "no CA configured to verify client certificates";
  const chain: InstanceType<typeof X509Certificate>[] = [];
  for (let c: PeerCert | undefined = peer; c?.raw && chain.length < 8; c = c.issuerCertificate) {
    const cert = new X509Certificate(c.raw);
    if (chain.length > 0 && chain[chain.length - 1].fingerprint256 === cert.fingerprint256) break;
    chain.push(cert);
  }
  const now = Date.now();
  let cert = chain[0];
  for (let depth = 0; depth < 8; depth++) {
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      return "certificate expired or not yet valid";
    }
    if (roots.some((root) => cert.checkIssued(root) && cert.verify(root.publicKey))) return null;
    const issuer = chain.find((c) => c !== cert && cert.checkIssued(c) && cert.verify(c.publicKey));
    if (issuer === undefined) return "certificate not signed by a trusted CA";
    cert = issuer;
  }
  return "certificate chain too long";
}

function splitPem(pems: string[]): string[] {
  const out: string[] = [];
  for (const pem of pems) {
    const found = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    if (found) out.push(...found);
  }
  return out;
}

/** Runs a client-side TLS handshake with node:tls over a detached connection. */
export async function nodeTlsClient(
  detached: Detached,
  options: TlsOptions,
  name: string,
): Promise<RawConn> {
  const tlsModule = await import("node:tls");
  const duplex = await duplexOver(detached);
  const tls = tlsModule.connect(
    {
      ...nodeTlsOptions(options),
      socket: duplex,
      host: name,
      servername: isIP(name) ? undefined : name,
      rejectUnauthorized: options.verify !== false,
    } as import("node:tls").ConnectionOptions,
  );
  await withHandshakeTimeout(settle(tls, "secureConnect"), options.handshakeTimeout, () => {
    tls.destroy();
    detached.raw.abort();
  });
  return NodeStreamRaw.overTls(tls, detached.raw);
}

function settle(tls: TLSSocket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      tls.destroy();
      reject(tlsError(e));
    };
    tls.once("error", onError);
    tls.once(
      "close",
      () => reject(codedError("TLS handshake aborted: connection closed", "ECONNRESET")),
    );
    tls.once(event, () => {
      tls.off("error", onError);
      resolve();
    });
  });
}
