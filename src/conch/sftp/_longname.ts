/**
 * READDIR's long names, in the form of `ls -l` (as OpenSSH's sftp-server
 * writes them; owners are numeric).
 * @module
 */
import type { SFTPAttrs } from "./_wire.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `drwxr-xr-x` from `st_mode`. */
export function modeString(mode: number): string {
  const type = mode & 0o170000;
  const kind = type === 0o040000
    ? "d"
    : type === 0o120000
    ? "l"
    : type === 0o020000
    ? "c"
    : type === 0o060000
    ? "b"
    : type === 0o010000
    ? "p"
    : type === 0o140000
    ? "s"
    : "-";
  const bit = (mask: number, char: string) => (mode & mask ? char : "-");
  const special = (exec: number, flag: number, on: string, off: string) =>
    mode & flag ? (mode & exec ? on : off) : (mode & exec ? "x" : "-");
  return kind + bit(0o400, "r") + bit(0o200, "w") + special(0o100, 0o4000, "s", "S") +
    bit(0o040, "r") + bit(0o020, "w") + special(0o010, 0o2000, "s", "S") +
    bit(0o004, "r") + bit(0o002, "w") + special(0o001, 0o1000, "t", "T");
}

/** `-rw-r--r--    1 1000     1000         1234 Dec  6 17:26 name`. */
export function longname(name: string, attrs: SFTPAttrs, now: number = Date.now()): string {
  const mode = modeString(attrs.permissions ?? 0);
  const links = String(1).padStart(4);
  const uid = String(attrs.uid ?? 0).padEnd(8);
  const gid = String(attrs.gid ?? 0).padEnd(8);
  const size = String(attrs.size ?? 0).padStart(8);
  const mtime = new Date((attrs.mtime ?? 0) * 1000);
  const day = String(mtime.getDate()).padStart(2);
  const sixMonths = 182 * 24 * 3600 * 1000;
  const recent = Math.abs(now - mtime.getTime()) < sixMonths;
  const when = recent
    ? `${String(mtime.getHours()).padStart(2, "0")}:${String(mtime.getMinutes()).padStart(2, "0")}`
    : ` ${mtime.getFullYear()}`;
  return `${mode}${links} ${uid} ${gid} ${size} ${MONTHS[mtime.getMonth()]} ${day} ${when} ${name}`;
}
