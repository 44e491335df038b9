/**
 * The open transports, ports and processes: the leak check of `src/testing`
 * lists them, and the reactor closes them at shutdown (Twisted's `disconnectAll`).
 *
 * @module
 */

/** An open transport, port or process, as the testing leak check sees it. */
export interface LiveResource {
  /** The kind of resource: "connection", "listening port", "UDP port", "process". */
  readonly resourceKind: string;
  /** One line naming the resource (its addresses). */
  describeResource(): string;
  /** Closes it at once (after a failed leak check). */
  closeResource(): void;
}

const live = new Set<LiveResource>();
// Sets of resources an owner keeps anyway (a port's connections): listed
// through their owner's set, so each costs no entry of its own here.
const groups = new Set<Iterable<LiveResource>>();

/** Records an open resource (done by the transports and ports themselves). */
export function trackResource(resource: LiveResource): void {
  live.add(resource);
}

/** Forgets a resource once closed. */
export function untrackResource(resource: LiveResource): void {
  live.delete(resource);
}

/** Records a collection of open resources that its owner keeps up to date (a port's connections). */
export function trackResourceGroup(group: Iterable<LiveResource>): void {
  groups.add(group);
}

/** Forgets a group (once it is empty and will not grow again). */
export function untrackResourceGroup(group: Iterable<LiveResource>): void {
  groups.delete(group);
}

/** The transports, ports and processes open now (for `src/testing`'s leak check). */
export function liveResources(): LiveResource[] {
  const all = [...live];
  for (const group of groups) all.push(...group);
  return all;
}
