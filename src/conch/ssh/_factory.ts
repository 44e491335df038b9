/**
 * SSHFactory: makes server transports with the factory's host keys, primes,
 * services and portal (`twisted.conch.ssh.factory.SSHFactory`).
 * @module
 */
import { Factory, type ProtocolClass } from "../../internet/protocol.ts";
import type { Address } from "../../internet/address.ts";
import type { IProtocol, IReactorTime } from "../../internet/interfaces.ts";
import type { Portal } from "../../cred/mod.ts";
import type { PrimeTable } from "./_dh_groups.ts";
import type { SSHService } from "./_service.ts";
import { SSHServerTransport } from "./_transport_server.ts";
import { SSHUserAuthServer } from "./_userauth_server.ts";
import { SSHConnection } from "./_connection.ts";
import type { Key } from "../keys/_key.ts";

/**
 * The factory of an SSH server. Set `privateKeys` (host keys by SSH type) and
 * `portal`; `services` maps service names to classes.
 *
 * @example
 * ```ts
 * import { Key, SSHFactory } from "@tw/core/conch";
 *
 * const factory = new SSHFactory();
 * const hostKey = await Key.generate("ed25519");
 * factory.privateKeys = { [hostKey.sshType()]: hostKey };
 * console.log(Object.keys(factory.getPublicKeys())); // ["ssh-ed25519"]
 * ```
 */
export class SSHFactory extends Factory {
  /** Builds `SSHServerTransport`s. */
  override protocol: ProtocolClass | null = SSHServerTransport as unknown as ProtocolClass;
  /** Host keys with their private halves, by SSH type ("ssh-ed25519" ...). */
  privateKeys: Record<string, Key> = {};
  /** Group-exchange primes by size (see `parseModuli`); null: RFC 3526's groups. */
  primes: PrimeTable | null = null;
  /** Service classes by name; userauth switches to "ssh-connection" on success. */
  services: Record<string, new () => SSHService> = {
    "ssh-userauth": SSHUserAuthServer,
    "ssh-connection": SSHConnection,
  };
  /** The cred portal users log in through. */
  portal: Portal | null = null;
  /** The clock for time-based rekeying and login timeouts. */
  reactor: IReactorTime | null = null;

  /** Public host keys by SSH type. */
  getPublicKeys(): Record<string, Key> {
    return Object.fromEntries(
      Object.entries(this.privateKeys).map(([type, key]) => [type, key.public()]),
    );
  }

  /** Private host keys by SSH type. */
  getPrivateKeys(): Record<string, Key> {
    return this.privateKeys;
  }

  /** The primes for group exchange, or null for the built-in groups. */
  getPrimes(): PrimeTable | null {
    return this.primes;
  }

  /** The service class for `name`. */
  getService(_transport: SSHServerTransport, name: string): (new () => SSHService) | undefined {
    return Object.hasOwn(this.services, name) ? this.services[name] : undefined;
  }

  /** A server transport with the factory's clock. */
  override buildProtocol(address: Address): IProtocol | null {
    const protocol = super.buildProtocol(address) as SSHServerTransport | null;
    if (protocol !== null) protocol.clock = this.reactor;
    return protocol;
  }
}
