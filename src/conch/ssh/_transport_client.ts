/**
 * SSHClientTransport: the client's side of the key exchange (it checks the
 * server's signature over the exchange hash, then asks `verifyHostKey`) and
 * of service requests.
 * @module
 */
import { DISCONNECT, MSG } from "./_constants.ts";
import type { DHGroup } from "./_dh_groups.ts";
import { exchangeHash, type GexRequest, writeGexRequest } from "./_exchange_hash.ts";
import { dhEphemeral, type Ephemeral, makeEphemeral, writePublic } from "./_kex.ts";
import { type KexContext, SSHProtocolError, SSHTransportBase } from "./_transport.ts";
import type { SSHService } from "./_service.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";
import { Key } from "../keys/_key.ts";
import { UserRejectedKey } from "../keys/_errors.ts";

/** What the client asks for in group exchange (RFC 8270's minimum, OpenSSH's maximum). */
const GEX_REQUEST: GexRequest = { min: 2048, preferred: 3072, max: 8192, old: false };

/**
 * The client side of an SSH transport (`twisted.conch.ssh.transport.SSHClientTransport`).
 * Subclasses decide whether to trust the server (`verifyHostKey`) and what to
 * run once the connection is secure (`connectionSecure` calls `requestService`).
 *
 * @example
 * ```ts
 * import { type Key, SSHClientTransport } from "@tw/core/conch";
 *
 * class Trusting extends SSHClientTransport {
 *   override verifyHostKey(_hostKey: Key, fingerprint: string): Promise<void> {
 *     console.log("server key", fingerprint);
 *     return Promise.resolve();
 *   }
 * }
 * console.log(new Trusting().isClient); // true
 * ```
 */
export class SSHClientTransport extends SSHTransportBase {
  #ephemeral: Ephemeral | null = null;
  #gexGroup: DHGroup | null = null;
  #requested: SSHService | null = null;
  /** The server's host key, once verified. */
  hostKey: Key | null = null;

  /** True: this is the client side. */
  override get isClient(): boolean {
    return true;
  }

  /** Sends the client's first key exchange message. */
  override async kexStarted(kex: KexContext): Promise<void> {
    if (kex.spec.kind === "gex") {
      const { min, preferred, max } = GEX_REQUEST;
      this.sendMessage(
        new SSHWriter().byte(MSG.KEX_DH_GEX_REQUEST).uint32(min).uint32(preferred).uint32(max)
          .bytes(),
      );
      return;
    }
    this.#ephemeral = await makeEphemeral(kex.spec);
    this.sendMessage(
      writePublic(new SSHWriter().byte(MSG.KEX_ECDH_INIT), this.#ephemeral.publicValue).bytes(),
    );
  }

  /** Handles the server's key exchange messages. */
  override async kexMessage(type: number, payload: Uint8Array, kex: KexContext): Promise<void> {
    const reader = new SSHReader(payload);
    if (kex.spec.kind === "gex" && type === MSG.KEX_DH_GEX_GROUP && this.#gexGroup === null) {
      const prime = reader.mpint();
      const generator = reader.mpint();
      reader.end();
      const bits = prime.toString(2).length;
      if (bits < GEX_REQUEST.min || bits > GEX_REQUEST.max || generator < 2n || prime < 0n) {
        throw new SSHProtocolError(
          `Server offered a ${bits}-bit group`,
          DISCONNECT.KEY_EXCHANGE_FAILED,
        );
      }
      this.#gexGroup = { prime, generator };
      this.#ephemeral = dhEphemeral(this.#gexGroup, 256);
      this.sendMessage(
        new SSHWriter().byte(MSG.KEX_DH_GEX_INIT).mpint(this.#ephemeral.publicValue as bigint)
          .bytes(),
      );
      return;
    }
    const replyType = kex.spec.kind === "gex" ? MSG.KEX_DH_GEX_REPLY : MSG.KEX_ECDH_REPLY;
    if (type !== replyType || this.#ephemeral === null) {
      throw new SSHProtocolError(`Unexpected key exchange message ${type}`);
    }
    const ephemeral = this.#ephemeral;
    const group = this.#gexGroup;
    this.#ephemeral = null;
    this.#gexGroup = null;
    const blob = reader.string().slice();
    const peer = kex.spec.kind === "dh" || kex.spec.kind === "gex"
      ? reader.mpint()
      : reader.string().slice();
    const signature = reader.string().slice();
    reader.end();
    const shared = await ephemeral.agree(peer);
    const hash = await exchangeHash(kex, blob, (writer) => {
      if (group !== null) {
        writeGexRequest(writer, GEX_REQUEST);
        writer.mpint(group.prime).mpint(group.generator);
      }
      writePublic(writer, ephemeral.publicValue);
      writePublic(writer, peer);
    }, shared);
    await this.#checkHostKey(kex, blob, signature, hash);
    await this.keysExchanged(shared, hash);
  }

  async #checkHostKey(
    kex: KexContext,
    blob: Uint8Array,
    signature: Uint8Array,
    hash: Uint8Array,
  ): Promise<void> {
    let key: Key;
    try {
      key = Key.fromString(blob, { type: "blob" });
    } catch {
      throw new SSHProtocolError("Server's host key is malformed", DISCONNECT.KEY_EXCHANGE_FAILED);
    }
    const algorithm = new SSHReader(signature).text();
    if (
      algorithm !== kex.negotiated.hostKey ||
      !key.supportedSignatureAlgorithms().includes(algorithm) ||
      !(await key.verify(signature, hash))
    ) {
      throw new SSHProtocolError(
        "Server's host key signature does not verify",
        DISCONNECT.KEY_EXCHANGE_FAILED,
      );
    }
    if (this.hostKey !== null) {
      // A rekey: the server must keep its key.
      if (!this.hostKey.equals(key)) {
        throw new SSHProtocolError("Server changed its host key", DISCONNECT.KEY_EXCHANGE_FAILED);
      }
      return;
    }
    try {
      await this.verifyHostKey(key, key.fingerprint());
    } catch (e) {
      this.hostKeyRejected(e);
      throw new SSHProtocolError(
        `Host key not accepted: ${(e as Error)?.message ?? e}`,
        DISCONNECT.HOST_KEY_NOT_VERIFIABLE,
      );
    }
    this.hostKey = key;
  }

  /**
   * Decides whether to trust the server's key: resolve to go on, reject to
   * disconnect. The default rejects every key: override it, or use
   * `SSHCommandClientEndpoint` with `knownHosts`.
   */
  verifyHostKey(_hostKey: Key, fingerprint: string): Promise<void> {
    return Promise.reject(new UserRejectedKey(`No host key policy accepted ${fingerprint}`));
  }

  /** Hook: `verifyHostKey` failed with `reason` (the connection is closing). */
  hostKeyRejected(_reason: unknown): void {}

  /** Asks the server for `service`; it starts when the server accepts. */
  requestService(service: SSHService): void {
    this.#requested = service;
    this.sendMessage(new SSHWriter().byte(MSG.SERVICE_REQUEST).string(service.name).bytes());
  }

  /** Starts the service the server accepted. */
  override serviceMessage(type: number, name: string): void {
    const requested = this.#requested;
    if (type !== MSG.SERVICE_ACCEPT || requested === null || requested.name !== name) {
      throw new SSHProtocolError(`Unexpected service message ${type} for ${name}`);
    }
    this.#requested = null;
    this.setService(requested);
  }
}
