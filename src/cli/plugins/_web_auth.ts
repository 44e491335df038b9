/**
 * `tw web --auth file:PATH`: HTTP Basic authentication in front of the site,
 * checked with cred's `FilePasswordDB` (a file written by
 * `writePasswordFile`: `user:pbkdf2-hash` lines). Private to the web plugin.
 *
 * @module
 */
import { FilePasswordDB, type IRealm, type LoginResult, Portal } from "../../cred/mod.ts";
import { BasicCredentialFactory, HTTPAuthSessionWrapper } from "../../web/guard.ts";
import type { IResource } from "../../web/resource.ts";
import type { PluginContext } from "../_plugins.ts";
import { describeError } from "../_runner.ts";

/**
 * Wraps `resource` so every request must log in with a user of the password
 * file. The file must be readable now (a startup error otherwise); it is read
 * again at each login, so edits apply without a restart.
 */
export async function wrapWithAuth(
  resource: IResource,
  file: string,
  realmName: string,
  context: PluginContext,
): Promise<IResource> {
  const runtime = context.reactor.runtime;
  try {
    await runtime.readFile(file);
  } catch (error) {
    throw new Error(`Cannot read password file ${file}: ${describeError(error)}`);
  }
  // Every user sees the same tree: the avatar is the wrapped resource.
  const realm: IRealm = {
    requestAvatar(_avatarId, _mind, ...interfaces): LoginResult {
      return [interfaces[0], resource, () => {}];
    },
  };
  const portal = new Portal(realm, [new FilePasswordDB(file, { runtime })]);
  return new HTTPAuthSessionWrapper(portal, [new BasicCredentialFactory(realmName)]);
}
