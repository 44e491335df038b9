/**
 * SFTP version 3 numbers (draft-ietf-secsh-filexfer-02,
 * `twisted.conch.ssh.filetransfer`): packet types, `FXF_*` open flags,
 * `FILEXFER_ATTR_*` attribute flags, `FX_*` status codes, and the limits this
 * implementation keeps to.
 * @module
 */

/** SSH_FXP_* packet types. */
export const FXP = {
  INIT: 1,
  VERSION: 2,
  OPEN: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LSTAT: 7,
  FSTAT: 8,
  SETSTAT: 9,
  FSETSTAT: 10,
  OPENDIR: 11,
  READDIR: 12,
  REMOVE: 13,
  MKDIR: 14,
  RMDIR: 15,
  REALPATH: 16,
  STAT: 17,
  RENAME: 18,
  READLINK: 19,
  SYMLINK: 20,
  STATUS: 101,
  HANDLE: 102,
  DATA: 103,
  NAME: 104,
  ATTRS: 105,
  EXTENDED: 200,
  EXTENDED_REPLY: 201,
} as const;

/** Open for reading. */
export const FXF_READ = 0x01;
/** Open for writing. */
export const FXF_WRITE = 0x02;
/** Writes go to the end of the file. */
export const FXF_APPEND = 0x04;
/** Create the file when missing. */
export const FXF_CREAT = 0x08;
/** Cut the file to 0 bytes. */
export const FXF_TRUNC = 0x10;
/** With `FXF_CREAT`: fail when the file exists. */
export const FXF_EXCL = 0x20;
/** Text mode (not used in version 3). */
export const FXF_TEXT = 0x40;

/** The attributes carry `size`. */
export const FILEXFER_ATTR_SIZE = 0x00000001;
/** The attributes carry `uid` and `gid`. */
export const FILEXFER_ATTR_UIDGID = 0x00000002;
/** The attributes carry `permissions`. */
export const FILEXFER_ATTR_PERMISSIONS = 0x00000004;
/** The attributes carry `atime` and `mtime`. */
export const FILEXFER_ATTR_ACMODTIME = 0x00000008;
/** The attributes carry extended pairs. */
export const FILEXFER_ATTR_EXTENDED = 0x80000000;

/** Success. */
export const FX_OK = 0;
/** End of file, or no more directory entries. */
export const FX_EOF = 1;
/** No such file or directory. */
export const FX_NO_SUCH_FILE = 2;
/** Permission denied. */
export const FX_PERMISSION_DENIED = 3;
/** Any other failure. */
export const FX_FAILURE = 4;
/** A malformed packet. */
export const FX_BAD_MESSAGE = 5;
/** No connection (client side only). */
export const FX_NO_CONNECTION = 6;
/** The connection was lost (client side only). */
export const FX_CONNECTION_LOST = 7;
/** The operation is not supported. */
export const FX_OP_UNSUPPORTED = 8;
/** The file exists (version 4+; version 3 servers send `FX_FAILURE`). */
export const FX_FILE_ALREADY_EXISTS = 11;
/** Not a directory (version 4+; version 3 servers send `FX_FAILURE`). */
export const FX_NOT_A_DIRECTORY = 19;

/** The SFTP protocol version spoken. */
export const SFTP_VERSION = 3;
/** The longest packet taken from a peer, length field excluded (256 KiB + room for headers). */
export const MAX_PACKET_LENGTH: number = 256 * 1024 + 1024;
/** The longest READ or WRITE a server accepts. */
export const MAX_READ_WRITE_LENGTH: number = 256 * 1024;
/** Requests a server works on at once before it stops reading the channel. */
export const MAX_REQUESTS_IN_FLIGHT: number = 64;
/** Bytes (requests being served plus replies not yet sent) before a server stops reading. */
export const MAX_BYTES_IN_FLIGHT: number = 16 * 1024 * 1024;
/** Handles a server keeps open for one client. */
export const MAX_OPEN_HANDLES: number = 256;
