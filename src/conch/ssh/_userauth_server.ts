/**
 * SSHUserAuthServer: the server side of RFC 4252 (and keyboard-interactive,
 * RFC 4256) through a cred `Portal`: publickey (`SSHPrivateKey`), password
 * and one-prompt keyboard-interactive (`UsernamePassword`). OpenSSH's limits:
 * six failures per connection, late answers to failed passwords, a login
 * deadline.
 * @module
 */
import type { Failure } from "../../internet/failure.ts";
import type { IDelayedCall, IReactorTime } from "../../internet/interfaces.ts";
import { Logger } from "../../logger/mod.ts";
import { UsernamePassword } from "../../cred/mod.ts";
import type { Portal } from "../../cred/mod.ts";
import { SSHPrivateKey } from "../../cred/_ssh_credentials.ts";
import { DISCONNECT, MSG } from "./_constants.ts";
import { SSHService } from "./_service.ts";
import { SSHProtocolError } from "./_transport.ts";
import type { SSHServerTransport } from "./_transport_server.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";
import { Key } from "../keys/_key.ts";
import { ValidPublicKey } from "../keys/_errors.ts";
import { IConchUser } from "./_avatar.ts";

const log = new Logger("tw.conch.ssh");

type Outcome = "success" | "failure" | "partial" | "pending";

/**
 * The server's authentication service (`twisted.conch.ssh.userauth.SSHUserAuthServer`).
 * Started by the server transport for "ssh-userauth"; on success it starts
 * the factory's "ssh-connection" service with the avatar as `transport.avatar`.
 *
 * @example
 * ```ts
 * import { SSHUserAuthServer } from "@tw/core/conch";
 *
 * const auth = new SSHUserAuthServer();
 * console.log(auth.name, auth.supportedAuthentications);
 * // "ssh-userauth" ["publickey", "password", "keyboard-interactive"]
 * ```
 */
export class SSHUserAuthServer extends SSHService {
  /** The service name. */
  override name = "ssh-userauth";
  /** Methods offered, in the order a client should try them. */
  supportedAuthentications: string[] = ["publickey", "password", "keyboard-interactive"];
  /** Failures before the connection is closed (OpenSSH's MaxAuthTries). @default 6 */
  attemptsBeforeDisconnect = 6;
  /** Seconds before a failed password is answered. @default 1 */
  passwordDelay = 1;
  /** Seconds a client has to log in. @default 120 */
  loginTimeout = 120;
  /** Text sent before the first answer (SSH_MSG_USERAUTH_BANNER), or null. */
  bannerText: string | null = null;
  /** The user being authenticated. */
  user: string | null = null;
  /** The service asked for after authentication. */
  nextService: string | null = null;
  /** Failed attempts so far. */
  loginAttempts = 0;

  #timeout: IDelayedCall | null = null;
  #clock: IReactorTime | null = null;
  #bannerSent = false;
  #pendingKeyboard: { user: string } | null = null;
  #busy = false;
  #done = false;

  get #server(): SSHServerTransport {
    return this.transport as SSHServerTransport;
  }

  #portal(): Portal {
    const portal = this.#server.factory?.portal ?? null;
    if (portal === null) throw new SSHProtocolError("No portal", DISCONNECT.BY_APPLICATION);
    return portal as Portal;
  }

  /** Starts the login deadline. */
  override serviceStarted(): void {
    this.#clock = this.transport.clock;
    if (this.#clock !== null && this.loginTimeout > 0) {
      this.#timeout = this.#clock.callLater(this.loginTimeout, () => {
        this.#timeout = null;
        log.info("SSH login timed out");
        this.transport.sendDisconnect(
          DISCONNECT.NO_MORE_AUTH_METHODS_AVAILABLE,
          "you took too long",
        );
      });
    }
  }

  /** Cancels the login deadline. */
  override serviceStopped(_reason: Failure | null): void {
    this.#timeout?.cancel();
    this.#timeout = null;
  }

  /** Handles USERAUTH_REQUEST and INFO_RESPONSE. */
  override async packetReceived(messageNum: number, payload: Uint8Array): Promise<void> {
    if (this.#done) return;
    if (this.#busy) throw new SSHProtocolError("Authentication request while one is pending");
    if (messageNum === MSG.USERAUTH_INFO_RESPONSE && this.#pendingKeyboard !== null) {
      return await this.#keyboardResponse(payload);
    }
    if (messageNum !== MSG.USERAUTH_REQUEST) {
      throw new SSHProtocolError(`Unexpected authentication message ${messageNum}`);
    }
    this.#pendingKeyboard = null;
    const reader = new SSHReader(payload);
    const user = reader.text();
    const service = reader.text();
    const method = reader.text();
    if (user.length > 256) throw new SSHProtocolError("User name too long");
    this.user = user;
    this.nextService = service;
    this.#sendBanner();
    let outcome: Outcome;
    this.#busy = true;
    try {
      switch (method) {
        case "publickey":
          outcome = this.supportedAuthentications.includes(method)
            ? await this.#publicKey(user, service, reader)
            : "failure";
          break;
        case "password":
          outcome = this.supportedAuthentications.includes(method)
            ? await this.#password(user, reader)
            : "failure";
          break;
        case "keyboard-interactive":
          outcome = this.supportedAuthentications.includes(method)
            ? this.#keyboardStart(user)
            : "failure";
          break;
        default:
          outcome = "partial";
      }
    } finally {
      this.#busy = false;
    }
    this.#answer(outcome, method);
  }

  #sendBanner(): void {
    if (this.#bannerSent || this.bannerText === null) return;
    this.#bannerSent = true;
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.USERAUTH_BANNER).string(this.bannerText).string("").bytes(),
    );
  }

  /** "partial" is a failure that does not count (the "none" method). */
  #answer(outcome: Outcome, method: string): void {
    if (outcome === "success" || outcome === "pending" || this.#done) return;
    if (outcome === "failure") {
      this.loginAttempts++;
      log.info("SSH login failed for {user} with {method}", { user: this.user, method });
      if (this.loginAttempts >= this.attemptsBeforeDisconnect) {
        this.#done = true;
        this.transport.sendDisconnect(
          DISCONNECT.NO_MORE_AUTH_METHODS_AVAILABLE,
          "too many authentication failures",
        );
        return;
      }
    }
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.USERAUTH_FAILURE).nameList(this.supportedAuthentications)
        .boolean(false).bytes(),
    );
  }

  async #publicKey(user: string, service: string, reader: SSHReader): Promise<Outcome> {
    const hasSignature = reader.boolean();
    const algorithm = reader.text();
    const blob = reader.string().slice();
    let key: Key;
    try {
      key = Key.fromString(blob, { type: "blob" });
    } catch {
      return "failure";
    }
    if (!key.supportedSignatureAlgorithms().includes(algorithm)) return "failure";
    let signature: Uint8Array | null = null;
    let signed: Uint8Array | null = null;
    if (hasSignature) {
      signature = reader.string().slice();
      signed = new SSHWriter().string(this.transport.sessionID!).byte(MSG.USERAUTH_REQUEST)
        .string(user).string(service).string("publickey").boolean(true).string(algorithm)
        .string(blob).bytes();
    }
    const credentials = new SSHPrivateKey(user, algorithm, blob, signed, signature);
    try {
      const result = await this.#portal().login(credentials, null, IConchUser);
      return await this.#succeed(result, "publickey", key.fingerprint());
    } catch (e) {
      if (e instanceof ValidPublicKey) {
        this.transport.sendMessage(
          new SSHWriter().byte(MSG.USERAUTH_PK_OK).string(algorithm).string(blob).bytes(),
        );
        return "pending";
      }
      this.#logRefusal(e);
      return "failure";
    }
  }

  async #password(user: string, reader: SSHReader): Promise<Outcome> {
    if (reader.boolean()) return "failure"; // A password change: not supported.
    const password = reader.text();
    return await this.#checkPassword(user, password, "password");
  }

  async #checkPassword(user: string, password: string, method: string): Promise<Outcome> {
    try {
      const result = await this.#portal().login(
        new UsernamePassword(user, password),
        null,
        IConchUser,
      );
      return await this.#succeed(result, method);
    } catch (e) {
      this.#logRefusal(e);
      await this.#delay(this.passwordDelay);
      return "failure";
    }
  }

  #delay(seconds: number): Promise<void> {
    const clock = this.#clock;
    if (clock === null || seconds <= 0) return Promise.resolve();
    return new Promise((resolve) => clock.callLater(seconds, resolve));
  }

  #keyboardStart(user: string): Outcome {
    this.#pendingKeyboard = { user };
    this.transport.sendMessage(
      new SSHWriter().byte(MSG.USERAUTH_INFO_REQUEST).string("").string("").string("")
        .uint32(1).string("Password: ").boolean(false).bytes(),
    );
    return "pending";
  }

  async #keyboardResponse(payload: Uint8Array): Promise<void> {
    const { user } = this.#pendingKeyboard!;
    this.#pendingKeyboard = null;
    const reader = new SSHReader(payload);
    const count = reader.uint32();
    if (count !== 1) {
      this.#answer("failure", "keyboard-interactive");
      return;
    }
    const password = reader.text();
    this.#busy = true;
    let outcome: Outcome;
    try {
      outcome = await this.#checkPassword(user, password, "keyboard-interactive");
    } finally {
      this.#busy = false;
    }
    this.#answer(outcome, "keyboard-interactive");
  }

  #logRefusal(e: unknown): void {
    const name = (e as Error)?.name;
    if (name !== "UnauthorizedLogin" && name !== "UnhandledCredentials") {
      log.failure("SSH login error", e, "error");
    }
  }

  /** Logged in: start the next service with the avatar. */
  #succeed(
    [, avatar, logout]: [unknown, unknown, () => void],
    method: string,
    fingerprint?: string,
  ): Outcome {
    const service = this.#server.factory?.getService(this.#server, this.nextService ?? "");
    if (service === undefined || this.nextService === "ssh-userauth") {
      logout();
      this.transport.sendDisconnect(
        DISCONNECT.SERVICE_NOT_AVAILABLE,
        `no such service ${this.nextService}`,
      );
      this.#done = true;
      return "success";
    }
    this.#done = true;
    log.info("SSH login: {user} with {method}{key}", {
      user: this.user,
      method,
      key: fingerprint ? ` key ${fingerprint}` : "",
    });
    this.#server.avatar = avatar;
    this.#server.logoutFunction = logout;
    this.transport.sendMessage(new Uint8Array([MSG.USERAUTH_SUCCESS]));
    this.transport.setService(new service());
    return "success";
  }
}
