/**
 * Twisted's `FTPCmdError` family: errors a shell or a command raises, each
 * carrying the reply it becomes (`response()`), with Twisted's reply texts.
 * @module
 */

/**
 * An FTP command failed; `response()` is the reply line the server sends
 * (Twisted's `FTPCmdError`). Subclasses set the code and text.
 *
 * @example
 * ```ts
 * import { FileNotFoundError, FTPCmdError } from "@tw/core/protocols/ftp";
 * const error = new FileNotFoundError("/missing.txt");
 * console.log(error instanceof FTPCmdError, error.response());
 * // true "550 /missing.txt: No such file or directory."
 * ```
 */
export class FTPCmdError extends Error {
  /** The three-digit reply code. */
  readonly errorCode: number = 550;
  /** What the reply says about (a path, a command...). */
  readonly errorMessage: string;

  /**
   * Makes the error.
   * @param errorMessage the subject of the reply (a path, a command, a reason)
   */
  constructor(errorMessage = "") {
    super(errorMessage);
    this.name = "FTPCmdError";
    this.errorMessage = errorMessage;
  }

  /** The reply text after the code. */
  protected text(): string {
    return `Requested action not taken: ${this.errorMessage}`;
  }

  /** The reply line (without CRLF). */
  response(): string {
    return `${this.errorCode} ${this.text()}`;
  }
}

/**
 * A missing file or folder (550).
 *
 * @example
 * ```ts
 * import { FileNotFoundError } from "@tw/core/protocols/ftp";
 * console.log(new FileNotFoundError("a").response()); // "550 a: No such file or directory."
 * ```
 */
export class FileNotFoundError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "FileNotFoundError";
  /** The reply text after the code. */
  protected override text(): string {
    return `${this.errorMessage}: No such file or directory.`;
  }
}

/**
 * The anonymous user tried to change the file system (550).
 *
 * @example
 * ```ts
 * import { AnonUserDeniedError } from "@tw/core/protocols/ftp";
 * console.log(new AnonUserDeniedError().response());
 * ```
 */
export class AnonUserDeniedError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "AnonUserDeniedError";
  /** The reply text after the code. */
  protected override text(): string {
    return "Anonymous users are forbidden to change the filesystem";
  }
}

/**
 * Permission denied, or a path outside the shell's root (550).
 *
 * @example
 * ```ts
 * import { PermissionDeniedError } from "@tw/core/protocols/ftp";
 * console.log(new PermissionDeniedError("/etc").response()); // "550 /etc: Permission denied."
 * ```
 */
export class PermissionDeniedError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "PermissionDeniedError";
  /** The reply text after the code. */
  protected override text(): string {
    return `${this.errorMessage}: Permission denied.`;
  }
}

/**
 * A folder was expected (550).
 *
 * @example
 * ```ts
 * import { IsNotADirectoryError } from "@tw/core/protocols/ftp";
 * console.log(new IsNotADirectoryError("a.txt").response());
 * ```
 */
export class IsNotADirectoryError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "IsNotADirectoryError";
  /** The reply text after the code. */
  protected override text(): string {
    return `Cannot rmd, ${this.errorMessage} is not a directory`;
  }
}

/**
 * The path exists already (550).
 *
 * @example
 * ```ts
 * import { FileExistsError } from "@tw/core/protocols/ftp";
 * console.log(new FileExistsError("a").response()); // "550 a: File exists"
 * ```
 */
export class FileExistsError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "FileExistsError";
  /** The reply text after the code. */
  protected override text(): string {
    return `${this.errorMessage}: File exists`;
  }
}

/**
 * A file was expected, the path is a folder (550).
 *
 * @example
 * ```ts
 * import { IsADirectoryError } from "@tw/core/protocols/ftp";
 * console.log(new IsADirectoryError("pub").response()); // "550 pub: is a directory"
 * ```
 */
export class IsADirectoryError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "IsADirectoryError";
  /** The reply text after the code. */
  protected override text(): string {
    return `${this.errorMessage}: is a directory`;
  }
}

/**
 * A command that cannot be parsed (500).
 *
 * @example
 * ```ts
 * import { CmdSyntaxError } from "@tw/core/protocols/ftp";
 * console.log(new CmdSyntaxError("Line too long").response()); // "500 Syntax error: Line too long"
 * ```
 */
export class CmdSyntaxError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "CmdSyntaxError";
  /** The reply code. */
  override readonly errorCode: number = 500;
  /** The reply text after the code. */
  protected override text(): string {
    return `Syntax error: ${this.errorMessage}`;
  }
}

/**
 * A command's argument cannot be parsed (501).
 *
 * @example
 * ```ts
 * import { CmdArgSyntaxError } from "@tw/core/protocols/ftp";
 * console.log(new CmdArgSyntaxError("bad port").response());
 * ```
 */
export class CmdArgSyntaxError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "CmdArgSyntaxError";
  /** The reply code. */
  override readonly errorCode: number = 501;
  /** The reply text after the code. */
  protected override text(): string {
    return `Syntax error in argument(s) ${this.errorMessage}.`;
  }
}

/**
 * A command the server does not know (502).
 *
 * @example
 * ```ts
 * import { CmdNotImplementedError } from "@tw/core/protocols/ftp";
 * console.log(new CmdNotImplementedError("XYZ").response()); // "502 Command 'XYZ' not implemented"
 * ```
 */
export class CmdNotImplementedError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "CmdNotImplementedError";
  /** The reply code. */
  override readonly errorCode: number = 502;
  /** The reply text after the code. */
  protected override text(): string {
    return `Command '${this.errorMessage}' not implemented`;
  }
}

/**
 * A command the server knows, but not with this argument (504).
 *
 * @example
 * ```ts
 * import { CmdNotImplementedForArgError } from "@tw/core/protocols/ftp";
 * console.log(new CmdNotImplementedForArgError("TYPE E").response());
 * ```
 */
export class CmdNotImplementedForArgError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "CmdNotImplementedForArgError";
  /** The reply code. */
  override readonly errorCode: number = 504;
  /** The reply text after the code. */
  protected override text(): string {
    return `Not implemented for parameter '${this.errorMessage}'.`;
  }
}

/**
 * A command out of order (503), such as RNTO without RNFR.
 *
 * @example
 * ```ts
 * import { BadCmdSequenceError } from "@tw/core/protocols/ftp";
 * console.log(new BadCmdSequenceError("RNFR required first").response());
 * ```
 */
export class BadCmdSequenceError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "BadCmdSequenceError";
  /** The reply code. */
  override readonly errorCode: number = 503;
  /** The reply text after the code. */
  protected override text(): string {
    return `Incorrect sequence of commands: ${this.errorMessage}`;
  }
}

/**
 * A login failed (530).
 *
 * @example
 * ```ts
 * import { AuthorizationError } from "@tw/core/protocols/ftp";
 * console.log(new AuthorizationError().response()); // "530 Sorry, Authentication failed."
 * ```
 */
export class AuthorizationError extends FTPCmdError {
  /** The error\'s name. */
  override readonly name = "AuthorizationError";
  /** The reply code. */
  override readonly errorCode: number = 530;
  /** The reply text after the code. */
  protected override text(): string {
    return "Sorry, Authentication failed.";
  }
}

/**
 * A path argument that cannot name anything inside the shell's root: `..`
 * above the root, a NUL byte (Twisted's `InvalidPath`). The server answers 550.
 *
 * @example
 * ```ts
 * import { InvalidPath, toSegments } from "@tw/core/protocols/ftp";
 * try {
 *   toSegments([], "../etc");
 * } catch (error) {
 *   console.log(error instanceof InvalidPath); // true
 * }
 * ```
 */
export class InvalidPath extends Error {
  /**
   * Makes the error.
   * @param path the path as the client gave it
   */
  constructor(path: string) {
    super(`Invalid path: ${path}`);
    this.name = "InvalidPath";
  }
}

/** An error from the file system (with Node's `code`) as the FTP error it becomes. */
export function errnoToFTPError(error: unknown, path: string): Error {
  if (error instanceof FTPCmdError) return error;
  switch ((error as { code?: string } | null)?.code) {
    case "ENOENT":
      return new FileNotFoundError(path);
    case "EACCES":
    case "EPERM":
      return new PermissionDeniedError(path);
    case "ENOTDIR":
      return new IsNotADirectoryError(path);
    case "EEXIST":
      return new FileExistsError(path);
    case "ENOTEMPTY":
      return new FTPCmdError(`${path}: Directory not empty`);
    case "EISDIR":
      return new IsADirectoryError(path);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}
