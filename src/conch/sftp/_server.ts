/**
 * `FileTransferServer` (`twisted.conch.ssh.filetransfer.FileTransferServer`):
 * the SFTP subsystem's protocol. It parses requests from the channel, hands
 * them to an `ISFTPServer`, and answers each as it completes (a client keeps
 * many READs and WRITEs in flight); requests on one handle give the results
 * of running them in order and are answered in order, READs and WRITEs of
 * distinct bytes overlapping (./_handle_queue.ts). Memory is bounded: packets
 * over 256 KiB close the channel, and past 64 requests or 16 MiB in flight
 * (READs count the bytes they ask for) it stops reading until replies went out.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import type { ITransport } from "../../internet/interfaces.ts";
import { Protocol } from "../../internet/protocol.ts";
import { Logger } from "../../logger/mod.ts";
import {
  FX_BAD_MESSAGE,
  FX_FAILURE,
  FX_OK,
  FX_OP_UNSUPPORTED,
  FXF_APPEND,
  FXP,
  MAX_BYTES_IN_FLIGHT,
  MAX_OPEN_HANDLES,
  MAX_PACKET_LENGTH,
  MAX_READ_WRITE_LENGTH,
  MAX_REQUESTS_IN_FLIGHT,
  SFTP_VERSION,
} from "./_constants.ts";
import { EOFError, SFTPError, statusOf } from "./_errors.ts";
import { type Access, HandleQueues } from "./_handle_queue.ts";
import type { ISFTPDirectory, ISFTPFile, ISFTPServer } from "./_interfaces.ts";
import {
  type DirectoryEntry,
  packet,
  PacketBuffer,
  readAttrs,
  readUint64,
  SSHReader,
  type SSHWriter,
  writeAttrs,
} from "./_wire.ts";

const log = new Logger("tw.conch.sftp");
const decoder = new TextDecoder("utf-8", { fatal: true });
const READDIR_BATCH = 100;

/** Options of `FileTransferServer`. */
export interface FileTransferServerOptions {
  /**
   * Whether SSH_FXP_SYMLINK's paths come as (target, link), as OpenSSH's and
   * paramiko's clients send them. @default detected from the peer's SSH version string
   */
  swapSymlinkPaths?: boolean;
  /** Requests worked on at once before reading stops. @default 64 */
  maxRequestsInFlight?: number;
  /** Bytes in flight before reading stops. @default 16 MiB */
  maxBytesInFlight?: number;
  /** Open handles allowed. @default 256 */
  maxOpenHandles?: number;
}

type Handle =
  | { kind: "file"; file: ISFTPFile; append: boolean }
  | { kind: "dir"; dir: ISFTPDirectory };

/** A request's work: the reply it gives (null: none). */
type Work = () => Promise<Uint8Array | null>;

interface BufferedTransport extends ITransport {
  bufferedAmount?: number;
  whenDrained?(): Promise<void>;
  conn?: { transport?: { otherVersionString?: string } };
}

/**
 * The SFTP server protocol (version 3) over an `ISFTPServer`. Connect it to
 * a session channel as the "sftp" subsystem (an avatar's `lookupSubsystem`).
 *
 * @example
 * ```ts
 * import { FileTransferServer, SFTPServerForUnixConchUser } from "@tw/core/conch/sftp";
 *
 * const avatar = { lookupSubsystem: (name: string) =>
 *   name === "sftp"
 *     ? new FileTransferServer(new SFTPServerForUnixConchUser({ home: "/srv/files", root: "/srv/files" }))
 *     : null };
 * console.log(avatar.lookupSubsystem("sftp") instanceof FileTransferServer); // true
 * ```
 */
export class FileTransferServer extends Protocol {
  /** The file system served. */
  readonly client: ISFTPServer;
  /** The client's protocol version, once INIT came. */
  clientVersion: number | null = null;
  readonly #options: FileTransferServerOptions;
  readonly #buffer = new PacketBuffer(MAX_PACKET_LENGTH);
  readonly #handles = new Map<string, Handle>();
  readonly #queues = new HandleQueues();
  #parsedHandle: string | null = null;
  #parsedAccess: Access | null = null;
  #nextHandle = 1;
  #opening = 0;
  #inFlight = 0;
  #bytesInFlight = 0;
  #paused = false;
  #waitingDrain = false;
  #closed = false;
  #eof = false;

  /** A server for `server`'s file system. */
  constructor(server: ISFTPServer, options: FileTransferServerOptions = {}) {
    super();
    this.client = server;
    this.#options = options;
  }

  /** Open handles. */
  get openHandles(): number {
    return this.#handles.size;
  }

  #swapSymlink(): boolean {
    if (this.#options.swapSymlinkPaths !== undefined) return this.#options.swapSymlinkPaths;
    const version = (this.transport as BufferedTransport | null)?.conn?.transport
      ?.otherVersionString ?? "";
    return /OpenSSH|paramiko/.test(version);
  }

  /** Parses requests from the channel (bounded; a bad frame closes it). */
  override dataReceived(data: Uint8Array): void {
    if (this.#closed) return;
    this.#buffer.push(data);
    if (this.#buffer.size > MAX_BYTES_IN_FLIGHT + 4 * MAX_PACKET_LENGTH) {
      this.#fatal("The client sent too much without reading replies");
      return;
    }
    this.#drain();
  }

  #stalled(): boolean {
    const transport = this.transport as BufferedTransport | null;
    const maxRequests = this.#options.maxRequestsInFlight ?? MAX_REQUESTS_IN_FLIGHT;
    const maxBytes = this.#options.maxBytesInFlight ?? MAX_BYTES_IN_FLIGHT;
    return this.#inFlight >= maxRequests || this.#bytesInFlight >= maxBytes ||
      (transport?.bufferedAmount ?? 0) >= maxBytes;
  }

  #drain(): void {
    while (!this.#closed) {
      if (this.#stalled()) {
        this.#pause();
        return;
      }
      let body: Uint8Array | null;
      try {
        body = this.#buffer.next();
      } catch (error) {
        this.#fatal((error as Error).message);
        return;
      }
      if (body === null) break;
      this.#dispatch(body);
    }
    this.#resume();
  }

  #pause(): void {
    const transport = this.transport as BufferedTransport | null;
    if (!this.#paused) {
      this.#paused = true;
      transport?.pauseProducing?.();
    }
    const buffered = transport?.bufferedAmount ?? 0;
    if (buffered > 0 && !this.#waitingDrain && typeof transport?.whenDrained === "function") {
      this.#waitingDrain = true;
      void transport.whenDrained().then(() => {
        this.#waitingDrain = false;
        this.#drain();
      });
    }
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    (this.transport as BufferedTransport | null)?.resumeProducing?.();
  }

  #fatal(reason: string): void {
    log.warn("SFTP session closed: {reason}", { reason });
    this.#closed = true;
    this.transport?.loseConnection();
  }

  #send(bytes: Uint8Array): void {
    if (this.#closed || this.transport === null) return;
    this.transport.write(bytes);
  }

  #status(id: number, code: number, message: string): Uint8Array {
    return packet(FXP.STATUS, (w) => w.uint32(id).uint32(code).string(message).string(""));
  }

  /** The STATUS reply for a request that failed. */
  #failure(type: number, id: number, error: unknown): Uint8Array {
    const [code, message] = statusOf(error);
    if (message === "Failure" && !(error instanceof SFTPError)) {
      log.failure(`SFTP request ${type} failed`, error, "warn");
    }
    return this.#status(id, code, message);
  }

  #dispatch(body: Uint8Array): void {
    const reader = new SSHReader(body);
    const type = reader.byte();
    if (this.clientVersion === null) {
      if (type !== FXP.INIT || reader.remaining < 4) {
        this.#fatal("The first SFTP packet was not INIT");
        return;
      }
      this.#init(reader);
      return;
    }
    if (reader.remaining < 4) {
      this.#fatal("An SFTP request without an id");
      return;
    }
    const id = reader.uint32();
    if (type === FXP.INIT) {
      this.#fatal("A second INIT");
      return;
    }
    let work: Work;
    this.#parsedHandle = null;
    this.#parsedAccess = null;
    try {
      work = this.#parse(type, id, reader);
    } catch (error) {
      const [code, message] = statusOf(error);
      this.#send(this.#status(id, code, message));
      return;
    }
    // Set by #parse (TypeScript does not see it change).
    const access = this.#parsedAccess as Access | null;
    // A READ's reply may wait for earlier ones: the bytes it asks for count.
    const size = body.length + (access !== null && !access.write ? access.length : 0);
    this.#inFlight++;
    this.#bytesInFlight += size;
    const handle = this.#parsedHandle;
    const answer = (reply: Uint8Array | null) => {
      if (reply !== null) this.#send(reply);
    };
    const reply = () => work().catch((error) => this.#failure(type, id, error));
    // Requests on one handle: the results of running them one at a time, answered
    // in order (paramiko's pipelined writes rely on it); other requests run at once.
    (handle === null ? reply().then(answer) : this.#queues.run(handle, access, reply, answer))
      .catch((error) => log.failure("SFTP reply failed", error, "warn"))
      .finally(() => {
        this.#inFlight--;
        this.#bytesInFlight -= size;
        if (this.#paused && !this.#waitingDrain) this.#drain();
        this.#closeAfterEOF();
      });
  }

  /** The client sent EOF: the channel closes once every request was answered. */
  readConnectionLost(): void {
    this.#eof = true;
    this.#closeAfterEOF();
  }

  #closeAfterEOF(): void {
    if (this.#eof && this.#inFlight === 0 && !this.#paused && !this.#closed) {
      this.#closed = true;
      // Over an SSH session, SSHSession sends exit-status 0 before the close.
      this.transport?.loseConnection();
    }
  }

  #init(reader: SSHReader): void {
    this.clientVersion = reader.uint32();
    const extData: Record<string, Uint8Array> = {};
    try {
      while (reader.remaining > 0 && Object.keys(extData).length < 64) {
        extData[reader.text()] = reader.string().slice();
      }
    } catch {
      // Malformed extension pairs are ignored, as OpenSSH does.
    }
    let extensions: Record<string, string> = {};
    try {
      extensions = { ...this.client.gotVersion(this.clientVersion, extData) };
    } catch (error) {
      log.failure("gotVersion failed", error);
    }
    if (typeof this.client.posixRename === "function") {
      extensions["posix-rename@openssh.com"] ??= "1";
    }
    if (typeof this.client.statVFS === "function") extensions["statvfs@openssh.com"] ??= "2";
    if (typeof this.client.makeHardLink === "function") {
      extensions["hardlink@openssh.com"] ??= "1";
    }
    extensions["fsync@openssh.com"] ??= "1";
    extensions["limits@openssh.com"] ??= "1";
    this.#send(packet(FXP.VERSION, (w) => {
      w.uint32(SFTP_VERSION);
      for (const [name, value] of Object.entries(extensions)) w.string(name).string(value);
    }));
  }

  #path(reader: SSHReader): string {
    try {
      return decoder.decode(reader.string());
    } catch (error) {
      if (error instanceof TypeError) throw new SFTPError(FX_BAD_MESSAGE, "A path is not UTF-8");
      throw error;
    }
  }

  #handle(reader: SSHReader): Handle {
    const name = new TextDecoder().decode(reader.string());
    const handle = this.#handles.get(name);
    if (handle === undefined) throw new SFTPError(FX_FAILURE, "Bad handle");
    this.#parsedHandle = name;
    return handle;
  }

  #fileHandle(reader: SSHReader): { file: ISFTPFile; append: boolean } {
    const handle = this.#handle(reader);
    if (handle.kind !== "file") throw new SFTPError(FX_FAILURE, "Not a file handle");
    return handle;
  }

  #file(reader: SSHReader): ISFTPFile {
    return this.#fileHandle(reader).file;
  }

  #reply(type: number, id: number, fill: (w: SSHWriter) => void): Uint8Array {
    return packet(type, (w) => fill(w.uint32(id)));
  }

  #addHandle(handle: Handle): string {
    const name = String(this.#nextHandle++);
    this.#handles.set(name, handle);
    return name;
  }

  #reserveHandle(): void {
    const max = this.#options.maxOpenHandles ?? MAX_OPEN_HANDLES;
    if (this.#handles.size + this.#opening >= max) {
      throw new SFTPError(FX_FAILURE, "Too many open handles");
    }
  }

  #name(id: number, entries: DirectoryEntry[]): Uint8Array {
    return this.#reply(FXP.NAME, id, (w) => {
      w.uint32(entries.length);
      for (const [filename, longname, attrs] of entries) {
        writeAttrs(w.string(filename).string(longname), attrs);
      }
    });
  }

  /** Parses a request now; the returned function does the work and replies. */
  #parse(type: number, id: number, r: SSHReader): Work {
    const server = this.client;
    const ok = () => this.#status(id, FX_OK, "Success");
    switch (type) {
      case FXP.OPEN: {
        const filename = this.#path(r);
        const flags = r.uint32();
        const attrs = readAttrs(r);
        this.#reserveHandle();
        return async () => {
          this.#opening++;
          let file: ISFTPFile;
          try {
            file = await server.openFile(filename, flags, attrs);
          } finally {
            this.#opening--;
          }
          if (this.#closed) {
            await file.close();
            return null;
          }
          const append = (flags & FXF_APPEND) !== 0;
          const handle = this.#addHandle({ kind: "file", file, append });
          return this.#reply(FXP.HANDLE, id, (w) => w.string(handle));
        };
      }
      case FXP.OPENDIR: {
        const path = this.#path(r);
        this.#reserveHandle();
        return async () => {
          this.#opening++;
          let dir: ISFTPDirectory;
          try {
            dir = await server.openDirectory(path);
          } finally {
            this.#opening--;
          }
          if (this.#closed) {
            await dir.close();
            return null;
          }
          const handle = this.#addHandle({ kind: "dir", dir });
          return this.#reply(FXP.HANDLE, id, (w) => w.string(handle));
        };
      }
      case FXP.CLOSE: {
        const name = new TextDecoder().decode(r.string());
        const handle = this.#handles.get(name);
        if (handle === undefined) throw new SFTPError(FX_FAILURE, "Bad handle");
        this.#handles.delete(name);
        this.#parsedHandle = name;
        return async () => {
          if (handle.kind === "file") await handle.file.close();
          else await handle.dir.close();
          return ok();
        };
      }
      case FXP.READ: {
        const file = this.#file(r);
        const offset = readUint64(r);
        const length = Math.min(r.uint32(), MAX_READ_WRITE_LENGTH);
        this.#parsedAccess = { offset, length, write: false };
        return async () => {
          const data = await file.readChunk(offset, length);
          if (data.length === 0) throw new EOFError();
          const chunk = data.length > length ? data.subarray(0, length) : data;
          // Length, type, id, the string's length, then the data: sized exactly.
          return packet(FXP.DATA, (w) => w.uint32(id).string(chunk), 13 + chunk.length);
        };
      }
      case FXP.WRITE: {
        const { file, append } = this.#fileHandle(r);
        const offset = readUint64(r);
        const data = r.string();
        if (data.length > MAX_READ_WRITE_LENGTH) {
          throw new SFTPError(FX_FAILURE, "A write over the limit");
        }
        // Appending writes land at the end whatever their offset: one at a time.
        if (!append) this.#parsedAccess = { offset, length: data.length, write: true };
        return async () => {
          await file.writeChunk(offset, data);
          return ok();
        };
      }
      case FXP.READDIR: {
        const handle = this.#handle(r);
        if (handle.kind !== "dir") throw new SFTPError(FX_FAILURE, "Not a directory handle");
        return async () => {
          const entries = await handle.dir.read(READDIR_BATCH);
          if (entries.length === 0) throw new EOFError();
          return this.#name(id, entries.slice(0, READDIR_BATCH));
        };
      }
      case FXP.STAT:
      case FXP.LSTAT: {
        const path = this.#path(r);
        return async () => {
          const attrs = await server.getAttrs(path, type === FXP.STAT);
          return this.#reply(FXP.ATTRS, id, (w) => writeAttrs(w, attrs));
        };
      }
      case FXP.FSTAT: {
        const file = this.#file(r);
        return async () => {
          const attrs = await file.getAttrs();
          return this.#reply(FXP.ATTRS, id, (w) => writeAttrs(w, attrs));
        };
      }
      case FXP.SETSTAT: {
        const path = this.#path(r);
        const attrs = readAttrs(r);
        return async () => {
          await server.setAttrs(path, attrs);
          return ok();
        };
      }
      case FXP.FSETSTAT: {
        const file = this.#file(r);
        const attrs = readAttrs(r);
        return async () => {
          await file.setAttrs(attrs);
          return ok();
        };
      }
      case FXP.REMOVE: {
        const path = this.#path(r);
        return async () => {
          await server.removeFile(path);
          return ok();
        };
      }
      case FXP.MKDIR: {
        const path = this.#path(r);
        const attrs = readAttrs(r);
        return async () => {
          await server.makeDirectory(path, attrs);
          return ok();
        };
      }
      case FXP.RMDIR: {
        const path = this.#path(r);
        return async () => {
          await server.removeDirectory(path);
          return ok();
        };
      }
      case FXP.REALPATH: {
        const path = this.#path(r);
        return async () => {
          const real = await server.realPath(path);
          return this.#name(id, [[real, real, {}]]);
        };
      }
      case FXP.RENAME: {
        const oldpath = this.#path(r);
        const newpath = this.#path(r);
        return async () => {
          await server.renameFile(oldpath, newpath);
          return ok();
        };
      }
      case FXP.READLINK: {
        const path = this.#path(r);
        return async () => {
          const target = await server.readLink(path);
          return this.#name(id, [[target, target, {}]]);
        };
      }
      case FXP.SYMLINK: {
        const first = this.#path(r);
        const second = this.#path(r);
        const [linkPath, targetPath] = this.#swapSymlink() ? [second, first] : [first, second];
        return async () => {
          await server.makeLink(linkPath, targetPath);
          return ok();
        };
      }
      case FXP.EXTENDED:
        return this.#extended(id, r);
      default:
        throw new SFTPError(FX_OP_UNSUPPORTED, `Unknown request type ${type}`);
    }
  }

  #extended(id: number, r: SSHReader): Work {
    const server = this.client;
    const name = new TextDecoder().decode(r.string());
    const ok = () => this.#status(id, FX_OK, "Success");
    const reply = (fill: (w: SSHWriter) => void) => this.#reply(FXP.EXTENDED_REPLY, id, fill);
    switch (name) {
      case "posix-rename@openssh.com":
      case "hardlink@openssh.com": {
        const oldpath = this.#path(r);
        const newpath = this.#path(r);
        const method = name === "hardlink@openssh.com" ? server.makeHardLink : server.posixRename;
        if (typeof method !== "function") break;
        return async () => {
          await method.call(server, oldpath, newpath);
          return ok();
        };
      }
      case "statvfs@openssh.com": {
        const path = this.#path(r);
        if (typeof server.statVFS !== "function") break;
        return async () => {
          const s = await server.statVFS!(path);
          const fields = [s.bsize, s.frsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree];
          fields.push(s.favail, s.fsid, s.flag, s.namemax);
          return reply((w) => {
            for (const value of fields) w.uint64(BigInt(Math.max(0, Math.trunc(value))));
          });
        };
      }
      case "fsync@openssh.com": {
        const file = this.#file(r);
        return async () => {
          if (typeof file.sync !== "function") {
            throw new SFTPError(FX_OP_UNSUPPORTED, "fsync unsupported");
          }
          await file.sync();
          return ok();
        };
      }
      case "limits@openssh.com":
        return () =>
          Promise.resolve(
            reply((w) =>
              w.uint64(BigInt(MAX_PACKET_LENGTH)).uint64(BigInt(MAX_READ_WRITE_LENGTH))
                .uint64(BigInt(MAX_READ_WRITE_LENGTH))
                .uint64(BigInt(this.#options.maxOpenHandles ?? MAX_OPEN_HANDLES))
            ),
          );
    }
    const data = r.rest().slice();
    return async () => {
      const result = await server.extendedRequest(name, data);
      return reply((w) => w.raw(result));
    };
  }

  /** Closes every open handle. */
  override connectionLost(_reason?: Failure): void {
    this.#closed = true;
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    for (const handle of handles) {
      Promise.resolve().then(() =>
        handle.kind === "file" ? handle.file.close() : handle.dir.close()
      ).catch((error) => log.failure("Closing an SFTP handle failed", error));
    }
  }
}
