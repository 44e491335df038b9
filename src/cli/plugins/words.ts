/**
 * The `words` plugin: `tw words`, Twisted's `twistd words` (`twisted.words.tap`):
 * an IRC server over cred and an in-memory words realm.
 *
 *     tw words --irc-port tcp:6667 --auth memory:alice:pw:bob:pw2 --group lobby
 *     tw words --irc-port tcp:6667:interface=127.0.0.1 --passwd users.txt --hostname irc.example
 *
 * Users log in with PASS, SASL PLAIN (CAP 302) or a PRIVMSG to NickServ, as
 * their nickname. `--group NAME` (repeatable) makes a group at start;
 * clients can make others by joining them. Checkers: `--auth
 * memory:USER:PASS[:USER:PASS...]` or `--auth file:PATH` (cred's hashed
 * password file; repeatable), `--passwd FILE` (twistd's: `user:password`
 * lines in clear). Without `--irc-port`, or without any checker (twistd
 * starts a server nobody can log in to), it exits with status 2.
 * `--pb-port` is refused: Perspective Broker access is not built yet.
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import {
  FilePasswordDB,
  type ICredentialsChecker,
  InMemoryUsernamePasswordDatabaseDontUse,
  Portal,
} from "../../cred/mod.ts";
import { InMemoryWordsRealm, IRCFactory } from "../../words/mod.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { FirstMatchChecker } from "./_first_match_checker.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { listeningTree } from "../_serve.ts";
import {
  type FlagSpec,
  HelpRequested,
  Options,
  type ParameterSpec,
  UsageError,
} from "../_usage.ts";

const AUTH_HELP: Record<string, string> = {
  memory: "memory:USER:PASS[:USER:PASS...]: users and passwords on the command line " +
    "(for tests; they show in the process list).",
  file: "file:PATH: cred's password file (USER:HASH lines written by writePasswordFile).",
};

function coerceAuth(text: string): string {
  const kind = text.split(":", 1)[0];
  if (kind === "file" && text.length > 5) return text;
  if (kind === "memory") {
    const parts = text.split(":").slice(1);
    if (parts.length >= 2 && parts.length % 2 === 0 && parts.every((p, i) => i % 2 || p)) {
      return text;
    }
    throw new Error("memory: needs USER:PASS pairs");
  }
  throw new Error(`unknown checker ${JSON.stringify(kind)} (see --help-auth)`);
}

function coerceGroup(text: string): string {
  const name = text.replace(/^#/, "");
  // deno-lint-ignore no-control-regex
  if (!/^[^\s,\x07\0:#][^\s,\x07\0:]{0,48}$/.test(name)) {
    throw new Error(`${JSON.stringify(text)} is not a group name`);
  }
  return name;
}

/**
 * Options of `tw words` (twistd words' names, and `--auth` as elsewhere).
 *
 * @example
 * ```ts
 * import { WordsOptions } from "@tw/core/cli";
 * const options = new WordsOptions();
 * options.parseOptions(["--irc-port", "tcp:6667", "--auth", "memory:alice:pw", "--group", "lobby"]);
 * console.log(options.opts["irc-port"], options.opts.group); // [ "tcp:6667" ] [ "lobby" ]
 * ```
 */
export class WordsOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "An IRC server (twistd words): users log in as their nickname " +
    "with PASS, SASL PLAIN or a message to NickServ, checked by --auth or --passwd. " +
    "--irc-port is required.";
  /** The flags. */
  override optFlags: FlagSpec[] = [{
    name: "help-auth",
    doc: "Show the --auth checkers and exit.",
  }];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "irc-port",
      multiple: true,
      metavar: "ENDPOINT",
      doc: "Serve IRC on this endpoint (e.g. tcp:6667:interface=127.0.0.1).",
    },
    { name: "pb-port", metavar: "ENDPOINT", doc: "Not supported yet (Perspective Broker access)." },
    {
      name: "group",
      multiple: true,
      metavar: "NAME",
      coerce: coerceGroup,
      doc: "Make a group at start.",
    },
    { name: "hostname", default: "localhost", doc: "The server's name." },
    {
      name: "auth",
      multiple: true,
      metavar: "CHECKER",
      coerce: coerceAuth,
      doc: "A checker: memory:USER:PASS[:...] or file:PATH.",
    },
    { name: "passwd", metavar: "FILE", doc: "A file of user:password lines (twistd's, in clear)." },
    { name: "help-auth-type", metavar: "TYPE", doc: "Show help on one --auth checker and exit." },
  ];

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    const opts = this.opts;
    if (opts["help-auth"]) {
      throw new HelpRequested(
        "Checkers for --auth (repeatable):\n" +
          Object.values(AUTH_HELP).map((h) => `  ${h}`).join("\n") + "\n",
      );
    }
    if (opts["help-auth-type"] !== undefined) {
      const help = AUTH_HELP[opts["help-auth-type"] as string];
      if (help === undefined) {
        throw new UsageError(`Unknown --auth checker: ${opts["help-auth-type"]}`);
      }
      throw new HelpRequested(`${help}\n`);
    }
    if (opts["pb-port"] !== undefined) {
      throw new UsageError("--pb-port is not supported yet: serve IRC with --irc-port");
    }
    if ((opts["irc-port"] as string[]).length === 0) {
      throw new UsageError("Nothing to serve: give --irc-port ENDPOINT");
    }
    if ((opts.auth as string[]).length === 0 && opts.passwd === undefined) {
      throw new UsageError("Nobody could log in: give --auth CHECKER or --passwd FILE");
    }
    if (!/^[A-Za-z0-9.-]{1,63}$/.test(String(opts.hostname))) {
      throw new UsageError(`--hostname ${JSON.stringify(opts.hostname)} is not a host name`);
    }
  }
}

function checkers(options: Options, context: PluginContext): ICredentialsChecker[] {
  const runtime = context.reactor.runtime;
  const out: ICredentialsChecker[] = [];
  for (const spec of options.opts.auth as string[]) {
    if (spec.startsWith("file:")) {
      out.push(new FilePasswordDB(resolvePath(context.cwd, spec.slice(5)), { runtime }));
      continue;
    }
    const parts = spec.split(":").slice(1);
    const users: Record<string, string> = {};
    for (let i = 0; i < parts.length; i += 2) users[parts[i]] = parts[i + 1];
    out.push(new InMemoryUsernamePasswordDatabaseDontUse(users));
  }
  if (options.opts.passwd !== undefined) {
    const file = resolvePath(context.cwd, String(options.opts.passwd));
    out.push(new FilePasswordDB(file, { runtime, hash: "plain" }));
  }
  return out;
}

/** The `words` plugin. */
export const wordsPlugin: IServiceMaker = {
  tapname: "words",
  description: "An IRC server over cred, with groups (twistd words)",
  options: WordsOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const opts = options.opts;
    for (
      const spec of [...opts.auth as string[], ...(opts.passwd ? ["file:" + opts.passwd] : [])]
    ) {
      if (!spec.startsWith("file:")) continue;
      const file = resolvePath(context.cwd, spec.slice(5));
      try {
        await context.reactor.runtime.readFile(file);
      } catch (error) {
        throw new Error(`Cannot read password file ${file}: ${describeError(error)}`);
      }
    }
    const realm = new InMemoryWordsRealm(String(opts.hostname));
    realm.createGroupOnRequest = true;
    for (const name of opts.group as string[]) await realm.createGroup(name).catch(() => {});
    const portal = new Portal(realm, [new FirstMatchChecker(checkers(options, context))]);
    return listeningTree(
      context.reactor,
      opts["irc-port"] as string[],
      new IRCFactory(realm, portal),
    );
  },
};
