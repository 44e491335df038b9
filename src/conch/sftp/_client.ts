/**
 * `FileTransferClient` (`twisted.conch.ssh.filetransfer.FileTransferClient`):
 * SFTP version 3 requests as Promises, many in flight, replies matched by id.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import { Protocol } from "../../internet/protocol.ts";
import {
  FX_CONNECTION_LOST,
  FX_EOF,
  FX_FAILURE,
  FX_NO_CONNECTION,
  FX_OK,
  FXP,
  MAX_PACKET_LENGTH,
  SFTP_VERSION,
} from "./_constants.ts";
import { EOFError, SFTPError } from "./_errors.ts";
import {
  type DirectoryEntry,
  packet,
  PacketBuffer,
  readAttrs,
  type SFTPAttrs,
  SSHReader,
  type SSHWriter,
  writeAttrs,
} from "./_wire.ts";

type Reply = [type: number, reader: SSHReader];

interface Pending {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

/** What the server said in its VERSION packet. */
export interface ServerVersion {
  /** The protocol version. */
  version: number;
  /** Extension names and their data. */
  extensions: Record<string, string>;
}

/** Options of `FileTransferClient`. */
export interface FileTransferClientOptions {
  /** Extension pairs sent with INIT. */
  extData?: Record<string, string>;
  /**
   * Send SSH_FXP_SYMLINK's paths as (target, link), as OpenSSH's server wants.
   * @default detected from the peer's SSH version string
   */
  swapSymlinkPaths?: boolean;
}

/**
 * The SFTP client protocol. Connect it to an "sftp" subsystem channel;
 * requests may be made at once (they go out after INIT).
 *
 * @example
 * ```ts
 * import { FileTransferClient, FXF_READ } from "@tw/core/conch/sftp";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const client = new FileTransferClient();
 * client.makeConnection(new StringTransport());
 * const opening = client.openFile("notes.txt", FXF_READ, {});
 * opening.catch(() => {}); // no server here: the request stays pending
 * console.log(client.pendingRequests); // 1
 * ```
 */
export class FileTransferClient extends Protocol {
  /** The server's version and extensions, once VERSION came. */
  serverVersion: ServerVersion | null = null;
  readonly #options: FileTransferClientOptions;
  readonly #buffer = new PacketBuffer(MAX_PACKET_LENGTH);
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;
  #versionWaiters: [(v: ServerVersion) => void, (e: Error) => void][] = [];

  /** A client; `options.extData` goes out with INIT. */
  constructor(options: FileTransferClientOptions = {}) {
    super();
    this.#options = options;
  }

  /** Requests waiting for their reply. */
  get pendingRequests(): number {
    return this.#pending.size;
  }

  /** Sends INIT. */
  override connectionMade(): void {
    this.transport!.write(packet(FXP.INIT, (w) => {
      w.uint32(SFTP_VERSION);
      for (const [name, value] of Object.entries(this.#options.extData ?? {})) {
        w.string(name).string(value);
      }
    }));
  }

  /** Resolves with the server's VERSION. */
  whenVersion(): Promise<ServerVersion> {
    if (this.serverVersion !== null) return Promise.resolve(this.serverVersion);
    if (this.#closed) return Promise.reject(new SFTPError(FX_CONNECTION_LOST, "Connection lost"));
    return new Promise((resolve, reject) => this.#versionWaiters.push([resolve, reject]));
  }

  /** Called with the server's version and extensions. */
  gotServerVersion(_serverVersion: number, _extData: Record<string, string>): void {}

  /** Parses replies; a malformed one fails every pending request and closes. */
  override dataReceived(data: Uint8Array): void {
    if (this.#closed) return;
    this.#buffer.push(data);
    for (;;) {
      let body: Uint8Array | null;
      try {
        body = this.#buffer.next();
        if (body === null) return;
        this.#packet(body);
      } catch (error) {
        this.#fail(new SFTPError(FX_FAILURE, `Bad reply from the server: ${error}`));
        this.transport?.loseConnection();
        return;
      }
    }
  }

  #packet(body: Uint8Array): void {
    const reader = new SSHReader(body);
    const type = reader.byte();
    if (type === FXP.VERSION) {
      if (this.serverVersion !== null) throw new Error("a second VERSION");
      const version = reader.uint32();
      const extensions: Record<string, string> = {};
      while (reader.remaining > 0) {
        extensions[reader.text()] = new TextDecoder().decode(reader.string());
      }
      this.serverVersion = { version, extensions };
      this.gotServerVersion(version, extensions);
      for (const [resolve] of this.#versionWaiters.splice(0)) resolve(this.serverVersion);
      return;
    }
    const id = reader.uint32();
    const pending = this.#pending.get(id);
    if (pending === undefined) throw new Error(`a reply to unknown request ${id}`);
    this.#pending.delete(id);
    pending.resolve([type, reader]);
  }

  #fail(error: Error): void {
    this.#closed = true;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
    for (const [, reject] of this.#versionWaiters.splice(0)) reject(error);
  }

  /** Fails every pending request with `FX_CONNECTION_LOST`. */
  override connectionLost(_reason?: Failure): void {
    this.#fail(new SFTPError(FX_CONNECTION_LOST, "Connection lost"));
  }

  /** Sends a request; `size`, its whole length when known, spares a big one copies. */
  #request(type: number, fill: (w: SSHWriter) => void, size?: number): Promise<Reply> {
    if (this.#closed || this.transport === null) {
      return Promise.reject(new SFTPError(FX_NO_CONNECTION, "Not connected"));
    }
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) >>> 0;
    const reply = new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    this.transport.write(packet(type, (w) => fill(w.uint32(id)), size));
    return reply;
  }

  /** A reply of `expected` type, or the error a STATUS carries. */
  async #expect(reply: Promise<Reply>, expected: number): Promise<SSHReader> {
    const [type, reader] = await reply;
    if (type === expected && type !== FXP.STATUS) return reader;
    if (type === FXP.STATUS) {
      const code = reader.uint32();
      const message = reader.remaining > 0 ? reader.text() : "";
      const language = reader.remaining > 0 ? reader.text() : "";
      if (code === FX_OK && expected === FXP.STATUS) return reader;
      if (code === FX_EOF) throw new EOFError(message || "End of file");
      throw new SFTPError(code, message, language);
    }
    throw new SFTPError(FX_FAILURE, `Unexpected reply type ${type}`);
  }

  async #status(type: number, fill: (w: SSHWriter) => void, size?: number): Promise<void> {
    await this.#expect(this.#request(type, fill, size), FXP.STATUS);
  }

  async #handle(type: number, fill: (w: SSHWriter) => void): Promise<Uint8Array> {
    return (await this.#expect(this.#request(type, fill), FXP.HANDLE)).string().slice();
  }

  async #names(type: number, fill: (w: SSHWriter) => void): Promise<DirectoryEntry[]> {
    const reader = await this.#expect(this.#request(type, fill), FXP.NAME);
    const count = reader.uint32();
    const entries: DirectoryEntry[] = [];
    for (let i = 0; i < count; i++) {
      entries.push([reader.text(), reader.text(), readAttrs(reader)]);
    }
    return entries;
  }

  async #attrs(type: number, fill: (w: SSHWriter) => void): Promise<SFTPAttrs> {
    return readAttrs(await this.#expect(this.#request(type, fill), FXP.ATTRS));
  }

  /** Opens a file with `FXF_*` flags; `attrs` apply to a created file. */
  async openFile(filename: string, flags: number, attrs: SFTPAttrs = {}): Promise<ClientFile> {
    const handle = await this.#handle(
      FXP.OPEN,
      (w) => writeAttrs(w.string(filename).uint32(flags), attrs),
    );
    return new ClientFile(this, handle);
  }

  /** Removes a file. */
  removeFile(filename: string): Promise<void> {
    return this.#status(FXP.REMOVE, (w) => w.string(filename));
  }

  /** Renames a file (the server refuses when `newpath` exists). */
  renameFile(oldpath: string, newpath: string): Promise<void> {
    return this.#status(FXP.RENAME, (w) => w.string(oldpath).string(newpath));
  }

  /** Creates a directory. */
  makeDirectory(path: string, attrs: SFTPAttrs = {}): Promise<void> {
    return this.#status(FXP.MKDIR, (w) => writeAttrs(w.string(path), attrs));
  }

  /** Removes an empty directory. */
  removeDirectory(path: string): Promise<void> {
    return this.#status(FXP.RMDIR, (w) => w.string(path));
  }

  /** Opens a directory for listing. */
  async openDirectory(path: string): Promise<ClientDirectory> {
    return new ClientDirectory(this, await this.#handle(FXP.OPENDIR, (w) => w.string(path)));
  }

  /** A path's attributes; a final symbolic link is followed when `followLinks`. */
  getAttrs(path: string, followLinks = false): Promise<SFTPAttrs> {
    return this.#attrs(followLinks ? FXP.STAT : FXP.LSTAT, (w) => w.string(path));
  }

  /** Changes a path's attributes. */
  setAttrs(path: string, attrs: SFTPAttrs): Promise<void> {
    return this.#status(FXP.SETSTAT, (w) => writeAttrs(w.string(path), attrs));
  }

  /** A symbolic link's target. */
  async readLink(path: string): Promise<string> {
    const [entry] = await this.#names(FXP.READLINK, (w) => w.string(path));
    if (entry === undefined) throw new SFTPError(FX_FAILURE, "An empty READLINK reply");
    return entry[0];
  }

  /** Creates a symbolic link at `linkPath` pointing to `targetPath`. */
  makeLink(linkPath: string, targetPath: string): Promise<void> {
    const swap = this.#options.swapSymlinkPaths ??
      /OpenSSH/.test(
        (this.transport as { conn?: { transport?: { otherVersionString?: string } } } | null)
          ?.conn?.transport?.otherVersionString ?? "",
      );
    const [first, second] = swap ? [targetPath, linkPath] : [linkPath, targetPath];
    return this.#status(FXP.SYMLINK, (w) => w.string(first).string(second));
  }

  /** The canonical absolute form of `path`. */
  async realPath(path: string): Promise<string> {
    const [entry] = await this.#names(FXP.REALPATH, (w) => w.string(path));
    if (entry === undefined) throw new SFTPError(FX_FAILURE, "An empty REALPATH reply");
    return entry[0];
  }

  /** An extended request; resolves with the EXTENDED_REPLY data (empty for a plain OK). */
  async extendedRequest(name: string, data: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    const [type, reader] = await this.#request(FXP.EXTENDED, (w) => w.string(name).raw(data));
    if (type === FXP.EXTENDED_REPLY) return reader.rest().slice();
    await this.#expect(Promise.resolve([type, reader]), FXP.STATUS);
    return new Uint8Array(0);
  }

  /** @internal Requests on a handle, for `ClientFile` and `ClientDirectory`. */
  onHandle(handle: Uint8Array): HandleRequests {
    return {
      close: () => this.#status(FXP.CLOSE, (w) => w.string(handle)),
      read: async (offset, length) =>
        (await this.#expect(
          this.#request(FXP.READ, (w) => w.string(handle).uint64(BigInt(offset)).uint32(length)),
          FXP.DATA,
        )).string().slice(),
      // Length, type, id, handle, offset, then the data: sized exactly.
      write: (offset, data) =>
        this.#status(
          FXP.WRITE,
          (w) => w.string(handle).uint64(BigInt(offset)).string(data),
          25 + handle.length + data.length,
        ),
      fstat: () => this.#attrs(FXP.FSTAT, (w) => w.string(handle)),
      fsetstat: (attrs) => this.#status(FXP.FSETSTAT, (w) => writeAttrs(w.string(handle), attrs)),
      readdir: () => this.#names(FXP.READDIR, (w) => w.string(handle)),
    };
  }
}

/** Requests on an open handle. */
export interface HandleRequests {
  /** CLOSE. */
  close(): Promise<void>;
  /** READ. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** WRITE. */
  write(offset: number, data: Uint8Array): Promise<void>;
  /** FSTAT. */
  fstat(): Promise<SFTPAttrs>;
  /** FSETSTAT. */
  fsetstat(attrs: SFTPAttrs): Promise<void>;
  /** READDIR. */
  readdir(): Promise<DirectoryEntry[]>;
}

/**
 * A file open on the server (`twisted.conch.ssh.filetransfer.ClientFile`).
 *
 * @example
 * ```ts
 * import { ClientFile, FileTransferClient } from "@tw/core/conch/sftp";
 *
 * const file = new ClientFile(new FileTransferClient(), new Uint8Array([49]));
 * console.log(file.handle.length); // 1
 * ```
 */
export class ClientFile {
  /** The server's handle. */
  readonly handle: Uint8Array;
  readonly #requests: HandleRequests;

  /** The file behind `handle`. */
  constructor(client: FileTransferClient, handle: Uint8Array) {
    this.handle = handle;
    this.#requests = client.onHandle(handle);
  }

  /** Up to `length` bytes at `offset`; rejects with `EOFError` at the end. */
  readChunk(offset: number, length: number): Promise<Uint8Array> {
    return this.#requests.read(offset, length);
  }

  /** Writes `data` at `offset`. */
  writeChunk(offset: number, data: Uint8Array): Promise<void> {
    return this.#requests.write(offset, data);
  }

  /** The file's attributes. */
  getAttrs(): Promise<SFTPAttrs> {
    return this.#requests.fstat();
  }

  /** Changes the file's attributes. */
  setAttrs(attrs: SFTPAttrs): Promise<void> {
    return this.#requests.fsetstat(attrs);
  }

  /** Closes the handle. */
  close(): Promise<void> {
    return this.#requests.close();
  }
}

/**
 * A directory open on the server (`twisted.conch.ssh.filetransfer.ClientDirectory`):
 * an async iterable of `[filename, longname, attrs]`.
 *
 * @example
 * ```ts
 * import { ClientDirectory, FileTransferClient } from "@tw/core/conch/sftp";
 *
 * const dir = new ClientDirectory(new FileTransferClient(), new Uint8Array([49]));
 * console.log(Symbol.asyncIterator in dir); // true
 * ```
 */
export class ClientDirectory implements AsyncIterable<DirectoryEntry> {
  /** The server's handle. */
  readonly handle: Uint8Array;
  readonly #requests: HandleRequests;

  /** The directory behind `handle`. */
  constructor(client: FileTransferClient, handle: Uint8Array) {
    this.handle = handle;
    this.#requests = client.onHandle(handle);
  }

  /** The next batch of entries; rejects with `EOFError` after the last. */
  read(): Promise<DirectoryEntry[]> {
    return this.#requests.readdir();
  }

  /** Closes the handle. */
  close(): Promise<void> {
    return this.#requests.close();
  }

  /** Every entry, batch by batch, until the end. */
  async *[Symbol.asyncIterator](): AsyncIterator<DirectoryEntry> {
    for (;;) {
      let batch: DirectoryEntry[];
      try {
        batch = await this.read();
      } catch (error) {
        if (error instanceof EOFError) return;
        throw error;
      }
      yield* batch;
    }
  }
}
