/**
 * `@tw/core/conch/keys` (`twisted.conch.ssh.keys`, `twisted.conch.checkers`,
 * `twisted.conch.client.knownhosts`): SSH keys (Ed25519, ECDSA P-256/384/521,
 * RSA) read from and written to OpenSSH's formats (openssh-key-v1, also
 * encrypted with bcrypt-pbkdf and AES; one-line public keys), PEM (PKCS#1,
 * SEC1, PKCS#8 also encrypted with PBES2, legacy `Proc-Type: 4,ENCRYPTED`)
 * and RFC 4716; signatures
 * made and checked with WebCrypto; known_hosts files; public key login
 * checkers for cred.
 *
 * Parsing is synchronous, as Twisted's: SHA-1/256/512 and bcrypt_pbkdf are
 * written here, AES comes from `@noble/ciphers` (WebCrypto's is
 * asynchronous).
 *
 * @example
 * ```ts
 * import { FingerprintFormats, Key } from "@tw/core/conch/keys";
 * const key = await Key.generate("ecdsa", { bits: 384 });
 * const file = key.toString("openssh", { comment: "me@host", passphrase: "secret" });
 * const again = Key.fromString(file, { passphrase: "secret" });
 * console.log(again.equals(key), again.comment); // true "me@host"
 * console.log(again.sshType(), again.size()); // "ecdsa-sha2-nistp384" 384
 * console.log(key.fingerprint(FingerprintFormats.MD5_HEX).split(":").length); // 16
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor whose runtime the
// file-reading defaults use (`getReactor()`), as `@tw/core/cred` does.
import "../../../runtimes/select.ts";
export {
  FingerprintFormats,
  Key,
  type KeyFromStringOptions,
  type KeyStringType,
  type KeyToStringOptions,
  type KeyVerifyOptions,
} from "./_key.ts";
export type { CurveName, ECKeyData, Ed25519KeyData, KeyData, RSAKeyData } from "./_key_data.ts";
export {
  BadKeyError,
  EncryptedKeyError,
  HostKeyChanged,
  UserRejectedKey,
  ValidPublicKey,
} from "./_errors.ts";
export {
  KnownHostsFile,
  knownHostsName,
  type KnownHostsRuntime,
  type KnownHostsUI,
} from "./_known_hosts.ts";
export {
  AuthorizedKeysFile,
  type IAuthorizedKeysDB,
  InMemorySSHKeyDB,
  SSHPublicKeyChecker,
} from "./_checkers.ts";
