/**
 * How the server writes what it knows of a file: LIST's Unix `ls -l` lines,
 * MLSD/MLST fact lines (RFC 3659 §7) and MDTM's time stamp.
 * @module
 */
import type { FTPFileStat } from "./_interfaces.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const HALF_YEAR_MS = 182 * 24 * 3600 * 1000;

/** The facts MLST and MLSD know, in the order they are written. */
export const MLST_FACTS = ["type", "size", "modify", "perm", "unix.mode"] as const;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** The `drwxr-xr-x` column. */
export function modeString(stat: FTPFileStat): string {
  const mode = stat.permissions;
  const type = stat.symlink ? "l" : stat.directory ? "d" : "-";
  const bit = (mask: number, c: string): string => (mode & mask ? c : "-");
  const special = (exec: number, flag: number, on: string, off: string): string =>
    mode & flag ? (mode & exec ? on : off) : bit(exec, "x");
  return type +
    bit(0o400, "r") + bit(0o200, "w") + special(0o100, 0o4000, "s", "S") +
    bit(0o040, "r") + bit(0o020, "w") + special(0o010, 0o2000, "s", "S") +
    bit(0o004, "r") + bit(0o002, "w") + special(0o001, 0o1000, "t", "T");
}

/** The date column: `Mon DD HH:MM` within half a year of `nowMs`, else `Mon DD  YYYY` (UTC). */
export function lsDate(date: Date | null, nowMs: number): string {
  const d = date ?? new Date(0);
  const head = `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())}`;
  if (Math.abs(nowMs - d.getTime()) < HALF_YEAR_MS) {
    return `${head} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  }
  return `${head}  ${d.getUTCFullYear()}`;
}

/** One LIST line, as `ls -l` writes it. */
export function listLine(name: string, stat: FTPFileStat, nowMs: number): string {
  const owner = stat.owner.padEnd(8);
  const group = stat.group.padEnd(8);
  return `${modeString(stat)} ${String(stat.hardlinks).padStart(3)} ${owner} ${group} ` +
    `${String(stat.size).padStart(8)} ${lsDate(stat.modified, nowMs)} ${name}`;
}

/** MDTM's and MLSD's `YYYYMMDDHHMMSS` (UTC). */
export function timeVal(date: Date | null): string {
  const d = date ?? new Date(0);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/**
 * The facts of one entry, `type=file;size=3;...;` (without the name), for
 * the facts in `enabled`. `type` may be `cdir`/`pdir` for MLSD's own entries.
 */
export function mlsxFacts(
  stat: FTPFileStat,
  writable: boolean,
  enabled: ReadonlySet<string>,
  type?: string,
): string {
  let out = "";
  const kind = type ?? (stat.symlink ? "OS.unix=symlink" : stat.directory ? "dir" : "file");
  if (enabled.has("type")) out += `type=${kind};`;
  if (enabled.has("size")) out += `size=${stat.size};`;
  if (enabled.has("modify") && stat.modified !== null) out += `modify=${timeVal(stat.modified)};`;
  if (enabled.has("perm")) {
    const perm = stat.directory ? (writable ? "cdeflmp" : "el") : writable ? "adfrw" : "r";
    out += `perm=${perm};`;
  }
  if (enabled.has("unix.mode")) {
    out += `UNIX.mode=0${(stat.permissions & 0o7777).toString(8).padStart(3, "0")};`;
  }
  return out;
}
