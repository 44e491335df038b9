/**
 * SSHTransportBase: the SSH transport layer (RFC 4253) as a protocol over any
 * ITransport. It exchanges versions, runs the binary packet protocol through a
 * sealer and an opener (./_cipher.ts), negotiates algorithms, rekeys, and hands
 * messages 50 and up to the running service. The key exchange itself is the
 * server's or the client's (./_transport_server.ts, ./_transport_client.ts).
 *
 * WebCrypto is asynchronous, so packets are handled one at a time in order: the
 * next packet is not opened until the previous one's handler has finished, and
 * packets going out are written in sequence order whatever their sealing takes.
 * @module
 */
import { Protocol } from "../../internet/protocol.ts";
import type { Failure } from "../../internet/failure.ts";
import type { IReactorTime } from "../../internet/interfaces.ts";
import type { RuntimeCiphers } from "../../internet/socket.ts";
import { Logger } from "../../logger/mod.ts";
import { DISCONNECT, MSG } from "./_constants.ts";
import { makeOpener, makeSealer, runtimeCiphers } from "./_cipher_sync.ts";
import {
  CIPHERS,
  type DirectionKeys,
  MACS,
  NoneOpener,
  NoneSealer,
  PacketError,
  type PacketOpener,
  type PacketSealer,
} from "./_cipher.ts";
import { deriveKey, KexError, KEXES, type KexSpec } from "./_kex.ts";
import {
  buildKexInit,
  type KexInit,
  type KexInitLists,
  negotiate,
  type Negotiated,
  NegotiationError,
  parseKexInit,
  STRICT_KEX_CLIENT,
  STRICT_KEX_SERVER,
} from "./_negotiation.ts";
import { SSHReader, SSHWireError, SSHWriter, utf8 } from "./_wire.ts";
import { ByteQueue } from "./_byte_queue.ts";
import {
  isKexMessage,
  isStrictKexMessage,
  MAX_OPENING,
  type OpeningPacket,
  openPacket,
} from "./_packets.ts";
import type { SSHService } from "./_service.ts";

const log = new Logger("tw.conch.ssh");

/**
 * An SSH protocol violation: the transport disconnects with `reason`.
 *
 * @example
 * ```ts
 * import { DISCONNECT, SSHProtocolError } from "@tw/core/conch";
 *
 * const error = new SSHProtocolError("Unknown channel 9");
 * console.log(error.reason === DISCONNECT.PROTOCOL_ERROR); // true
 * ```
 */
export class SSHProtocolError extends Error {
  /** The error's name. */
  override name = "SSHProtocolError";
  /** The disconnect reason code sent to the peer. */
  readonly reason: number;
  /** Makes the error with the reason to disconnect with. */
  constructor(message: string, reason: number = DISCONNECT.PROTOCOL_ERROR) {
    super(message);
    this.reason = reason;
  }
}

/** The longest version line (RFC 4253 §4.2: 255 characters with CR LF). */
const MAX_VERSION_LINE = 255;
/** How much a server may send before its version line (other lines, RFC 4253 §4.2). */
const MAX_PRE_VERSION = 64 * 1024;
/** Reading pauses when this much is buffered and not yet handled. */
const READ_HIGH_WATER = 1024 * 1024;

const textDecoder = new TextDecoder();

/** The state of a key exchange in progress. */
export interface KexContext {
  /** How the negotiated method works. */
  readonly spec: KexSpec;
  /** The algorithms agreed on. */
  readonly negotiated: Negotiated;
  /** The client's KEXINIT payload (I_C). */
  readonly clientKexInit: Uint8Array;
  /** The server's KEXINIT payload (I_S). */
  readonly serverKexInit: Uint8Array;
  /** The client's version line (V_C). */
  readonly clientVersion: string;
  /** The server's version line (V_S). */
  readonly serverVersion: string;
}

/**
 * The SSH transport shared by servers and clients (`twisted.conch.ssh.transport.SSHTransportBase`).
 * Subclasses run the key exchange; services (userauth, connection) ride on top.
 *
 * @example
 * ```ts
 * import { SSHTransportBase } from "@tw/core/conch";
 *
 * const transport = new SSHTransportBase();
 * console.log(transport.supportedCiphers[0]); // "aes128-gcm@openssh.com"
 * ```
 */
export class SSHTransportBase extends Protocol {
  /** Our version line, without CR LF. */
  ourVersionString = "SSH-2.0-TwCore_0.1";
  /** The peer's version line once received. */
  otherVersionString = "";
  /** Key exchange methods offered, best first. */
  supportedKeyExchanges: string[] = Object.keys(KEXES);
  /** Host key signature algorithms offered (the server: those of its keys). */
  supportedPublicKeys: string[] = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-512",
    "rsa-sha2-256",
  ];
  /** Ciphers offered, best first. */
  supportedCiphers: string[] = Object.keys(CIPHERS);
  /** MACs offered, best first. */
  supportedMACs: string[] = Object.keys(MACS);
  /** Compression methods offered. */
  supportedCompressions: string[] = ["none"];
  /** Rekey after this many bytes in either direction. @default 1 GiB */
  rekeyBytes: number = 1024 ** 3;
  /** Rekey after this many seconds, checked as packets pass. @default 3600 */
  rekeySeconds = 3600;
  /** The session identifier (the first exchange hash), once keys are exchanged. */
  sessionID: Uint8Array | null = null;
  /** The algorithms of the last key exchange. */
  negotiated: Negotiated | null = null;
  /** The running service (userauth, then connection). */
  service: SSHService | null = null;
  /** Extensions the peer announced in SSH_MSG_EXT_INFO (RFC 8308). */
  peerExtensions: Map<string, Uint8Array> = new Map();
  /** The clock for time-based rekeying (the factory's reactor); null: by bytes only. */
  clock: IReactorTime | null = null;
  /**
   * Synchronous AES and HMAC for packets: by default the running runtime's
   * (`Runtime.ciphers`, Node's), null for WebCrypto everywhere.
   */
  ciphers: RuntimeCiphers | null | undefined = undefined;
  /** True once the peer and we agreed on strict key exchange. */
  strictKex = false;

  #incoming = new ByteQueue();
  #gotVersion = false;
  #preVersionBytes = 0;
  #pumping = false;
  #moreData = false;
  #paused = false;
  #disconnected = false;
  #lost: Failure | null = null;
  #closed: Promise<void> | null = null;
  #closedResolve: (() => void) | null = null;
  #pendingLength: number | undefined;
  #opening: OpeningPacket[] = [];

  #opener: PacketOpener = new NoneOpener();
  #sealer: PacketSealer = new NoneSealer();
  #inSequence = 0;
  #lastSequence = 0;
  #outSequence = 0;
  #writeTail: Promise<void> | null = null;

  #ourKexInit: Uint8Array | null = null;
  #peerKexInit: Uint8Array | null = null;
  #kex: KexContext | null = null;
  #firstKexDone = false;
  #ignoreNextKexPacket = false;
  #held: Uint8Array[] = [];
  #bytesSinceKex = 0;
  #kexStartedAt = 0;
  #incomingKeys: DirectionKeys | null = null;
  #sentNewKeys = false;
  #receivedNewKeys = false;

  /** True on the server side. */
  get isClient(): boolean {
    return false;
  }

  /**
   * Sends our version line and KEXINIT. Over TCP, Nagle's algorithm is turned
   * off first (as OpenSSH's ssh and sshd do for every session): small packets
   * (window adjusts, SFTP status replies) would otherwise wait for the peer's
   * delayed ACK while it waits for them, up to 40 ms at a time.
   */
  override connectionMade(): void {
    (this.transport as { setTcpNoDelay?: (enabled: boolean) => void }).setTcpNoDelay?.(true);
    this.transport.write(utf8(this.ourVersionString + "\r\n"));
    this.sendKexInit();
  }

  /** Reads the version line, then packets. */
  override dataReceived(data: Uint8Array): void {
    if (this.#disconnected) return;
    if (!this.#gotVersion) {
      data = this.#readVersion(data);
      if (!this.#gotVersion || data.length === 0) return;
    }
    this.#incoming.push(data);
    if (this.#incoming.length > READ_HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.transport.pauseProducing();
    }
    if (this.#pumping) this.#moreData = true;
    else void this.#pump();
  }

  /** Stops the service. */
  override connectionLost(reason: Failure): void {
    // Packets already received are still handled (a DISCONNECT says why we were
    // closed); the service stops once they are.
    this.#lost = reason;
    if (!this.#pumping) this.#stopService();
  }

  #stopService(): void {
    this.#disconnected = true;
    const service = this.service;
    this.service = null;
    try {
      service?.serviceStopped(this.#lost);
    } finally {
      const resolve = this.#closedResolve;
      this.#closedResolve = null;
      resolve?.();
    }
  }

  /**
   * Resolves once the connection is lost and every packet received before
   * that was handled (packets are opened asynchronously).
   */
  whenClosed(): Promise<void> {
    if (this.#lost !== null && !this.#pumping && this.#closedResolve === null) {
      return Promise.resolve();
    }
    this.#closed ??= new Promise((resolve) => this.#closedResolve = resolve);
    return this.#closed;
  }

  /** Version lines: the server's may follow other lines; ours must be SSH-2.0 (or 1.99). */
  #readVersion(data: Uint8Array): Uint8Array {
    this.#incoming.push(data);
    for (;;) {
      const newline = this.#incoming.indexOf(0x0a);
      if (newline < 0) {
        const limit = this.isClient ? MAX_PRE_VERSION : MAX_VERSION_LINE;
        if (this.#incoming.length > limit) this.#refuseVersion("Version line too long");
        return new Uint8Array(0);
      }
      const line = this.#incoming.take(newline + 1);
      this.#preVersionBytes += line.length;
      let text = textDecoder.decode(line.subarray(0, line.length - 1));
      if (text.endsWith("\r")) text = text.slice(0, -1);
      if (text.startsWith("SSH-")) {
        if (line.length > MAX_VERSION_LINE) return this.#refuseVersion("Version line too long");
        const version = text.split("-")[1];
        if (version !== "2.0" && version !== "1.99") {
          this.sendDisconnect(
            DISCONNECT.PROTOCOL_VERSION_NOT_SUPPORTED,
            `bad version ${version}`,
          );
          return new Uint8Array(0);
        }
        this.otherVersionString = text;
        this.#gotVersion = true;
        return this.#incoming.take(this.#incoming.length);
      }
      if (!this.isClient) return this.#refuseVersion("Protocol mismatch");
      if (this.#preVersionBytes > MAX_PRE_VERSION) {
        return this.#refuseVersion("Too much before the version line");
      }
    }
  }

  #refuseVersion(message: string): Uint8Array {
    log.info("SSH peer refused: {message}", { message });
    this.#disconnected = true;
    this.transport.write(utf8(message + ".\r\n"));
    this.transport.loseConnection();
    return new Uint8Array(0);
  }

  /** Opens and handles packets, one at a time, while whole ones are buffered. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (!this.#disconnected) {
        this.#moreData = false;
        this.#startOpening();
        if (this.#opening.length === 0) {
          if (this.#opener.syncLength || !(await this.#openOneSlowly())) break;
        }
        const head = this.#opening.shift()!;
        const payload = await head.payload;
        const sequence = this.#inSequence;
        this.#lastSequence = sequence;
        this.#inSequence = (this.#inSequence + 1) >>> 0;
        this.#bytesSinceKex += head.wire.length;
        if (payload.length === 0) throw new SSHProtocolError("Empty packet");
        await this.#dispatch(payload, sequence);
        // New keys: what was opened ahead with the old ones is opened again.
        if (this.#opener !== head.opener) this.#reopen();
      }
    } catch (e) {
      this.#fail(e);
    } finally {
      this.#pumping = false;
    }
    // Bytes that came while the last look found no whole packet: look again.
    if (this.#moreData && !this.#disconnected) {
      void this.#pump();
      return;
    }
    if (this.#lost !== null) {
      this.#stopService();
      return;
    }
    if (this.#paused && this.#incoming.length <= READ_HIGH_WATER / 2 && !this.#disconnected) {
      this.#paused = false;
      this.transport.resumeProducing();
    }
  }

  /**
   * Starts opening every whole packet already received (up to a few), when the
   * opener knows lengths at once: WebCrypto then decrypts them in parallel
   * while they are handled one by one, in order.
   */
  #startOpening(): void {
    const opener = this.#opener;
    if (!opener.syncLength) return;
    while (this.#opening.length < MAX_OPENING) {
      const sequence = (this.#inSequence + this.#opening.length) >>> 0;
      if (this.#pendingLength === undefined) {
        if (this.#incoming.length < opener.headerLength) return;
        const header = this.#incoming.peek(opener.headerLength);
        try {
          this.#pendingLength = opener.packetLength(sequence, header) as number;
        } catch (e) {
          // Ahead of the packet being handled, this may be the first one under new keys.
          if (this.#opening.length > 0) return;
          throw e;
        }
      }
      const total = 4 + this.#pendingLength + opener.trailerLength;
      if (this.#incoming.length < total) return;
      const wire = this.#incoming.take(total);
      this.#pendingLength = undefined;
      this.#opening.push(openPacket(opener, sequence, wire));
    }
  }

  /** One packet with an opener that must decrypt to learn the length (AES-CTR with a MAC). */
  async #openOneSlowly(): Promise<boolean> {
    const opener = this.#opener;
    if (opener.syncLength) return false;
    if (this.#pendingLength === undefined) {
      if (this.#incoming.length < opener.headerLength) return false;
      const header = this.#incoming.peek(opener.headerLength);
      this.#pendingLength = await opener.packetLength(this.#inSequence, header);
    }
    const total = 4 + this.#pendingLength + opener.trailerLength;
    if (this.#incoming.length < total) return false;
    const wire = this.#incoming.take(total);
    this.#pendingLength = undefined;
    this.#opening.push(openPacket(opener, this.#inSequence, wire));
    return true;
  }

  /**
   * After NEWKEYS: packets framed ahead with the old keys go back to be framed
   * and opened again with the new ones (their boundaries may differ).
   */
  #reopen(): void {
    const ahead = this.#opening;
    this.#opening = [];
    this.#pendingLength = undefined;
    for (let i = ahead.length - 1; i >= 0; i--) this.#incoming.unshift(ahead[i].wire);
  }

  /** Disconnects for an error raised while handling the peer's bytes. */
  #fail(e: unknown): void {
    if (this.#disconnected) return;
    if (e instanceof PacketError) {
      log.info("SSH packet error: {error}", { error: e.message });
      this.sendDisconnect(e.badMac ? DISCONNECT.MAC_ERROR : DISCONNECT.PROTOCOL_ERROR, e.message);
    } else if (e instanceof SSHProtocolError) {
      log.info("SSH protocol error: {error}", { error: e.message });
      this.sendDisconnect(e.reason, e.message);
    } else if (e instanceof NegotiationError || e instanceof KexError) {
      log.info("SSH key exchange failed: {error}", { error: e.message });
      this.sendDisconnect(DISCONNECT.KEY_EXCHANGE_FAILED, e.message);
    } else if (e instanceof SSHWireError || e instanceof RangeError) {
      log.info("SSH malformed message: {error}", { error: (e as Error).message });
      this.sendDisconnect(DISCONNECT.PROTOCOL_ERROR, (e as Error).message);
    } else {
      log.failure("SSH transport error", e, "error");
      this.sendDisconnect(DISCONNECT.BY_APPLICATION, "internal error");
    }
  }

  async #dispatch(payload: Uint8Array, sequence: number): Promise<void> {
    const type = payload[0];
    const body = payload.subarray(1);
    const initial = !this.#firstKexDone;
    if (initial && this.strictKex && !isStrictKexMessage(type)) {
      throw new SSHProtocolError(`Message ${type} during strict key exchange`);
    }
    if (type === MSG.KEXINIT) {
      if (initial && sequence !== 0 && this.#peerOffersStrict(body)) {
        throw new SSHProtocolError("Strict key exchange: KEXINIT was not the first packet");
      }
      return await this.#kexInitReceived(payload);
    }
    if (type >= 30 && type <= 49) {
      if (this.#kex === null) {
        throw new SSHProtocolError(`Key exchange message ${type} out of turn`);
      }
      if (this.#ignoreNextKexPacket) {
        this.#ignoreNextKexPacket = false;
        return;
      }
      return await this.kexMessage(type, body, this.#kex);
    }
    switch (type) {
      case MSG.DISCONNECT: {
        const reader = new SSHReader(body);
        const code = reader.uint32();
        const description = reader.text();
        this.#disconnected = true;
        this.receiveError(code, description);
        this.transport.loseConnection();
        return;
      }
      case MSG.IGNORE:
        return;
      case MSG.DEBUG: {
        const reader = new SSHReader(body);
        this.receiveDebug(reader.boolean(), reader.text(), reader.text());
        return;
      }
      case MSG.UNIMPLEMENTED:
        this.receiveUnimplemented(new SSHReader(body).uint32());
        return;
      case MSG.NEWKEYS:
        return this.#newKeysReceived();
      case MSG.EXT_INFO:
        return this.#extInfoReceived(body);
    }
    if (!this.#firstKexDone || this.#kex !== null && !this.#kexAllows(type)) {
      throw new SSHProtocolError(`Message ${type} before keys were exchanged`);
    }
    if (type === MSG.SERVICE_REQUEST || type === MSG.SERVICE_ACCEPT) {
      return await this.serviceMessage(type, new SSHReader(body).text());
    }
    if (type >= 50 && this.service !== null) {
      return await this.service.packetReceived(type, body);
    }
    this.sendUnimplemented(sequence);
  }

  /** During a rekey, the peer's services may still send until its KEXINIT. */
  #kexAllows(type: number): boolean {
    return type >= 50 && this.#peerKexInit === null;
  }

  #peerOffersStrict(body: Uint8Array): boolean {
    try {
      const kex = parseKexInit(body).kex;
      return kex.includes(this.isClient ? STRICT_KEX_SERVER : STRICT_KEX_CLIENT);
    } catch {
      return false;
    }
  }

  /** The algorithm lists we send in KEXINIT. */
  kexInitLists(): KexInitLists {
    const kex = [...this.supportedKeyExchanges];
    if (!this.#firstKexDone) {
      kex.push(this.isClient ? "ext-info-c" : "ext-info-s");
      kex.push(this.isClient ? STRICT_KEX_CLIENT : STRICT_KEX_SERVER);
    }
    return {
      kex,
      hostKey: this.supportedPublicKeys,
      ciphersCS: this.supportedCiphers,
      ciphersSC: this.supportedCiphers,
      macsCS: this.supportedMACs,
      macsSC: this.supportedMACs,
      compressionCS: this.supportedCompressions,
      compressionSC: this.supportedCompressions,
    };
  }

  /** Starts a key exchange (at connection, or to rekey). */
  sendKexInit(): void {
    if (this.#ourKexInit !== null || this.#disconnected) return;
    this.#ourKexInit = buildKexInit(this.kexInitLists());
    this.#kexStartedAt = this.#now();
    this.#sendNow(this.#ourKexInit);
  }

  async #kexInitReceived(payload: Uint8Array): Promise<void> {
    if (this.#peerKexInit !== null) throw new SSHProtocolError("KEXINIT during a key exchange");
    this.#peerKexInit = payload;
    const peer = parseKexInit(payload.subarray(1));
    if (!this.#firstKexDone) {
      const marker = this.isClient ? STRICT_KEX_SERVER : STRICT_KEX_CLIENT;
      this.strictKex = peer.kex.includes(marker);
      this.peerWantsExtInfo = peer.kex.includes(this.isClient ? "ext-info-s" : "ext-info-c");
    }
    this.sendKexInit();
    const ours = parseKexInit(this.#ourKexInit!.subarray(1));
    const [client, server]: [KexInit, KexInit] = this.isClient ? [ours, peer] : [peer, ours];
    const negotiated = negotiate(client, server, (name) => CIPHERS[name]?.aead === true);
    if (peer.firstKexPacketFollows) {
      this.#ignoreNextKexPacket = peer.kex[0] !== negotiated.kex ||
        peer.hostKey[0] !== negotiated.hostKey;
    }
    this.negotiated = negotiated;
    const [clientInit, serverInit] = this.isClient
      ? [this.#ourKexInit!, payload]
      : [payload, this.#ourKexInit!];
    const [clientVersion, serverVersion] = this.isClient
      ? [this.ourVersionString, this.otherVersionString]
      : [this.otherVersionString, this.ourVersionString];
    this.#kex = {
      spec: KEXES[negotiated.kex],
      negotiated,
      clientKexInit: clientInit,
      serverKexInit: serverInit,
      clientVersion,
      serverVersion,
    };
    await this.kexStarted(this.#kex);
  }

  /** True when the peer asked for SSH_MSG_EXT_INFO in its first KEXINIT. */
  peerWantsExtInfo = false;

  /** Hook: both KEXINITs are known (the client sends its first key exchange message here). */
  kexStarted(_kex: KexContext): Promise<void> | void {}

  /** Hook: a key exchange message (30-49) of the negotiated method. */
  kexMessage(type: number, _payload: Uint8Array, _kex: KexContext): Promise<void> | void {
    throw new SSHProtocolError(`Unexpected key exchange message ${type}`);
  }

  /** Hook: SERVICE_REQUEST (server) or SERVICE_ACCEPT (client). */
  serviceMessage(type: number, _name: string): Promise<void> | void {
    throw new SSHProtocolError(`Unexpected service message ${type}`);
  }

  /**
   * Derives both directions' keys from the exchange and sends NEWKEYS: what we
   * send from now on uses the new keys; what we receive switches at the peer's NEWKEYS.
   */
  async keysExchanged(sharedSecret: bigint, exchangeHash: Uint8Array): Promise<void> {
    const kex = this.#kex!;
    if (this.sessionID === null) this.sessionID = exchangeHash;
    const n = kex.negotiated;
    const derive = (letter: string, length: number) =>
      deriveKey(kex.spec.hash, sharedSecret, exchangeHash, letter, this.sessionID!, length);
    const direction = async (
      cipher: string,
      mac: string,
      letters: string,
    ): Promise<DirectionKeys> => {
      const spec = CIPHERS[cipher];
      const macSpec = MACS[mac];
      return {
        cipher,
        mac,
        iv: await derive(letters[0], spec.ivLength),
        key: await derive(letters[1], spec.keyLength),
        macKey: macSpec ? await derive(letters[2], macSpec.keyLength) : new Uint8Array(0),
      };
    };
    const clientToServer = await direction(n.cipherCS, n.macCS, "ACE");
    const serverToClient = await direction(n.cipherSC, n.macSC, "BDF");
    const [outgoing, incoming] = this.isClient
      ? [clientToServer, serverToClient]
      : [serverToClient, clientToServer];
    this.#incomingKeys = incoming;
    this.#sendNow(new Uint8Array([MSG.NEWKEYS]));
    if (this.ciphers === undefined) this.ciphers = runtimeCiphers();
    this.#sealer = makeSealer(outgoing, this.ciphers);
    if (this.strictKex) this.#outSequence = 0;
    this.#sentNewKeys = true;
    if (!this.#firstKexDone && !this.isClient && this.peerWantsExtInfo) this.sendExtInfo();
    this.#maybeKexDone();
  }

  #newKeysReceived(): void {
    if (this.#incomingKeys === null) throw new SSHProtocolError("NEWKEYS before the key exchange");
    if (this.ciphers === undefined) this.ciphers = runtimeCiphers();
    this.#opener = makeOpener(this.#incomingKeys, this.ciphers);
    this.#incomingKeys = null;
    if (this.strictKex) this.#inSequence = 0;
    this.#receivedNewKeys = true;
    this.#maybeKexDone();
  }

  /** After both NEWKEYS: the exchange is over, held messages go out. */
  #maybeKexDone(): void {
    if (!this.#sentNewKeys || !this.#receivedNewKeys) return;
    const first = !this.#firstKexDone;
    this.#kex = null;
    this.#sentNewKeys = false;
    this.#receivedNewKeys = false;
    this.#ourKexInit = null;
    this.#peerKexInit = null;
    this.#firstKexDone = true;
    this.#bytesSinceKex = 0;
    this.#kexStartedAt = this.#now();
    const held = this.#held;
    this.#held = [];
    for (const message of held) this.#sendNow(message);
    if (first) this.connectionSecure();
    else this.#maybeRekey();
  }

  #now(): number {
    return this.clock?.seconds() ?? 0;
  }

  /** Sends SSH_MSG_EXT_INFO (the server: `server-sig-algs`). */
  sendExtInfo(): void {
    const algorithms = this.serverSignatureAlgorithms();
    const writer = new SSHWriter().byte(MSG.EXT_INFO).uint32(1);
    writer.string("server-sig-algs").nameList(algorithms);
    this.#sendNow(writer.bytes());
  }

  /** The public key signature algorithms a server accepts for userauth. */
  serverSignatureAlgorithms(): string[] {
    return [
      "ssh-ed25519",
      "ecdsa-sha2-nistp256",
      "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521",
      "rsa-sha2-512",
      "rsa-sha2-256",
    ];
  }

  #extInfoReceived(body: Uint8Array): void {
    const reader = new SSHReader(body);
    const count = reader.uint32();
    if (count > 64) throw new SSHProtocolError("Too many extensions");
    for (let i = 0; i < count; i++) this.peerExtensions.set(reader.text(), reader.string().slice());
  }

  /** Hook: keys are exchanged for the first time (the client requests userauth here). */
  connectionSecure(): void {}

  /** Hook: the peer disconnected with a reason. */
  receiveError(reasonCode: number, description: string): void {
    log.info("SSH peer disconnected ({code}): {description}", { code: reasonCode, description });
  }

  /** Hook: the peer did not implement our packet `sequence`. */
  receiveUnimplemented(sequence: number): void {
    log.info("SSH peer did not implement packet {sequence}", { sequence });
  }

  /** Hook: SSH_MSG_DEBUG from the peer. */
  receiveDebug(_alwaysDisplay: boolean, message: string, _language: string): void {
    log.debug("SSH debug message: {message}", { message });
  }

  /** Sends a message of `messageType` with `payload` (services call this). */
  sendPacket(messageType: number, payload: Uint8Array): void {
    const message = new Uint8Array(1 + payload.length);
    message[0] = messageType;
    message.set(payload, 1);
    this.sendMessage(message);
  }

  /** Sends a whole message (type byte included); held while a key exchange runs. */
  sendMessage(message: Uint8Array): void {
    if (this.#disconnected) return;
    if (this.#kex !== null || this.#ourKexInit !== null) {
      if (!isKexMessage(message[0])) {
        this.#held.push(message);
        return;
      }
    }
    this.#sendNow(message);
    this.#maybeRekey();
  }

  /** Starts a key exchange when the keys have carried enough bytes or lived long enough. */
  #maybeRekey(): void {
    if (
      this.#firstKexDone && this.#ourKexInit === null &&
      (this.#bytesSinceKex > this.rekeyBytes ||
        (this.clock !== null && this.#now() - this.#kexStartedAt > this.rekeySeconds))
    ) this.sendKexInit();
  }

  /** Seals and writes now; writes stay in sequence order while sealing is asynchronous. */
  #sendNow(message: Uint8Array): void {
    const sequence = this.#outSequence;
    this.#outSequence = (this.#outSequence + 1) >>> 0;
    this.#bytesSinceKex += message.length;
    let sealed: Promise<Uint8Array> | Uint8Array;
    try {
      sealed = this.#sealer.seal(sequence, message);
    } catch (e) {
      log.failure("SSH could not seal a packet", e, "error");
      this.transport.loseConnection();
      return;
    }
    if (sealed instanceof Uint8Array && this.#writeTail === null) {
      this.transport.write(sealed);
      return;
    }
    const previous = this.#writeTail ?? Promise.resolve();
    const tail: Promise<void> = previous.then(() => sealed).then(
      (bytes) => {
        if (this.#writeTail === tail) this.#writeTail = null;
        this.transport.write(bytes);
      },
      (e) => {
        if (this.#writeTail === tail) this.#writeTail = null;
        log.failure("SSH could not seal a packet", e, "error");
        this.transport.loseConnection();
      },
    );
    this.#writeTail = tail;
  }

  /** Sends SSH_MSG_DISCONNECT and closes once it is written. */
  sendDisconnect(reason: number, description: string): void {
    if (this.#disconnected) return;
    const writer = new SSHWriter().byte(MSG.DISCONNECT).uint32(reason).string(description)
      .string("");
    this.#sendNow(writer.bytes());
    this.#disconnected = true;
    const close = () => this.transport.loseConnection();
    if (this.#writeTail === null) close();
    else void this.#writeTail.then(close);
  }

  /** Sends SSH_MSG_IGNORE with `data`. */
  sendIgnore(data: Uint8Array | string): void {
    this.sendMessage(new SSHWriter().byte(MSG.IGNORE).string(data).bytes());
  }

  /** Sends SSH_MSG_DEBUG. */
  sendDebug(message: string, alwaysDisplay = false): void {
    this.sendMessage(
      new SSHWriter().byte(MSG.DEBUG).boolean(alwaysDisplay).string(message).string("").bytes(),
    );
  }

  /** Sends SSH_MSG_UNIMPLEMENTED for the peer's packet `sequence` (by default the last). */
  sendUnimplemented(sequence: number = this.#lastSequence): void {
    this.sendMessage(new SSHWriter().byte(MSG.UNIMPLEMENTED).uint32(sequence).bytes());
  }

  /** Stops the current service (if any) and starts `service`. */
  setService(service: SSHService): void {
    const old = this.service;
    if (old !== null) old.serviceStopped(null);
    this.service = service;
    service.transport = this;
    service.serviceStarted();
  }

  /** True when both directions are encrypted with exchanged keys. */
  isEncrypted(): boolean {
    return this.#firstKexDone;
  }

  /** Closes the connection (without a DISCONNECT message). */
  loseConnection(): void {
    this.#disconnected = true;
    this.transport.loseConnection();
  }
}
