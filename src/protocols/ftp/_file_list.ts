/**
 * Reading what FTP servers send back: Unix `ls -l` listings (Twisted's
 * `FTPFileListProtocol`) and the path in a 257 reply (`parsePWDResponse`).
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { LineReceiver } from "../basic.ts";

/** One entry of a listing, as `FTPFileListProtocol` reads it. */
export interface FTPFileInfo {
  /** `-` a file, `d` a directory, `l` a symbolic link, or another `ls` type letter. */
  filetype: string;
  /** The nine permission characters, `rw-r--r--`. */
  perms: string;
  /** The link count. */
  nlinks: number;
  /** The owner's name (or number). */
  owner: string;
  /** The group's name (or number). */
  group: string;
  /** The size in bytes. */
  size: number;
  /** The date as listed: `Jan 29 03:26` or `Jan 29  2020`. */
  date: string;
  /** The name (`\ ` read as a space). */
  filename: string;
  /** Where a symbolic link points, or null. */
  linktarget: string | null;
}

const utf8 = new TextDecoder("utf-8");

// type, 9 permission characters (an ACL mark may follow), links, owner, group,
// size, "Mon DD HH:MM" or "Mon DD  YYYY", then one space and the name.
const LS_LINE =
  /^(.)(.{9})[+.@]?\s+(\d{1,12})\s+(\S+)\s+(\S+)\s+(\d{1,20})\s+(\S{1,12}\s+\d{1,2}\s+(?:\d{1,2}:\d{2}|\d{4}))\s(.+)$/u;

/**
 * Collects a LIST answer in `ls -l` form (Twisted's `FTPFileListProtocol`):
 * each line it understands becomes an entry of `files`, each other one goes
 * to `unknownLine`. Lines end with LF (a CR before it is dropped); names are
 * UTF-8 (RFC 2640). Override `parseDirectoryLine` for another format.
 *
 * @example
 * ```ts
 * import { FTPFileListProtocol } from "@tw/core/protocols/ftp";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const files = new FTPFileListProtocol();
 * files.makeConnection(new StringTransport());
 * files.dataReceived(new TextEncoder().encode(
 *   "-rw-r--r--   1 root     other        531 Jan 29 03:26 README\r\n" +
 *     "lrwxrwxrwx   1 root     other          6 Jan 29  2020 link -> README\r\n",
 * ));
 * console.log(files.files[0].size, files.files[1].linktarget); // 531 README
 * ```
 */
export class FTPFileListProtocol extends LineReceiver {
  /** The entries read so far, in listing order. */
  files: FTPFileInfo[] = [];

  /** Reads lines ending with LF. */
  constructor() {
    super();
    this.delimiter = new Uint8Array([0x0a]);
  }

  /** Parses one line into `files`, or hands it to `unknownLine`. */
  override lineReceived(line: Uint8Array): void {
    let text = utf8.decode(line);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    const info = this.parseDirectoryLine(text);
    if (info === null) this.unknownLine(text);
    else this.addFile(info);
  }

  /** One `ls -l` line as an entry, or null when it is not one. */
  parseDirectoryLine(line: string): FTPFileInfo | null {
    const match = LS_LINE.exec(line);
    if (match === null) return null;
    const [, filetype, perms, nlinks, owner, group, size, date, rest] = match;
    let name = rest;
    let target: string | null = null;
    const arrow = rest.indexOf(" -> ");
    if (filetype === "l" && arrow > 0) {
      name = rest.slice(0, arrow);
      target = rest.slice(arrow + 4).replaceAll("\\ ", " ");
    }
    return {
      filetype,
      perms,
      nlinks: Number(nlinks),
      owner,
      group,
      size: Number(size),
      date: date.replace(/\s+/g, " "),
      filename: name.replaceAll("\\ ", " "),
      linktarget: target,
    };
  }

  /** Adds an entry to `files`; override to handle entries another way. */
  addFile(info: FTPFileInfo): void {
    this.files.push(info);
  }

  /** Called with each line that is not an entry ("total 12", blank lines...); ignored here. */
  unknownLine(_line: string): void {}
}

/**
 * The path in a 257 reply (`257 "/home/alice" is the current directory`),
 * with RFC 959's doubled quotes undone; null when there is none.
 *
 * @example
 * ```ts
 * import { parsePWDResponse } from "@tw/core/protocols/ftp";
 * console.log(parsePWDResponse('257 "/a ""quoted"" dir" is current')); // /a "quoted" dir
 * console.log(parsePWDResponse("257 no quotes")); // null
 * ```
 */
export function parsePWDResponse(response: string): string | null {
  const start = response.indexOf('"');
  if (start < 0) return null;
  let path = "";
  for (let i = start + 1; i < response.length; i++) {
    const c = response[i];
    if (c !== '"') {
      path += c;
    } else if (response[i + 1] === '"') {
      path += '"';
      i++;
    } else {
      return path;
    }
  }
  return null;
}
