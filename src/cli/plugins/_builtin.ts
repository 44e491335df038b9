/**
 * The built-in plugins as lazy `ServiceMaker`s, for the `tw` command: each
 * plugin's module (and what it imports: the web server, SOCKS, process
 * monitoring...) is loaded only when that plugin runs. The descriptions are
 * the plugins' own (a test compares them).
 *
 * @module
 */
import { type IServiceMaker, ServiceMaker } from "../_plugins.ts";

/** Every built-in plugin, not yet loaded. */
export const lazyBuiltinPlugins: readonly IServiceMaker[] = [
  new ServiceMaker(
    "cftp",
    "An SFTP client running commands from a batch file or typed (cftp, sftp -b)",
    async () => (await import("./cftp.ts")).cftpPlugin,
  ),
  new ServiceMaker(
    "ckeygen",
    "Makes SSH keys, shows their fingerprints and changes their passphrases",
    async () => (await import("./ckeygen.ts")).ckeygenPlugin,
  ),
  new ServiceMaker(
    "conch",
    "An SSH server: commands and shells as this server's user",
    async () => (await import("./conch.ts")).conchPlugin,
  ),
  new ServiceMaker(
    "dns",
    "A DNS server: authoritative for BIND zone files and zone modules, or recursive",
    async () => (await import("./dns.ts")).dnsPlugin,
  ),
  new ServiceMaker(
    "echo",
    "An echo server (RFC 862)",
    async () => (await import("./echo.ts")).echoPlugin,
  ),
  new ServiceMaker(
    "ftp",
    "An FTP server (FTPS, IPv6, resume) over a folder, anonymous and cred users",
    async () => (await import("./ftp.ts")).ftpPlugin,
  ),
  new ServiceMaker(
    "inetd",
    "An inetd: runs a command per connection with its stdio wired to the socket",
    async () => (await import("./inetd.ts")).inetdPlugin,
  ),
  new ServiceMaker(
    "mail",
    "An SMTP and POP3 mail server over maildir domains, with authenticated relaying",
    async () => (await import("./mail.ts")).mailPlugin,
  ),
  new ServiceMaker(
    "manhole",
    "A JavaScript REPL into the running process, over telnet and SSH",
    async () => (await import("./manhole.ts")).manholePlugin,
  ),
  new ServiceMaker(
    "portforward",
    "A port forwarder: relays connections to another host and port",
    async () => (await import("./portforward.ts")).portforwardPlugin,
  ),
  new ServiceMaker(
    "procmon",
    "A process monitor: runs processes and restarts them when they die",
    async () => (await import("./procmon.ts")).procmonPlugin,
  ),
  new ServiceMaker(
    "socks",
    "A SOCKS 4, 4a and 5 proxy",
    async () => (await import("./socks.ts")).socksPlugin,
  ),
  new ServiceMaker(
    "trial",
    "Runs a test suite under Deno, Bun and Node and reports where each test passes",
    async () => (await import("./trial.ts")).trialPlugin,
  ),
  new ServiceMaker(
    "web",
    "A web server: static files, a resource, a fetch app, or an 'It works' page",
    async () => (await import("./web.ts")).webPlugin,
  ),
  new ServiceMaker(
    "words",
    "An IRC server over cred, with groups (twistd words)",
    async () => (await import("./words.ts")).wordsPlugin,
  ),
  new ServiceMaker(
    "xmpp-router",
    "An XMPP component router (XEP-0114)",
    async () => (await import("./xmpp_router.ts")).xmppRouterPlugin,
  ),
];
