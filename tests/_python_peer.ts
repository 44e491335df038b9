// A peer program run by the interop tests (usually /usr/bin/python3 with a peer
// script): its output so far, the port it announces ("PORT n"), and its end.
import { Deferred, type Failure, ProcessProtocol } from "../mod.ts";

const decoder = new TextDecoder();

/** Collects a peer's output; `port` fires with the first "PORT n" it prints. */
export class PortPeer extends ProcessProtocol {
  /** Standard output so far. */
  out = "";
  /** Standard error so far. */
  err = "";
  /** The port the peer announced. */
  port: Deferred<number> = new Deferred<number>();
  /** Fires when the peer exits. */
  ended: Deferred<void> = new Deferred<void>();

  override outReceived(data: Uint8Array): void {
    this.out += decoder.decode(data);
    const m = /PORT (\d+)/.exec(this.out);
    if (m && !this.port.called) this.port.callback(Number(m[1]));
  }
  override errReceived(data: Uint8Array): void {
    this.err += decoder.decode(data);
  }
  override processEnded(_reason: Failure): void {
    if (!this.port.called) this.port.errback(new Error(`peer ended: ${this.out} ${this.err}`));
    this.ended.callback(undefined);
  }
}
