/**
 * The `cftp` plugin: `tw cftp`, Twisted's `cftp`: an SFTP client that runs
 * the commands of a batch file (like `sftp -b`; `-b -` reads them from
 * standard input), or, without `-b`, commands typed line by line (prompt
 * `cftp> ` on a terminal), over an SSH connection (restricted to the ciphers
 * and MACs of `-c` / `-m`) with `FileTransferClient`.
 *
 *     tw cftp -i ~/.ssh/id_ed25519 -b commands.txt alice@example.com
 *     tw cftp -p 2222 -l alice --accept-new-host -b commands.txt example.com
 *     tw cftp -i ~/.ssh/id_ed25519 alice@example.com
 *
 * Commands: `cd`, `lcd`, `pwd`, `lpwd`, `ls [-l] [PATH]`, `get REMOTE [LOCAL]`,
 * `put LOCAL [REMOTE]`, `mkdir`, `rmdir`, `rm`, `rename OLD NEW`,
 * `ln [-s] OLD NEW`, `chmod MODE PATH`, `df [PATH]`, `exit`. Each is echoed
 * as `sftp> command`; a failing command ends the run with exit status 1
 * unless it starts with `-`. In the interactive mode a failure is reported
 * and the session goes on, until `exit` or the end of input.
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { coerceInt, type FlagSpec, Options, type ParameterSpec, UsageError } from "../_usage.ts";
import { connectSftp } from "./_cftp_connect.ts";
import { type CommandLines, fileLines, stdinLines } from "./_cftp_input.ts";
import { SSHClientTransport } from "../../conch/ssh/_transport_client.ts";
import { SSHReader, SSHWriter } from "../../conch/ssh/_wire.ts";
import { Key } from "../../conch/keys/_key.ts";
import { KnownHostsFile } from "../../conch/keys/_known_hosts.ts";
import { HostKeyChanged, UserRejectedKey } from "../../conch/keys/_errors.ts";
import type { FileTransferClient } from "../../conch/sftp/_client.ts";
import { EOFError } from "../../conch/sftp/_errors.ts";
import {
  FXF_CREAT,
  FXF_READ,
  FXF_TRUNC,
  FXF_WRITE,
  MAX_READ_WRITE_LENGTH,
  MAX_REQUESTS_IN_FLIGHT,
} from "../../conch/sftp/_constants.ts";

function coerceRange(low: number, high: number): (value: string) => number {
  return (value) => {
    const n = coerceInt(value);
    if (n < low || n > high) throw new Error(`must be between ${low} and ${high}`);
    return n;
  };
}

function coerceList(known: string[]): (value: string) => string[] {
  return (value) => {
    const names = value.split(",").filter((n) => n !== "");
    for (const name of names) {
      if (!known.includes(name)) throw new Error(`unknown algorithm ${name}`);
    }
    if (names.length === 0) throw new Error("name at least one algorithm");
    return names;
  };
}

const DEFAULTS = new SSHClientTransport();

/**
 * Options of `tw cftp` (Twisted's cftp names).
 *
 * @example
 * ```ts
 * import { CftpOptions } from "@tw/core/cli";
 * const options = new CftpOptions();
 * options.parseOptions(["-p", "2222", "-b", "cmds", "alice@example.com"]);
 * console.log(options.opts.port, options.opts.user, options.opts.host); // 2222 "alice" "example.com"
 * ```
 */
export class CftpOptions extends Options {
  /** The usage line. */
  override synopsis: string = "tw cftp [options] [user@]host";
  /** What the command does, for the help. */
  override longdesc: string =
    "An SFTP client: runs the commands of a batch file (-b) on the server, echoing each as " +
    "'sftp> command'. A failing command ends the run with exit status 1 unless it starts " +
    "with '-'. Logs in with the keys of -i (no password: it cannot prompt). There is no " +
    "interactive mode and no '-b -': commands cannot come from standard input.";
  /** The flags. */
  override optFlags: FlagSpec[] = [
    { name: "accept-new-host", doc: "Accept an unknown host key and save it to known_hosts." },
  ];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "port",
      short: "p",
      default: 22,
      coerce: coerceRange(1, 65535),
      doc: "The server's port.",
    },
    { name: "user", short: "l", metavar: "USER", doc: "The user to log in as (default: $USER)." },
    {
      name: "identity",
      short: "i",
      metavar: "FILE",
      multiple: true,
      doc: "A private key file to log in with.",
    },
    {
      name: "known-hosts",
      metavar: "FILE",
      doc: "The known hosts file (default: ~/.ssh/known_hosts).",
    },
    {
      name: "cipher",
      short: "c",
      metavar: "CIPHERS",
      coerce: coerceList(DEFAULTS.supportedCiphers),
      doc: "Comma-separated ciphers to offer (default: all known).",
    },
    {
      name: "macs",
      short: "m",
      metavar: "MACS",
      coerce: coerceList(DEFAULTS.supportedMACs),
      doc: "Comma-separated MACs to offer (default: all known).",
    },
    {
      name: "buffersize",
      short: "B",
      default: 32768,
      coerce: coerceRange(1, MAX_READ_WRITE_LENGTH),
      doc: "Bytes per read or write request.",
    },
    {
      name: "requests",
      short: "R",
      default: 5,
      coerce: coerceRange(1, MAX_REQUESTS_IN_FLIGHT),
      doc: "Read or write requests in flight.",
    },
    {
      name: "batchfile",
      short: "b",
      metavar: "FILE",
      doc: "The file of commands to run, - for standard input; none: interactive.",
    },
  ];

  /** Takes `[user@]host`. */
  override parseArgs(...args: string[]): void {
    if (args.length !== 1) throw new UsageError("Give one [user@]host");
    const at = args[0].lastIndexOf("@");
    if (at >= 0) {
      this.opts.user = args[0].slice(0, at);
      this.opts.host = args[0].slice(at + 1);
    } else this.opts.host = args[0];
    if (!this.opts.host) throw new UsageError("Give one [user@]host");
  }
}

/**
 * Splits a batch command line into words, with '...' and "..." quoting and
 * backslash escapes; throws on an unterminated quote.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === " " || c === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[++i];
    } else word = (word ?? "") + c;
  }
  if (quote !== null) throw new Error("Unterminated quote");
  if (word !== null) words.push(word);
  return words;
}

function join(cwd: string, path: string): string {
  if (path.startsWith("/")) return path;
  return cwd.endsWith("/") ? cwd + path : `${cwd}/${path}`;
}

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1) || trimmed;
}

/** One batch session: the SFTP client, the two working directories and the output. */
class Session {
  rcwd = "/";
  lcwd: string;
  done = false;

  readonly client: FileTransferClient;
  readonly context: PluginContext;
  readonly out: (text: string) => void;
  readonly bufsize: number;
  readonly requests: number;

  constructor(
    client: FileTransferClient,
    context: PluginContext,
    out: (text: string) => void,
    bufsize: number,
    requests: number,
  ) {
    this.client = client;
    this.context = context;
    this.out = out;
    this.bufsize = bufsize;
    this.requests = requests;
    this.lcwd = context.cwd;
  }

  get runtime() {
    return this.context.reactor.runtime;
  }

  remote(path: string): string {
    return join(this.rcwd, path);
  }

  local(path: string): string {
    return join(this.lcwd, path);
  }

  async run(words: string[]): Promise<void> {
    const [command, ...args] = words;
    const need = (low: number, high = low) => {
      if (args.length < low || args.length > high) {
        throw new Error(`${command}: wrong number of arguments`);
      }
    };
    switch (command) {
      case "pwd":
        need(0);
        this.out(`Remote working directory: ${this.rcwd}\n`);
        return;
      case "lpwd":
        need(0);
        this.out(`Local working directory: ${this.lcwd}\n`);
        return;
      case "cd": {
        need(0, 1);
        const path = await this.client.realPath(this.remote(args[0] ?? "."));
        const attrs = await this.client.getAttrs(path, true);
        if (((attrs.permissions ?? 0) & 0o170000) !== 0o040000) {
          throw new Error(`Can't change directory: "${path}" is not a directory`);
        }
        this.rcwd = path;
        return;
      }
      case "lcd": {
        need(1);
        const path = await this.runtime.realPath(this.local(args[0]));
        if (!(await this.runtime.stat(path)).isDirectory) {
          throw new Error(`Can't change directory: "${path}" is not a directory`);
        }
        this.lcwd = path;
        return;
      }
      case "ls":
        return await this.ls(args);
      case "get":
        need(1, 2);
        return await this.get(this.remote(args[0]), this.local(args[1] ?? basename(args[0])));
      case "put":
        need(1, 2);
        return await this.put(this.local(args[0]), this.remote(args[1] ?? basename(args[0])));
      case "mkdir":
        need(1);
        return await this.client.makeDirectory(this.remote(args[0]));
      case "rmdir":
        need(1);
        return await this.client.removeDirectory(this.remote(args[0]));
      case "rm":
        need(1);
        return await this.client.removeFile(this.remote(args[0]));
      case "rename":
        need(2);
        return await this.client.renameFile(this.remote(args[0]), this.remote(args[1]));
      case "ln":
        return await this.ln(args);
      case "chmod": {
        need(2);
        if (!/^[0-7]{1,4}$/.test(args[0])) throw new Error(`chmod: bad mode ${args[0]}`);
        return await this.client.setAttrs(this.remote(args[1]), {
          permissions: parseInt(args[0], 8),
        });
      }
      case "df":
        need(0, 1);
        return await this.df(this.remote(args[0] ?? "."));
      case "exit":
      case "quit":
      case "bye":
        this.done = true;
        return;
      default:
        throw new Error(`Invalid command: ${command}`);
    }
  }

  async ls(args: string[]): Promise<void> {
    const long = args[0] === "-l";
    const rest = long ? args.slice(1) : args;
    if (rest.length > 1) throw new Error("ls: wrong number of arguments");
    const path = this.remote(rest[0] ?? ".");
    const attrs = await this.client.getAttrs(path, true);
    if (((attrs.permissions ?? 0) & 0o170000) !== 0o040000) {
      let line = rest[0] ?? path;
      if (long) {
        const slash = path.lastIndexOf("/");
        const parent = await this.client.openDirectory(path.slice(0, slash) || "/");
        try {
          for await (const [name, longname] of parent) {
            if (name === path.slice(slash + 1)) line = longname;
          }
        } finally {
          await parent.close().catch(() => {});
        }
      }
      this.out(`${line}\n`);
      return;
    }
    const dir = await this.client.openDirectory(path);
    const entries: [string, string][] = [];
    try {
      for await (const [name, longname] of dir) {
        if (!name.startsWith(".")) entries.push([name, longname]);
      }
    } finally {
      await dir.close().catch(() => {});
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [name, longname] of entries) this.out(`${long ? longname : name}\n`);
  }

  async ln(args: string[]): Promise<void> {
    const symbolic = args[0] === "-s";
    const rest = symbolic ? args.slice(1) : args;
    if (rest.length !== 2) throw new Error("ln: wrong number of arguments");
    const [target, link] = rest;
    if (symbolic) return await this.client.makeLink(this.remote(link), target);
    const data = new SSHWriter().string(this.remote(target)).string(this.remote(link)).bytes();
    await this.client.extendedRequest("hardlink@openssh.com", data);
  }

  async df(path: string): Promise<void> {
    const reply = await this.client.extendedRequest(
      "statvfs@openssh.com",
      new SSHWriter().string(path).bytes(),
    );
    const r = new SSHReader(reply);
    const [_bsize, frsize, blocks, bfree, bavail] = [1, 2, 3, 4, 5].map(() => Number(r.uint64()));
    const kb = (n: number) => String(Math.floor((n * frsize) / 1024)).padStart(12);
    const size = blocks * frsize;
    const used = (blocks - bfree) * frsize;
    const capacity = size === 0 ? 0 : Math.round((100 * used) / size);
    this.out("        Size         Used        Avail       (root)    %Capacity\n");
    this.out(
      `${kb(blocks)} ${kb(blocks - bfree)} ${kb(bavail)} ${kb(bfree)} ${
        String(capacity).padStart(11)
      }%\n`,
    );
  }

  /** Downloads with `requests` reads of `bufsize` bytes in flight. */
  async get(remote: string, local: string): Promise<void> {
    const file = await this.client.openFile(remote, FXF_READ);
    this.out(`Fetching ${remote} to ${local}\n`);
    const chunks: [number, Uint8Array][] = [];
    try {
      const size = (await file.getAttrs()).size ?? 0;
      let next = 0;
      const worker = async () => {
        while (next < size) {
          const start = next;
          const end = Math.min(size, start + this.bufsize);
          next = end;
          let at = start;
          while (at < end) {
            let data: Uint8Array;
            try {
              data = await file.readChunk(at, end - at);
            } catch (error) {
              if (error instanceof EOFError) return;
              throw error;
            }
            if (data.length === 0) return;
            chunks.push([at, data]);
            at += data.length;
          }
        }
      };
      await Promise.all(Array.from({ length: this.requests }, worker));
      // The file may have grown since its size was read: read on to the end.
      let at = chunks.reduce((n, [, c]) => n + c.length, 0);
      for (;;) {
        let data: Uint8Array;
        try {
          data = await file.readChunk(at, this.bufsize);
        } catch (error) {
          if (error instanceof EOFError) break;
          throw error;
        }
        if (data.length === 0) break;
        chunks.push([at, data]);
        at += data.length;
      }
      const whole = new Uint8Array(at);
      for (const [offset, data] of chunks) whole.set(data, offset);
      await this.runtime.writeFile(local, whole);
    } finally {
      await file.close().catch(() => {});
    }
  }

  /** Uploads with `requests` writes of `bufsize` bytes in flight. */
  async put(local: string, remote: string): Promise<void> {
    const data = await this.runtime.readFile(local);
    this.out(`Uploading ${local} to ${remote}\n`);
    const file = await this.client.openFile(remote, FXF_WRITE | FXF_CREAT | FXF_TRUNC, {});
    try {
      let next = 0;
      const worker = async () => {
        while (next < data.length) {
          const start = next;
          next = Math.min(data.length, start + this.bufsize);
          await file.writeChunk(start, data.subarray(start, next));
        }
      };
      await Promise.all(Array.from({ length: this.requests }, worker));
    } finally {
      await file.close();
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Connects, logs in and opens the "sftp" subsystem. */
async function connect(
  options: Options,
  context: PluginContext,
  err: (text: string) => void,
): Promise<FileTransferClient> {
  const opts = options.opts;
  const runtime = context.reactor.runtime;
  const keys: Key[] = [];
  for (const file of opts.identity as string[]) {
    const path = join(context.cwd, file);
    try {
      keys.push(await Key.fromFile(path, { runtime }));
    } catch (error) {
      throw new Error(`Cannot read the key ${path}: ${describe(error)}`);
    }
  }
  const knownHostsPath = opts["known-hosts"] !== undefined
    ? join(context.cwd, opts["known-hosts"] as string)
    : `${runtime.env("HOME") ?? "."}/.ssh/known_hosts`;
  const knownHosts = await KnownHostsFile.fromPath(knownHostsPath, { runtime });
  let refused: string | null = null;
  const accept = opts["accept-new-host"] === true;
  const ui = {
    prompt(message: string): Promise<boolean> {
      const fingerprint = /key fingerprint is ([^\n]*)\.\n/.exec(message)?.[1] ?? "?";
      if (!accept) refused = fingerprint;
      else err(`Accepting the new host key ${fingerprint}, saved to ${knownHostsPath}\n`);
      return Promise.resolve(accept);
    },
    warn(message: string): void {
      err(message + "\n");
    },
  };
  const user = (opts.user as string | undefined) ?? runtime.env("USER") ?? "";
  const host = opts.host as string;
  try {
    const client = await connectSftp(context.reactor, {
      host,
      port: opts.port as number,
      user,
      keys,
      knownHosts,
      ui,
      ciphers: opts.cipher as string[] | undefined,
      macs: opts.macs as string[] | undefined,
    });
    await client.whenVersion();
    return client;
  } catch (error) {
    const value = (error as { value?: unknown })?.value ?? error;
    if (refused !== null || value instanceof UserRejectedKey) {
      throw new Error(
        `Host key verification failed: unknown host key ${refused ?? "?"} for ${host} ` +
          `(not in ${knownHostsPath}); give --accept-new-host to accept and save it`,
      );
    }
    if (value instanceof HostKeyChanged) {
      throw new Error(`Host key verification failed: the host key of ${host} changed!`);
    }
    const hint = keys.length === 0
      ? " (give a key with -i: passwords cannot be asked for without standard input)"
      : "";
    throw new Error(`Cannot connect to ${host}: ${describe(value)}${hint}`);
  }
}

/** The `cftp` plugin: a command, not a service (see `IServiceMaker.run`). */
export const cftpPlugin: IServiceMaker = {
  tapname: "cftp",
  description: "An SFTP client running commands from a batch file or typed (cftp, sftp -b)",
  options: CftpOptions,
  makeService(): IService {
    throw new UsageError("tw cftp is a command: run it with `tw cftp`");
  },
  async run(options: Options, context: PluginContext): Promise<number> {
    const runtime = context.reactor.runtime;
    const out = context.stdout ?? ((text: string) => runtime.writeStdout(text));
    const err = (text: string) => runtime.writeStderr(text);
    const opts = options.opts;
    const batchfile = opts.batchfile as string | undefined;
    const interactive = batchfile === undefined;
    let batch: string | null = null;
    if (batchfile !== undefined && batchfile !== "-") {
      const batchPath = join(context.cwd, batchfile);
      try {
        batch = new TextDecoder().decode(await runtime.readFile(batchPath));
      } catch (error) {
        err(`Cannot read the batch file ${batchPath}: ${describe(error)}\n`);
        return 1;
      }
    }
    let client: FileTransferClient;
    try {
      client = await connect(options, context, err);
    } catch (error) {
      err(describe(error) + "\n");
      return 1;
    }
    const session = new Session(
      client,
      context,
      out,
      opts.buffersize as number,
      opts.requests as number,
    );
    let status = 0;
    let lines: CommandLines | null = null;
    try {
      session.rcwd = await client.realPath(".");
      lines = batch === null ? stdinLines(context.reactor) : fileLines(batch);
      for (;;) {
        if (interactive && lines.isTTY) out("cftp> ");
        let raw: string | null;
        try {
          raw = await lines.next();
        } catch (error) {
          // An over-long line: a failed command.
          err(`${describe(error)}\n`);
          if (interactive) continue;
          status = 1;
          break;
        }
        if (raw === null) break;
        let line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        if (!interactive) out(`sftp> ${line}\n`);
        const ignoreErrors = line.startsWith("-");
        if (ignoreErrors) line = line.slice(1).trimStart();
        try {
          const words = splitWords(line);
          if (words.length > 0) await session.run(words);
        } catch (error) {
          const message = describe(error);
          const name = line.split(/\s/, 1)[0];
          err(message.startsWith(`${name}:`) ? `${message}\n` : `${name}: ${message}\n`);
          if (!ignoreErrors && !interactive) {
            status = 1;
            break;
          }
        }
        if (session.done) break;
      }
    } catch (error) {
      err(`${describe(error)}\n`);
      status = 1;
    } finally {
      lines?.close();
      client.transport?.loseConnection();
    }
    return status;
  },
};
