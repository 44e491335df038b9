/**
 * The errors of the FTP client (Twisted's `FTPError` family of
 * `twisted.protocols.ftp`'s client half). Private: re-exported by `mod.ts`.
 * @module
 */

/**
 * The base class of the FTP client's errors (Twisted's `FTPError`).
 *
 * @example
 * ```ts
 * import { CommandFailed, FTPError } from "@tw/core/protocols/ftp";
 * console.log(new CommandFailed(["550 No such file"]) instanceof FTPError); // true
 * ```
 */
export class FTPError extends Error {
  /**
   * Makes the instance.
   * @param message what went wrong
   * @param options `cause`: the error behind it
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FTPError";
  }
}

/** Joins reply lines into one bounded message. */
function describe(lines: readonly string[]): string {
  const text = lines.join(" | ");
  return text.length > 500 ? `${text.slice(0, 500)}...` : text;
}

/**
 * The server answered a command with a 4xx or 5xx reply; `response` holds the
 * reply's lines, code included (Twisted's `CommandFailed`, whose `args[0]` they are).
 *
 * @example
 * ```ts
 * import { CommandFailed, type FTPClient } from "@tw/core/protocols/ftp";
 * async function exists(client: FTPClient, path: string): Promise<boolean> {
 *   try {
 *     await client.size(path);
 *     return true;
 *   } catch (e) {
 *     if (e instanceof CommandFailed && e.response[0]?.startsWith("550")) return false;
 *     throw e;
 *   }
 * }
 * ```
 */
export class CommandFailed extends FTPError {
  /** The reply's lines (any preliminary 1xx lines first). */
  readonly response: string[];
  /**
   * Makes the instance.
   * @param response the reply's lines
   */
  constructor(response: string[]) {
    super(`FTP command failed: ${describe(response)}`);
    this.name = "CommandFailed";
    this.response = response;
  }

  /** The reply code of the final line (0 when it has none). */
  get code(): number {
    const last = this.response.at(-1) ?? "";
    return /^\d{3}/.test(last) ? Number(last.slice(0, 3)) : 0;
  }
}

/**
 * The server's reply was not FTP: no three-digit code, a code outside
 * 1xx-5xx, a malformed address in a 227/229 reply, a reply over the size
 * limits. The control connection is closed when the reply itself is
 * malformed (Twisted's `BadResponse`).
 *
 * @example
 * ```ts
 * import { BadResponse } from "@tw/core/protocols/ftp";
 * const error = new BadResponse(["HTTP/1.1 400 Bad Request"], "no reply code");
 * console.log(error.response); // ["HTTP/1.1 400 Bad Request"]
 * ```
 */
export class BadResponse extends FTPError {
  /** The offending lines (bounded). */
  readonly response: string[];
  /**
   * Makes the instance.
   * @param response the offending lines
   * @param why what is wrong with them
   */
  constructor(response: string[], why = "malformed reply") {
    const kept = response.slice(0, 5).map((line) => line.slice(0, 200));
    super(`Bad FTP reply (${why}): ${describe(kept)}`);
    this.name = "BadResponse";
    this.response = kept;
  }
}

/**
 * The server sent a reply no command was waiting for (Twisted's
 * `UnexpectedResponse`); the connection is closed.
 *
 * @example
 * ```ts
 * import { UnexpectedResponse } from "@tw/core/protocols/ftp";
 * const error = new UnexpectedResponse(["200 Surprise"]);
 * console.log(error.response[0]); // "200 Surprise"
 * ```
 */
export class UnexpectedResponse extends FTPError {
  /** The reply's lines. */
  readonly response: string[];
  /**
   * Makes the instance.
   * @param response the reply's lines
   */
  constructor(response: string[]) {
    const kept = response.slice(0, 5).map((line) => line.slice(0, 200));
    super(`Unexpected FTP reply: ${describe(kept)}`);
    this.name = "UnexpectedResponse";
    this.response = kept;
  }
}

/**
 * The control connection ended (or the client gave up on it) while commands
 * were waiting; `cause` holds why (Twisted's `ConnectionLost` of `ftp`).
 *
 * @example
 * ```ts
 * import { CommandFailed, ConnectionLost } from "@tw/core/protocols/ftp";
 * const error = new ConnectionLost("FTP connection lost", {
 *   cause: new CommandFailed(["530 Login incorrect."]),
 * });
 * console.log(error.cause instanceof CommandFailed); // true
 * ```
 */
export class ConnectionLost extends FTPError {
  /**
   * Makes the instance.
   * @param message what was lost
   * @param options `cause`: why
   */
  constructor(message = "FTP connection lost", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionLost";
  }
}
