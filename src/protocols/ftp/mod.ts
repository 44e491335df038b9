/**
 * FTP, server and client (Twisted's `twisted.protocols.ftp`): RFC 959 with
 * the extensions clients use today (FEAT, EPSV/EPRT, SIZE, MDTM, REST, MLSD,
 * AUTH TLS, UTF-8).
 *
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use (`getReactor()`).
import "../../../runtimes/select.ts";

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
export {
  AnonUserDeniedError,
  AuthorizationError,
  BadCmdSequenceError,
  CmdArgSyntaxError,
  CmdNotImplementedError,
  CmdNotImplementedForArgError,
  CmdSyntaxError,
  FileExistsError,
  FileNotFoundError,
  FTPCmdError,
  InvalidPath,
  IsADirectoryError,
  IsNotADirectoryError,
  PermissionDeniedError,
} from "./_errors.ts";
export { toSegments } from "./_paths.ts";
export {
  type FTPFileStat,
  IFTPShell,
  type IReadFile,
  type IWriteFile,
  type OpenForReadingOptions,
  type OpenForWritingOptions,
} from "./_interfaces.ts";
export { FTPAnonymousShell, FTPShell, type FTPShellOptions } from "./_shell.ts";
export { BaseFTPRealm, FTPRealm, type FTPRealmOptions } from "./_realm.ts";
export { FTP, type FTPFactoryHooks, type FTPSettings, type FTPState } from "./_server.ts";
export { FTPFactory, type FTPFactoryOptions } from "./_factory.ts";
export type { FTPReactor } from "./_dtp.ts";
