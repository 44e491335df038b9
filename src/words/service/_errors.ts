/**
 * The words service's errors (Twisted's `twisted.words.ewords`).
 * Private: re-exported by `../mod.ts`.
 * @module
 */

/**
 * The base of the words errors (Twisted's `WordsError`).
 *
 * @example
 * ```ts
 * import { NoSuchUser, WordsError } from "@tw/core/words";
 * console.log(new NoSuchUser("bob") instanceof WordsError); // true
 * ```
 */
export class WordsError extends Error {
  /**
   * Makes the error.
   * @param message what failed
   */
  constructor(message = "") {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * No user by that name (Twisted's `NoSuchUser`).
 *
 * @example
 * ```ts
 * import { NoSuchUser } from "@tw/core/words";
 * console.log(new NoSuchUser("bob").name); // NoSuchUser
 * ```
 */
export class NoSuchUser extends WordsError {}

/**
 * A user by that name exists already (Twisted's `DuplicateUser`).
 *
 * @example
 * ```ts
 * import { DuplicateUser } from "@tw/core/words";
 * console.log(new DuplicateUser("bob").message); // bob
 * ```
 */
export class DuplicateUser extends WordsError {}

/**
 * No group by that name (Twisted's `NoSuchGroup`).
 *
 * @example
 * ```ts
 * import { NoSuchGroup } from "@tw/core/words";
 * console.log(new NoSuchGroup("room").name); // NoSuchGroup
 * ```
 */
export class NoSuchGroup extends WordsError {}

/**
 * A group by that name exists already (Twisted's `DuplicateGroup`).
 *
 * @example
 * ```ts
 * import { DuplicateGroup } from "@tw/core/words";
 * console.log(new DuplicateGroup("room").name); // DuplicateGroup
 * ```
 */
export class DuplicateGroup extends WordsError {}

/**
 * The user is logged in already (Twisted's `AlreadyLoggedIn`).
 *
 * @example
 * ```ts
 * import { AlreadyLoggedIn } from "@tw/core/words";
 * console.log(new AlreadyLoggedIn().name); // AlreadyLoggedIn
 * ```
 */
export class AlreadyLoggedIn extends WordsError {}
