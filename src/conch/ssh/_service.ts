/**
 * SSHService: what runs over the transport once keys are exchanged
 * (`twisted.conch.ssh.service.SSHService`): userauth, then connection.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import type { SSHTransportBase } from "./_transport.ts";

/**
 * A service over an SSH transport: it gets the messages numbered 50 and up.
 *
 * @example
 * ```ts
 * import { SSHService } from "@tw/core/conch";
 *
 * class Echoing extends SSHService {
 *   override name = "echo@example.com";
 *   override packetReceived(messageNum: number, payload: Uint8Array): void {
 *     this.transport.sendPacket(messageNum, payload);
 *   }
 * }
 * console.log(new Echoing().name); // "echo@example.com"
 * ```
 */
export class SSHService {
  /** The service's name in SERVICE_REQUEST ("ssh-userauth", "ssh-connection"). */
  name = "";
  /** The transport, set by `setService`. */
  transport!: SSHTransportBase;

  /** Called when the service becomes the transport's. */
  serviceStarted(): void {}

  /** Called when it stops: replaced (`reason` null) or the connection ended. */
  serviceStopped(_reason: Failure | null): void {}

  /** A message for this service; may return a promise the transport waits for. */
  packetReceived(_messageNum: number, _payload: Uint8Array): Promise<void> | void {
    this.transport.sendUnimplemented();
  }
}
