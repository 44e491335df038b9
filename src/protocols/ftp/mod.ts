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
export { FTPClient, type FTPClientOptions } from "./_client.ts";
export type { IFinishableConsumer } from "./_client_transfer.ts";
export {
  BadResponse,
  CommandFailed,
  ConnectionLost,
  FTPError,
  UnexpectedResponse,
} from "./_client_errors.ts";
export { type FTPFileInfo, FTPFileListProtocol, parsePWDResponse } from "./_file_list.ts";
