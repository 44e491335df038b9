/**
 * The telnet protocol (`twisted.conch.telnet.Telnet`): commands parsed
 * from the byte stream, option negotiation with Deferreds, subnegotiation.
 * Private: re-exported by `telnet.ts`.
 * @module
 */
import { Deferred, fail } from "../internet/defer.ts";
import type { Failure } from "../internet/failure.ts";
import { Protocol } from "../internet/protocol.ts";
import { Logger } from "../logger/mod.ts";

const log = new Logger("tw.conch.telnet");

/** Telnet's command and option bytes (RFC 854, 855, 857, 858, 1073, 1184). */
export const IAC = 255;
/** Don't (RFC 854). */
export const DONT = 254;
/** Do. */
export const DO = 253;
/** Won't. */
export const WONT = 252;
/** Will. */
export const WILL = 251;
/** Subnegotiation begins. */
export const SB = 250;
/** Go ahead. */
export const GA = 249;
/** Erase line. */
export const EL = 248;
/** Erase character. */
export const EC = 247;
/** Are you there. */
export const AYT = 246;
/** Abort output. */
export const AO = 245;
/** Interrupt process. */
export const IP = 244;
/** Break. */
export const BRK = 243;
/** Data mark. */
export const DM = 242;
/** No operation. */
export const NOP = 241;
/** Subnegotiation ends. */
export const SE = 240;
/** End of record (RFC 885). */
export const EOR = 239;
/** The echo option (RFC 857). */
export const ECHO = 1;
/** Suppress go-ahead (RFC 858). */
export const SGA = 3;
/** Negotiate about window size (RFC 1073). */
export const NAWS = 31;
/** Line mode (RFC 1184). */
export const LINEMODE = 34;

/** The longest subnegotiation kept; a longer one is dropped. */
const MAX_SUBNEGOTIATION = 8192;

/**
 * A telnet negotiation error (Twisted's `telnet.NegotiationError`): the
 * option is `option`.
 *
 * @example
 * ```ts
 * import { ECHO, OptionRefused } from "@tw/core/conch/telnet";
 * console.log(new OptionRefused(ECHO).option); // 1
 * ```
 */
export class NegotiationError extends Error {
  /** The option negotiated. */
  readonly option: number;
  /** Makes the error. */
  constructor(option: number) {
    super(`telnet option ${option}`);
    this.name = new.target.name;
    this.option = option;
  }
}
/**
 * The peer refused the option (Twisted's `OptionRefused`).
 *
 * @example
 * ```ts
 * import { OptionRefused, NegotiationError, SGA } from "@tw/core/conch/telnet";
 * console.log(new OptionRefused(SGA) instanceof NegotiationError); // true
 * ```
 */
export class OptionRefused extends NegotiationError {}
/**
 * The option is already on (Twisted's `AlreadyEnabled`).
 *
 * @example
 * ```ts
 * import { AlreadyEnabled, NegotiationError, SGA } from "@tw/core/conch/telnet";
 * console.log(new AlreadyEnabled(SGA) instanceof NegotiationError); // true
 * ```
 */
export class AlreadyEnabled extends NegotiationError {}
/**
 * The option is already off (Twisted's `AlreadyDisabled`).
 *
 * @example
 * ```ts
 * import { AlreadyDisabled, NegotiationError, SGA } from "@tw/core/conch/telnet";
 * console.log(new AlreadyDisabled(SGA) instanceof NegotiationError); // true
 * ```
 */
export class AlreadyDisabled extends NegotiationError {}
/**
 * The option is being negotiated (Twisted's `AlreadyNegotiating`).
 *
 * @example
 * ```ts
 * import { AlreadyNegotiating, NegotiationError, SGA } from "@tw/core/conch/telnet";
 * console.log(new AlreadyNegotiating(SGA) instanceof NegotiationError); // true
 * ```
 */
export class AlreadyNegotiating extends NegotiationError {}

/** One side's view of an option: on or off, and whether a request of ours is out. */
export interface OptionSide {
  /** On ("yes") or off ("no"). */
  state: "yes" | "no";
  /** True while our request waits for the peer. */
  negotiating: boolean;
  /** Fires when the peer answers our request. */
  onResult: Deferred<boolean> | null;
}

/** An option's state: `us` (we perform it), `him` (the peer does). */
export interface OptionState {
  /** Whether we perform the option. */
  us: OptionSide;
  /** Whether the peer performs it. */
  him: OptionSide;
}

const side = (): OptionSide => ({ state: "no", negotiating: false, onResult: null });

type State =
  | "data"
  | "escaped"
  | "command"
  | "newline"
  | "subnegotiation"
  | "subnegotiation-escaped";

/**
 * Telnet over a byte stream (Twisted's `telnet.Telnet`): data reaches
 * `applicationDataReceived` (IAC IAC as one 255, CR LF as LF, CR NUL as
 * CR), commands reach `commandReceived`, subnegotiations `negotiate`.
 * `will`, `wont`, `do`, `dont` ask the peer and return a Deferred that
 * fires when it agrees or fails with `OptionRefused`; what the peer asks
 * is answered through `enableLocal` / `enableRemote` (false: refused) and
 * `disableLocal` / `disableRemote`. Agreements are never answered, so two
 * peers cannot loop (RFC 1143). A subnegotiation over 8 KiB is dropped.
 *
 * @example
 * ```ts
 * import { Telnet } from "@tw/core/conch/telnet";
 * import { StringTransport } from "@tw/core/testing";
 * class Printer extends Telnet {
 *   override applicationDataReceived(data: Uint8Array): void {
 *     console.log(new TextDecoder().decode(data));
 *   }
 * }
 * const t = new Printer();
 * t.makeConnection(new StringTransport());
 * t.dataReceived(new Uint8Array([104, 105, 255, 255, 13, 10])); // "hi\xff\n" (the 255 as one byte)
 * ```
 */
export class Telnet extends Protocol {
  /** The options' states, by option byte. */
  readonly options: Map<number, OptionState> = new Map();
  /** Subnegotiation handlers by option byte (Twisted's `negotiationMap`). */
  readonly negotiationMap: Map<number, (data: Uint8Array) => void> = new Map();
  #state: State = "data";
  #command = 0;
  #sub: number[] = [];
  #subTooLong = false;

  /** Writes raw bytes (commands included). */
  protected writeRaw(data: Uint8Array): void {
    this.transport.write(data);
  }

  /** The state of `option`, made on first use. */
  getOptionState(option: number): OptionState {
    let state = this.options.get(option);
    if (state === undefined) {
      state = { us: side(), him: side() };
      this.options.set(option, state);
    }
    return state;
  }

  #send(command: number, option: number): void {
    this.writeRaw(new Uint8Array([IAC, command, option]));
  }

  #ask(option: number, mine: boolean, wantOn: boolean, command: number): Deferred<boolean> {
    const s = this.getOptionState(option);
    const view = mine ? s.us : s.him;
    if (s.us.negotiating || s.him.negotiating) return fail(new AlreadyNegotiating(option));
    if (wantOn && view.state === "yes") return fail(new AlreadyEnabled(option));
    if (!wantOn && view.state === "no") return fail(new AlreadyDisabled(option));
    view.negotiating = true;
    const d = new Deferred<boolean>();
    view.onResult = d;
    this.#send(command, option);
    return d;
  }

  /** Offers to perform `option`. */
  will(option: number): Deferred<boolean> {
    return this.#ask(option, true, true, WILL);
  }
  /** Offers to stop performing `option`. */
  wont(option: number): Deferred<boolean> {
    return this.#ask(option, true, false, WONT);
  }
  /** Asks the peer to perform `option`. */
  do(option: number): Deferred<boolean> {
    return this.#ask(option, false, true, DO);
  }
  /** Asks the peer to stop performing `option`. */
  dont(option: number): Deferred<boolean> {
    return this.#ask(option, false, false, DONT);
  }

  /** Sends a subnegotiation about `option` (IAC in `data` doubled). */
  requestNegotiation(option: number, data: Uint8Array): void {
    const out = [IAC, SB, option];
    for (const b of data) {
      out.push(b);
      if (b === IAC) out.push(IAC);
    }
    out.push(IAC, SE);
    this.writeRaw(new Uint8Array(out));
  }

  /** Parses telnet's stream, however it is chunked. */
  override dataReceived(data: Uint8Array): void {
    const app: number[] = [];
    const flush = (): void => {
      if (app.length === 0) return;
      const chunk = new Uint8Array(app);
      app.length = 0;
      this.applicationDataReceived(chunk);
    };
    for (const b of data) {
      switch (this.#state) {
        case "data":
          if (b === IAC) this.#state = "escaped";
          else if (b === 13) this.#state = "newline";
          else app.push(b);
          break;
        case "escaped":
          if (b === IAC) {
            app.push(IAC);
            this.#state = "data";
          } else if (b === SB) {
            this.#state = "subnegotiation";
            this.#sub = [];
            this.#subTooLong = false;
          } else if (b === WILL || b === WONT || b === DO || b === DONT) {
            this.#state = "command";
            this.#command = b;
          } else {
            // A command (NOP, AYT, GA ...), or a byte RFC 854 gives no meaning: reported as one.
            this.#state = "data";
            flush();
            this.commandReceived(b, null);
          }
          break;
        case "command":
          this.#state = "data";
          flush();
          this.commandReceived(this.#command, b);
          break;
        case "newline":
          this.#state = "data";
          if (b === 10) app.push(10);
          else if (b === 0) app.push(13);
          else if (b === IAC) {
            app.push(13);
            this.#state = "escaped";
          } else app.push(13, b);
          break;
        case "subnegotiation":
          if (b === IAC) this.#state = "subnegotiation-escaped";
          else this.#subByte(b);
          break;
        case "subnegotiation-escaped":
          if (b === SE) {
            this.#state = "data";
            flush();
            const sub = this.#sub;
            this.#sub = [];
            if (this.#subTooLong) log.info("Dropped an over-long telnet subnegotiation");
            else if (sub.length > 0) this.negotiate(new Uint8Array(sub));
          } else {
            this.#state = "subnegotiation";
            this.#subByte(b);
          }
          break;
      }
    }
    flush();
  }

  #subByte(b: number): void {
    if (this.#sub.length >= MAX_SUBNEGOTIATION) this.#subTooLong = true;
    else this.#sub.push(b);
  }

  /** Fails the negotiations still waiting. */
  override connectionLost(reason: Failure): void {
    for (const state of this.options.values()) {
      for (const view of [state.us, state.him]) {
        const d = view.onResult;
        view.onResult = null;
        d?.errback(reason);
      }
    }
  }

  /** Called with application bytes; override it. */
  applicationDataReceived(_data: Uint8Array): void {}

  /** Called with commands no handler takes. */
  unhandledCommand(_command: number, _argument: number | null): void {}

  /** Called with each command (and its option, for WILL / WONT / DO / DONT). */
  commandReceived(command: number, argument: number | null): void {
    if (argument === null) return this.unhandledCommand(command, argument);
    switch (command) {
      case WILL:
        return this.#peerWill(argument);
      case WONT:
        return this.#peerWont(argument);
      case DO:
        return this.#peerDo(argument);
      case DONT:
        return this.#peerDont(argument);
    }
    this.unhandledCommand(command, argument);
  }

  /** Called with subnegotiations no handler in `negotiationMap` takes. */
  unhandledSubnegotiation(_option: number, _data: Uint8Array): void {}

  /** Called with each subnegotiation: its option byte, then its data. */
  negotiate(data: Uint8Array): void {
    const handler = this.negotiationMap.get(data[0]);
    if (handler === undefined) this.unhandledSubnegotiation(data[0], data.subarray(1));
    else handler(data.subarray(1));
  }

  #settle(view: OptionSide, result: boolean | Error): void {
    view.negotiating = false;
    const d = view.onResult;
    view.onResult = null;
    if (result instanceof Error) d?.errback(result);
    else d?.callback(result);
  }

  #peerWill(option: number): void {
    const s = this.getOptionState(option).him;
    if (s.state === "no" && !s.negotiating) {
      if (this.enableRemote(option)) {
        s.state = "yes";
        this.#send(DO, option);
      } else this.#send(DONT, option);
    } else if (s.state === "no") {
      s.state = "yes";
      this.#settle(s, true);
      this.enableRemote(option);
    }
  }

  #peerWont(option: number): void {
    const s = this.getOptionState(option).him;
    if (s.state === "no") {
      if (s.negotiating) this.#settle(s, new OptionRefused(option));
    } else {
      s.state = "no";
      if (s.negotiating) this.#settle(s, true);
      else this.#send(DONT, option);
      this.disableRemote(option);
    }
  }

  #peerDo(option: number): void {
    const s = this.getOptionState(option).us;
    if (s.state === "no" && !s.negotiating) {
      if (this.enableLocal(option)) {
        s.state = "yes";
        this.#send(WILL, option);
      } else this.#send(WONT, option);
    } else if (s.state === "no") {
      s.state = "yes";
      this.#settle(s, true);
      this.enableLocal(option);
    }
  }

  #peerDont(option: number): void {
    const s = this.getOptionState(option).us;
    if (s.state === "no") {
      if (s.negotiating) this.#settle(s, new OptionRefused(option));
    } else {
      s.state = "no";
      if (s.negotiating) this.#settle(s, true);
      else this.#send(WONT, option);
      this.disableLocal(option);
    }
  }

  /** Whether to perform `option` when the peer asks (default: no). */
  enableLocal(_option: number): boolean {
    return false;
  }
  /** Whether to let the peer perform `option` (default: no). */
  enableRemote(_option: number): boolean {
    return false;
  }
  /** We stopped performing `option`. */
  disableLocal(_option: number): void {}
  /** The peer stopped performing `option`. */
  disableRemote(_option: number): void {}
}
