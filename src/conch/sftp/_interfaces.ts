/**
 * What an SFTP server asks of the avatar side (`twisted.conch.interfaces`
 * `ISFTPServer` and `ISFTPFile`), and what a directory listing gives.
 * @module
 */
import type { DirectoryEntry, SFTPAttrs } from "./_wire.ts";

/** A value, or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** An open file (`twisted.conch.interfaces.ISFTPFile`). */
export interface ISFTPFile {
  /** Up to `length` bytes at `offset`; an empty array (or `EOFError`) at the end. */
  readChunk(offset: number, length: number): MaybePromise<Uint8Array>;
  /** Writes `data` at `offset`. */
  writeChunk(offset: number, data: Uint8Array): MaybePromise<void>;
  /** The file's attributes. */
  getAttrs(): MaybePromise<SFTPAttrs>;
  /** Changes the file's attributes (size, owner, permissions, times). */
  setAttrs(attrs: SFTPAttrs): MaybePromise<void>;
  /** Closes the file. */
  close(): MaybePromise<void>;
  /** Flushes the file to stable storage (for `fsync@openssh.com`). */
  sync?(): MaybePromise<void>;
}

/** An open directory: entries in batches. */
export interface ISFTPDirectory {
  /** Up to `max` more entries; an empty array once all were given. */
  read(max: number): MaybePromise<DirectoryEntry[]>;
  /** Closes the listing. */
  close(): MaybePromise<void>;
}

/** What `statvfs@openssh.com` reports (the fields of `statvfs(3)`). */
export interface StatVFS {
  /** File system block size. */
  bsize: number;
  /** Fundamental block size. */
  frsize: number;
  /** Blocks, in `frsize` units. */
  blocks: number;
  /** Free blocks. */
  bfree: number;
  /** Free blocks for unprivileged users. */
  bavail: number;
  /** Inodes. */
  files: number;
  /** Free inodes. */
  ffree: number;
  /** Free inodes for unprivileged users. */
  favail: number;
  /** File system id. */
  fsid: number;
  /** Mount flags (1: read-only, 2: no setuid). */
  flag: number;
  /** Longest file name. */
  namemax: number;
}

/**
 * The file system an SFTP server serves (`twisted.conch.interfaces.ISFTPServer`).
 * Failures throw (or reject with) `SFTPError`, or errors with a Node `code`
 * (`ENOENT`, `EACCES` ...), which the server maps to `FX_*` codes.
 */
export interface ISFTPServer {
  /** The client's version and extensions; returns the extensions to announce. */
  gotVersion(otherVersion: number, extData: Record<string, Uint8Array>): Record<string, string>;
  /** Opens a file with `FXF_*` flags; `attrs` apply to a created file. */
  openFile(filename: string, flags: number, attrs: SFTPAttrs): MaybePromise<ISFTPFile>;
  /** Removes a file. */
  removeFile(filename: string): MaybePromise<void>;
  /** Renames a file; fails when `newpath` exists. */
  renameFile(oldpath: string, newpath: string): MaybePromise<void>;
  /** Creates a directory. */
  makeDirectory(path: string, attrs: SFTPAttrs): MaybePromise<void>;
  /** Removes an empty directory. */
  removeDirectory(path: string): MaybePromise<void>;
  /** Opens a directory for listing. */
  openDirectory(path: string): MaybePromise<ISFTPDirectory>;
  /** A path's attributes, following a final symbolic link when `followLinks`. */
  getAttrs(path: string, followLinks: boolean): MaybePromise<SFTPAttrs>;
  /** Changes a path's attributes. */
  setAttrs(path: string, attrs: SFTPAttrs): MaybePromise<void>;
  /** A symbolic link's target. */
  readLink(path: string): MaybePromise<string>;
  /** Creates a symbolic link at `linkPath` pointing to `targetPath`. */
  makeLink(linkPath: string, targetPath: string): MaybePromise<void>;
  /** The canonical absolute form of `path`. */
  realPath(path: string): MaybePromise<string>;
  /** Any other extended request; returns the EXTENDED_REPLY data. */
  extendedRequest(extendedName: string, extendedData: Uint8Array): MaybePromise<Uint8Array>;
  /** `posix-rename@openssh.com`: rename, replacing `newpath`. */
  posixRename?(oldpath: string, newpath: string): MaybePromise<void>;
  /** `hardlink@openssh.com`: a hard link `newpath` to `oldpath`. */
  makeHardLink?(oldpath: string, newpath: string): MaybePromise<void>;
  /** `statvfs@openssh.com`: the file system holding `path`. */
  statVFS?(path: string): MaybePromise<StatVFS>;
}
