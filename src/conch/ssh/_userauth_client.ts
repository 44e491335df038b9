/**
 * SSHUserAuthClient: the client side of RFC 4252 and RFC 4256
 * (`twisted.conch.ssh.userauth.SSHUserAuthClient`): publickey (asking first
 * whether a key would do, signing only then), password and keyboard-interactive,
 * in that order, for the methods the server says can continue.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import { Logger } from "../../logger/mod.ts";
import { DISCONNECT, MSG } from "./_constants.ts";
import { SSHService } from "./_service.ts";
import { SSHProtocolError } from "./_transport.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";
import type { Key } from "../keys/_key.ts";

const log = new Logger("tw.conch.ssh");

/**
 * The server accepted none of our methods (`twisted.conch.error.AuthenticationFailed`... as `ConchError`).
 *
 * @example
 * ```ts
 * import { AuthenticationFailed } from "@tw/core/conch";
 *
 * console.log(new AuthenticationFailed("refused").name); // "AuthenticationFailed"
 * ```
 */
export class AuthenticationFailed extends Error {
  /** The error's name. */
  override name = "AuthenticationFailed";
}

/** A keyboard-interactive prompt: its text and whether to echo the answer. */
export type Prompt = [text: string, echo: boolean];

/** At most this many prompts in one INFO_REQUEST. */
const MAX_PROMPTS = 32;

/**
 * Authenticates `user` and then starts `instance` (the connection service).
 * Override `getPublicKey` / `getPrivateKey`, `getPassword`, `getGenericAnswers`.
 *
 * @example
 * ```ts
 * import { SSHConnection, SSHUserAuthClient } from "@tw/core/conch";
 *
 * class PasswordAuth extends SSHUserAuthClient {
 *   override getPassword(): Promise<string | null> {
 *     return Promise.resolve("secret");
 *   }
 * }
 * const auth = new PasswordAuth("alice", new SSHConnection());
 * console.log(auth.user, auth.preferredOrder[0]); // "alice" "publickey"
 * ```
 */
export class SSHUserAuthClient extends SSHService {
  /** The service name. */
  override name = "ssh-userauth";
  /** Methods in the order we try them. */
  preferredOrder: string[] = ["publickey", "password", "keyboard-interactive"];
  /** The user name. */
  readonly user: string;
  /** The service started once authenticated. */
  readonly instance: SSHService;
  /** The last method tried. */
  lastAuth = "none";
  #tried = new Set<string>();
  #lastKey: Key | null = null;
  #lastAlgorithm = "";
  #authenticated = false;

  /** Authenticates `user`, then starts `instance`. */
  constructor(user: string, instance: SSHService) {
    super();
    this.user = user;
    this.instance = instance;
  }

  /** Asks with the "none" method to learn the server's methods. */
  override serviceStarted(): void {
    this.askForAuth("none", new Uint8Array(0));
  }

  /** Nothing to clean up. */
  override serviceStopped(_reason: Failure | null): void {}

  /** Sends a USERAUTH_REQUEST for `kind` with the method's `extra` fields. */
  askForAuth(kind: string, extra: Uint8Array): void {
    this.lastAuth = kind;
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.USERAUTH_REQUEST).string(this.user).string(this.instance.name)
        .string(kind).raw(extra).bytes(),
    );
  }

  /** Handles the server's answers. */
  override async packetReceived(messageNum: number, payload: Uint8Array): Promise<void> {
    const reader = new SSHReader(payload);
    switch (messageNum) {
      case MSG.USERAUTH_SUCCESS:
        this.#authenticated = true;
        this.transport.setService(this.instance);
        return;
      case MSG.USERAUTH_FAILURE: {
        const canContinue = reader.nameList();
        const partial = reader.boolean();
        if (partial) this.#tried.clear();
        return await this.#tryNext(canContinue);
      }
      case MSG.USERAUTH_BANNER:
        this.bannerReceived(reader.text());
        return;
      case 60: // PK_OK (publickey) or INFO_REQUEST (keyboard-interactive)
        if (this.lastAuth === "publickey") return await this.#signWithKey();
        if (this.lastAuth === "keyboard-interactive") return await this.#answerPrompts(reader);
    }
    throw new SSHProtocolError(`Unexpected authentication message ${messageNum}`);
  }

  /** Hook: the server's banner (shown to the user by interactive clients). */
  bannerReceived(banner: string): void {
    log.info("SSH banner: {banner}", { banner });
  }

  async #tryNext(canContinue: string[]): Promise<void> {
    if (this.lastAuth === "publickey" && canContinue.includes("publickey")) {
      // The last key was refused: offer the next one, if any.
      if (await this.#offerKey()) return;
    }
    for (const method of this.preferredOrder) {
      if (!canContinue.includes(method) || this.#tried.has(method)) continue;
      this.#tried.add(method);
      if (await this.#start(method)) return;
    }
    this.noMoreMethods();
  }

  /** No method is left: disconnect (the endpoint fails with `AuthenticationFailed`). */
  noMoreMethods(): void {
    this.transport.sendDisconnect(
      DISCONNECT.NO_MORE_AUTH_METHODS_AVAILABLE,
      "no more authentication methods available",
    );
  }

  async #start(method: string): Promise<boolean> {
    switch (method) {
      case "publickey":
        return await this.#offerKey();
      case "password": {
        const password = await this.getPassword();
        if (password === null) return false;
        this.askForAuth("password", new SSHWriter().boolean(false).string(password).bytes());
        return true;
      }
      case "keyboard-interactive":
        this.askForAuth("keyboard-interactive", new SSHWriter().string("").string("").bytes());
        return true;
    }
    return false;
  }

  /** The signature algorithm for `key`: for RSA, SHA-2 as the server's ext-info allows. */
  signatureAlgorithm(key: Key): string | null {
    const names = key.supportedSignatureAlgorithms();
    if (key.type() !== "RSA") return names[0];
    const accepted = this.transport.peerExtensions.get("server-sig-algs");
    if (accepted === undefined) return "rsa-sha2-512";
    const list = new TextDecoder().decode(accepted).split(",");
    return names.find((name) => list.includes(name)) ?? null;
  }

  async #offerKey(): Promise<boolean> {
    for (;;) {
      const key = await this.getPublicKey();
      if (key === null) return false;
      const algorithm = this.signatureAlgorithm(key);
      if (algorithm === null) continue;
      this.#lastKey = key;
      this.#lastAlgorithm = algorithm;
      this.askForAuth(
        "publickey",
        new SSHWriter().boolean(false).string(algorithm).string(key.blob()).bytes(),
      );
      return true;
    }
  }

  async #signWithKey(): Promise<void> {
    const key = this.#lastKey;
    if (key === null) throw new SSHProtocolError("PK_OK without a key offered");
    const algorithm = this.#lastAlgorithm;
    const blob = key.blob();
    const signed = new SSHWriter().string(this.transport.sessionID!).byte(MSG.USERAUTH_REQUEST)
      .string(this.user).string(this.instance.name).string("publickey").boolean(true)
      .string(algorithm).string(blob).bytes();
    const privateKey = await this.getPrivateKey();
    const signature = await this.signData(privateKey, signed, algorithm);
    this.askForAuth(
      "publickey",
      new SSHWriter().boolean(true).string(algorithm).string(blob).string(signature).bytes(),
    );
  }

  /** Signs `data` with `privateKey` (an agent-backed client overrides this). */
  async signData(privateKey: Key, data: Uint8Array, algorithm: string): Promise<Uint8Array> {
    return await privateKey.sign(data, { algorithm });
  }

  async #answerPrompts(reader: SSHReader): Promise<void> {
    const name = reader.text();
    const instruction = reader.text();
    reader.text();
    const count = reader.uint32();
    if (count > MAX_PROMPTS) throw new SSHProtocolError("Too many prompts");
    const prompts: Prompt[] = [];
    for (let i = 0; i < count; i++) prompts.push([reader.text(), reader.boolean()]);
    const answers = await this.getGenericAnswers(name, instruction, prompts);
    if (answers === null) {
      this.transport.sendMessage(
        new SSHWriter().byte(MSG.USERAUTH_INFO_RESPONSE).uint32(0).bytes(),
      );
      return;
    }
    const writer = new SSHWriter().byte(MSG.USERAUTH_INFO_RESPONSE).uint32(answers.length);
    for (const answer of answers) writer.string(answer);
    this.transport.sendMessage(writer.bytes());
  }

  /** The next public key to offer, or null when there are no more. */
  getPublicKey(): Promise<Key | null> {
    return Promise.resolve(null);
  }

  /** The private half of the last key `getPublicKey` gave. */
  getPrivateKey(): Promise<Key> {
    return Promise.reject(new Error("No private key"));
  }

  /** The password, or null to skip password authentication. */
  getPassword(_prompt?: string): Promise<string | null> {
    return Promise.resolve(null);
  }

  /**
   * Answers keyboard-interactive prompts, or null to give up. By default a
   * single password prompt is answered with `getPassword`.
   */
  async getGenericAnswers(
    _name: string,
    _instruction: string,
    prompts: Prompt[],
  ): Promise<string[] | null> {
    if (prompts.length === 0) return [];
    if (prompts.length !== 1 || prompts[0][1]) return null;
    const password = await this.getPassword(prompts[0][0]);
    return password === null ? null : [password];
  }

  /** True once the server accepted us. */
  get authenticated(): boolean {
    return this.#authenticated;
  }
}
