/**
 * The avatar of an SSH login (`twisted.conch.avatar.ConchUser`): it decides
 * which channels, subsystems and global requests its user may open.
 * @module
 */
import { type InterfaceName, interfaceName } from "../../cred/mod.ts";
import { OPEN } from "./_constants.ts";
import type { SSHChannel, SSHChannelOptions } from "./_channel.ts";
import type { SSHConnection } from "./_connection.ts";

/**
 * A channel open refused with an RFC 4254 reason code (`twisted.conch.error.ConchError`).
 *
 * @example
 * ```ts
 * import { ConchError, OPEN } from "@tw/core/conch";
 *
 * const refusal = new ConchError("no such channel", OPEN.UNKNOWN_CHANNEL_TYPE);
 * console.log(refusal.code); // 3
 * ```
 */
export class ConchError extends Error {
  /** The error's name. */
  override name = "ConchError";
  /** The reason code sent to the peer (`OPEN_*`, or a disconnect reason). */
  readonly code: number;
  /** Makes the error with the reason code for the peer. */
  constructor(message: string, code: number = OPEN.ADMINISTRATIVELY_PROHIBITED) {
    super(message);
    this.code = code;
  }
}

/** What a global request handler answers: accepted, optionally with data. */
export type GlobalRequestResult = boolean | [boolean, Uint8Array];

/** The avatar interface an SSH server asks its portal for. */
export interface IConchUser {
  /** The channel for a CHANNEL_OPEN of `channelType`; throws `ConchError` to refuse. */
  lookupChannel(
    channelType: string,
    windowSize: number,
    maxPacket: number,
    data: Uint8Array,
  ): SSHChannel | Promise<SSHChannel>;
  /** Answers a global request (port forwarding asks here). */
  gotGlobalRequest(
    requestType: string,
    data: Uint8Array,
  ): GlobalRequestResult | Promise<GlobalRequestResult>;
  /** Called when the user logs out. */
  logout?(): void;
}

/** The interface name for `Portal.login`. */
export const IConchUser: InterfaceName<IConchUser> = interfaceName("IConchUser");

/** A channel class as `channelLookup` holds it. */
export type ChannelClass = new (options: SSHChannelOptions) => SSHChannel;

/** A global request handler as `globalRequests` holds it. */
export type GlobalRequestHandler = (
  data: Uint8Array,
) => GlobalRequestResult | Promise<GlobalRequestResult>;

/**
 * An avatar with tables for channel types and global requests.
 *
 * @example
 * ```ts
 * import { ConchUser, SSHSession } from "@tw/core/conch";
 *
 * const user = new ConchUser();
 * user.channelLookup["session"] = SSHSession;
 * console.log(Object.keys(user.channelLookup)); // ["session"]
 * ```
 */
export class ConchUser implements IConchUser {
  /** Channel classes by channel type ("session", "direct-tcpip"). */
  channelLookup: Record<string, ChannelClass> = {};
  /** Global request handlers by request name ("tcpip-forward"). */
  globalRequests: Record<string, GlobalRequestHandler> = {};
  /** The connection service, once it runs. */
  conn: SSHConnection | null = null;

  lookupChannel(
    channelType: string,
    windowSize: number,
    maxPacket: number,
    data: Uint8Array,
  ): SSHChannel {
    const channelClass = Object.hasOwn(this.channelLookup, channelType)
      ? this.channelLookup[channelType]
      : undefined;
    if (channelClass === undefined) {
      throw new ConchError(`unknown channel type ${channelType}`, OPEN.UNKNOWN_CHANNEL_TYPE);
    }
    return new channelClass({
      remoteWindow: windowSize,
      remoteMaxPacket: maxPacket,
      data,
      avatar: this,
    });
  }

  gotGlobalRequest(
    requestType: string,
    data: Uint8Array,
  ): GlobalRequestResult | Promise<GlobalRequestResult> {
    const handler = Object.hasOwn(this.globalRequests, requestType)
      ? this.globalRequests[requestType]
      : undefined;
    return handler === undefined ? false : handler.call(this, data);
  }

  /** Called when the user logs out. */
  logout(): void {}
}
