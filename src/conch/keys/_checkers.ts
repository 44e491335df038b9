/**
 * Public key login checkers (`twisted.conch.checkers`): `SSHPublicKeyChecker`
 * over an `IAuthorizedKeysDB`, either `InMemorySSHKeyDB` or an OpenSSH
 * `authorized_keys` file.
 * @module
 */
import { Deferred } from "../../internet/defer.ts";
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import type { AvatarId, ICredentialsChecker } from "../../cred/_checkers.ts";
import { UnauthorizedLogin } from "../../cred/_errors.ts";
import { type ICredentials, type InterfaceName, providedBy } from "../../cred/_interfaces.ts";
import { ISSHPrivateKey } from "../../cred/_ssh_credentials.ts";
import { SSHReader } from "../ssh/_wire.ts";
import { BadKeyError, ValidPublicKey } from "./_errors.ts";
import { equalBytes } from "./_key_data.ts";
import { Key } from "./_key.ts";

const log = new Logger("conch");

/** Where `SSHPublicKeyChecker` finds a user's keys (Twisted's `IAuthorizedKeysDB`). */
export interface IAuthorizedKeysDB {
  /** The public keys `username` may log in with. */
  getAuthorizedKeys(username: string): Key[] | Promise<Key[]>;
}

/**
 * Users' authorized keys kept in memory (`InMemorySSHKeyDB`).
 *
 * @example
 * ```ts
 * import { InMemorySSHKeyDB, Key } from "@tw/core/conch/keys";
 * const key = (await Key.generate("ed25519")).public();
 * const db = new InMemorySSHKeyDB({ alice: [key] });
 * console.log(db.getAuthorizedKeys("alice").length, db.getAuthorizedKeys("bob").length); // 1 0
 * ```
 */
export class InMemorySSHKeyDB implements IAuthorizedKeysDB {
  #keys: Map<string, Key[]>;

  /**
   * Makes the database.
   * @param mapping username -> keys
   */
  constructor(mapping: Record<string, Key[]> | Map<string, Key[]>) {
    this.#keys = mapping instanceof Map ? new Map(mapping) : new Map(Object.entries(mapping));
  }

  /** The keys of `username` (none for an unknown user). */
  getAuthorizedKeys(username: string): Key[] {
    return [...(this.#keys.get(username) ?? [])];
  }
}

/** The largest authorized_keys file read (bytes). */
const MAX_FILE = 4 << 20;

/**
 * An OpenSSH `authorized_keys` file, read at every login, for every user
 * (as `tw conch` serves its own user). A line with options before the key
 * (`command="..." ssh-ed25519 ...`) is skipped and logged, since its
 * restrictions would not be enforced; lines that are not keys are skipped.
 * An unreadable file gives no keys (and is logged).
 *
 * @example
 * ```ts ignore
 * import { AuthorizedKeysFile, SSHPublicKeyChecker } from "@tw/core/conch/keys";
 * const checker = new SSHPublicKeyChecker(new AuthorizedKeysFile("/home/me/.ssh/authorized_keys"));
 * ```
 */
export class AuthorizedKeysFile implements IAuthorizedKeysDB {
  /** The file's path. */
  readonly path: string;
  #runtime: Pick<RuntimeFileSystem, "readFile"> | undefined;

  /**
   * Makes the database.
   * @param path the authorized_keys file
   * @param options the runtime (default: the reactor's)
   */
  constructor(path: string, options: { runtime?: Pick<RuntimeFileSystem, "readFile"> } = {}) {
    this.path = path;
    this.#runtime = options.runtime;
  }

  /** The keys in the file (the same for every username). */
  async getAuthorizedKeys(_username: string): Promise<Key[]> {
    const runtime = this.#runtime ?? getReactor().runtime;
    let bytes: Uint8Array;
    try {
      bytes = await runtime.readFile(this.path);
    } catch (error) {
      log.failure("Cannot read {path}", error, "warn", { path: this.path });
      return [];
    }
    if (bytes.length > MAX_FILE) {
      log.warn("{path} is larger than 4 MiB; not read", { path: this.path });
      return [];
    }
    const keys: Key[] = [];
    new TextDecoder().decode(bytes).split("\n").forEach((raw, i) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      if (!/^(ssh-|ecdsa-sha2-)\S+\s/.test(line)) {
        const type = /^([a-z0-9.@-]+)\s+AAAA/.exec(line)?.[1];
        log.warn(
          type === undefined
            ? "{path}:{lineno}: key options are not supported; line skipped"
            : "{path}:{lineno}: key type {type} is not supported; line skipped",
          { path: this.path, lineno: i + 1, type },
        );
        return;
      }
      try {
        keys.push(Key.fromString(line, { type: "public_openssh" }));
      } catch (error) {
        if (!(error instanceof BadKeyError)) throw error;
        log.warn("{path}:{lineno}: not a key ({error}); line skipped", {
          path: this.path,
          lineno: i + 1,
          error: error.message,
        });
      }
    });
    return keys;
  }
}

/**
 * Checks SSH public key credentials (`SSHPublicKeyChecker`): the key must be
 * one of the user's authorized keys, and the signature must verify. A key
 * offered without a signature fails with `ValidPublicKey` when it is
 * acceptable (the server then answers `PK_OK`); anything else fails with
 * `UnauthorizedLogin`.
 *
 * @example
 * ```ts
 * import { InMemorySSHKeyDB, Key, SSHPublicKeyChecker } from "@tw/core/conch/keys";
 * import { SSHPrivateKey } from "@tw/core/cred";
 * const key = await Key.generate("ed25519");
 * const checker = new SSHPublicKeyChecker(new InMemorySSHKeyDB({ alice: [key.public()] }));
 * const sigData = new TextEncoder().encode("session id and request");
 * const signature = await key.sign(sigData);
 * const creds = new SSHPrivateKey("alice", "ssh-ed25519", key.blob(), sigData, signature);
 * console.log(await checker.requestAvatarId(creds)); // "alice"
 * ```
 */
export class SSHPublicKeyChecker implements ICredentialsChecker {
  /** Checks `ISSHPrivateKey`. */
  readonly credentialInterfaces: readonly InterfaceName[] = [ISSHPrivateKey];
  #keydb: IAuthorizedKeysDB;

  /**
   * Makes the checker.
   * @param keydb where users' keys are
   */
  constructor(keydb: IAuthorizedKeysDB) {
    this.#keydb = keydb;
  }

  /** Resolves with the username, or fails with `ValidPublicKey` / `UnauthorizedLogin`. */
  requestAvatarId(credentials: ICredentials): Deferred<AvatarId> {
    return Deferred.fromPromise(this.#check(credentials));
  }

  async #check(credentials: ICredentials): Promise<AvatarId> {
    if (!providedBy(ISSHPrivateKey, credentials)) throw new UnauthorizedLogin();
    const creds = credentials as ISSHPrivateKey;
    let offered: Key;
    try {
      offered = Key.fromString(creds.blob, { type: "blob" });
    } catch (error) {
      throw new UnauthorizedLogin("Invalid key", { cause: error });
    }
    const keys = await this.#keydb.getAuthorizedKeys(creds.username);
    const blob = offered.blob();
    const known = keys.find((k) => equalBytes(k.public().blob(), blob));
    if (known === undefined) throw new UnauthorizedLogin("Unable to verify key");
    if (!known.supportedSignatureAlgorithms().includes(creds.algName)) {
      throw new UnauthorizedLogin(`Algorithm ${creds.algName} refused for this key`);
    }
    if (creds.signature === null || creds.sigData === null) {
      throw new ValidPublicKey();
    }
    let signedWith: string;
    try {
      signedWith = new SSHReader(creds.signature).text();
    } catch {
      throw new UnauthorizedLogin("Unable to verify key");
    }
    if (signedWith !== creds.algName) throw new UnauthorizedLogin("Unable to verify key");
    if (!await known.public().verify(creds.signature, creds.sigData)) {
      throw new UnauthorizedLogin("Unable to verify key");
    }
    return creds.username;
  }
}
