/**
 * FTP, server and client (Twisted's `twisted.protocols.ftp`): RFC 959 with
 * the extensions clients use today (FEAT, EPSV/EPRT, SIZE, MDTM, REST, MLSD,
 * AUTH TLS, UTF-8).
 *
 * @module
 */

export {
  decodeExtendedAddress,
  decodeExtendedPassiveReply,
  decodeHostPort,
  decodePassiveReply,
  encodeExtendedAddress,
  encodeExtendedPassiveReply,
  encodeHostPort,
  type HostPort,
  InvalidHostPort,
} from "./_address.ts";
