/**
 * SSHServerTransport: the server's side of the key exchange (it signs the
 * exchange hash with a host key) and of service requests.
 * @module
 */
import { DISCONNECT, MSG } from "./_constants.ts";
import { chooseGroup, DEFAULT_PRIMES, type DHGroup, type PrimeTable } from "./_dh_groups.ts";
import { exchangeHash, type GexRequest, writeGexRequest } from "./_exchange_hash.ts";
import { type Ephemeral, makeEphemeral, writePublic } from "./_kex.ts";
import { type KexContext, SSHProtocolError, SSHTransportBase } from "./_transport.ts";
import type { SSHService } from "./_service.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";
import type { Key } from "../keys/_key.ts";
import type { Portal } from "../../cred/mod.ts";
import type { Failure } from "../../internet/failure.ts";

/** What a server transport needs from its factory. */
export interface SSHServerFactoryLike {
  /** Host keys with their private halves, by SSH type. */
  privateKeys: Record<string, Key>;
  /** The cred portal users log in through. */
  portal: Portal | null;
  /** Group-exchange primes (from a moduli file), or null for RFC 3526's. */
  getPrimes(): PrimeTable | null;
  /** The service class for a SERVICE_REQUEST name, or undefined. */
  getService(transport: SSHServerTransport, name: string): (new () => SSHService) | undefined;
}

/** Group sizes a server accepts in a request (RFC 8270: at least 2048). */
const GEX_MIN_BITS = 2048;
const GEX_MAX_BITS = 8192;

/**
 * The server side of an SSH transport (`twisted.conch.ssh.transport.SSHServerTransport`).
 * Built by `SSHFactory`; its host key algorithms come from the factory's keys.
 *
 * @example
 * ```ts
 * import { SSHServerTransport } from "@tw/core/conch";
 *
 * const transport = new SSHServerTransport();
 * console.log(transport.isClient); // false
 * ```
 */
export class SSHServerTransport extends SSHTransportBase {
  /** The factory that made this transport (keys, primes, services). */
  override factory: (SSHServerFactoryLike & import("../../internet/protocol.ts").Factory) | null =
    null;
  /** The logged-in user's avatar (set by userauth). */
  avatar: unknown = null;
  /** Logs the avatar out; called when the connection ends. */
  logoutFunction: (() => void) | null = null;
  #gexRequest: GexRequest | null = null;
  #gexGroup: DHGroup | null = null;

  /** Offers the host key algorithms of the factory's keys. */
  override connectionMade(): void {
    const keys = this.factory ? Object.values(this.factory.privateKeys) : [];
    const offered = new Set(keys.flatMap((key) => key.supportedSignatureAlgorithms()));
    this.supportedPublicKeys = this.supportedPublicKeys.filter((name) => offered.has(name));
    super.connectionMade();
  }

  /** Logs the avatar out. */
  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    const logout = this.logoutFunction;
    this.logoutFunction = null;
    logout?.();
  }

  /** The host key for a negotiated host key algorithm. */
  hostKeyFor(algorithm: string): Key {
    for (const key of Object.values(this.factory?.privateKeys ?? {})) {
      if (key.supportedSignatureAlgorithms().includes(algorithm)) return key;
    }
    throw new SSHProtocolError(`No host key for ${algorithm}`, DISCONNECT.KEY_EXCHANGE_FAILED);
  }

  /** Answers the client's key exchange messages. */
  override async kexMessage(type: number, payload: Uint8Array, kex: KexContext): Promise<void> {
    const reader = new SSHReader(payload);
    if (kex.spec.kind !== "gex") {
      if (type !== MSG.KEX_ECDH_INIT) throw new SSHProtocolError(`Unexpected kex message ${type}`);
      const peer = kex.spec.kind === "dh" ? reader.mpint() : reader.string().slice();
      reader.end();
      const ephemeral = await makeEphemeral(kex.spec);
      return await this.#reply(kex, MSG.KEX_ECDH_REPLY, ephemeral, peer, (writer) => {
        writePublic(writer, peer);
        writePublic(writer, ephemeral.publicValue);
      });
    }
    if (type === MSG.KEX_DH_GEX_REQUEST || type === MSG.KEX_DH_GEX_REQUEST_OLD) {
      if (this.#gexRequest !== null) throw new SSHProtocolError("Second group-exchange request");
      const old = type === MSG.KEX_DH_GEX_REQUEST_OLD;
      const min = old ? GEX_MIN_BITS : reader.uint32();
      const preferred = reader.uint32();
      const max = old ? GEX_MAX_BITS : reader.uint32();
      reader.end();
      if (min > preferred || preferred > max || max < GEX_MIN_BITS) {
        throw new SSHProtocolError(`Bad group-exchange request ${min}/${preferred}/${max}`);
      }
      const primes = this.factory?.getPrimes() ?? DEFAULT_PRIMES;
      const group = chooseGroup(
        primes,
        Math.max(min, GEX_MIN_BITS),
        Math.min(Math.max(preferred, GEX_MIN_BITS), GEX_MAX_BITS),
        Math.min(max, GEX_MAX_BITS),
      );
      if (group === undefined) {
        throw new SSHProtocolError(
          `No group between ${min} and ${max} bits`,
          DISCONNECT.KEY_EXCHANGE_FAILED,
        );
      }
      this.#gexRequest = { min, preferred, max, old };
      this.#gexGroup = group;
      this.sendMessage(
        new SSHWriter().byte(MSG.KEX_DH_GEX_GROUP).mpint(group.prime).mpint(group.generator)
          .bytes(),
      );
      return;
    }
    if (type !== MSG.KEX_DH_GEX_INIT || this.#gexGroup === null) {
      throw new SSHProtocolError(`Unexpected group-exchange message ${type}`);
    }
    const group = this.#gexGroup;
    const request = this.#gexRequest!;
    this.#gexGroup = null;
    this.#gexRequest = null;
    const e = reader.mpint();
    reader.end();
    const ephemeral = await makeEphemeral(kex.spec, group);
    await this.#reply(kex, MSG.KEX_DH_GEX_REPLY, ephemeral, e, (writer) => {
      writeGexRequest(writer, request);
      writer.mpint(group.prime).mpint(group.generator).mpint(e);
      writePublic(writer, ephemeral.publicValue);
    });
  }

  /** Agrees, signs H and sends the reply and NEWKEYS. */
  async #reply(
    kex: KexContext,
    replyType: number,
    ephemeral: Ephemeral,
    peer: Uint8Array | bigint,
    methodValues: (writer: SSHWriter) => void,
  ): Promise<void> {
    const hostKey = this.hostKeyFor(kex.negotiated.hostKey);
    const blob = hostKey.blob();
    const shared = await ephemeral.agree(peer);
    const hash = await exchangeHash(kex, blob, methodValues, shared);
    const signature = await hostKey.sign(hash, { algorithm: kex.negotiated.hostKey });
    const reply = new SSHWriter(1024).byte(replyType).string(blob);
    writePublic(reply, ephemeral.publicValue);
    this.sendMessage(reply.string(signature).bytes());
    await this.keysExchanged(shared, hash);
  }

  /** Starts a requested service (only ssh-userauth before login). */
  override serviceMessage(type: number, name: string): void {
    if (type !== MSG.SERVICE_REQUEST) throw new SSHProtocolError("SERVICE_ACCEPT sent to a server");
    const allowed = this.service === null && name === "ssh-userauth";
    const service = allowed ? this.factory?.getService(this, name) : undefined;
    if (service === undefined) {
      this.sendDisconnect(DISCONNECT.SERVICE_NOT_AVAILABLE, `no such service ${name}`);
      return;
    }
    this.sendMessage(new SSHWriter().byte(MSG.SERVICE_ACCEPT).string(name).bytes());
    this.setService(new service());
  }
}
