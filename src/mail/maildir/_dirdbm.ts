/**
 * A directory of files as a string map (Twisted's `twisted.persisted.dirdbm.DirDBM`),
 * with Twisted's file-name encoding, so a `passwd` directory written by
 * `twistd mail` is read as is; and `DirdbmDatabase`, a credentials checker over it.
 * Private: re-exported by the pop3 `mod.ts`.
 * @module
 */
import type { RuntimeFileSystem } from "../../internet/socket.ts";
import type { AvatarId, ICredentialsChecker } from "../../cred/_checkers.ts";
import {
  type ICredentials,
  type InterfaceName,
  IUsernameHashedPassword,
  IUsernamePassword,
} from "../../cred/_interfaces.ts";
import { UnauthorizedLogin } from "../../cred/_errors.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Twisted's key encoding: base64 in lines of 76, each ended by "_", with "/" as "-". */
export function encodeDirdbmKey(key: Uint8Array | string): string {
  const bytes = typeof key === "string" ? encoder.encode(key) : key;
  const b64 = btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
  let out = "";
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + "_";
  return out.replaceAll("/", "-");
}

/** The key a file name stands for. */
export function decodeDirdbmKey(name: string): Uint8Array {
  const b64 = name.replaceAll("_", "").replaceAll("-", "/");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

const isValue = (name: string): boolean => !/\.(new|rpl)$/.test(name);

/**
 * A directory where each file holds one value, named by its encoded key
 * (Twisted's `DirDBM`). Writes go to a `.new` / `.rpl` file renamed into place.
 *
 * @example
 * ```ts
 * import { DirDBM } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * const dbm = await DirDBM.open(reactor.runtime, "/tmp/mail/passwd");
 * await dbm.set("alice", "secret");
 * const password: string | null = await dbm.get("alice");
 * ```
 */
export class DirDBM {
  #fs: RuntimeFileSystem;
  /** The directory. */
  readonly path: string;

  private constructor(fs: RuntimeFileSystem, path: string) {
    this.#fs = fs;
    this.path = path;
  }

  /** Opens (creating it if needed) the directory at `path`. */
  static async open(fs: RuntimeFileSystem, path: string): Promise<DirDBM> {
    await fs.mkdir(path, { recursive: true });
    return new DirDBM(fs, path);
  }

  #file(key: string | Uint8Array): string {
    return `${this.path}/${encodeDirdbmKey(key)}`;
  }

  /** The value's bytes, or null when the key is absent. */
  async getBytes(key: string | Uint8Array): Promise<Uint8Array | null> {
    try {
      return await this.#fs.readFile(this.#file(key));
    } catch (error) {
      const code = (error as { code?: string } | null)?.code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return null;
      throw error;
    }
  }

  /** The value as UTF-8 text, or null when the key is absent. */
  async get(key: string | Uint8Array): Promise<string | null> {
    const bytes = await this.getBytes(key);
    return bytes === null ? null : decoder.decode(bytes);
  }

  /** True when the key is present. */
  async has(key: string | Uint8Array): Promise<boolean> {
    return (await this.getBytes(key)) !== null;
  }

  /** Stores a value: written to a side file, then renamed over the old one. */
  async set(key: string | Uint8Array, value: string | Uint8Array): Promise<void> {
    const file = this.#file(key);
    const side = `${file}${(await this.has(key)) ? ".rpl" : ".new"}`;
    try {
      await this.#fs.writeFile(side, value, { sync: true });
      await this.#fs.rename(side, file);
    } catch (error) {
      await this.#fs.remove(side).catch(() => {});
      throw error;
    }
  }

  /** Removes a key; false when it was absent. */
  async delete(key: string | Uint8Array): Promise<boolean> {
    try {
      await this.#fs.remove(this.#file(key));
      return true;
    } catch {
      return false;
    }
  }

  /** The keys, decoded as UTF-8. */
  async keys(): Promise<string[]> {
    const names = (await this.#fs.readDir(this.path)).filter(isValue);
    return names.map((name) => decoder.decode(decodeDirdbmKey(name)));
  }
}

/**
 * Checks usernames and passwords against a `DirDBM` of plain passwords
 * (Twisted's `DirdbmDatabase`); the avatar ID is the username.
 *
 * @example
 * ```ts
 * import { DirDBM, DirdbmDatabase } from "@tw/core/mail/pop3";
 * import { reactor } from "@tw/core";
 * const checker = new DirdbmDatabase(await DirDBM.open(reactor.runtime, "/tmp/mail/passwd"));
 * ```
 */
export class DirdbmDatabase implements ICredentialsChecker {
  /** Checks `IUsernamePassword` and `IUsernameHashedPassword` (APOP, CRAM-MD5). */
  readonly credentialInterfaces: readonly InterfaceName[] = [
    IUsernamePassword,
    IUsernameHashedPassword,
  ];
  /** The password database. */
  readonly dirdbm: DirDBM;

  /**
   * Makes the instance.
   * @param dirdbm usernames to plain passwords
   */
  constructor(dirdbm: DirDBM) {
    this.dirdbm = dirdbm;
  }

  /** Resolves with the username when the password matches; fails with `UnauthorizedLogin`. */
  async requestAvatarId(credentials: ICredentials): Promise<AvatarId> {
    const c = credentials as ICredentials & {
      username: string;
      checkPassword(p: string): boolean | PromiseLike<boolean>;
    };
    if (typeof c.username === "string" && c.username !== "") {
      const password = await this.dirdbm.get(c.username);
      if (password !== null && (await c.checkPassword(password))) return c.username;
    }
    throw new UnauthorizedLogin("Invalid username or password");
  }
}
