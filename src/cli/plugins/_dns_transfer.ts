/**
 * `tw dns --secondary IP[:PORT]/DOMAIN` (secondary zones, transferred from
 * their primary and refreshed as their SOA and NOTIFY say), `--notify
 * IP[:PORT]` (NOTIFY sent to secondaries on start and whenever a zone's
 * serial changes) and `--allow-transfer CIDR` (who may AXFR and IXFR).
 * Private to the dns plugin.
 *
 * @module
 */
import { MultiService } from "../../application/mod.ts";
import type { Deferred } from "../../internet/defer.ts";
import type { Reactor } from "../../internet/reactor.ts";
import type { IResolver } from "../../names/common.ts";
import { NotifySender } from "../../names/server.ts";
import type { SecondaryAuthority, SecondaryAuthorityService } from "../../names/secondary.ts";
import { addressBytes, parseCIDR } from "../../names/server/_acl.ts";
import { Name } from "../../names/wire/_name.ts";
import type { Record_SOA } from "../../names/wire/_records.ts";
import type { ParameterSpec } from "../_usage.ts";

const DNS_PORT = 53;

/**
 * `IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address, as `[address,
 * port]` (port 53 unless given).
 * @throws Error saying what is wrong (the option parser makes it a usage error)
 */
export function parseServer(text: string): [string, number] {
  let host = text, port: string | null = null;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) [host, port] = [bracketed[1], bracketed[2] ?? null];
  else if (text.split(":").length === 2) [host, port] = text.split(":");
  if (addressBytes(host) === null) throw new Error(`${JSON.stringify(host)} is not an IP address`);
  if (port === null) return [host, DNS_PORT];
  const n = Number(port);
  if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535) {
    throw new Error(`Specify an integer port number from 1 to 65535, not ${JSON.stringify(port)}`);
  }
  return [host, n];
}

/** twistd's `--secondary IP[:PORT]/DOMAIN`, as `[[address, port], domain]`. */
export function parseSecondary(text: string): [[string, number], string] {
  const slash = text.lastIndexOf("/");
  if (slash < 0 || slash === text.length - 1) {
    throw new Error("Argument must be of the form IP[:PORT]/DOMAIN");
  }
  const domain = new Name(text.slice(slash + 1)).name;
  return [parseServer(text.slice(0, slash)), domain];
}

function checkCIDR(text: string): string {
  parseCIDR(text);
  return text;
}

/** The options `tw dns` takes for zone transfers. */
export const TRANSFER_PARAMETERS: ParameterSpec[] = [
  {
    name: "secondary",
    multiple: true,
    metavar: "IP[:PORT]/DOMAIN",
    coerce: parseSecondary,
    doc: "Be a secondary for DOMAIN: transfer it from the primary at IP (port 53), " +
      "refresh it as its SOA says and when the primary sends NOTIFY.",
  },
  {
    name: "notify",
    multiple: true,
    metavar: "IP[:PORT]",
    coerce: parseServer,
    doc: "Send NOTIFY to this secondary on start and when a zone's serial changes.",
  },
  {
    name: "allow-transfer",
    multiple: true,
    metavar: "CIDR",
    coerce: checkCIDR,
    doc: "Allow zone transfers (AXFR, IXFR) from these addresses only (default: any).",
  },
];

/** An authority with a zone: its name and SOA. */
interface Zoned {
  readonly soa: [name: string, record: Record_SOA] | null;
}

/** A root service that sends the NOTIFYs of every zone once its children have started. */
class TransferRoot extends MultiService {
  readonly #started: () => void;
  readonly #stopping: () => void;

  constructor(started: () => void, stopping: () => void) {
    super();
    this.#started = started;
    this.#stopping = stopping;
  }

  override startService(): Deferred<void> {
    return super.startService().addCallback(() => this.#started());
  }

  override stopService(): Deferred<void> {
    this.#stopping();
    return super.stopService();
  }
}

/** The secondary zones, NOTIFY and transfer ACL of one `tw dns`. */
export class ZoneTransfers {
  /** A service per `--secondary`. */
  readonly services: SecondaryAuthorityService[];
  /** Who may transfer, or null for anyone. */
  readonly allowTransfer: string[] | null;
  readonly #sender: NotifySender | null;
  #zones: () => readonly IResolver[] = () => [];
  #started = false;

  /**
   * The secondaries and the NOTIFY sender the options ask for (the client
   * code secondaries use loads only when there are some).
   */
  static async create(opts: Record<string, unknown>, reactor: Reactor): Promise<ZoneTransfers> {
    const secondaries = (opts.secondary ?? []) as [[string, number], string][];
    const transfers = new ZoneTransfers(opts, reactor);
    if (secondaries.length === 0) return transfers;
    const { SecondaryAuthorityService } = await import("../../names/secondary.ts");
    const onUpdate = (zone: SecondaryAuthority) => transfers.#changed(zone);
    for (const [server, domain] of secondaries) {
      transfers.services.push(
        SecondaryAuthorityService.fromServerAddressAndDomains(server, [domain], {
          reactor,
          onUpdate,
        }),
      );
    }
    return transfers;
  }

  private constructor(opts: Record<string, unknown>, reactor: Reactor) {
    this.services = [];
    const notify = (opts.notify ?? []) as [string, number][];
    this.#sender = notify.length > 0 ? new NotifySender(notify, { reactor }) : null;
    const allow = (opts["allow-transfer"] ?? []) as string[];
    this.allowTransfer = allow.length > 0 ? allow : null;
  }

  /** The secondary zones, to serve. */
  get authorities(): SecondaryAuthority[] {
    return this.services.flatMap((service) => service.domains);
  }

  /** True when the options asked for secondaries or NOTIFY. */
  get active(): boolean {
    return this.services.length > 0 || this.#sender !== null;
  }

  /**
   * The root service: `children` and the secondaries, then NOTIFY for each
   * of `zones()` (every authority served) once all have started.
   */
  root(zones: () => readonly IResolver[]): MultiService {
    this.#zones = zones;
    const root = new TransferRoot(() => {
      this.#started = true;
      for (const zone of this.#zones()) this.#notify(zone as Partial<Zoned>);
    }, () => {
      this.#started = false;
      this.#sender?.stop();
    });
    for (const service of this.services) service.setServiceParent(root);
    return root;
  }

  /** A zone file was read again: NOTIFY when its serial changed. */
  reloaded(zone: Zoned, serialBefore: number | undefined): void {
    if (zone.soa !== null && zone.soa[1].serial !== serialBefore) this.#changed(zone);
  }

  #changed(zone: Zoned): void {
    if (this.#started) this.#notify(zone);
  }

  #notify(zone: Partial<Zoned>): void {
    const soa = zone.soa;
    if (this.#sender === null || soa == null) return;
    this.#sender.notify(soa[0], soa[1]);
  }
}
