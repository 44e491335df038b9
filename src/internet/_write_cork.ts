/**
 * Holding a protocol's writes while it reads, to write them at once (AMP's
 * answers, PB's): what the protocol sends while `dataReceived` runs goes out
 * in one write when it returns. The protocol's `transport` becomes an
 * accessor that first writes what is held, so whatever else uses the
 * transport (a write, a close, a TLS start) comes after it: the order is kept.
 * @module
 */
import type { ITransport } from "./interfaces.ts";
import { concatBytes } from "./_bytes.ts";

/** One protocol's held writes and its real transport. */
export class WriteCork {
  #real: ITransport | undefined = undefined;
  #held: Uint8Array[] | null = null;
  readonly #canWrite: () => boolean;

  /**
   * Makes `owner.transport` an accessor over the real transport.
   * @param canWrite false once held writes should be dropped (the connection is gone)
   */
  constructor(owner: object, canWrite: () => boolean = () => true) {
    this.#canWrite = canWrite;
    this.install(owner);
  }

  /** (Re)defines `owner.transport` (a subclass field may have replaced the accessor). */
  install(owner: object): void {
    Object.defineProperty(owner, "transport", {
      get: (): ITransport | undefined => {
        this.flush();
        return this.#real;
      },
      set: (transport: ITransport) => {
        this.#real = transport;
      },
      enumerable: true,
      configurable: true,
    });
  }

  /** The transport itself, without flushing. */
  get real(): ITransport | undefined {
    return this.#real;
  }
  set real(transport: ITransport | undefined) {
    this.#real = transport;
  }

  /** True while writes are held. */
  get holding(): boolean {
    return this.#held !== null;
  }

  /** Starts holding writes; false when already holding (an inner call). */
  hold(): boolean {
    if (this.#held !== null) return false;
    this.#held = [];
    return true;
  }

  /** Writes `bytes`, or holds them. */
  write(bytes: Uint8Array): void {
    if (this.#held !== null) this.#held.push(bytes);
    else this.#real!.write(bytes);
  }

  /** Writes what is held, in one write, and keeps holding. */
  flush(): void {
    const held = this.#held;
    if (held === null || held.length === 0) return;
    this.#held = [];
    if (!this.#canWrite() || this.#real === undefined) return;
    this.#real.write(concatBytes(held));
  }

  /** Writes what is held and stops holding. */
  release(): void {
    this.flush();
    this.#held = null;
  }

  /** Forgets what is held (the connection is gone). */
  drop(): void {
    if (this.#held !== null) this.#held = [];
  }
}
