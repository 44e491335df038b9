/**
 * SSH_MSG_KEXINIT (RFC 4253 §7.1): its codec, and the choice of one algorithm
 * per category (the first of the client's list that the server also has).
 * Also the pseudo-algorithms that ride in the key exchange list: ext-info
 * (RFC 8308) and OpenSSH's strict key exchange (the Terrapin countermeasure).
 * @module
 */
import { MSG } from "./_constants.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";

/** The client's marker for strict key exchange. */
export const STRICT_KEX_CLIENT = "kex-strict-c-v00@openssh.com";
/** The server's marker for strict key exchange. */
export const STRICT_KEX_SERVER = "kex-strict-s-v00@openssh.com";
/** The client asks for SSH_MSG_EXT_INFO. */
export const EXT_INFO_CLIENT = "ext-info-c";
/** The server asks for SSH_MSG_EXT_INFO. */
export const EXT_INFO_SERVER = "ext-info-s";

/** The algorithm lists of one side's KEXINIT. */
export interface KexInitLists {
  /** Key exchange methods. */
  kex: string[];
  /** Host key signature algorithms. */
  hostKey: string[];
  /** Client-to-server ciphers. */
  ciphersCS: string[];
  /** Server-to-client ciphers. */
  ciphersSC: string[];
  /** Client-to-server MACs. */
  macsCS: string[];
  /** Server-to-client MACs. */
  macsSC: string[];
  /** Client-to-server compression methods. */
  compressionCS: string[];
  /** Server-to-client compression methods. */
  compressionSC: string[];
}

/** A parsed KEXINIT. */
export interface KexInit extends KexInitLists {
  /** The sender guessed and sent its first kex packet already. */
  firstKexPacketFollows: boolean;
}

/** At most this many names per list, each at most 64 characters (RFC 4251 §6). */
const MAX_NAMES = 128;

/** The KEXINIT message (type byte included), with a fresh random cookie. */
export function buildKexInit(lists: KexInitLists): Uint8Array {
  const writer = new SSHWriter(1024).byte(MSG.KEXINIT);
  writer.raw(crypto.getRandomValues(new Uint8Array(16)));
  for (
    const list of [
      lists.kex,
      lists.hostKey,
      lists.ciphersCS,
      lists.ciphersSC,
      lists.macsCS,
      lists.macsSC,
      lists.compressionCS,
      lists.compressionSC,
      [],
      [],
    ]
  ) writer.nameList(list);
  return writer.boolean(false).uint32(0).bytes();
}

/** Parses a KEXINIT payload (after the type byte). */
export function parseKexInit(payload: Uint8Array): KexInit {
  const reader = new SSHReader(payload);
  reader.raw(16);
  const names = (): string[] => {
    const list = reader.nameList();
    if (list.length > MAX_NAMES || list.some((name) => name.length > 64 || name === "")) {
      throw new RangeError("KEXINIT has a malformed algorithm list");
    }
    return list;
  };
  const init: KexInit = {
    kex: names(),
    hostKey: names(),
    ciphersCS: names(),
    ciphersSC: names(),
    macsCS: names(),
    macsSC: names(),
    compressionCS: names(),
    compressionSC: names(),
    firstKexPacketFollows: false,
  };
  names();
  names();
  init.firstKexPacketFollows = reader.boolean();
  reader.uint32();
  return init;
}

/** What both sides agreed on. */
export interface Negotiated {
  /** The key exchange method. */
  kex: string;
  /** The host key signature algorithm. */
  hostKey: string;
  /** The client-to-server cipher. */
  cipherCS: string;
  /** The server-to-client cipher. */
  cipherSC: string;
  /** The client-to-server MAC (`<implicit>` with an AEAD cipher). */
  macCS: string;
  /** The server-to-client MAC (`<implicit>` with an AEAD cipher). */
  macSC: string;
  /** The client-to-server compression. */
  compressionCS: string;
  /** The server-to-client compression. */
  compressionSC: string;
}

/**
 * A category where the two sides share no algorithm.
 *
 * @example
 * ```ts
 * import { NegotiationError } from "@tw/core/conch";
 *
 * console.log(new NegotiationError("No common cipher").name); // "NegotiationError"
 * ```
 */
export class NegotiationError extends Error {
  /** The error's name. */
  override name = "NegotiationError";
}

function choose(category: string, client: string[], server: string[]): string {
  const found = client.find((name) => server.includes(name));
  if (found === undefined) {
    throw new NegotiationError(
      `No common ${category} algorithm (client: ${client.join(",")}; server: ${server.join(",")})`,
    );
  }
  return found;
}

/**
 * Picks one algorithm per category. `macs` are skipped (`"<implicit>"`) for
 * AEAD ciphers, which carry their own tag.
 */
export function negotiate(
  client: KexInitLists,
  server: KexInitLists,
  isAead: (cipher: string) => boolean,
): Negotiated {
  const kexNames = (list: string[]) =>
    list.filter((name) =>
      name !== EXT_INFO_CLIENT && name !== EXT_INFO_SERVER && name !== STRICT_KEX_CLIENT &&
      name !== STRICT_KEX_SERVER
    );
  const cipherCS = choose("client-to-server cipher", client.ciphersCS, server.ciphersCS);
  const cipherSC = choose("server-to-client cipher", client.ciphersSC, server.ciphersSC);
  return {
    kex: choose("key exchange", kexNames(client.kex), kexNames(server.kex)),
    hostKey: choose("host key", client.hostKey, server.hostKey),
    cipherCS,
    cipherSC,
    macCS: isAead(cipherCS)
      ? "<implicit>"
      : choose("client-to-server MAC", client.macsCS, server.macsCS),
    macSC: isAead(cipherSC)
      ? "<implicit>"
      : choose("server-to-client MAC", client.macsSC, server.macsSC),
    compressionCS: choose(
      "client-to-server compression",
      client.compressionCS,
      server.compressionCS,
    ),
    compressionSC: choose(
      "server-to-client compression",
      client.compressionSC,
      server.compressionSC,
    ),
  };
}
