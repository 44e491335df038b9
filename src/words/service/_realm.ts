/**
 * The words service (Twisted's `twisted.words.service`): `Group`, `User`,
 * `WordsRealm` and `InMemoryWordsRealm`. Private: re-exported by `../mod.ts`.
 * @module
 */
import type { AvatarId } from "../../cred/_checkers.ts";
import type { InterfaceName } from "../../cred/_interfaces.ts";
import type { IRealm, LoginResult } from "../../cred/_portal.ts";
import { Logger } from "../../logger/mod.ts";
import {
  AlreadyLoggedIn,
  DuplicateGroup,
  DuplicateUser,
  NoSuchGroup,
  NoSuchUser,
} from "./_errors.ts";
import {
  type GroupMeta,
  type IChatClient,
  type IChatService,
  type IGroup,
  IUser,
  type WordsMessage,
} from "./_interfaces.ts";

const log = new Logger("tw.words");
const now = (): number => Date.now() / 1000;

/** A client failed: it leaves the group (Twisted's `_ebUserCall`). */
function failed(group: Group, client: IChatClient, error: unknown): void {
  log.warn("Chat client {name} failed: {error}", { name: client.name, error: String(error) });
  void group.remove(client, String(error));
}

/** Watches what a client's callback returned: a rejection counts as a failure. */
function watch(group: Group, client: IChatClient, result: void | PromiseLike<void>): void {
  if (result && typeof result.then === "function") {
    result.then(undefined, (error: unknown) => failed(group, client, error));
  }
}

/** Calls `fn` on a client; a failure removes that client from the group (Twisted's `_cbUserCall`). */
function call(group: Group, client: IChatClient, fn: () => void | PromiseLike<void>): void {
  try {
    watch(group, client, fn());
  } catch (error) {
    failed(group, client, error);
  }
}

/**
 * A chat room (Twisted's `Group`): its clients by name and its metadata
 * (`topic`, `topic_author`).
 *
 * @example
 * ```ts
 * import { Group } from "@tw/core/words";
 * const group = new Group("lobby");
 * console.log(group.name, await group.size(), group.meta.topic); // lobby 0 ""
 * ```
 */
export class Group implements IGroup {
  /** The group's name. */
  name: string;
  /** Its clients by name. */
  users: Map<string, IChatClient> = new Map();
  /** Its metadata. */
  meta: GroupMeta = { topic: "", topic_author: "" };

  /**
   * Makes an empty group.
   * @param name the group's name
   */
  constructor(name: string) {
    this.name = name;
  }

  /** Adds a client; the others hear `userJoined`. */
  add(user: IChatClient): Promise<void> {
    if (!this.users.has(user.name)) {
      this.users.set(user.name, user);
      for (const p of [...this.users.values()]) {
        if (p !== user) call(this, p, () => p.userJoined(this, user));
      }
    }
    return Promise.resolve();
  }

  /** Removes a client; the others hear `userLeft`. */
  remove(user: IChatClient, reason?: string): Promise<void> {
    if (this.users.get(user.name) === user) {
      this.users.delete(user.name);
      for (const p of [...this.users.values()]) call(this, p, () => p.userLeft(this, user, reason));
    }
    return Promise.resolve();
  }

  /** How many are in. */
  size(): Promise<number> {
    return Promise.resolve(this.users.size);
  }

  /** Delivers a message to everyone in but the sender. */
  receive(sender: IChatClient, recipient: IGroup, message: WordsMessage): Promise<void> {
    // No closure per member: this runs once per member per message.
    for (const p of this.users.values()) {
      if (p === sender) continue;
      try {
        watch(this, p, p.receive(sender, recipient, message));
      } catch (error) {
        failed(this, p, error);
      }
    }
    return Promise.resolve();
  }

  /** Replaces the metadata; everyone hears `groupMetaUpdate`. */
  setMetadata(meta: GroupMeta): Promise<void> {
    this.meta = meta;
    for (const p of [...this.users.values()]) call(this, p, () => p.groupMetaUpdate(this, meta));
    return Promise.resolve();
  }

  /** The clients in. */
  iterusers(): Iterable<IChatClient> {
    return this.users.values();
  }
}

/**
 * A user's avatar (Twisted's `User`).
 *
 * @example
 * ```ts
 * import { Group, User } from "@tw/core/words";
 * const user = new User("alice");
 * console.log(user.name, [...user.itergroups()].length, user.realm); // alice 0 null
 * ```
 */
export class User implements IUser {
  /** The realm while logged in. */
  realm: IChatService | null = null;
  /** The client while logged in. */
  mind: IChatClient | null = null;
  /** The user's name. */
  name: string;
  /** The groups the user is in. */
  groups: IGroup[] = [];
  /** When the user last sent a message (seconds). */
  lastMessage: number = now();
  /** When the user logged in (seconds). */
  signOn = 0;

  /**
   * Makes the user.
   * @param name the user's name
   */
  constructor(name: string) {
    this.name = name;
  }

  /** Records a login. */
  loggedIn(realm: IChatService, mind: IChatClient): void {
    this.realm = realm;
    this.mind = mind;
    this.signOn = now();
  }

  /** Joins a group (through the client). */
  async join(group: IGroup): Promise<void> {
    await group.add(this.mind!);
    if (!this.groups.includes(group)) this.groups.push(group);
  }

  /** Leaves a group. */
  async leave(group: IGroup, reason?: string): Promise<void> {
    await group.remove(this.mind!, reason);
    this.groups = this.groups.filter((g) => g !== group);
  }

  /** Sends a message to a group or a client. */
  send(recipient: IGroup | IChatClient, message: WordsMessage): Promise<void> {
    this.lastMessage = now();
    return Promise.resolve(recipient.receive(this.mind!, recipient as IGroup, message));
  }

  /** The groups the user is in. */
  itergroups(): Iterable<IGroup> {
    return this.groups.values();
  }

  /** Leaves every group. */
  logout(): void {
    for (const g of [...this.groups]) void this.leave(g);
  }
}

/**
 * A realm of users and groups (Twisted's `WordsRealm`), also the cred
 * realm handing out `IUser` avatars; subclasses store them.
 *
 * @example
 * ```ts
 * import { InMemoryWordsRealm, WordsRealm } from "@tw/core/words";
 * console.log(new InMemoryWordsRealm("irc.example") instanceof WordsRealm); // true
 * ```
 */
export abstract class WordsRealm implements IRealm, IChatService {
  /** The service's name, also the IRC server name. */
  name: string;
  /** Make groups that do not exist when asked for. */
  createGroupOnRequest = false;
  /** Make users that do not exist when they log in. */
  createUserOnRequest = true;

  /**
   * Makes the realm.
   * @param name its name
   */
  constructor(name: string) {
    this.name = name;
  }

  /** Makes a user object. */
  userFactory(name: string): IUser {
    return new User(name);
  }

  /** Makes a group object. */
  groupFactory(name: string): IGroup {
    return new Group(name);
  }

  /** Logs a user in: `[IUser, avatar, logout]`; `AlreadyLoggedIn` when logged in already. */
  async requestAvatar(
    avatarId: AvatarId,
    mind: unknown,
    ...interfaces: InterfaceName[]
  ): Promise<LoginResult> {
    if (!interfaces.includes(IUser)) throw new TypeError("WordsRealm only provides IUser");
    const avatar = await this.getUser(String(avatarId));
    if (avatar.realm !== null) throw new AlreadyLoggedIn(String(avatarId));
    const client = mind as IChatClient;
    avatar.loggedIn(this, client);
    client.name = String(avatarId);
    const logout = () => {
      (avatar as Partial<User>).logout?.();
      avatar.realm = null;
      avatar.mind = null;
    };
    return [IUser as InterfaceName, avatar, logout];
  }

  /** All groups. */
  abstract itergroups(): Promise<Iterable<IGroup>>;
  /** An existing user; `NoSuchUser` otherwise. */
  abstract lookupUser(name: string): Promise<IUser>;
  /** An existing group; `NoSuchGroup` otherwise. */
  abstract lookupGroup(name: string): Promise<IGroup>;
  /** Stores a user; `DuplicateUser` when the name is taken. */
  abstract addUser(user: IUser): Promise<IUser>;
  /** Stores a group; `DuplicateGroup` when the name is taken. */
  abstract addGroup(group: IGroup): Promise<IGroup>;

  /** A group, made when `createGroupOnRequest`. */
  async getGroup(name: string): Promise<IGroup> {
    if (!this.createGroupOnRequest) return await this.lookupGroup(name);
    try {
      return await this.createGroup(name);
    } catch (error) {
      if (!(error instanceof DuplicateGroup)) throw error;
      return await this.lookupGroup(name);
    }
  }

  /** A user, made when `createUserOnRequest`. */
  async getUser(name: string): Promise<IUser> {
    if (!this.createUserOnRequest) return await this.lookupUser(name);
    try {
      return await this.createUser(name);
    } catch (error) {
      if (!(error instanceof DuplicateUser)) throw error;
      return await this.lookupUser(name);
    }
  }

  /** A new user (the name lower-cased); `DuplicateUser` when it exists. */
  async createUser(name: string): Promise<IUser> {
    const key = name.toLowerCase();
    try {
      await this.lookupUser(key);
    } catch (error) {
      if (!(error instanceof NoSuchUser)) throw error;
      return await this.addUser(this.userFactory(key));
    }
    throw new DuplicateUser(name);
  }

  /** A new group (the name lower-cased); `DuplicateGroup` when it exists. */
  async createGroup(name: string): Promise<IGroup> {
    const key = name.toLowerCase();
    try {
      await this.lookupGroup(key);
    } catch (error) {
      if (!(error instanceof NoSuchGroup)) throw error;
      return await this.addGroup(this.groupFactory(key));
    }
    throw new DuplicateGroup(name);
  }
}

/**
 * A `WordsRealm` kept in memory (Twisted's `InMemoryWordsRealm`).
 *
 * @example
 * ```ts
 * import { InMemoryWordsRealm } from "@tw/core/words";
 * const realm = new InMemoryWordsRealm("irc.example");
 * await realm.createGroup("Lobby");
 * console.log((await realm.lookupGroup("LOBBY")).name); // lobby
 * ```
 */
export class InMemoryWordsRealm extends WordsRealm {
  /** Users by lower-cased name. */
  users: Map<string, IUser> = new Map();
  /** Groups by lower-cased name. */
  groups: Map<string, IGroup> = new Map();

  /** All groups. */
  itergroups(): Promise<Iterable<IGroup>> {
    return Promise.resolve([...this.groups.values()]);
  }

  /** Stores a user. */
  addUser(user: IUser): Promise<IUser> {
    if (this.users.has(user.name)) return Promise.reject(new DuplicateUser(user.name));
    this.users.set(user.name, user);
    return Promise.resolve(user);
  }

  /** Stores a group. */
  addGroup(group: IGroup): Promise<IGroup> {
    if (this.groups.has(group.name)) return Promise.reject(new DuplicateGroup(group.name));
    this.groups.set(group.name, group);
    return Promise.resolve(group);
  }

  /** An existing user. */
  lookupUser(name: string): Promise<IUser> {
    const user = this.users.get(name.toLowerCase());
    return user ? Promise.resolve(user) : Promise.reject(new NoSuchUser(name));
  }

  /** An existing group. */
  lookupGroup(name: string): Promise<IGroup> {
    const group = this.groups.get(name.toLowerCase());
    return group ? Promise.resolve(group) : Promise.reject(new NoSuchGroup(name));
  }
}
