/**
 * The `mail` plugin: `tw mail`, Twisted's `twistd mail` (`twisted.mail.tap`).
 *
 *     tw mail -d example.com=/srv/mail/example.com -u alice=secret
 *     tw mail -s tcp:25 -p tcp:110 -d example.com=./example.com -D -A /etc/aliases
 *     tw mail -R /var/spool/tw-mail --smarthost smtp.example.net:587 --auth memory:bob:pw
 *
 * Serves SMTP (ESMTP: 8BITMIME, PIPELINING, SIZE, ENHANCEDSTATUSCODES,
 * SMTPUTF8, AUTH; STARTTLS with `--certificate` and `--privkey`) on each
 * `-s / --smtp` endpoint (default `tcp:8025`), POP3 on each `-p / --pop3`
 * (default `tcp:8110`), LMTP on each `--lmtp`. `ssl:` endpoints serve SMTPS
 * and POP3S.
 *
 * Domains: `-d / --maildirdbmdomain NAME=PATH` (repeatable) serves a
 * directory in twistd mail's layout (`PATH/passwd` a DirDBM of users,
 * `PATH/USER/` maildirs; a directory written by twistd mail is served as
 * is). These apply to the last domain given: `-u / --user USER=PASS`,
 * `-A / --aliases FILE` (an aliases(5) file, read again when it changes),
 * `-b / --bounce-to-postmaster` (unknown users' mail to `postmaster`),
 * `-D / --default` (the domain of addresses and POP3 names without one).
 * Domain users log in as `user@domain` to POP3 and to SMTP AUTH.
 *
 * Relaying: `-R / --relay DIR` queues mail for other domains in DIR and
 * relays it to each domain's MX (or to `--smarthost HOST[:PORT]`), retrying
 * with backoff, then bouncing (RFC 3464); only for authenticated sessions
 * (twistd relays for any loopback client too). SMTP AUTH users come from the
 * domains and from `--auth` (`memory:USER:PASS[:USER:PASS...]`, `file:PATH`
 * (cred's hashed password file: PLAIN and LOGIN only, not CRAM-MD5) or
 * `anonymous`; repeatable); `--disable-anonymous` refuses mail from
 * sessions that did not log in.
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import {
  AllowAnonymousAccess,
  FilePasswordDB,
  type ICredentialsChecker,
  InMemoryUsernamePasswordDatabaseDontUse,
} from "../../cred/mod.ts";
import { Logger } from "../../logger/mod.ts";
import { loadAliasFile } from "../../mail/service/_alias.ts";
import { DomainQueuer, Queue } from "../../mail/service/_queue.ts";
import { RelayStateHelper, SmartHostESMTPRelayingManager } from "../../mail/service/_relay.ts";
import { MailService } from "../../mail/service/_service.ts";
import { MaildirDirdbmDomain } from "../../mail/maildir/_domain.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import { describeError, resolvePath } from "../_runner.ts";
import { listeningTree } from "../_serve.ts";
import { getIMAP4Factory } from "../../mail/imap4/_service.ts";
import {
  type FlagSpec,
  HelpRequested,
  Options,
  type ParameterSpec,
  UsageError,
} from "../_usage.ts";

const log = new Logger("tw");

/** The default endpoints of `tw mail` (twistd mail's). */
export const MAIL_DEFAULT_SMTP = "tcp:8025";
/** The default POP3 endpoint. */
export const MAIL_DEFAULT_POP3 = "tcp:8110";

const ORDERED = new Set(["maildirdbmdomain", "user", "aliases", "bounce-to-postmaster", "default"]);

/** One `-d` domain and what the options after it said about it. */
export interface MailDomainSpec {
  /** The domain name. */
  name: string;
  /** Its directory. */
  path: string;
  /** `-u` users and passwords. */
  users: [string, string][];
  /** The `-A` aliases file, or null. */
  aliases: string | null;
  /** `-b`. */
  postmaster: boolean;
  /** `-D`. */
  isDefault: boolean;
}

const AUTH_HELP: Record<string, string> = {
  memory: "memory:USER:PASS[:USER:PASS...]: users and passwords on the command line " +
    "(for tests; they show in the process list).",
  file: "file:PATH: cred's password file (USER:HASH lines written by writePasswordFile). " +
    "The passwords are hashed, so CRAM-MD5 cannot check them: PLAIN and LOGIN only.",
  anonymous: "anonymous: let sessions that did not log in send mail (the default unless " +
    "--disable-anonymous).",
};

function coerceBytes(text: string): number {
  if (!/^\d{1,15}$/.test(text.trim()) || Number(text) < 1) {
    throw new Error(`${JSON.stringify(text)} is not a number of bytes`);
  }
  return Number(text);
}

function coerceSmarthost(text: string): string {
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(text)) {
    throw new Error(`${JSON.stringify(text)} is not HOST or HOST:PORT`);
  }
  return text;
}

function coerceAuth(text: string): string {
  const kind = text.split(":", 1)[0];
  if (kind === "anonymous" && text === "anonymous") return text;
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

/**
 * Options of `tw mail` (twistd mail's names and short letters, and ours).
 *
 * @example
 * ```ts
 * import { MailOptions } from "@tw/core/cli";
 * const options = new MailOptions();
 * options.parseOptions(["-d", "example.com=/srv/example.com", "-u", "alice=pw", "-D"]);
 * const [domain] = options.domains;
 * console.log(domain.name, domain.users, domain.isDefault); // example.com [ [ "alice", "pw" ] ] true
 * ```
 */
export class MailOptions extends Options {
  /** What the command does, for the help. */
  override longdesc: string = "An SMTP and POP3 mail server (twistd mail). -d NAME=PATH serves " +
    "a maildir domain (twistd mail's layout); -u, -A, -b and -D apply to the last -d. Users " +
    "log in as user@domain. -R DIR relays mail of authenticated sessions for other domains " +
    "(by MX, or --smarthost). SMTP on " + MAIL_DEFAULT_SMTP + " and POP3 on " +
    MAIL_DEFAULT_POP3 + " unless -s / -p say otherwise; --certificate and --privkey add " +
    "STARTTLS and STLS; ssl: endpoints serve SMTPS and POP3S.";
  /** The flags. */
  override optFlags: FlagSpec[] = [
    { name: "esmtp", short: "E", doc: "Accepted for twistd's sake: ESMTP is always on." },
    { name: "disable-anonymous", doc: "Refuse mail from sessions that did not log in." },
    { name: "no-pop3", doc: "Disable the default POP3 server." },
    { name: "no-smtp", doc: "Disable the default SMTP server." },
    {
      name: "bounce-to-postmaster",
      short: "b",
      doc: "Deliver mail for unknown users of the last domain to its postmaster.",
    },
    {
      name: "default",
      short: "D",
      doc: "Make the last domain the default one (addresses and POP3 names without a domain).",
    },
    { name: "help-auth", doc: "Show the --auth checkers and exit." },
  ];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    {
      name: "smtp",
      short: "s",
      multiple: true,
      metavar: "STRPORT",
      doc: `Serve SMTP here (default: ${MAIL_DEFAULT_SMTP}).`,
    },
    {
      name: "pop3",
      short: "p",
      multiple: true,
      metavar: "STRPORT",
      doc: `Serve POP3 here (default: ${MAIL_DEFAULT_POP3}).`,
    },
    { name: "lmtp", multiple: true, metavar: "STRPORT", doc: "Serve LMTP (RFC 2033) here." },
    {
      name: "imap",
      multiple: true,
      metavar: "STRPORT",
      doc: "Serve IMAP4rev1 here (user@domain logins; STARTTLS with --certificate; ssl: is IMAPS).",
    },
    {
      name: "maildirdbmdomain",
      short: "d",
      multiple: true,
      metavar: "NAME=PATH",
      doc: "Serve domain NAME from the maildir directory PATH.",
    },
    {
      name: "user",
      short: "u",
      multiple: true,
      metavar: "USER=PASS",
      doc: "Add a user to the last domain.",
    },
    {
      name: "aliases",
      short: "A",
      multiple: true,
      metavar: "FILE",
      doc: "The aliases(5) file of the last domain (read again when it changes).",
    },
    {
      name: "hostname",
      short: "H",
      doc: "The name of this server (default: this machine's name).",
    },
    {
      name: "relay",
      short: "R",
      metavar: "DIR",
      doc: "Relay authenticated sessions' mail for other domains, queued in DIR.",
    },
    {
      name: "smarthost",
      metavar: "HOST[:PORT]",
      coerce: coerceSmarthost,
      doc: "With --relay: relay everything to this host, not by MX.",
    },
    {
      name: "auth",
      multiple: true,
      metavar: "CHECKER",
      coerce: coerceAuth,
      doc: "An SMTP AUTH checker: memory:USER:PASS[:...], file:PATH or anonymous.",
    },
    { name: "help-auth-type", metavar: "TYPE", doc: "Show help on one --auth checker and exit." },
    { name: "certificate", metavar: "FILE", doc: "TLS certificate (PEM) for STARTTLS and STLS." },
    { name: "privkey", metavar: "FILE", doc: "TLS private key (PEM) for STARTTLS and STLS." },
    {
      name: "max-message-size",
      default: 10 * 1024 * 1024,
      coerce: coerceBytes,
      metavar: "BYTES",
      doc: "The largest message accepted (SIZE).",
    },
  ];
  /** The domains, in order, with what the options after each said. */
  domains: MailDomainSpec[] = [];
  #events: [string, string | true][] = [];

  /** Parses, keeping the order of the options that apply to the last domain. */
  override parseOptions(argv: readonly string[]): void {
    this.#events = this.#scan(argv);
    super.parseOptions(argv);
  }

  #param(name: string): ParameterSpec | undefined {
    return this.optParameters.find((p) => p.name === name.replaceAll("_", "-"));
  }

  #scan(argv: readonly string[]): [string, string | true][] {
    const events: [string, string | true][] = [];
    for (let i = 0; i < argv.length; i++) {
      const word = argv[i];
      if (word === "--" || !word.startsWith("-") || word === "-") break;
      if (word.startsWith("--")) {
        const eq = word.indexOf("=");
        const name = (eq < 0 ? word.slice(2) : word.slice(2, eq)).replaceAll("_", "-");
        let value: string | true = true;
        if (this.#param(name)) value = eq < 0 ? (argv[++i] ?? "") : word.slice(eq + 1);
        if (ORDERED.has(name)) events.push([name, value]);
        continue;
      }
      for (let j = 1; j < word.length; j++) {
        const param = this.optParameters.find((p) => p.short === word[j]);
        const flag = this.optFlags.find((f) => f.short === word[j]);
        if (param) {
          const value = j < word.length - 1 ? word.slice(j + 1) : (argv[++i] ?? "");
          if (ORDERED.has(param.name)) events.push([param.name, value]);
          break;
        }
        if (flag && ORDERED.has(flag.name)) events.push([flag.name, true]);
      }
    }
    return events;
  }

  /** Checks the combinations and builds `domains`; throws `UsageError`. */
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
    this.domains = [];
    for (const [name, value] of this.#events) {
      const last = this.domains.at(-1);
      if (name === "maildirdbmdomain") {
        const m = /^([^=]+)=([^=]+)$/.exec(value as string);
        if (m === null) {
          throw new UsageError("Argument to --maildirdbmdomain must be of the form 'name=path'");
        }
        this.domains.push({
          name: m[1],
          path: m[2],
          users: [],
          aliases: null,
          postmaster: false,
          isDefault: false,
        });
        continue;
      }
      if (last === undefined) {
        const what = name === "user" ? "users" : name === "aliases" ? "aliases" : `using --${name}`;
        throw new UsageError(`Specify a domain before specifying ${what}`);
      }
      if (name === "user") {
        const text = value as string;
        const eq = text.indexOf("=");
        if (eq <= 0) throw new UsageError("Argument to --user must be of the form 'user=password'");
        last.users.push([text.slice(0, eq), text.slice(eq + 1)]);
      } else if (name === "aliases") last.aliases = value as string;
      else if (name === "bounce-to-postmaster") last.postmaster = true;
      else if (name === "default") last.isDefault = true;
    }
    if (Boolean(opts.certificate) !== Boolean(opts.privkey)) {
      throw new UsageError("Options --certificate and --privkey go together");
    }
    if (opts.smarthost !== undefined && opts.relay === undefined) {
      throw new UsageError("Option --smarthost needs --relay");
    }
    const smtp = (opts.smtp as string[]).length > 0 || !opts["no-smtp"];
    const pop3 = (opts.pop3 as string[]).length > 0 || !opts["no-pop3"];
    if (
      !smtp && !pop3 && (opts.lmtp as string[]).length === 0 &&
      (opts.imap as string[]).length === 0
    ) {
      throw new UsageError("You cannot disable all protocols");
    }
  }
}

async function machineName(context: PluginContext): Promise<string> {
  for (const file of ["/proc/sys/kernel/hostname", "/etc/hostname"]) {
    try {
      const name = new TextDecoder().decode(await context.reactor.runtime.readFile(file)).trim();
      if (/^[A-Za-z0-9.-]{1,253}$/.test(name)) return name;
    } catch {
      // try the next
    }
  }
  return "localhost";
}

async function readPEM(path: string, context: PluginContext): Promise<string> {
  try {
    return new TextDecoder().decode(await context.reactor.runtime.readFile(path));
  } catch (error) {
    throw new Error(`Cannot read ${path}: ${describeError(error)}`);
  }
}

function authCheckers(specs: string[], context: PluginContext): ICredentialsChecker[] {
  const checkers: ICredentialsChecker[] = [];
  for (const spec of specs) {
    if (spec === "anonymous") checkers.push(new AllowAnonymousAccess());
    else if (spec.startsWith("file:")) {
      const file = resolvePath(context.cwd, spec.slice(5));
      checkers.push(new FilePasswordDB(file, { runtime: context.reactor.runtime }));
    } else {
      const parts = spec.split(":").slice(1);
      const users: Record<string, string> = {};
      for (let i = 0; i < parts.length; i += 2) users[parts[i]] = parts[i + 1];
      checkers.push(new InMemoryUsernamePasswordDatabaseDontUse(users));
    }
  }
  return checkers;
}

async function addDomains(
  service: MailService,
  options: MailOptions,
  context: PluginContext,
): Promise<void> {
  const runtime = context.reactor.runtime;
  for (const spec of options.domains) {
    const path = resolvePath(context.cwd, spec.path);
    const domain = new MaildirDirdbmDomain(service, path, { runtime });
    try {
      await runtime.mkdir(path, { recursive: true, mode: 0o700 });
      await service.addDomain(spec.name, domain);
      for (const [user, password] of spec.users) await domain.addUser(user, password);
    } catch (error) {
      throw new Error(`Cannot serve domain ${spec.name} from ${path}: ${describeError(error)}`);
    }
    domain.postmaster = spec.postmaster;
    if (spec.isDefault) await service.addDomain("", domain);
    if (spec.aliases !== null) {
      const file = resolvePath(context.cwd, spec.aliases);
      const load = () =>
        loadAliasFile(service.domains, file, {
          runtime,
          reactor: context.reactor,
          domain: spec.name,
        });
      try {
        domain.setAliasGroup(await load());
      } catch (error) {
        throw new Error(`Cannot read aliases file ${file}: ${describeError(error)}`);
      }
      await service.monitor.monitorFile(file, () => {
        load().then(
          (aliases) => {
            domain.setAliasGroup(aliases);
            log.info("Reloaded aliases of {domain} from {file}", { domain: spec.name, file });
          },
          (error) => {
            log.error("Cannot reload {file}, keeping the aliases loaded before: {error}", {
              file,
              error: describeError(error),
            });
          },
        );
      }, 1);
    }
  }
}

/** The `mail` plugin. */
export const mailPlugin: IServiceMaker = {
  tapname: "mail",
  description: "An SMTP and POP3 mail server over maildir domains, with authenticated relaying",
  options: MailOptions,
  async makeService(options: Options, context: PluginContext): Promise<IService> {
    const mail = options as MailOptions;
    const opts = mail.opts;
    const runtime = context.reactor.runtime;
    const hostname = (opts.hostname as string | undefined) ?? await machineName(context);
    const service = new MailService({ hostname, clock: context.reactor, runtime });
    await addDomains(service, mail, context);
    for (const checker of authCheckers(opts.auth as string[], context)) {
      service.smtpPortal.registerChecker(checker);
    }
    if (!opts["disable-anonymous"]) service.smtpPortal.registerChecker(new AllowAnonymousAccess());
    if (opts.relay !== undefined) {
      const dir = resolvePath(context.cwd, opts.relay as string);
      try {
        await runtime.mkdir(dir, { recursive: true, mode: 0o700 });
      } catch (error) {
        throw new Error(`Cannot use relay queue ${dir}: ${describeError(error)}`);
      }
      service.setQueue(new Queue(dir, { runtime }));
      service.domains.setDefaultDomain(new DomainQueuer(service));
      const manager = new SmartHostESMTPRelayingManager(service.queue!, {
        smarthost: (opts.smarthost as string | undefined) ?? null,
        hostname,
        domains: service.domains,
        clock: context.reactor,
      });
      RelayStateHelper(manager, 1).setServiceParent(service);
    }
    let tlsOptions = null;
    if (opts.certificate !== undefined) {
      tlsOptions = {
        cert: await readPEM(resolvePath(context.cwd, opts.certificate as string), context),
        key: await readPEM(resolvePath(context.cwd, opts.privkey as string), context),
      };
    }
    const maxSize = opts["max-message-size"] as number;
    const smtp = opts.smtp as string[];
    const pop3 = opts.pop3 as string[];
    const lmtp = opts.lmtp as string[];
    const smtpAt = smtp.length > 0 ? smtp : opts["no-smtp"] ? [] : [MAIL_DEFAULT_SMTP];
    const pop3At = pop3.length > 0 ? pop3 : opts["no-pop3"] ? [] : [MAIL_DEFAULT_POP3];
    const factoryOptions = { tlsOptions, maxSize, requireAuthentication: false };
    if (smtpAt.length > 0) {
      const factory = service.getESMTPFactory(factoryOptions);
      listeningTree(context.reactor, smtpAt, factory).setServiceParent(service);
    }
    if (lmtp.length > 0) {
      const factory = service.getLMTPFactory(factoryOptions);
      listeningTree(context.reactor, lmtp, factory).setServiceParent(service);
    }
    if (pop3At.length > 0) {
      const factory = service.getPOP3Factory({ tlsOptions, hostname });
      listeningTree(context.reactor, pop3At, factory).setServiceParent(service);
    }
    const imap4 = opts.imap as string[];
    if (imap4.length > 0) {
      const factory = getIMAP4Factory(service, { tlsOptions, hostname, maxMessageSize: maxSize });
      listeningTree(context.reactor, imap4, factory).setServiceParent(service);
    }
    return service;
  },
};
