/**
 * The Unix avatar of `tw conch` (`twisted.conch.unix`): sessions that run the
 * user's shell and commands as child processes, with pseudo-terminals through
 * util-linux `script`, and both TCP forwardings (`enableForwarding`).
 *
 * @example
 * ```ts
 * import { UnixConchUser } from "@tw/core/conch/unix";
 * import { reactor } from "@tw/core";
 *
 * const user = new UnixConchUser({ reactor, username: "me", home: "/home/me" });
 * console.log(user.shell); // "/bin/sh"
 * ```
 * @module
 */
export { UnixConchUser, type UnixConchUserOptions } from "./_user.ts";
export { acceptedEnvName, SCRIPT_PATH, UnixSession, type UnixSessionUser } from "./_session.ts";
