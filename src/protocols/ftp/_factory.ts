/**
 * `FTPFactory` (Twisted's name): makes an `FTP` session per connection and
 * holds what they share: the portal, the settings, the connection count.
 * @module
 */
import type { Portal } from "../../cred/_portal.ts";
import type { Address } from "../../internet/address.ts";
import { Factory } from "../../internet/protocol.ts";
import type { TlsOptions } from "../../internet/socket.ts";
import type { FTPReactor } from "./_dtp.ts";
import { defaultReactor, FTP, type FTPFactoryHooks, type FTPSettings } from "./_server.ts";

/** Options of `FTPFactory` (Twisted's factory fields, and more). */
export interface FTPFactoryOptions {
  /** The user name that logs in anonymously (any password). @default "anonymous" */
  userAnonymous?: string;
  /** Let the anonymous user in (the portal needs a checker for `Anonymous` too). @default true */
  allowAnonymous?: boolean;
  /** Seconds without a complete command line before 421 and a close; 0: none. @default 600 */
  timeOut?: number;
  /** Seconds to wait for a data connection before 425. @default 10 */
  dtpTimeout?: number;
  /** The text of the 220 greeting. @default "Twisted-compatible @tw/core FTP server" */
  welcomeMessage?: string;
  /** Ports for passive listeners, `[low, high]`; `[0, 0]` lets the system choose. @default [0, 0] */
  passivePortRange?: readonly [number, number];
  /** The IPv4 address put in 227 replies instead of the local one (behind NAT). @default null */
  passiveAddress?: string | null;
  /** Certificate and key for AUTH TLS (RFC 4217); without it AUTH TLS gets 431. @default null */
  tls?: TlsOptions | null;
  /** Refuse logins before AUTH TLS, and transfers without PROT P. @default false */
  requireTLS?: boolean;
  /** The most sessions at once; more get 421. 0: no limit. @default 0 */
  maxConnections?: number;
  /** Where data connections are made and timers run. @default the installed reactor */
  reactor?: FTPReactor;
}

/**
 * Makes `FTP` sessions that log in through `portal` (asking for an
 * `IFTPShell` avatar, as `FTPRealm` gives). The options are also public
 * fields, settable before connections come (Twisted's habit).
 *
 * @example
 * ```ts
 * import { FTPFactory, FTPRealm } from "@tw/core/protocols/ftp";
 * import { AllowAnonymousAccess, Portal } from "@tw/core/cred";
 * import { reactor } from "@tw/core";
 *
 * const portal = new Portal(new FTPRealm("/srv/ftp"), [new AllowAnonymousAccess()]);
 * const factory = new FTPFactory(portal, { passivePortRange: [50000, 50100] });
 * const port = reactor.listenTCP(0, factory, { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 */
export class FTPFactory extends Factory implements FTPFactoryHooks {
  /** Logs users in. */
  portal: Portal;
  /** See `FTPFactoryOptions.userAnonymous`. */
  userAnonymous: string;
  /** See `FTPFactoryOptions.allowAnonymous`. */
  allowAnonymous: boolean;
  /** See `FTPFactoryOptions.timeOut`. */
  timeOut: number;
  /** See `FTPFactoryOptions.dtpTimeout`. */
  dtpTimeout: number;
  /** See `FTPFactoryOptions.welcomeMessage`. */
  welcomeMessage: string;
  /** See `FTPFactoryOptions.passivePortRange`. */
  passivePortRange: readonly [number, number];
  /** See `FTPFactoryOptions.passiveAddress`. */
  passiveAddress: string | null;
  /** See `FTPFactoryOptions.tls`. */
  tls: TlsOptions | null;
  /** See `FTPFactoryOptions.requireTLS`. */
  requireTLS: boolean;
  /** See `FTPFactoryOptions.maxConnections`. */
  maxConnections: number;
  /** See `FTPFactoryOptions.reactor`; null means the installed one. */
  reactor: FTPReactor | null;
  /** The sessions now open. */
  readonly instances: Set<FTP> = new Set();

  /**
   * Makes the factory.
   * @param portal logs users in (realm gives `IFTPShell`)
   * @param options the settings
   */
  constructor(portal: Portal, options: FTPFactoryOptions = {}) {
    super();
    this.portal = portal;
    this.userAnonymous = options.userAnonymous ?? "anonymous";
    this.allowAnonymous = options.allowAnonymous ?? true;
    this.timeOut = options.timeOut ?? 600;
    this.dtpTimeout = options.dtpTimeout ?? 10;
    this.welcomeMessage = options.welcomeMessage ?? "Twisted-compatible @tw/core FTP server";
    const range = options.passivePortRange ?? [0, 0];
    if (
      range.length !== 2 || !range.every((p) => Number.isInteger(p) && p >= 0 && p <= 65535) ||
      range[0] > range[1] || (range[0] === 0 && range[1] !== 0)
    ) {
      throw new RangeError(`A bad passive port range: ${range.join("-")}`);
    }
    this.passivePortRange = range;
    this.passiveAddress = options.passiveAddress ?? null;
    this.tls = options.tls ?? null;
    this.requireTLS = options.requireTLS ?? false;
    this.maxConnections = options.maxConnections ?? 0;
    this.reactor = options.reactor ?? null;
  }

  /** The settings every session reads (a snapshot of the fields). */
  get settings(): FTPSettings {
    return {
      portal: this.portal,
      userAnonymous: this.userAnonymous,
      allowAnonymous: this.allowAnonymous,
      timeOut: this.timeOut,
      dtpTimeout: this.dtpTimeout,
      welcomeMessage: this.welcomeMessage,
      passivePortRange: this.passivePortRange,
      passiveAddress: this.passiveAddress,
      tls: this.tls,
      requireTLS: this.requireTLS,
      maxConnections: this.maxConnections,
      reactor: this.reactor ?? defaultReactor(),
    };
  }

  /** Counts a session in; false past `maxConnections`. */
  sessionStarted(protocol: FTP): boolean {
    if (this.maxConnections > 0 && this.instances.size >= this.maxConnections) return false;
    this.instances.add(protocol);
    return true;
  }

  /** Counts a session out. */
  sessionEnded(protocol: FTP): void {
    this.instances.delete(protocol);
  }

  /** Makes a session. */
  override buildProtocol(_addr: Address): FTP {
    const protocol = new FTP();
    protocol.factory = this;
    protocol.hooks = this;
    return protocol;
  }
}
