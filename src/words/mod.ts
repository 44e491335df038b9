/**
 * Chat (Twisted's `twisted.words`): the words service (`words.service`,
 * `iwords`, `ewords`): a realm of users and groups served over IRC by
 * `IRCFactory` through cred; and the IRC protocol itself (also at
 * `@tw/core/words/irc`).
 *
 * @example
 * ```ts
 * import { InMemoryWordsRealm, IRCFactory } from "@tw/core/words";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 * import { reactor } from "@tw/core";
 *
 * const realm = new InMemoryWordsRealm("irc.example");
 * realm.createGroupOnRequest = true;
 * const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })]);
 * const port = reactor.listenTCP(0, new IRCFactory(realm, portal), { interface: "127.0.0.1" });
 * await port.stopListening();
 * ```
 * @module
 */
import "../../runtimes/select.ts";
export {
  AlreadyLoggedIn,
  DuplicateGroup,
  DuplicateUser,
  NoSuchGroup,
  NoSuchUser,
  WordsError,
} from "./service/_errors.ts";
export {
  type GroupMeta,
  type IChatClient,
  type IChatService,
  type IGroup,
  isGroup,
  IUser,
  type WordsMessage,
} from "./service/_interfaces.ts";
export { Group, InMemoryWordsRealm, User, WordsRealm } from "./service/_realm.ts";
export { IRCUser, NICKLEN, NICKSERV } from "./service/_irc_user.ts";
export { IRCFactory, type ServerInfo } from "./service/_irc_factory.ts";
export * as irc from "./irc/mod.ts";
