/**
 * `@tw/core/conch/manhole` (`twisted.conch.manhole`, `manhole_ssh`): a live
 * JavaScript REPL inside a running server, over telnet or SSH.
 *
 * **A manhole is a root shell into the process**: whoever logs in runs any
 * code with the server's rights (files, sockets, secrets in memory). Serve
 * it only behind a login (a cred `Portal` with real credentials), and
 * listen on a loopback address (`tcp:2222:interface=127.0.0.1`) unless you
 * have a reason and a firewall; `tw manhole` does both by default.
 *
 * `Manhole` / `ColoredManhole` are terminal programs (run by an insults
 * `ServerProtocol`): each line runs in a namespace whose bindings persist,
 * with top-level `await`; values are shown with `inspect`; errors are
 * printed and the session goes on. Ctrl-C abandons awaited code that never
 * ends; code that never yields (`while (true) {}`) blocks the whole process,
 * as JavaScript gives no way to interrupt it. `TerminalRealm` gives SSH logins a
 * `TerminalUser` and telnet logins a `TelnetBootstrapProtocol`.
 *
 * @example
 * ```ts
 * import { ServerProtocol } from "@tw/core/conch/insults";
 * import { AuthenticatingTelnetProtocol, TelnetTransport } from "@tw/core/conch/telnet";
 * import { ColoredManhole, ConchFactory, TerminalRealm } from "@tw/core/conch/manhole";
 * import { Key } from "@tw/core/conch";
 * import { InMemoryUsernamePasswordDatabaseDontUse, Portal } from "@tw/core/cred";
 * import { Factory } from "@tw/core/protocol";
 *
 * const namespace = { started: new Date() };
 * const realm = new TerminalRealm(() => new ServerProtocol(() => new ColoredManhole(namespace)));
 * const portal = new Portal(realm, [new InMemoryUsernamePasswordDatabaseDontUse({ admin: "s3cret" })]);
 * const telnet = new Factory();
 * telnet.buildProtocol = () => new TelnetTransport(() => new AuthenticatingTelnetProtocol(portal));
 * const ssh = new ConchFactory(portal, [await Key.generate("ed25519")]);
 * // serverFromString(reactor, "tcp:2323:interface=127.0.0.1").listen(telnet)
 * // serverFromString(reactor, "tcp:2222:interface=127.0.0.1").listen(ssh)
 * ```
 *
 * @module
 */
export { inspect, type InspectOptions } from "./_inspect.ts";
export { isIncomplete, type Token, tokenize, type Tokenized, type TokenType } from "./_tokens.ts";
export {
  type CompiledCode,
  ManholeInterpreter,
  type ManholeOutput,
  MAX_OUTPUT,
  MAX_SOURCE,
} from "./_interpreter.ts";
export {
  ColoredManhole,
  colorize,
  CTRL_A,
  CTRL_BACKSLASH,
  CTRL_C,
  CTRL_D,
  CTRL_E,
  CTRL_L,
  Manhole,
  TOKEN_COLORS,
} from "./_manhole.ts";
export { TelnetBootstrapProtocol } from "./_telnet.ts";
export {
  ConchFactory,
  TerminalRealm,
  TerminalSession,
  TerminalSessionTransport,
  TerminalUser,
} from "./_ssh.ts";
