/**
 * `@tw/core/conch/telnet` (`twisted.conch.telnet`): telnet (RFC 854, 855,
 * 857, 858, 1073, 1143) as a protocol and as a transport for line or
 * terminal protocols, with option negotiation that returns Deferreds and
 * logins through cred.
 *
 * @example
 * ```ts
 * import { Factory } from "@tw/core/protocol";
 * import { StatefulTelnetProtocol, TelnetTransport } from "@tw/core/conch/telnet";
 *
 * class Greeter extends StatefulTelnetProtocol {
 *   override state = "Name";
 *   override connectionMade(): void {
 *     this.transport.write(new TextEncoder().encode("Name? "));
 *   }
 *   telnet_Name(name: string): string {
 *     this.transport.write(new TextEncoder().encode(`Hello, ${name}\n`));
 *     return "Discard";
 *   }
 * }
 * const factory = new Factory();
 * factory.buildProtocol = () => new TelnetTransport(() => new Greeter());
 * ```
 *
 * @module
 */
export {
  AlreadyDisabled,
  AlreadyEnabled,
  AlreadyNegotiating,
  AO,
  AYT,
  BRK,
  DM,
  DO,
  DONT,
  EC,
  ECHO,
  EL,
  EOR,
  GA,
  IAC,
  IP,
  LINEMODE,
  NAWS,
  NegotiationError,
  NOP,
  OptionRefused,
  type OptionSide,
  type OptionState,
  SB,
  SE,
  SGA,
  Telnet,
  WILL,
  WONT,
} from "./_telnet_protocol.ts";
export {
  AuthenticatingTelnetProtocol,
  ITelnetProtocol,
  StatefulTelnetProtocol,
  TelnetProtocol,
  TelnetTransport,
} from "./_telnet_transport.ts";
