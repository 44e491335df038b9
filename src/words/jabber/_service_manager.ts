/**
 * Twisted's component services: `Service` (a part of a component, told when
 * the component connects and disconnects), `ServiceManager` (a MultiService
 * that owns the component's stream, queueing sends until it is
 * authenticated) and `buildServiceManager`. Private: re-exported by
 * `component.ts`.
 * @module
 */
import { MultiService, Service as BaseService } from "../../application/_service.ts";
import { ClientService } from "../../application/_client.ts";
import { clientFromString } from "../../internet/endpoints.ts";
import type { IReactorNetwork } from "../../internet/interfaces.ts";
import type { Element } from "../xish/_element.ts";
import type { Observer } from "../xish/utility.ts";
import {
  STREAM_AUTHD_EVENT,
  STREAM_CONNECTED_EVENT,
  STREAM_END_EVENT,
  type XmlStream,
  XmlStreamFactory,
} from "./xmlstream.ts";
import { ConnectComponentAuthenticator } from "./component.ts";

/**
 * A part of a component (Twisted's `component.Service`): put it under a
 * `ServiceManager`; it hears when the stream connects and is authenticated.
 *
 * @example
 * ```ts
 * import { component } from "@tw/core/words/jabber";
 * class Echo extends component.Service {
 *   override componentConnected(xs: import("@tw/core/words/jabber").xmlstream.XmlStream): void {
 *     xs.addObserver("/message", (m) => this.send(m));
 *   }
 * }
 * new Echo().setServiceParent(new component.ServiceManager("echo.localhost", "secret"));
 * ```
 */
export class Service extends BaseService {
  /** The component is authenticated (override). */
  componentConnected(_xs: XmlStream): void {}
  /** The component's stream is gone (override). */
  componentDisconnected(): void {}
  /** The transport is up, before authentication (override). */
  transportConnected(_xs: XmlStream): void {}
  /** Sends through the manager (queued until authenticated). */
  send(obj: Element | string): void {
    (this.parent as ServiceManager | null)?.send(obj);
  }
}

/**
 * Owns a component's stream (Twisted's `component.ServiceManager`): tells
 * its `Service` children about it and queues `send`s until authenticated.
 *
 * @example
 * ```ts
 * import { component } from "@tw/core/words/jabber";
 * const manager = new component.ServiceManager("echo.localhost", "secret");
 * manager.send("<presence/>"); // queued until the component is authenticated
 * console.log(manager.getFactory().maxRetries); // null
 * ```
 */
export class ServiceManager extends MultiService {
  /** The component's domain. */
  jabberId: string;
  /** The current stream, once authenticated. */
  xmlstream: XmlStream | null = null;
  /** Adds an observer to every stream (Twisted aliases `addBootstrap`). */
  addObserver: (event: string, fn: Observer) => void;
  /** Removes such an observer. */
  removeObserver: (event: string, fn: Observer) => void;
  #queue: (Element | string)[] = [];
  #factory: XmlStreamFactory;

  /**
   * Makes the manager.
   * @param jid the component's domain
   * @param password the shared secret
   */
  constructor(jid: string, password: string) {
    super();
    this.jabberId = jid;
    this.#factory = new XmlStreamFactory(new ConnectComponentAuthenticator(jid, password));
    this.#factory.addBootstrap(STREAM_CONNECTED_EVENT, (xs: XmlStream) => this.#connected(xs));
    this.#factory.addBootstrap(STREAM_AUTHD_EVENT, (xs: XmlStream) => this.#authd(xs));
    this.#factory.addBootstrap(STREAM_END_EVENT, () => this.#disconnected());
    this.addObserver = (event, fn) => this.#factory.addBootstrap(event, fn);
    this.removeObserver = (event, fn) => this.#factory.removeBootstrap(event, fn);
  }

  /** The factory of the component's streams. */
  getFactory(): XmlStreamFactory {
    return this.#factory;
  }

  #children(): Service[] {
    return [...this].filter((c): c is Service => c instanceof Service);
  }

  #connected(xs: XmlStream): void {
    for (const c of this.#children()) c.transportConnected(xs);
  }

  #authd(xs: XmlStream): void {
    this.xmlstream = xs;
    for (const p of this.#queue) xs.send(p);
    this.#queue = [];
    for (const c of this.#children()) c.componentConnected(xs);
  }

  #disconnected(): void {
    this.xmlstream = null;
    for (const c of this.#children()) c.componentDisconnected();
  }

  /** Sends now when authenticated, else queues. */
  send(obj: Element | string): void {
    if (this.xmlstream !== null) this.xmlstream.send(obj);
    else this.#queue.push(obj);
  }
}

/**
 * A `ServiceManager` that keeps a connection to `strport` (an endpoint
 * description such as `tcp:127.0.0.1:5347`) while running (Twisted's
 * `buildServiceManager`; the reactor is passed).
 *
 * @example
 * ```ts
 * import { component } from "@tw/core/words/jabber";
 * import { MemoryReactorClock } from "@tw/core/testing";
 * const manager = component.buildServiceManager(
 *   "echo.localhost",
 *   "secret",
 *   "tcp:127.0.0.1:5347",
 *   new MemoryReactorClock(),
 * );
 * console.log(manager.jabberId); // "echo.localhost"
 * ```
 */
export function buildServiceManager(
  jid: string,
  password: string,
  strport: string,
  reactor: IReactorNetwork,
): ServiceManager {
  const svc = new ServiceManager(jid, password);
  const factory = svc.getFactory();
  factory.maxRetries = 0; // the ClientService reconnects, not the factory
  new ClientService(clientFromString(reactor, strport), factory, { clock: reactor })
    .setServiceParent(svc);
  return svc;
}
