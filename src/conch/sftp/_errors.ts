/**
 * SFTP's errors: `SFTPError` (a status code and message from or for the
 * peer) and `EOFError` (a read past the end of a file).
 * @module
 */
import {
  FX_BAD_MESSAGE,
  FX_EOF,
  FX_FAILURE,
  FX_NO_SUCH_FILE,
  FX_OP_UNSUPPORTED,
  FX_PERMISSION_DENIED,
} from "./_constants.ts";

/**
 * A failed SFTP request (`twisted.conch.ssh.filetransfer.SFTPError`): the
 * `FX_*` code and message a server sends in its STATUS reply, or that a
 * client got.
 *
 * @example
 * ```ts
 * import { FX_NO_SUCH_FILE, SFTPError } from "@tw/core/conch/sftp";
 *
 * const error = new SFTPError(FX_NO_SUCH_FILE, "No such file");
 * console.log(error.code, error.message); // 2 "No such file"
 * ```
 */
export class SFTPError extends Error {
  /** The error's name. */
  override name = "SFTPError";
  /** The `FX_*` status code. */
  readonly code: number;
  /** The language tag of the message. */
  readonly language: string;
  /** Makes the error. */
  constructor(code: number = FX_FAILURE, message = "Failure", language = "") {
    super(message);
    this.code = code;
    this.language = language;
  }
}

/**
 * A read at or past the end of a file (Python's `EOFError`, as
 * `FileTransferClient`'s `readChunk` raises it).
 *
 * @example
 * ```ts
 * import { EOFError } from "@tw/core/conch/sftp";
 *
 * console.log(new EOFError().name); // "EOFError"
 * ```
 */
export class EOFError extends Error {
  /** The error's name. */
  override name = "EOFError";
  /** Makes the error. */
  constructor(message = "End of file") {
    super(message);
  }
}

/** Maps an error to an `FX_*` code and a message that names no real path. */
export function statusOf(error: unknown): [number, string] {
  if (error instanceof SFTPError) return [error.code, error.message];
  if (error instanceof EOFError) return [FX_EOF, "End of file"];
  const code = (error as { code?: unknown })?.code;
  switch (code) {
    case "ENOENT":
      return [FX_NO_SUCH_FILE, "No such file"];
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return [FX_PERMISSION_DENIED, "Permission denied"];
    case "EEXIST":
      return [FX_FAILURE, "File exists"];
    case "ENOTEMPTY":
      return [FX_FAILURE, "Directory not empty"];
    case "ENOTDIR":
      return [FX_FAILURE, "Not a directory"];
    case "EISDIR":
      return [FX_FAILURE, "Is a directory"];
    case "ELOOP":
      return [FX_FAILURE, "Too many levels of symbolic links"];
    case "ENOSPC":
      return [FX_FAILURE, "No space left on device"];
    case "EXDEV":
      return [FX_FAILURE, "Cross-device link"];
    case "ENOSYS":
    case "ENOTSUP":
    case "EOPNOTSUPP":
      return [FX_OP_UNSUPPORTED, "Operation unsupported"];
  }
  if (error instanceof Error && error.name === "SSHWireError") {
    return [FX_BAD_MESSAGE, error.message];
  }
  return [FX_FAILURE, "Failure"];
}
