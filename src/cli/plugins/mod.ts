/**
 * The built-in plugins of the `tw` command.
 * @module
 */
import type { IServiceMaker } from "../_plugins.ts";
import { cftpPlugin } from "./cftp.ts";
import { ckeygenPlugin } from "./ckeygen.ts";
import { conchPlugin } from "./conch.ts";
import { dnsPlugin } from "./dns.ts";
import { echoPlugin } from "./echo.ts";
import { ftpPlugin } from "./ftp.ts";
import { inetdPlugin } from "./inetd.ts";
import { mailPlugin } from "./mail.ts";
import { manholePlugin } from "./manhole.ts";
import { portforwardPlugin } from "./portforward.ts";
import { procmonPlugin } from "./procmon.ts";
import { socksPlugin } from "./socks.ts";
import { trialPlugin } from "./trial.ts";
import { webPlugin } from "./web.ts";
import { wordsPlugin } from "./words.ts";
import { xmppRouterPlugin } from "./xmpp_router.ts";

export { CftpOptions, cftpPlugin } from "./cftp.ts";
export { CkeygenOptions, ckeygenPlugin } from "./ckeygen.ts";
export { CONCH_DEFAULT_PORT, ConchOptions, conchPlugin } from "./conch.ts";
export { DnsOptions, dnsPlugin } from "./dns.ts";
export { Echo, ECHO_DEFAULT_LISTEN, EchoOptions, echoPlugin } from "./echo.ts";
export { FTP_DEFAULT_PORT, FtpOptions, ftpPlugin } from "./ftp.ts";
export { InetdOptions, inetdPlugin } from "./inetd.ts";
export {
  MAIL_DEFAULT_POP3,
  MAIL_DEFAULT_SMTP,
  type MailDomainSpec,
  MailOptions,
  mailPlugin,
} from "./mail.ts";
export { manholeEndpoint, ManholeOptions, manholePlugin } from "./manhole.ts";
export { PortforwardOptions, portforwardPlugin } from "./portforward.ts";
export { ProcmonOptions, procmonPlugin } from "./procmon.ts";
export { SocksOptions, socksPlugin } from "./socks.ts";
export { TrialOptions, trialPlugin } from "./trial.ts";
export { WEB_DEFAULT_LISTEN, WebOptions, webPlugin } from "./web.ts";
export { WordsOptions, wordsPlugin } from "./words.ts";
export { XMPP_ROUTER_DEFAULT_PORT, XmppRouterOptions, xmppRouterPlugin } from "./xmpp_router.ts";

/** Every built-in plugin. */
export const builtinPlugins: readonly IServiceMaker[] = [
  cftpPlugin,
  ckeygenPlugin,
  conchPlugin,
  dnsPlugin,
  echoPlugin,
  ftpPlugin,
  inetdPlugin,
  mailPlugin,
  manholePlugin,
  portforwardPlugin,
  procmonPlugin,
  socksPlugin,
  trialPlugin,
  webPlugin,
  wordsPlugin,
  xmppRouterPlugin,
];
