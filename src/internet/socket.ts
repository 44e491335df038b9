/**
 * The socket interface the core is written against, and the `Runtime` contract
 * each adapter in `runtimes/` implements. Shaped like the WinterTC Sockets API
 * where that API reaches: Web Streams of `Uint8Array` plus a control surface.
 *
 * An adapter whose runtime pushes bytes natively also offers `fastPath`, which
 * the transport uses instead of the stream loop, with identical behaviour.
 *
 * @module
 */

/** A socket address as adapters report it. */
export type SocketAddress =
  | { transport: "tcp" | "udp"; hostname: string; port: number }
  | { transport: "unix"; path: string };

/** TLS settings for listeners, clients and upgrades. */
export interface TlsOptions {
  /** PEM certificate chain (servers; clients presenting a certificate). */
  cert?: string;
  /** PEM private key matching `cert`. */
  key?: string;
  /** PEM CA certificates to trust instead of the system store. */
  ca?: string | string[];
  /** The name to verify and send as SNI (clients). @default the host connected to */
  serverName?: string;
  /** Verify the peer's certificate and name (clients). @default true */
  verify?: boolean;
  /** Ask clients for a certificate and verify it against `ca` (servers). @default false */
  requestCert?: boolean;
  /** ALPN protocol names, most preferred first. */
  alpnProtocols?: string[];
  /** The lowest TLS version to accept. @default "TLSv1.2" */
  minVersion?: "TLSv1.2" | "TLSv1.3";
  /**
   * Seconds a handshake may take (a connect, `startTls` on either side, and
   * each connection a TLS listener accepts). A peer that stays silent longer is
   * cut, and the attempt fails with code `ERR_TLS_HANDSHAKE_TIMEOUT`; 0 waits
   * forever.
   * @default 30
   */
  handshakeTimeout?: number;
}

/** What a TLS handshake settled. */
export interface TlsInfo {
  /** The ALPN protocol chosen, or null. */
  alpnProtocol: string | null;
}

/** Direct, callback-driven access to a socket, bypassing its streams (the hot path). */
export interface SocketFastPath {
  /**
   * Starts delivering events to `handler`. Called at most once, instead of ever
   * reading `readable` or writing `writable`. Chunks handed to `onData` belong to
   * the receiver (never a view of a buffer the adapter reuses), unless
   * `handler.borrowsData` is true.
   */
  start(handler: FastPathHandler): void;
  /** Stops reading from the network until `resumeReading`. */
  pauseReading(): void;
  /** Resumes reading after `pauseReading`. */
  resumeReading(): void;
  /**
   * Writes or queues `data`; the adapter keeps (and later writes) whatever the
   * runtime did not take. Returns the number of bytes now queued in the adapter.
   * `onDrain` is called when that number falls back to zero.
   */
  write(data: Uint8Array): number;
  /** Bytes queued in the adapter, not yet taken by the runtime. */
  readonly bufferedAmount: number;
}

/** The events a fast path delivers. */
export interface FastPathHandler {
  /**
   * True when `onData` keeps none of its chunks once it returns: the adapter may
   * then hand it views (at most 65,536 bytes) of a buffer it reads into again
   * (`IBorrowingProtocol`). Read once, by `start`. @default false
   */
  readonly borrowsData?: boolean;
  /** Bytes arrived. */
  onData(chunk: Uint8Array): void;
  /** The peer closed its write side (EOF). */
  onEnd(): void;
  /** The adapter's write queue is empty again. */
  onDrain(): void;
  /** The socket failed (reset, TLS error...). `onClose` follows. */
  onError(error: Error): void;
  /** The socket is fully closed. Called once. */
  onClose(): void;
}

/** A connected stream socket (TCP, TLS, Unix, in-memory). */
export interface Socket {
  /** Bytes from the peer; closes at EOF, errors on failure. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer, with backpressure. Closing it flushes and half-closes. */
  readonly writable: WritableStream<Uint8Array>;
  /** This side's address. */
  readonly localAddress: SocketAddress;
  /** The peer's address. */
  readonly remoteAddress: SocketAddress;
  /** Settles when the socket is fully closed (rejects if it failed). */
  readonly closed: Promise<void>;
  /** Flushes pending writes, then shuts down the write direction (TCP FIN). */
  closeWrite(): Promise<void>;
  /** Flushes pending writes, then closes both directions. */
  close(): Promise<void>;
  /** Closes at once, discarding pending writes (TCP RST where the runtime allows). */
  abort(reason?: unknown): void;
  /** Sets TCP_NODELAY (no-op for non-TCP sockets). */
  setNoDelay(enabled: boolean): void;
  /** Sets SO_KEEPALIVE (no-op for non-TCP sockets). */
  setKeepAlive(enabled: boolean, initialDelayMs?: number): void;
  /**
   * Upgrades to TLS after pending writes are flushed, as client or server
   * (`isServer`). Returns the new socket; this one must not be used afterwards.
   */
  startTls(options: TlsOptions & { isServer?: boolean }): Promise<Socket>;
  /** The TLS state, once the socket is a TLS socket. */
  readonly tls: TlsInfo | null;
  /** The callback-driven hot path, when the adapter has one. */
  readonly fastPath: SocketFastPath | null;
  /** The runtime's own socket object, for users who need it. */
  readonly native: unknown;
}

/** A listening stream socket: yields accepted sockets until closed. */
export interface Listener extends AsyncIterable<Socket> {
  /** The bound address (with the real port when 0 was asked for). */
  readonly address: SocketAddress;
  /**
   * Optional push mode, the accept side's fast path: hands each accepted
   * socket (those already queued first) to `onSocket`, with no promise or
   * iterator result per connection. Called at most once, instead of
   * iterating; the core uses it when offered.
   */
  acceptEach?(onSocket: (socket: Socket) => void): void;
  /** Stops accepting; resolves once the listening socket is closed. */
  close(): Promise<void>;
  /** The runtime's own listener object. */
  readonly native: unknown;
}

/** Options for `Runtime.listen`. */
export type ListenOptions =
  | {
    transport: "tcp";
    /** Interface to bind. @default "0.0.0.0" */
    hostname?: string;
    port: number;
    /** Pending connection queue size. @default 50 */
    backlog?: number;
    /** TLS server settings: makes this a TLS listener. */
    tls?: TlsOptions;
    /**
     * Set SO_REUSEPORT, so that several processes listen on one port and the
     * kernel spreads connections among them. @default false
     */
    reusePort?: boolean;
    /**
     * Adopt this already-listening socket (systemd socket activation) instead
     * of binding; `hostname`, `port` and `backlog` are then ignored.
     */
    fd?: number;
  }
  | {
    transport: "unix";
    path: string;
    /** File mode of the socket file, e.g. 0o660. */
    mode?: number;
    backlog?: number;
    /** Adopt this already-listening socket instead of binding; `path` is then ignored. */
    fd?: number;
  };

/** Options for `Runtime.connect`. */
export type ConnectOptions =
  | {
    transport: "tcp";
    /** An IP address (resolution happens before `connect`). */
    hostname: string;
    port: number;
    /** Local address to bind before connecting. */
    localAddress?: { hostname: string; port?: number };
    /** TLS client settings: makes this a TLS connection. */
    tls?: TlsOptions;
    /** Aborts the attempt. */
    signal?: AbortSignal;
  }
  | { transport: "unix"; path: string; signal?: AbortSignal };

/** A bound UDP socket. */
export interface DatagramSocket {
  /** The bound address. */
  readonly address: SocketAddress;
  /** Sends one datagram. */
  send(data: Uint8Array, hostname: string, port: number): void;
  /** Starts delivering datagrams and errors; called once. */
  start(handler: {
    onMessage(data: Uint8Array, hostname: string, port: number): void;
    onError(error: Error): void;
  }): void;
  /** Joins a multicast group. */
  joinMulticast(group: string, iface?: string): void;
  /** Leaves a multicast group. */
  leaveMulticast(group: string, iface?: string): void;
  /** Sets the multicast TTL. */
  setMulticastTTL(ttl: number): void;
  /** Sets whether sent multicast datagrams loop back. */
  setMulticastLoopback(enabled: boolean): void;
  /** Enables sending to broadcast addresses. */
  setBroadcast(enabled: boolean): void;
  /** Closes the socket. */
  close(): Promise<void>;
  /** The runtime's own object. */
  readonly native: unknown;
}

/** Options for `Runtime.bindDatagram`. */
export interface DatagramOptions {
  /** Interface to bind. @default "0.0.0.0" */
  hostname?: string;
  /** Port to bind; 0 for a free one. */
  port: number;
  /** Set SO_REUSEADDR (for multicast listeners). @default false */
  reuseAddress?: boolean;
}

/** Options for `Runtime.spawn`. */
export interface SpawnOptions {
  /** The executable (looked up in PATH when it has no slash). */
  command: string;
  /** Arguments after the executable. */
  args: string[];
  /** The environment; the parent's when omitted. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/** A running child process with piped stdio. */
export interface ChildProcess {
  /** The process id. */
  readonly pid: number;
  /**
   * Starts delivering output and the exit. `onOutput` gets fd 1 or 2; `onExit`
   * comes once, after all output has been delivered.
   */
  start(handler: {
    onOutput(fd: 1 | 2, data: Uint8Array): void;
    onExit(exitCode: number | null, signal: string | null): void;
  }): void;
  /** Writes to the child's stdin. */
  writeStdin(data: Uint8Array): void;
  /** Closes the child's stdin. */
  closeStdin(): void;
  /** Sends a signal by name ("SIGTERM", "SIGKILL", "SIGINT", "SIGHUP"...). */
  kill(signal: string): void;
  /** The runtime's own object. */
  readonly native: unknown;
}

/** A resolved address. */
export interface ResolvedAddress {
  /** The IP address. */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
}

/** What `Runtime.stat` reports about a path. */
export interface FileInfo {
  /** A regular file. */
  isFile: boolean;
  /** A directory. */
  isDirectory: boolean;
  /** A symbolic link (only from `lstat`). */
  isSymlink: boolean;
  /** Size in bytes. */
  size: number;
  /** Last modification time, when known. */
  mtime: Date | null;
  /** Permission bits and file type, when known. */
  mode: number | null;
  /** Last access time, when known. */
  atime?: Date | null;
  /** The owner's user id, when known. */
  uid?: number;
  /** The owner's group id, when known. */
  gid?: number;
  /** The number of hard links, when known. */
  nlink?: number;
}

/** How `RuntimeFileSystem.open` opens a file (the `open(2)` flags). */
export interface OpenFileOptions {
  /** Open for reading. */
  read?: boolean;
  /** Open for writing. */
  write?: boolean;
  /** Every write goes to the end. */
  append?: boolean;
  /** Create the file when missing (with `mode`, less the umask). */
  create?: boolean;
  /** Cut the file to 0 bytes. */
  truncate?: boolean;
  /** With `create`: fail with `EEXIST` when the file exists. */
  exclusive?: boolean;
  /** The permission bits of a created file. @default 0o666 */
  mode?: number;
}

/** A file open for reading and writing at explicit positions. */
export interface RandomAccessFile extends FileHandle {
  /** Writes all of `data` at `position`; resolves with the count. */
  write(data: Uint8Array, position: number): Promise<number>;
  /** Facts about the open file. */
  stat(): Promise<FileInfo>;
  /** Cuts or extends the file to `length` bytes. */
  truncate(length: number): Promise<void>;
  /** Changes the file's permission bits. */
  chmod(mode: number): Promise<void>;
  /** Changes the file's owner. */
  chown(uid: number, gid: number): Promise<void>;
  /** Sets the access and modification times (seconds since the epoch). */
  utimes(atime: number, mtime: number): Promise<void>;
  /** Flushes the file's data to stable storage (fsync). */
  sync(): Promise<void>;
}

/** What `RuntimeFileSystem.statfs` reports about a mounted file system. */
export interface FileSystemStats {
  /** The block size. */
  bsize: number;
  /** Total blocks. */
  blocks: number;
  /** Free blocks. */
  bfree: number;
  /** Free blocks for unprivileged users. */
  bavail: number;
  /** Total inodes. */
  files: number;
  /** Free inodes. */
  ffree: number;
}

/** An open file, read at explicit positions (for ranges and streaming). */
export interface FileHandle {
  /** Reads up to `buffer.length` bytes at `position`; resolves with the count (0 at the end). */
  read(buffer: Uint8Array, position: number): Promise<number>;
  /** Closes the file. */
  close(): Promise<void>;
}

/**
 * Files and process facts a runtime gives the application layer (static files,
 * certificates named in endpoint strings, password files, pidfiles). Failures
 * reject with errors carrying Node's `code` names (`ENOENT`, `EACCES`, ...).
 */
export interface RuntimeFileSystem {
  /** Reads a whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Writes a whole file (created with `mode`, default 0o666 less the umask).
   * `exclusive` fails with `EEXIST` when the file exists; `sync` flushes the
   * data to stable storage (fsync) before resolving.
   */
  writeFile(
    path: string,
    data: Uint8Array | string,
    options?: { mode?: number; exclusive?: boolean; sync?: boolean },
  ): Promise<void>;
  /** Renames a path, replacing a file at `newPath` (atomic on one file system). */
  rename(oldPath: string, newPath: string): Promise<void>;
  /** Creates a directory (with `mode`, less the umask); `recursive` also makes parents and accepts an existing one. */
  mkdir(path: string, options?: { mode?: number; recursive?: boolean }): Promise<void>;
  /** The names in a directory, sorted. */
  readDir(path: string): Promise<string[]>;
  /** Facts about a path, following symbolic links. */
  stat(path: string): Promise<FileInfo>;
  /** Facts about a path itself, not following a final symbolic link. */
  lstat(path: string): Promise<FileInfo>;
  /** The canonical absolute path, with every symbolic link resolved. */
  realPath(path: string): Promise<string>;
  /**
   * Removes a file or a Unix socket file; with `recursive`, also a directory
   * and everything in it (an adapter without it removes files only).
   */
  remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** Changes a path's permission bits. */
  chmod(path: string, mode: number): Promise<void>;
  /** Opens a file for reading. */
  openFile(path: string): Promise<FileHandle>;
  // The operations below serve SFTP; they are optional so that an existing
  // RuntimeFileSystem (a test double, a read-only one) stays valid without them.
  /** Opens a file with `open(2)` flags, for reading and writing at positions. */
  open?(path: string, options: OpenFileOptions): Promise<RandomAccessFile>;
  /** Removes an empty directory. */
  rmdir?(path: string): Promise<void>;
  /** Creates a symbolic link at `path` whose target is `target` (stored as given). */
  symlink?(target: string, path: string): Promise<void>;
  /** The target of the symbolic link at `path`, as stored. */
  readLink?(path: string): Promise<string>;
  /** Creates a hard link `newPath` to `existingPath`. */
  link?(existingPath: string, newPath: string): Promise<void>;
  /** Sets a path's access and modification times (seconds since the epoch). */
  utimes?(path: string, atime: number, mtime: number): Promise<void>;
  /** Cuts or extends a file to `length` bytes. */
  truncate?(path: string, length: number): Promise<void>;
  /** Changes a path's owner. */
  chown?(path: string, uid: number, gid: number): Promise<void>;
  /** Facts about the file system holding `path` (statfs). */
  statfs?(path: string): Promise<FileSystemStats>;
  /**
   * Opens a terminal, serial device, FIFO or regular file for streaming reads
   * (`@tw/core/serialport`), terminals also for writing. A FIFO's open waits
   * for a writer; a regular file ends at its current end.
   */
  openStream?(path: string): Promise<ByteStream>;
}

/** The events a `ByteStream` delivers. */
export interface ByteStreamHandler {
  /** Bytes arrived (owned by the receiver). */
  onData(chunk: Uint8Array): void;
  /** The end of the stream (EOF). No event follows. */
  onEnd(): void;
  /** Reading failed (EIO on a hung-up terminal...). No event follows. */
  onError(error: Error): void;
}

/**
 * A byte stream outside the network: standard input, a terminal, a serial
 * device, a FIFO or a regular file, read as it grows. It reads only once
 * started and while not paused. A closed stream never keeps the process
 * alive; a paused one does not either, except for a read the runtime already
 * has waiting (Deno, and Bun's terminals), which `close()` cancels.
 */
export interface ByteStream {
  /** The stream is a terminal (a tty or a pseudo-terminal). */
  readonly isTTY: boolean;
  /** `write` reaches the device (terminals); false for files, FIFOs and standard input. */
  readonly writable: boolean;
  /** Starts delivering to `handler`. Called at most once. */
  start(handler: ByteStreamHandler): void;
  /** Stops reading until `resumeReading`; a chunk already read waits for it. */
  pauseReading(): void;
  /** Resumes reading after `pauseReading`. */
  resumeReading(): void;
  /** Writes all of `data` (one write at a time); rejects when not writable or failed. */
  write(data: Uint8Array): Promise<void>;
  /** Stops reading and releases the stream; no event follows. Idempotent. */
  close(): void;
  /** The runtime's own object. */
  readonly native: unknown;
}

/** The process this code runs in, for the `tw` command (pidfiles, rundir, umask, output). */
export interface RuntimeProcess {
  /** This process's id. */
  pid(): number;
  /** True when a process with this id exists (signal 0). */
  processAlive(pid: number): boolean;
  /** The working directory. */
  cwd(): string;
  /** Changes the working directory. */
  chdir(path: string): void;
  /** Sets the file mode creation mask; returns the previous one. */
  umask(mask: number): number;
  /** Writes to standard output, unbuffered by the adapter. */
  writeStdout(data: Uint8Array | string): void;
  /** Writes to standard error, unbuffered by the adapter. */
  writeStderr(data: Uint8Array | string): void;
  /**
   * The command line that starts this program again: the runtime's
   * executable, its flags and the main script, without the program's own
   * arguments (`args()`). Supervisors run their workers with it.
   */
  selfCommand?(): string[];
  /**
   * Standard input as a stream (`@tw/core/stdio`); one reader at a time.
   * Optional: an adapter without it cannot serve `StandardIO`.
   */
  openStdin?(): ByteStream;
}

/** How `Runtime.openSQLite` opens a database. */
export interface SQLiteOpenOptions {
  /** The database file, or ":memory:". */
  path: string;
  /** How long a statement waits for another connection's lock, in milliseconds. */
  busyTimeout: number;
  /** Switches a file database to write-ahead logging. */
  wal: boolean;
}

/** What one SQLite statement gave: column names, rows as arrays, and the change counts. */
export interface SQLiteResult {
  /** The result columns' names; empty for a statement that returns no rows. */
  columns: string[];
  /** The rows, each an array in column order. */
  rows: unknown[][];
  /** Rows changed by an INSERT, UPDATE or DELETE; -1 for a statement that returns rows. */
  rowcount: number;
  /** The rowid of the last row inserted, or null. */
  lastrowid: number | bigint | null;
}

/**
 * A SQLite database open in a worker. A failed statement rejects with the
 * driver's error, carrying `errcode` (SQLite's extended result code); when the
 * worker itself is gone it rejects with an error whose `code` is
 * "ERR_TW_SQLITE_LOST".
 */
export interface SQLiteConnection {
  /** Runs one statement with its parameters bound (`?`, `?NNN`). */
  execute(sql: string, params: readonly unknown[]): Promise<SQLiteResult>;
  /** Closes the database and ends the worker. */
  close(): Promise<void>;
}

/** What a runtime adapter provides: everything the core needs from Deno, Bun or Node. */
export interface Runtime extends RuntimeNetwork, RuntimeFileSystem, RuntimeProcess {
  /**
   * Synchronous AES and HMAC where the runtime's WebCrypto is slow for many
   * small messages (Node's runs each call on its thread pool): SSH packets use
   * them when present. Optional; WebCrypto serves otherwise.
   */
  readonly ciphers?: RuntimeCiphers;
  /**
   * Raw DEFLATE streams that keep their context between sync flushes, for
   * WebSocket permessage-deflate (RFC 7692). Optional: without it, no
   * compression is negotiated.
   */
  readonly compression?: RuntimeCompression;
}

/** Raw DEFLATE (RFC 1951) streams with a kept context, as a runtime's zlib offers them. */
export interface RuntimeCompression {
  /**
   * A raw deflate stream. `windowBits` is 8 to 15; a zlib that cannot use a
   * 256-byte window (8) may compress with 512 bytes and matches of distance 1,
   * which any inflater with a window of 256 bytes accepts.
   */
  deflateRaw(options: { windowBits: number; level?: number }): RawDeflateStream;
  /** A raw inflate stream for data compressed with a window of at most 2^windowBits (8 to 15). */
  inflateRaw(options: { windowBits: number }): RawInflateStream;
}

/** A raw deflate stream: each push ends with a sync flush; the context is kept between pushes. */
export interface RawDeflateStream {
  /**
   * Compresses `data` and flushes with Z_SYNC_FLUSH: the output ends with the
   * empty stored block `00 00 FF FF`. Pushes run one at a time, in order.
   */
  push(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Releases the stream; a push in flight fails. Idempotent. */
  close(): void;
}

/** A raw inflate stream: each push ends with a sync flush; the context is kept between pushes. */
export interface RawInflateStream {
  /**
   * Inflates `data` with Z_SYNC_FLUSH. Resolves with the output, or with null
   * as soon as more than `maxOutput` bytes came out (inflating stops there and
   * the stream is closed). Fails (and closes) on data that is not DEFLATE.
   * After a block with BFINAL set the rest of that push is ignored and the
   * next push starts a new DEFLATE stream (RFC 7692 7.2.3.4).
   */
  push(data: Uint8Array, maxOutput: number): Uint8Array | null | Promise<Uint8Array | null>;
  /** Releases the stream; a push in flight fails. Idempotent. */
  close(): void;
}

/**
 * Synchronous AES-GCM, AES-CTR and HMAC with raw keys, as a runtime's own
 * crypto library offers them. Keys are 16, 24 or 32 bytes; an implementation
 * may remember what it derived from a key array, so its bytes must not change
 * once used (a new key is a new array).
 */
export interface RuntimeCiphers {
  /** AES-GCM encryption with a 12-byte IV: the ciphertext followed by the 16-byte tag. */
  gcmSeal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-GCM decryption of ciphertext and tag; null when the tag does not verify. */
  gcmOpen(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
  /** AES-CTR (encryption and decryption alike) from the 16-byte counter block `counter`. */
  ctr(key: Uint8Array, counter: Uint8Array, data: Uint8Array): Uint8Array;
  /** HMAC of `data` (the concatenation of the parts) under `key`. */
  hmac(hash: "SHA-256" | "SHA-512", key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
}

/** The network, process and signal part of a runtime: what transports are written against. */
export interface RuntimeNetwork {
  /** The adapter's name: "deno", "bun", "node" or a user adapter's. */
  readonly name: string;
  /** Listens for stream connections (TCP, TLS, Unix). Rejects with the runtime's error. */
  listen(options: ListenOptions): Promise<Listener>;
  /** Opens a stream connection (TCP, TLS, Unix). Rejects with the runtime's error. */
  connect(options: ConnectOptions): Promise<Socket>;
  /** Binds a UDP socket. */
  bindDatagram(options: DatagramOptions): Promise<DatagramSocket>;
  /** Spawns a child process with piped stdio. Throws when the executable cannot be run. */
  spawn(options: SpawnOptions): ChildProcess;
  /** Resolves a host name to its addresses. Rejects when the name does not resolve. */
  resolve(hostname: string): Promise<ResolvedAddress[]>;
  /** Calls `handler` on each delivery of `signal` ("SIGINT", "SIGTERM"...); returns an unsubscribe. */
  onSignal(signal: string, handler: () => void): () => void;
  /** Runs `exportName` from `moduleURL` in a worker with `args`; resolves with its result. */
  runInWorker(moduleURL: string, exportName: string, args: unknown[]): Promise<unknown>;
  /**
   * Opens a SQLite database (the runtime's own: `node:sqlite` or `bun:sqlite`)
   * in a worker of its own, so its synchronous calls never block this thread.
   * Used by `@tw/core/enterprise`; an adapter without SQLite leaves it out.
   */
  openSQLite?(options: SQLiteOpenOptions): Promise<SQLiteConnection>;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** Command-line arguments after the script. */
  args(): string[];
  /** Ends the process. */
  exit(code: number): never;
}
