/**
 * SSHAgentClient: the client side of the SSH agent protocol
 * (draft-miller-ssh-agent, `twisted.conch.ssh.agent.SSHAgentClient`) over any
 * stream, usually the Unix socket in `SSH_AUTH_SOCK`: list the agent's keys
 * and have it sign, so private keys never leave the agent.
 * @module
 */
import { Protocol } from "../../internet/protocol.ts";
import type { Failure } from "../../internet/failure.ts";
import { SSHReader, SSHWriter } from "./_wire.ts";

const REQUEST_IDENTITIES = 11;
const IDENTITIES_ANSWER = 12;
const SIGN_REQUEST = 13;
const SIGN_RESPONSE = 14;
const FAILURE = 5;
/** Sign flags: RSA with SHA-256 or SHA-512 instead of SHA-1. */
const RSA_SHA2_256 = 2;
const RSA_SHA2_512 = 4;
/** The largest agent message we accept (OpenSSH's limit is 256 KiB). */
const MAX_MESSAGE = 256 * 1024;

/**
 * The agent refused or failed a request.
 *
 * @example
 * ```ts
 * import { AgentError } from "@tw/core/conch";
 *
 * console.log(new AgentError("The agent refused the request").name); // "AgentError"
 * ```
 */
export class AgentError extends Error {
  /** The error's name. */
  override name = "AgentError";
}

interface Pending {
  expect: number;
  resolve(reader: SSHReader): void;
  reject(error: Error): void;
}

/**
 * Talks to an SSH agent. Connect it to the agent's socket (for example with a
 * `UNIXClientEndpoint` on `SSH_AUTH_SOCK`), then ask.
 *
 * @example
 * ```ts
 * import { SSHAgentClient } from "@tw/core/conch";
 * import { StringTransport } from "@tw/core/testing";
 *
 * const agent = new SSHAgentClient();
 * agent.makeConnection(new StringTransport());
 * const identities = agent.requestIdentities(); // answered when the agent replies
 * console.log(identities instanceof Promise); // true
 * ```
 */
export class SSHAgentClient extends Protocol {
  #buffer = new Uint8Array(0);
  #pending: Pending[] = [];
  #lost: Error | null = null;

  /** Reads length-prefixed answers and settles requests in order. */
  override dataReceived(data: Uint8Array): void {
    const joined = new Uint8Array(this.#buffer.length + data.length);
    joined.set(this.#buffer);
    joined.set(data, this.#buffer.length);
    let at = 0;
    while (joined.length - at >= 4) {
      const length = new DataView(joined.buffer, joined.byteOffset + at).getUint32(0);
      if (length === 0 || length > MAX_MESSAGE) {
        this.#failAll(new AgentError(`Agent sent a message of ${length} bytes`));
        this.transport.loseConnection();
        return;
      }
      if (joined.length - at < 4 + length) break;
      this.#answer(joined.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    this.#buffer = joined.slice(at);
  }

  #answer(message: Uint8Array): void {
    const pending = this.#pending.shift();
    if (pending === undefined) return;
    const type = message[0];
    if (type === pending.expect) pending.resolve(new SSHReader(message, 1));
    else if (type === FAILURE) pending.reject(new AgentError("The agent refused the request"));
    else pending.reject(new AgentError(`Unexpected agent answer ${type}`));
  }

  /** Fails what is still waiting. */
  override connectionLost(reason: Failure): void {
    this.#lost = new AgentError(`Agent connection lost: ${reason.value.message}`);
    this.#failAll(this.#lost);
  }

  #failAll(error: Error): void {
    const pending = this.#pending;
    this.#pending = [];
    for (const request of pending) request.reject(error);
  }

  #request(message: Uint8Array, expect: number): Promise<SSHReader> {
    if (this.#lost !== null) return Promise.reject(this.#lost);
    return new Promise((resolve, reject) => {
      this.#pending.push({ expect, resolve, reject });
      this.transport.write(new SSHWriter().string(message).bytes());
    });
  }

  /** The agent's keys as `[blob, comment]` pairs. */
  async requestIdentities(): Promise<[blob: Uint8Array, comment: string][]> {
    const reader = await this.#request(new Uint8Array([REQUEST_IDENTITIES]), IDENTITIES_ANSWER);
    const count = reader.uint32();
    if (count > 1024) throw new AgentError("The agent listed too many keys");
    const keys: [Uint8Array, string][] = [];
    for (let i = 0; i < count; i++) {
      const blob = reader.string().slice();
      keys.push([blob, new TextDecoder().decode(reader.string())]);
    }
    return keys;
  }

  /**
   * Has the agent sign `data` with the key `blob`; returns the SSH signature
   * blob. `algorithm` "rsa-sha2-256" or "rsa-sha2-512" picks RSA's hash.
   */
  async signData(
    blob: Uint8Array,
    data: Uint8Array,
    options: { algorithm?: string } = {},
  ): Promise<Uint8Array> {
    const flags = options.algorithm === "rsa-sha2-512"
      ? RSA_SHA2_512
      : options.algorithm === "rsa-sha2-256"
      ? RSA_SHA2_256
      : 0;
    const message = new SSHWriter().byte(SIGN_REQUEST).string(blob).string(data).uint32(flags)
      .bytes();
    const reader = await this.#request(message, SIGN_RESPONSE);
    return reader.string().slice();
  }
}
