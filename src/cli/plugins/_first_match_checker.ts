/**
 * A checker made of several, tried in order: a portal keeps one checker per
 * credential interface, so plugins taking several `--auth` (and twistd's
 * `--password-file`) would otherwise have each replace the one before.
 * Private to the plugins.
 *
 * @module
 */
import {
  type AvatarId,
  type ICredentials,
  type ICredentialsChecker,
  type InterfaceName,
  UnauthorizedLogin,
} from "../../cred/mod.ts";

/** Every checker given, tried in order; the first that accepts the credentials wins. */
export class FirstMatchChecker implements ICredentialsChecker {
  readonly credentialInterfaces: readonly InterfaceName[];
  #checkers: ICredentialsChecker[];

  constructor(checkers: ICredentialsChecker[]) {
    this.#checkers = checkers;
    this.credentialInterfaces = [...new Set(checkers.flatMap((c) => c.credentialInterfaces))];
  }

  async requestAvatarId(credentials: ICredentials): Promise<AvatarId> {
    for (const checker of this.#checkers) {
      if (!credentials.credentialInterfaces.some((i) => checker.credentialInterfaces.includes(i))) {
        continue;
      }
      try {
        return await checker.requestAvatarId(credentials);
      } catch (error) {
        if (!(error instanceof UnauthorizedLogin)) throw error;
      }
    }
    throw new UnauthorizedLogin();
  }
}
