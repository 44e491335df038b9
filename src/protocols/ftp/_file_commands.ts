/**
 * The FTP server's file commands: PWD, CWD, MKD, RMD, DELE, RNFR/RNTO, SIZE,
 * MDTM, REST, SITE CHMOD, MLST, and the transfers RETR, STOR, APPE, LIST,
 * NLST, MLSD. Private to the FTP server.
 * @module
 */
import {
  BadCmdSequenceError,
  CmdArgSyntaxError,
  CmdNotImplementedForArgError,
  FileNotFoundError,
  FTPCmdError,
} from "./_errors.ts";
import type { FTPFileStat, IFTPShell, IWriteFile } from "./_interfaces.ts";
import { listLine, mlsxFacts, timeVal } from "./_listing.ts";
import { globMatcher, isGlob, segmentsToPath, toSegments } from "./_paths.ts";
import type { Transfers } from "./_transfer.ts";

const enc = new TextEncoder();

/** What the file commands ask of the session. */
export interface FileSession {
  /** Sends one reply line. */
  reply(line: string): void;
  /** The logged-in user's shell. */
  shell(): IFTPShell;
  /** The working folder. */
  cwd(): string[];
  /** Changes the working folder. */
  setCwd(segments: string[]): void;
  /** True for TYPE I. */
  binary(): boolean;
  /** The MLST facts the client asked for (OPTS MLST). */
  facts(): ReadonlySet<string>;
  /** Now, in milliseconds (LIST's date column). */
  now(): number;
  /** The data connections. */
  readonly transfers: Transfers;
}

function quote(path: string): string {
  return `"${path.replaceAll('"', '""')}"`;
}

function lines(list: string[]): Uint8Array {
  return enc.encode(list.map((line) => line + "\r\n").join(""));
}

/** Removes `ls` options (`-a`, `-la`...) that clients put before LIST's path. */
function listPath(arg: string): string {
  let rest = arg.trim();
  while (/^-[A-Za-z]+(\s|$)/.test(rest)) rest = rest.replace(/^-[A-Za-z]+\s*/, "");
  return rest;
}

/** The file commands of one session. */
export class FileCommands {
  readonly #s: FileSession;
  #renameFrom: string[] | null = null;
  #restart = 0;

  constructor(session: FileSession) {
    this.#s = session;
  }

  /** Called before each command: RNTO must follow RNFR at once. */
  beforeCommand(command: string): void {
    if (command !== "RNTO") this.#renameFrom = null;
  }

  #path(arg: string): string[] {
    return toSegments(this.#s.cwd(), arg);
  }

  #required(arg: string, what: string): string {
    if (arg === "") throw new CmdArgSyntaxError(`${what} requires a path`);
    return arg;
  }

  pwd(): void {
    this.#s.reply(`257 ${quote(segmentsToPath(this.#s.cwd()))} is the current directory.`);
  }

  async cwd(arg: string): Promise<void> {
    const path = this.#path(arg === "" ? "/" : arg);
    await this.#s.shell().access(path);
    this.#s.setCwd(path);
    this.#s.reply("250 Requested File Action Completed OK");
  }

  async mkd(arg: string): Promise<void> {
    const path = this.#path(this.#required(arg, "MKD"));
    await this.#s.shell().makeDirectory(path);
    this.#s.reply(`257 ${quote(segmentsToPath(path))} created`);
  }

  async rmd(arg: string): Promise<void> {
    await this.#s.shell().removeDirectory(this.#path(this.#required(arg, "RMD")));
    this.#s.reply("250 Requested File Action Completed OK");
  }

  async dele(arg: string): Promise<void> {
    await this.#s.shell().removeFile(this.#path(this.#required(arg, "DELE")));
    this.#s.reply("250 Requested File Action Completed OK");
  }

  async rnfr(arg: string): Promise<void> {
    const path = this.#path(this.#required(arg, "RNFR"));
    if (path.length === 0) throw new FileNotFoundError("/");
    await this.#s.shell().stat(path);
    this.#renameFrom = path;
    this.#s.reply("350 Requested file action pending further information.");
  }

  async rnto(arg: string): Promise<void> {
    const from = this.#renameFrom;
    this.#renameFrom = null;
    if (from === null) throw new BadCmdSequenceError("RNTO without RNFR");
    await this.#s.shell().rename(from, this.#path(this.#required(arg, "RNTO")));
    this.#s.reply("250 Requested File Action Completed OK");
  }

  async #fileStat(arg: string): Promise<[string[], FTPFileStat]> {
    const path = this.#path(this.#required(arg, "The command"));
    const stat = await this.#s.shell().stat(path);
    return [path, stat];
  }

  async size(arg: string): Promise<void> {
    const [path, stat] = await this.#fileStat(arg);
    if (stat.directory) throw new FTPCmdError(`${segmentsToPath(path)} is not a regular file`);
    this.#s.reply(`213 ${stat.size}`);
  }

  async mdtm(arg: string): Promise<void> {
    const [, stat] = await this.#fileStat(arg);
    this.#s.reply(`213 ${timeVal(stat.modified)}`);
  }

  rest(arg: string): void {
    const a = arg.trim();
    if (!/^\d{1,15}$/.test(a)) throw new CmdArgSyntaxError(arg);
    this.#restart = Number(a);
    this.#s.reply(`350 Restarting at ${a}. Send STORE or RETRIEVE to initiate transfer.`);
  }

  async site(arg: string): Promise<void> {
    const [sub, ...rest] = arg.trim().split(" ");
    const name = (sub ?? "").toUpperCase();
    if (name === "HELP") {
      this.#s.reply("214 SITE commands: CHMOD HELP");
      return;
    }
    if (name !== "CHMOD") throw new CmdNotImplementedForArgError(`SITE ${name.slice(0, 16)}`);
    const mode = rest.shift() ?? "";
    const target = rest.join(" ");
    if (!/^[0-7]{1,4}$/.test(mode) || target === "") throw new CmdArgSyntaxError(arg);
    await this.#s.shell().chmod(this.#path(target), parseInt(mode, 8));
    this.#s.reply("200 SITE CHMOD command successful.");
  }

  async mlst(arg: string): Promise<void> {
    const path = this.#path(arg === "" ? "." : arg);
    const shell = this.#s.shell();
    const stat = await shell.stat(path);
    const facts = mlsxFacts(stat, shell.writable ?? true, this.#s.facts());
    const shown = segmentsToPath(path);
    this.#s.reply(`250-Listing ${shown}`);
    this.#s.reply(` ${facts} ${shown}`);
    this.#s.reply("250 End");
  }

  #takeRestart(): number {
    const offset = this.#restart;
    this.#restart = 0;
    return offset;
  }

  async retr(arg: string): Promise<void> {
    const path = this.#path(this.#required(arg, "RETR"));
    this.#s.transfers.requireChannel();
    const offset = this.#takeRestart();
    const file = await this.#s.shell().openForReading(path, { offset });
    const binary = this.#s.binary();
    this.#s.transfers.start((dtp) => dtp.send(file, !binary), async () => {
      await file.close?.();
    });
  }

  async stor(arg: string, append: boolean): Promise<void> {
    const path = this.#path(this.#required(arg, append ? "APPE" : "STOR"));
    this.#s.transfers.requireChannel();
    const offset = this.#takeRestart();
    const file: IWriteFile = await this.#s.shell().openForWriting(
      path,
      append ? { append: true } : { offset },
    );
    const binary = this.#s.binary();
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await file.close();
    };
    try {
      const consumer = await file.receive();
      this.#s.transfers.start(async (dtp) => {
        await dtp.receive(consumer, !binary);
        await close();
      }, close);
    } catch (error) {
      await close().catch(() => {});
      throw error;
    }
  }

  /** The entries LIST or NLST shows for `arg`: a folder's, a file's own, or a glob's matches. */
  async #entries(arg: string): Promise<{ prefix: string; entries: [string, FTPFileStat][] }> {
    const shell = this.#s.shell();
    const path = this.#path(arg);
    const last = path[path.length - 1];
    if (last !== undefined && isGlob(last)) {
      const match = globMatcher(last);
      const listed = await shell.list(path.slice(0, -1));
      const slash = arg.lastIndexOf("/");
      return {
        prefix: slash < 0 ? "" : arg.slice(0, slash + 1),
        entries: listed.filter(([name]) => match(name)),
      };
    }
    const stat = await shell.stat(path);
    if (!stat.directory) return { prefix: "", entries: [[last ?? "/", stat]] };
    return { prefix: "", entries: await shell.list(path) };
  }

  async list(arg: string): Promise<void> {
    this.#s.transfers.requireChannel();
    const { entries } = await this.#entries(listPath(arg));
    const now = this.#s.now();
    const data = lines(entries.map(([name, stat]) => listLine(name, stat, now)));
    this.#s.transfers.start((dtp) => dtp.sendBytes(data));
  }

  async nlst(arg: string): Promise<void> {
    this.#s.transfers.requireChannel();
    const { prefix, entries } = await this.#entries(listPath(arg));
    const data = lines(entries.map(([name]) => prefix + name));
    this.#s.transfers.start((dtp) => dtp.sendBytes(data));
  }

  async mlsd(arg: string): Promise<void> {
    this.#s.transfers.requireChannel();
    const shell = this.#s.shell();
    const path = this.#path(arg);
    const stat = await shell.stat(path);
    if (!stat.directory) throw new CmdArgSyntaxError(`${segmentsToPath(path)} is not a directory`);
    const writable = shell.writable ?? true;
    const facts = this.#s.facts();
    const listed = await shell.list(path);
    const data = lines([
      `${mlsxFacts(stat, writable, facts, "cdir")} .`,
      ...listed.map(([name, entry]) => `${mlsxFacts(entry, writable, facts)} ${name}`),
    ]);
    this.#s.transfers.start((dtp) => dtp.sendBytes(data));
  }
}
