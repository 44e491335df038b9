/**
 * What the FTP server asks of the files behind it (Twisted's `IFTPShell`,
 * `IReadFile`, `IWriteFile`), and the interface name a realm is asked for.
 * Paths are segment arrays from the shell's root (see `toSegments`).
 * @module
 */
import { type InterfaceName, interfaceName } from "../../cred/_interfaces.ts";
import type { IConsumer } from "../../internet/interfaces.ts";

/** What `IFTPShell.stat` and `list` tell about a path (Twisted's keys, as fields). */
export interface FTPFileStat {
  /** Size in bytes. */
  size: number;
  /** True for a folder. */
  directory: boolean;
  /** True for a symbolic link that is shown as one (its target is outside the root). */
  symlink: boolean;
  /** The mode bits (type and permissions), as `stat` gives them. */
  permissions: number;
  /** The number of hard links. */
  hardlinks: number;
  /** The last modification, when known. */
  modified: Date | null;
  /** The owner, as shown in a listing (a name or a number). */
  owner: string;
  /** The group, as shown in a listing (a name or a number). */
  group: string;
}

/** Options of `IFTPShell.openForReading`. */
export interface OpenForReadingOptions {
  /** Start at this byte (REST). @default 0 */
  offset?: number;
}

/** Options of `IFTPShell.openForWriting`. */
export interface OpenForWritingOptions {
  /** Write from this byte, keeping what is before it (REST then STOR). @default 0 */
  offset?: number;
  /** Write after the current end (APPE). @default false */
  append?: boolean;
}

/**
 * A file open for a download (Twisted's `IReadFile`).
 */
export interface IReadFile {
  /**
   * Writes the file to `consumer`, registering a streaming producer on it so
   * that it reads only as fast as the consumer takes; settles when all was
   * written (and the producer unregistered). If the consumer stops the
   * producer (the data connection was lost), it rejects.
   */
  send(consumer: IConsumer): Promise<void>;
  /** Releases the file without sending it (the transfer failed first); optional. */
  close?(): Promise<void>;
}

/**
 * A file open for an upload (Twisted's `IWriteFile`).
 */
export interface IWriteFile {
  /**
   * The consumer the upload is written to. It pauses the registered producer
   * (the data connection) while more than it buffers waits for the disk.
   */
  receive(): Promise<IConsumer>;
  /** Waits for every write to reach the file, then closes it; rejects if one failed. */
  close(): Promise<void>;
}

/**
 * A user's view of the files (Twisted's `IFTPShell`). Every method rejects
 * with an `FTPCmdError` (`FileNotFoundError`, `PermissionDeniedError`...) that
 * becomes the reply.
 */
export interface IFTPShell {
  /** False when every change is refused (MLSD's `perm` fact). @default true */
  readonly writable?: boolean;
  /** Creates a folder. */
  makeDirectory(path: readonly string[]): Promise<void>;
  /** Removes an empty folder. */
  removeDirectory(path: readonly string[]): Promise<void>;
  /** Removes a file. */
  removeFile(path: readonly string[]): Promise<void>;
  /** Renames a file or folder. */
  rename(fromPath: readonly string[], toPath: readonly string[]): Promise<void>;
  /** Resolves when `path` is a folder the user may enter and list. */
  access(path: readonly string[]): Promise<void>;
  /** Facts about `path`. */
  stat(path: readonly string[]): Promise<FTPFileStat>;
  /** The entries of the folder `path`, with their facts, sorted by name. */
  list(path: readonly string[]): Promise<[string, FTPFileStat][]>;
  /** Opens a file for a download. */
  openForReading(path: readonly string[], options?: OpenForReadingOptions): Promise<IReadFile>;
  /** Opens (creating) a file for an upload. */
  openForWriting(path: readonly string[], options?: OpenForWritingOptions): Promise<IWriteFile>;
  /** Changes the permission bits (SITE CHMOD). */
  chmod(path: readonly string[], mode: number): Promise<void>;
}

/** The interface name an FTP realm is asked for (`portal.login(creds, null, IFTPShell)`). */
export const IFTPShell: InterfaceName<IFTPShell> = interfaceName("IFTPShell");
