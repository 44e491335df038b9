/**
 * SSH public key credentials (`twisted.cred.credentials.SSHPrivateKey` and
 * `ISSHPrivateKey`): what SSH's "publickey" userauth method offers.
 * @module
 */
import { type ICredentials, type InterfaceName, interfaceName } from "./_interfaces.ts";

/**
 * A public key offered for SSH login, with the signature that proves the
 * client holds its private key (`ISSHPrivateKey`). Without a signature
 * (`sigData` and `signature` null) the client only asks whether the key
 * would be accepted.
 */
export interface ISSHPrivateKey extends ICredentials {
  /** The username. */
  readonly username: string;
  /** The public key algorithm named by the client (`ssh-ed25519`, `rsa-sha2-512`...). */
  readonly algName: string;
  /** The public key blob. */
  readonly blob: Uint8Array;
  /** The data signed (session id and the request), or null. */
  readonly sigData: Uint8Array | null;
  /** The SSH signature blob over `sigData`, or null. */
  readonly signature: Uint8Array | null;
}

/** The credential interface of `SSHPrivateKey`. */
export const ISSHPrivateKey: InterfaceName<ISSHPrivateKey> = interfaceName("ISSHPrivateKey");

/**
 * Credentials of SSH public key authentication (`SSHPrivateKey`), checked
 * by `SSHPublicKeyChecker` from `@tw/core/conch/keys`.
 *
 * @example
 * ```ts
 * import { ISSHPrivateKey, providedBy, SSHPrivateKey } from "@tw/core/cred";
 * const blob = new Uint8Array([0, 0, 0, 11]);
 * const creds = new SSHPrivateKey("alice", "ssh-ed25519", blob, null, null);
 * console.log(providedBy(ISSHPrivateKey, creds), creds.username); // true "alice"
 * ```
 */
export class SSHPrivateKey implements ISSHPrivateKey {
  /** Provides `ISSHPrivateKey`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [ISSHPrivateKey];
  /** The username. */
  readonly username: string;
  /** The public key algorithm named by the client. */
  readonly algName: string;
  /** The public key blob. */
  readonly blob: Uint8Array;
  /** The signed data, or null. */
  readonly sigData: Uint8Array | null;
  /** The SSH signature blob, or null. */
  readonly signature: Uint8Array | null;

  /**
   * Makes the credentials.
   * @param username the username
   * @param algName the public key algorithm
   * @param blob the public key blob
   * @param sigData the signed data, or null
   * @param signature the signature blob, or null
   */
  constructor(
    username: string,
    algName: string,
    blob: Uint8Array,
    sigData: Uint8Array | null,
    signature: Uint8Array | null,
  ) {
    this.username = username;
    this.algName = algName;
    this.blob = blob;
    this.sigData = sigData;
    this.signature = signature;
  }
}
