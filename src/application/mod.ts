/**
 * `@tw/core/application`: Twisted's application framework
 * (`twisted.application`): services started and stopped as a tree, the
 * network services (`StreamServerEndpointService`, `ClientService`,
 * `TimerService`, `strports.service`), and application modules (the `.tac`
 * equivalent: a module exporting `application`) run on a reactor.
 *
 * Start order: `privilegedStartService` on the whole tree, then
 * `startService` (children in the order added); stop order is the reverse,
 * and a collection's stop waits for all of its children's.
 *
 * @example
 * ```ts
 * import { Application, startApplication, stopApplication, strports } from "@tw/core/application";
 * import { Factory, Protocol, reactor } from "@tw/core";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * const application = new Application("echo");
 * const echo = strports.service("tcp:0:interface=127.0.0.1", Factory.forProtocol(Echo));
 * echo.setServiceParent(application);
 * startApplication(application, reactor).addCallback(() => {
 *   console.log("listening on", echo.port?.getHost());
 *   return stopApplication(application);
 * });
 * ```
 * @module
 */
// Importing this entry point alone installs the reactor its defaults use
// (`getReactor()`), as Twisted's `from twisted.internet import reactor` does.
import "../../runtimes/select.ts";
export {
  Application,
  type IService,
  type IServiceCollection,
  MultiService,
  Service,
  type ServiceResult,
} from "./_service.ts";
export { TimerService } from "./_timer.ts";
export { StreamServerEndpointService, type StreamServerEndpointServiceOptions } from "./_server.ts";
export {
  backoffPolicy,
  type BackoffPolicyOptions,
  ClientService,
  type ClientServiceOptions,
  type RetryPolicy,
  type WhenConnectedOptions,
} from "./_client.ts";
export * as strports from "./_strports.ts";
export type { StrportsServiceOptions } from "./_strports.ts";
export {
  type ApplicationReactor,
  isService,
  loadApplication,
  startApplication,
  stopApplication,
} from "./_app.ts";
