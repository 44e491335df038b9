/**
 * SFTP (`twisted.conch.ssh.filetransfer`, draft-ietf-secsh-filexfer-02,
 * version 3) with OpenSSH's extensions: `FileTransferServer` over an
 * `ISFTPServer` (`SFTPServerForUnixConchUser` serves the file system,
 * optionally confined to a root), and `FileTransferClient` with Promises.
 *
 * @example
 * ```ts
 * import { FileTransferServer, SFTPServerForUnixConchUser } from "@tw/core/conch/sftp";
 * import { ConchUser, SSHSession } from "@tw/core/conch";
 *
 * class FilesUser extends ConchUser {
 *   constructor() {
 *     super();
 *     this.channelLookup["session"] = SSHSession;
 *   }
 *   lookupSubsystem(name: string) {
 *     if (name !== "sftp") return null;
 *     return new FileTransferServer(new SFTPServerForUnixConchUser({ root: "/srv/files" }));
 *   }
 * }
 * console.log(new FilesUser().lookupSubsystem("sftp") !== null); // true
 * ```
 * @module
 */
export * from "./_constants.ts";
export { EOFError, SFTPError } from "./_errors.ts";
export type {
  ISFTPDirectory,
  ISFTPFile,
  ISFTPServer,
  MaybePromise,
  StatVFS,
} from "./_interfaces.ts";
export type { DirectoryEntry, SFTPAttrs } from "./_wire.ts";
export { FileTransferServer, type FileTransferServerOptions } from "./_server.ts";
export {
  ClientDirectory,
  ClientFile,
  FileTransferClient,
  type FileTransferClientOptions,
  type HandleRequests,
  type ServerVersion,
} from "./_client.ts";
export { SFTPServerForUnixConchUser, type SFTPServerForUnixOptions } from "./_unix_server.ts";
