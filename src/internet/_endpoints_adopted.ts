/**
 * Serving sockets that something else opened: `AdoptedStreamServerEndpoint`
 * (Twisted's) over `reactor.adoptStreamPort`, and systemd socket activation,
 * `systemd:domain=INET:index=0` or `systemd:domain=INET:name=web`, which reads
 * the sockets systemd passed (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES).
 *
 * @module
 */
import type { Deferred } from "./defer.ts";
import type {
  AddressFamily,
  IListeningPort,
  IProtocolFactory,
  IReactorSocket,
} from "./interfaces.ts";
import type { IStreamServerEndpoint } from "./_endpoints_stream.ts";
import { listenWith } from "./_endpoints_stream.ts";

/** The first descriptor systemd passes (SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;

/**
 * Listens on an already-listening socket given by its file descriptor
 * (Twisted's `AdoptedStreamServerEndpoint`). The socket is adopted at
 * `listen()`; the port owns it from then on.
 *
 * @example
 * ```ts
 * import { AdoptedStreamServerEndpoint } from "@tw/core/endpoints";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * // Under `systemd-socket-activate -l 8080 ...`, the socket is descriptor 3.
 * const endpoint = new AdoptedStreamServerEndpoint(reactor, 3, "INET");
 * if (reactor.runtime.env("LISTEN_FDS") !== undefined) {
 *   await endpoint.listen(Factory.forProtocol(Protocol));
 * }
 * ```
 */
export class AdoptedStreamServerEndpoint implements IStreamServerEndpoint {
  readonly #reactor: IReactorSocket;
  /** The adopted socket's file descriptor. */
  readonly fileDescriptor: number;
  /** Its address family. */
  readonly addressFamily: AddressFamily;

  /**
   * Creates the endpoint; nothing is adopted until `listen()`.
   * @param reactor what serves the socket (`reactor`)
   * @param fileDescriptor the listening socket's descriptor
   * @param addressFamily "INET", "INET6" or "UNIX"
   */
  constructor(reactor: IReactorSocket, fileDescriptor: number, addressFamily: AddressFamily) {
    this.#reactor = reactor;
    this.fileDescriptor = fileDescriptor;
    this.addressFamily = addressFamily;
  }

  /** Serves `factory` on the socket; see `IStreamServerEndpoint.listen`. */
  listen(factory: IProtocolFactory): Deferred<IListeningPort> {
    return listenWith(
      () => this.#reactor.adoptStreamPort(this.fileDescriptor, this.addressFamily, factory),
      "",
      `fd ${this.fileDescriptor}`,
    );
  }
}

/** Where the sockets systemd passed are described. */
export interface ListenFDsSource {
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** This process's id. */
  pid(): number;
}

/**
 * The sockets systemd passed to this process (`sd_listen_fds`): descriptors
 * from 3, with their names from LISTEN_FDNAMES. None when LISTEN_PID names
 * another process (the variables were inherited, not meant for us).
 *
 * @example
 * ```ts
 * import { listenFDs } from "@tw/core/endpoints";
 * import { reactor } from "@tw/core";
 *
 * const { fds, names } = listenFDs(reactor.runtime);
 * console.log(fds.length === names.length); // true
 * ```
 */
export function listenFDs(source: ListenFDsSource): { fds: number[]; names: string[] } {
  const pid = source.env("LISTEN_PID");
  const count = source.env("LISTEN_FDS");
  if (pid === undefined || count === undefined || Number(pid) !== source.pid()) {
    return { fds: [], names: [] };
  }
  const n = /^\d{1,4}$/.test(count) ? Number(count) : 0;
  const fds = Array.from({ length: n }, (_, i) => LISTEN_FDS_START + i);
  const names = (source.env("LISTEN_FDNAMES") ?? "").split(":");
  return { fds, names: fds.map((_, i) => names[i] ?? "unknown") };
}

const FAMILIES: readonly string[] = ["INET", "INET6", "UNIX"];

/**
 * The endpoint of `systemd:domain=D:index=N` or `systemd:domain=D:name=NAME`:
 * the N-th socket systemd passed, or the one named NAME.
 */
export function systemdEndpoint(
  reactor: IReactorSocket,
  source: ListenFDsSource,
  domain: string,
  index: string | undefined,
  name: string | undefined,
): AdoptedStreamServerEndpoint {
  if (!FAMILIES.includes(domain)) {
    throw new SyntaxError(`systemd: domain must be INET, INET6 or UNIX, not ${domain}`);
  }
  if ((index === undefined) === (name === undefined)) {
    throw new TypeError("systemd: give index= or name=, not both");
  }
  const { fds, names } = listenFDs(source);
  let at: number;
  if (index !== undefined) {
    if (!/^\d{1,4}$/.test(index)) throw new SyntaxError(`systemd: bad index ${index}`);
    at = Number(index);
  } else at = names.indexOf(name!);
  if (at < 0 || at >= fds.length) {
    throw new RangeError(
      `systemd: no passed socket ${index !== undefined ? `at index ${index}` : `named ${name}`}` +
        ` (LISTEN_FDS gives ${fds.length}${fds.length ? `: ${names.join(", ")}` : ""})`,
    );
  }
  return new AdoptedStreamServerEndpoint(reactor, fds[at], domain as AddressFamily);
}
