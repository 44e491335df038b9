/**
 * UnixConchUser: the avatar of `tw conch` (`twisted.conch.unix.UnixConchUser`),
 * whose sessions run as the server's own user.
 * @module
 */
import type { IProtocol, IReactorProcess, IReactorTCP } from "../../internet/interfaces.ts";
import { FileTransferServer } from "../sftp/_server.ts";
import { SFTPServerForUnixConchUser } from "../sftp/_unix_server.ts";
import { ConchUser } from "../ssh/_avatar.ts";
import { type ISession, SSHSession } from "../ssh/_session.ts";
import { enableForwarding } from "../ssh/_forwarding.ts";
import { UnixSession, type UnixSessionUser } from "./_session.ts";

/** How a `UnixConchUser` is made. */
export interface UnixConchUserOptions {
  /** Runs the sessions' processes and the forwarded connections. */
  reactor: IReactorProcess & IReactorTCP;
  /** The user name the processes see (`USER`). */
  username: string;
  /** The home directory (`HOME`, the working directory). */
  home: string;
  /** The shell that runs commands. @default "/bin/sh" */
  shell?: string;
  /** `PATH` for the processes. @default "/usr/local/bin:/usr/bin:/bin" */
  path?: string;
  /** False refuses pty-req (util-linux `script` missing). @default true */
  ptySupported?: boolean;
  /** Allow `direct-tcpip` channels and `tcpip-forward` on loopback (`enableForwarding`). @default true */
  forwarding?: boolean;
  /** Serve the `sftp` subsystem. @default true */
  sftp?: boolean;
  /** Confine SFTP to this folder, shown to the client as `/`. @default no confinement */
  sftpRoot?: string | null;
}

/**
 * An avatar that opens "session" channels whose commands run through the
 * user's shell, and (unless `forwarding: false`) `direct-tcpip` channels
 * (`ssh -L`) and `tcpip-forward` listeners on loopback (`ssh -R`).
 *
 * @example
 * ```ts
 * import { UnixConchUser } from "@tw/core/conch/unix";
 * import { reactor } from "@tw/core";
 *
 * const user = new UnixConchUser({ reactor, username: "me", home: "/home/me" });
 * console.log(Object.keys(user.channelLookup)); // ["session"]
 * ```
 */
export class UnixConchUser extends ConchUser implements UnixSessionUser {
  /** Runs the sessions' processes. */
  reactor: IReactorProcess & IReactorTCP;
  /** The user name. */
  username: string;
  /** The home directory. */
  home: string;
  /** The shell. */
  shell: string;
  /** `PATH` for the processes. */
  path: string;
  /** False refuses pty-req. */
  ptySupported: boolean;
  /** Serve the `sftp` subsystem. */
  sftp: boolean;
  /** SFTP's confining folder, or null. */
  sftpRoot: string | null;

  /**
   * Makes the avatar.
   * @param options the reactor, user name, home, shell and PATH
   */
  constructor(options: UnixConchUserOptions) {
    super();
    this.reactor = options.reactor;
    this.username = options.username;
    this.home = options.home;
    this.shell = options.shell ?? "/bin/sh";
    this.path = options.path ?? "/usr/local/bin:/usr/bin:/bin";
    this.ptySupported = options.ptySupported ?? true;
    this.sftp = options.sftp ?? true;
    this.sftpRoot = options.sftpRoot ?? null;
    this.channelLookup["session"] = SSHSession;
    if (options.forwarding ?? true) enableForwarding(this, { reactor: this.reactor });
  }

  /** The session of a "session" channel. */
  sessionFor(channel: SSHSession): ISession {
    return new UnixSession(channel, this);
  }

  /** The `sftp` subsystem: the file system from the home folder, or confined to `sftpRoot`. */
  lookupSubsystem(subsystem: string, _data: Uint8Array): IProtocol | null {
    if (subsystem !== "sftp" || !this.sftp) return null;
    const files = new SFTPServerForUnixConchUser(
      this.sftpRoot === null ? { home: this.home } : { root: this.sftpRoot },
    );
    return new FileTransferServer(files);
  }
}
