/**
 * `strports` (`twisted.application.strports`): services from endpoint strings.
 * @module
 */
import { serverFromString } from "../internet/endpoints.ts";
import type { FromStringOptions } from "../internet/endpoints.ts";
import type { IProtocolFactory, IReactorNetwork } from "../internet/interfaces.ts";
import { getReactor } from "../internet/reactor.ts";
import { StreamServerEndpointService, type StreamServerEndpointServiceOptions } from "./_server.ts";

/** Options of `strports.service`: file reading for the description, and the service's hook. */
export interface StrportsServiceOptions<F extends IProtocolFactory>
  extends FromStringOptions, StreamServerEndpointServiceOptions<F> {}

/**
 * A service listening on the server endpoint `description` (a
 * `StreamServerEndpointService` over `serverFromString(reactor, description)`).
 * The description is parsed at once: bad syntax throws here.
 *
 * @param description an endpoint string, e.g. `tcp:8080:interface=127.0.0.1`
 * @param factory what builds the protocols
 * @param reactor what to listen with (the installed reactor by default)
 * @param options how files named in the description are read; `stopFactory`
 * @returns the service (not started)
 * @example
 * ```ts
 * import { Application, strports } from "@tw/core/application";
 * import { Factory, Protocol } from "@tw/core";
 *
 * const application = new Application("echo");
 * strports.service("tcp:0", Factory.forProtocol(Protocol)).setServiceParent(application);
 * ```
 */
export function service<F extends IProtocolFactory>(
  description: string,
  factory: F,
  reactor?: IReactorNetwork,
  options: StrportsServiceOptions<F> = {},
): StreamServerEndpointService<F> {
  const { stopFactory, ...fromString } = options;
  const endpoint = serverFromString(reactor ?? getReactor(), description, fromString);
  return new StreamServerEndpointService(endpoint, factory, { stopFactory });
}
