/**
 * NOTIFY sent (RFC 1996): a primary tells its secondaries that a zone
 * changed, over UDP, trying again until they acknowledge it. Private to
 * src/names; `server.ts` exports `NotifySender`.
 *
 * @module
 */
import { Deferred, succeed } from "../../internet/defer.ts";
import type {
  IDelayedCall,
  IListeningPort,
  IReactorTime,
  IReactorUDP,
} from "../../internet/interfaces.ts";
import { type DatagramAddress, DatagramProtocol } from "../../internet/protocol.ts";
import { getReactor } from "../../internet/reactor.ts";
import { Logger } from "../../logger/mod.ts";
import { randomId } from "../_protocols.ts";
import { IN, OP_NOTIFY, SOA } from "../wire/_constants.ts";
import { Message, Query, RRHeader } from "../wire/_message.ts";
import { Name } from "../wire/_name.ts";
import type { Record_SOA } from "../wire/_records.ts";
import { addressBytes, sameAddress } from "./_acl.ts";
import { nameKey } from "./_zone.ts";

const log = new Logger("tw.names");

/** Options of `NotifySender`. */
export interface NotifySenderOptions {
  /** The reactor for the UDP ports and timers. @default getReactor() */
  reactor?: IReactorTime & IReactorUDP;
  /**
   * Seconds to wait for each acknowledgement, one entry per try (RFC 1996
   * s3.6: retransmit until acknowledged, a few times at most).
   * @default [2, 4, 8, 16, 32]
   */
  timeout?: readonly number[];
}

function describe([host, port]: readonly [string, number]): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Waits for the acknowledgement of one NOTIFY on its own port. */
class NotifyProtocol extends DatagramProtocol {
  override noisy = false;
  readonly #target: readonly [string, number];
  readonly #sent: Message;
  readonly #onReply: (reply: Message) => void;

  constructor(target: readonly [string, number], sent: Message, onReply: (m: Message) => void) {
    super();
    this.#target = target;
    this.#sent = sent;
    this.#onReply = onReply;
  }

  override datagramReceived(data: Uint8Array, addr: DatagramAddress): void {
    if (addr[1] !== this.#target[1] || !sameAddress(addr[0], this.#target[0])) return;
    let reply: Message;
    try {
      reply = Message.fromStr(data);
    } catch {
      return;
    }
    if (!reply.answer || reply.id !== this.#sent.id || reply.opCode !== OP_NOTIFY) return;
    const asked = this.#sent.queries[0];
    if (
      reply.queries.length > 0 && !(reply.queries.length === 1 && reply.queries[0].equals(asked))
    ) {
      return;
    }
    this.#onReply(reply);
  }
}

interface Flight {
  cancel(): void;
}

/**
 * Sends NOTIFY messages (RFC 1996) for zones to a list of servers, the
 * secondaries (`tw dns --notify`): opcode NOTIFY, AA, the zone's SOA as the
 * question and, when given, in the answer (a hint of the new serial). Each
 * server is sent each NOTIFY from a fresh UDP port and id, again after each
 * `timeout` until it answers; an error answer (REFUSED, NOTAUTH) ends the
 * tries. A new NOTIFY for a zone replaces the one still being sent to the
 * same server.
 *
 * @example
 * ```ts
 * import { NotifySender, Record_SOA } from "@tw/core/names";
 *
 * const sender = new NotifySender([["192.0.2.54", 53], ["2001:db8::54", 53]]);
 * const soa = new Record_SOA({ mname: "ns1.example.com", serial: 2026120602, ttl: 3600 });
 * const acknowledged = sender.notify("example.com", soa);
 * acknowledged.addCallback((servers) => console.log(`${servers.length} acknowledged`));
 * // ... and when shutting down:
 * sender.stop();
 * ```
 */
export class NotifySender {
  /** The servers told, `[address, port]`. */
  readonly targets: readonly (readonly [string, number])[];
  readonly #reactor: IReactorTime & IReactorUDP;
  readonly #timeouts: readonly number[];
  readonly #flights = new Map<string, Flight>();

  /**
   * Makes the sender.
   * @throws TypeError for a server that is no IP address; RangeError for a bad port or timeout
   */
  constructor(targets: Iterable<readonly [string, number]>, options: NotifySenderOptions = {}) {
    this.targets = [...targets].map(([host, port]) => {
      const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
      if (addressBytes(bare) === null) {
        throw new TypeError(`A NOTIFY target must be an IP address, not ${JSON.stringify(host)}`);
      }
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new RangeError(`Bad port for the NOTIFY target ${host}: ${port}`);
      }
      return [bare, port] as const;
    });
    this.#timeouts = options.timeout ?? [2, 4, 8, 16, 32];
    if (this.#timeouts.length === 0 || !this.#timeouts.every((t) => t > 0 && isFinite(t))) {
      throw new RangeError(`Bad NOTIFY timeouts: ${this.#timeouts.join(", ")}`);
    }
    this.#reactor = options.reactor ?? getReactor();
  }

  /** How many NOTIFYs are being sent (awaiting acknowledgement). */
  get pending(): number {
    return this.#flights.size;
  }

  /**
   * Sends a NOTIFY for `zone` to every server; `soa` (the zone's new SOA)
   * goes in the answer section when given. Fires with the servers that
   * acknowledged it (never fails: what went wrong is logged).
   */
  notify(zone: string, soa?: Record_SOA): Deferred<[string, number][]> {
    const name = new Name(zone);
    const results = this.targets.map((target) => this.#send(name, soa, target));
    const done = new Deferred<[string, number][]>();
    const acked: [string, number][] = [];
    let left = results.length;
    if (left === 0) return succeed(acked);
    results.forEach((result, i) => {
      result.addCallback((ok) => {
        if (ok) acked.push([...this.targets[i]]);
        if (--left === 0) done.callback(acked);
      });
    });
    return done;
  }

  /** Stops sending: every NOTIFY still unacknowledged is given up and its port closed. */
  stop(): void {
    for (const flight of [...this.#flights.values()]) flight.cancel();
    this.#flights.clear();
  }

  #send(zone: Name, soa: Record_SOA | undefined, target: readonly [string, number]) {
    const key = `${nameKey(zone)} ${describe(target)}`;
    this.#flights.get(key)?.cancel();
    const result = new Deferred<boolean>();
    let port: IListeningPort | null = null;
    let timer: IDelayedCall | null = null;
    let over = false;
    const close = () => {
      if (timer?.active()) timer.cancel();
      timer = null;
      const open = port;
      port = null;
      open?.stopListening();
    };
    const finish = (ok: boolean) => {
      if (over) return;
      over = true;
      close();
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
      result.callback(ok);
    };
    const flight: Flight = { cancel: () => finish(false) };
    this.#flights.set(key, flight);
    const question = new Query(zone, SOA, IN);
    const answers = soa === undefined
      ? []
      : [new RRHeader({ name: zone, type: SOA, cls: IN, ttl: soa.ttl ?? 0, payload: soa })];
    const attempt = (i: number): void => {
      if (over) return;
      const message = new Message({
        id: randomId(),
        opCode: OP_NOTIFY,
        auth: true,
        recDes: false,
        queries: [question],
        answers,
      });
      const protocol = new NotifyProtocol(target, message, (reply) => {
        if (reply.rCode === 0) {
          log.info("NOTIFY for {zone} acknowledged by {server}", {
            zone: zone.name,
            server: describe(target),
          });
          finish(true);
        } else {
          log.warn("NOTIFY for {zone} answered with response code {rCode} by {server}", {
            zone: zone.name,
            rCode: reply.rCode,
            server: describe(target),
          });
          finish(false);
        }
      });
      const next = () => {
        close();
        if (i + 1 < this.#timeouts.length) attempt(i + 1);
        else {
          log.warn("NOTIFY for {zone} not acknowledged by {server} after {tries} tries", {
            zone: zone.name,
            server: describe(target),
            tries: this.#timeouts.length,
          });
          finish(false);
        }
      };
      try {
        const iface = target[0].includes(":") ? "::" : "0.0.0.0";
        port = this.#reactor.listenUDP(0, protocol, { interface: iface });
      } catch (error) {
        log.warn("Cannot send NOTIFY for {zone} to {server}: {error}", {
          zone: zone.name,
          server: describe(target),
          error: error instanceof Error ? error.message : String(error),
        });
        return finish(false);
      }
      timer = this.#reactor.callLater(this.#timeouts[i], next);
      const listening = port.whenListening ? port.whenListening() : succeed(port);
      listening.addCallbacks(() => {
        if (over || protocol.transport === null) return;
        try {
          protocol.transport.write(message.toStr(), [target[0], target[1]]);
        } catch (error) {
          log.debug("NOTIFY to {server} not sent: {error}", {
            server: describe(target),
            error: String(error),
          });
        }
      }, () => {
        // The port did not open: the timer tries again.
      });
    };
    attempt(0);
    return result;
  }
}
