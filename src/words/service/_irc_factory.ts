/**
 * `IRCFactory`: the server factory of `IRCUser` (Twisted's
 * `twisted.words.service.IRCFactory`). Private: re-exported by `../mod.ts`.
 * @module
 */
import { ServerFactory } from "../../internet/protocol.ts";
import type { IReactorTime } from "../../internet/interfaces.ts";
import type { Portal } from "../../cred/_portal.ts";
import type { WordsRealm } from "./_realm.ts";
import { IRCUser } from "./_irc_user.ts";

/** Server facts in the welcome (Twisted's `IRCFactory._serverInfo`). */
export interface ServerInfo {
  /** The server's name. */
  serviceName: string;
  /** Its version. */
  serviceVersion: string;
  /** When it started. */
  creationDate: string;
}

/**
 * The server factory of `IRCUser` (Twisted's `IRCFactory`).
 *
 * @example
 * ```ts
 * import { InMemoryWordsRealm, IRCFactory } from "@tw/core/words";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 * const realm = new InMemoryWordsRealm("irc.example");
 * const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ alice: "pw" })]);
 * const factory = new IRCFactory(realm, portal);
 * console.log(factory.serverInfo.serviceName); // irc.example
 * ```
 */
export class IRCFactory extends ServerFactory {
  /** The realm of users and groups. */
  realm: WordsRealm;
  /** The portal logins go through. */
  portal: Portal;
  /** Facts for the welcome. */
  serverInfo: ServerInfo;
  /** Seconds a connection may take to log in before it is closed; 0: no limit. */
  registrationTimeout = 60;
  /** Seconds of silence after which a client is PINGed, and closed after as many more; 0: never. */
  pingInterval = 120;
  /** Where those timers run; the installed reactor when null. */
  clock: IReactorTime | null = null;

  /**
   * Makes the factory.
   * @param realm the users and groups
   * @param portal checks passwords and hands out `IUser` avatars from `realm`
   */
  constructor(realm: WordsRealm, portal: Portal) {
    super();
    this.realm = realm;
    this.portal = portal;
    this.protocol = IRCUser;
    this.serverInfo = {
      serviceName: realm.name,
      serviceVersion: "tw-words-0.1",
      creationDate: new Date().toUTCString(),
    };
  }
}
