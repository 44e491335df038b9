/**
 * The portal (`twisted.cred.portal`): where credentials are checked and
 * avatars handed out.
 * @module
 */
import { type Deferred, maybeDeferred } from "../internet/defer.ts";
import { UnhandledCredentials } from "./_errors.ts";
import type { AvatarId, ICredentialsChecker } from "./_checkers.ts";
import { type ICredentials, type InterfaceName, providedBy } from "./_interfaces.ts";

/** Ends an avatar's session (called once, when the client is done). */
export type Logout = () => void;

/** What a realm returns: the interface chosen, the avatar, and its logout. */
export type LoginResult<T = unknown> = [InterfaceName<T>, T, Logout];

/**
 * A realm (`IRealm`): makes the avatar for an authenticated avatar ID, as
 * one of the interfaces the client asked for.
 */
export interface IRealm {
  /**
   * Returns `[interface, avatar, logout]` (or a Deferred / Promise of it);
   * fail (e.g. `LoginDenied`) to refuse.
   */
  requestAvatar(
    avatarId: AvatarId,
    mind: unknown,
    ...interfaces: InterfaceName[]
  ): LoginResult | PromiseLike<LoginResult>;
}

/**
 * Connects checkers to a realm (`Portal`): `login` finds the checker for the
 * credentials' interface, asks it for the avatar ID, then asks the realm for
 * the avatar.
 *
 * @example
 * ```ts
 * import {
 *   InMemoryUsernamePasswordDatabaseDontUse,
 *   interfaceName,
 *   Portal,
 *   UsernamePassword,
 * } from "@tw/core/cred";
 * import type { IRealm, LoginResult } from "@tw/core/cred";
 *
 * const IGreeter = interfaceName<{ greet(): string }>("IGreeter");
 * const realm: IRealm = {
 *   requestAvatar(id): LoginResult {
 *     return [IGreeter, { greet: () => `hello ${String(id)}` }, () => {}];
 *   },
 * };
 * const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ a: "b" })]);
 * const [, avatar] = await portal.login(new UsernamePassword("a", "b"), null, IGreeter);
 * console.log(avatar.greet()); // "hello a"
 * ```
 */
export class Portal {
  /** The realm. */
  realm: IRealm;
  #checkers = new Map<InterfaceName, ICredentialsChecker>();

  /**
   * Makes the portal.
   * @param realm makes the avatars
   * @param checkers registered for their own `credentialInterfaces`
   */
  constructor(realm: IRealm, checkers: Iterable<ICredentialsChecker> = []) {
    this.realm = realm;
    for (const checker of checkers) this.registerChecker(checker);
  }

  /**
   * Registers `checker` for `interfaces` (its own `credentialInterfaces`
   * when none are given), replacing earlier checkers for them.
   */
  registerChecker(checker: ICredentialsChecker, ...interfaces: InterfaceName[]): void {
    const list = interfaces.length > 0 ? interfaces : checker.credentialInterfaces;
    for (const iface of list) this.#checkers.set(iface, checker);
  }

  /** The credential interfaces some checker handles. */
  listCredentialsInterfaces(): InterfaceName[] {
    return [...this.#checkers.keys()];
  }

  /**
   * Logs in.
   * @param credentials what the client proved
   * @param mind the client-side object (or null), handed to the realm
   * @param interfaces the avatar interfaces the client accepts, best first
   * @returns a Deferred of `[interface, avatar, logout]`; fails with
   *   `UnauthorizedLogin`, `UnhandledCredentials`, or the realm's error
   */
  login<T = unknown>(
    credentials: ICredentials,
    mind: unknown,
    ...interfaces: InterfaceName<T>[]
  ): Deferred<LoginResult<T>> {
    for (const [iface, checker] of this.#checkers) {
      if (!providedBy(iface, credentials)) continue;
      return maybeDeferred(() => checker.requestAvatarId(credentials)).addCallback(
        (avatarId: AvatarId) =>
          this.realm.requestAvatar(avatarId, mind, ...interfaces) as
            | LoginResult<T>
            | PromiseLike<LoginResult<T>>,
      ) as Deferred<LoginResult<T>>;
    }
    const provided = (credentials?.credentialInterfaces ?? []).map(String).join(", ");
    return maybeDeferred((): LoginResult<T> => {
      throw new UnhandledCredentials(`No checker for ${provided || "these credentials"}`);
    });
  }
}
