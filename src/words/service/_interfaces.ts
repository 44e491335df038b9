/**
 * The words service's interfaces (Twisted's `twisted.words.iwords`).
 * Private: re-exported by `../mod.ts`.
 * @module
 */
import { type InterfaceName, interfaceName } from "../../cred/_interfaces.ts";

/** A message between chat clients: its text and, beyond Twisted, its IRCv3 client tags. */
export interface WordsMessage {
  /** The text. */
  text: string;
  /** Client-only tags (`+name`) to relay to clients that enabled message-tags. */
  tags?: Record<string, string>;
}

/** A group's metadata: `topic`, `topic_author`, `topic_date` ... */
export type GroupMeta = Record<string, string | number>;

/** Something that takes part in chats (Twisted's `IChatClient`), e.g. an `IRCUser` connection. */
export interface IChatClient {
  /** The client's name. */
  name: string;
  /** A message to a group the client is in, or to the client itself. */
  receive(
    sender: IChatClient,
    recipient: IGroup | IChatClient,
    message: WordsMessage,
  ): void | PromiseLike<void>;
  /** A group's metadata changed. */
  groupMetaUpdate(group: IGroup, meta: GroupMeta): void | PromiseLike<void>;
  /** Someone joined a group the client is in. */
  userJoined(group: IGroup, user: IChatClient): void | PromiseLike<void>;
  /** Someone left a group the client is in. */
  userLeft(group: IGroup, user: IChatClient, reason?: string): void | PromiseLike<void>;
}

/** A chat room (Twisted's `IGroup`). */
export interface IGroup {
  /** A short name, unique among groups. */
  name: string;
  /** The metadata. */
  meta: GroupMeta;
  /** Adds a client; the others hear `userJoined`. */
  add(user: IChatClient): Promise<void>;
  /** Removes a client; the others hear `userLeft`. */
  remove(user: IChatClient, reason?: string): Promise<void>;
  /** How many are in. */
  size(): Promise<number>;
  /** Delivers a message to everyone in but the sender. */
  receive(sender: IChatClient, recipient: IGroup, message: WordsMessage): Promise<void>;
  /** Replaces the metadata; everyone hears `groupMetaUpdate`. */
  setMetadata(meta: GroupMeta): Promise<void>;
  /** The clients in. */
  iterusers(): Iterable<IChatClient>;
}

/** A chat service (Twisted's `IChatService`): users and groups by name. */
export interface IChatService {
  /** The service's name (its host name). */
  name: string;
  /** Make a group when one that does not exist is asked for. */
  createGroupOnRequest: boolean;
  /** Make a user when one that does not exist logs in. */
  createUserOnRequest: boolean;
  /** All groups. */
  itergroups(): Promise<Iterable<IGroup>>;
  /** A group, made when `createGroupOnRequest`. */
  getGroup(name: string): Promise<IGroup>;
  /** A new group; fails with `DuplicateGroup`. */
  createGroup(name: string): Promise<IGroup>;
  /** An existing group; fails with `NoSuchGroup`. */
  lookupGroup(name: string): Promise<IGroup>;
  /** A user, made when `createUserOnRequest`. */
  getUser(name: string): Promise<IUser>;
  /** A new user; fails with `DuplicateUser`. */
  createUser(name: string): Promise<IUser>;
  /** An existing user; fails with `NoSuchUser`. */
  lookupUser(name: string): Promise<IUser>;
}

/** A user's avatar (Twisted's `IUser`). */
export interface IUser {
  /** The realm while logged in, else null. */
  realm: IChatService | null;
  /** The client the user is logged in through, else null. */
  mind: IChatClient | null;
  /** A short name, unique among users. */
  name: string;
  /** When the user last sent a message (seconds). */
  lastMessage: number;
  /** When the user logged in (seconds). */
  signOn: number;
  /** Records a login. */
  loggedIn(realm: IChatService, mind: IChatClient): void;
  /** Sends a message to a group or a user's client. */
  send(recipient: IGroup | IChatClient, message: WordsMessage): Promise<void>;
  /** Joins a group. */
  join(group: IGroup): Promise<void>;
  /** Leaves a group. */
  leave(group: IGroup, reason?: string): Promise<void>;
  /** The groups the user is in. */
  itergroups(): Iterable<IGroup>;
}

/**
 * The cred interface name of `IUser`: what `IRCUser` asks the portal for.
 *
 * @example
 * ```ts
 * import { IUser } from "@tw/core/words";
 * console.log(String(IUser)); // IUser
 * ```
 */
export const IUser: InterfaceName<IUser> = interfaceName<IUser>("IUser");

/**
 * True for an `IGroup` (Twisted's `IGroup.providedBy`).
 *
 * @example
 * ```ts
 * import { Group, isGroup, User } from "@tw/core/words";
 * console.log(isGroup(new Group("lobby")), isGroup(new User("alice"))); // true false
 * ```
 */
export function isGroup(value: unknown): value is IGroup {
  return typeof value === "object" && value !== null &&
    typeof (value as IGroup).iterusers === "function" &&
    typeof (value as IGroup).setMetadata === "function";
}
