/**
 * Serving on every core: `WorkerService` runs N copies of this very program
 * (the same runtime, flags, script and arguments) as workers under a
 * `ProcessMonitor`, each told its number by `TW_WORKER`; the workers listen on
 * the same port with SO_REUSEPORT and the kernel spreads connections among
 * them. A worker that dies is restarted; stopping the service sends SIGTERM to
 * every worker, which drain, and SIGKILL to any still running after `killTime`.
 * Private to src/cli; mod.ts re-exports it.
 *
 * @module
 */
import { getReactor, type Reactor } from "../internet/reactor.ts";
import { ProcessMonitor, type ProcessMonitorReactor } from "./_procmon.ts";

/** The environment variable that tells a worker its number (1 to N). */
export const WORKER_ENV = "TW_WORKER";

/** What a `WorkerService` needs from its reactor. */
export type WorkerReactor = ProcessMonitorReactor & Pick<Reactor, "runtime">;

/** Options of {@link WorkerService}. */
export interface WorkerServiceOptions {
  /** How many workers to run (at least 1). */
  workers: number;
  /** The reactor that spawns them. @default {the global reactor} */
  reactor?: WorkerReactor;
  /**
   * The command line of a worker. @default {this program again: the runtime's
   * `selfCommand()` and `args()`}
   */
  command?: string[];
  /** Seconds a worker gets to drain after SIGTERM before SIGKILL. @default {30} */
  killTime?: number;
}

/**
 * True in a process that a `WorkerService` started (`TW_WORKER` is set).
 *
 * @example
 * ```ts
 * import { isWorker } from "@tw/core/cli";
 * console.log(isWorker()); // false, unless run by tw web --workers
 * ```
 */
export function isWorker(reactor: Pick<Reactor, "runtime"> = getReactor()): boolean {
  return reactor.runtime.env(WORKER_ENV) !== undefined;
}

/**
 * Runs `workers` copies of this program, restarting any that dies, and stops
 * them all gracefully (`tw web --workers N`). The program itself decides, with
 * `isWorker()`, whether it is the supervisor or a worker.
 *
 * @example
 * ```ts
 * import { isWorker, WorkerService } from "@tw/core/cli";
 * import { reactor } from "@tw/core";
 *
 * if (!isWorker()) {
 *   const supervisor = new WorkerService({ workers: 2, command: ["sleep", "60"] });
 *   console.log(supervisor.processes); // [ "worker 1", "worker 2" ]
 * }
 * ```
 */
export class WorkerService extends ProcessMonitor {
  /**
   * Makes the service; the workers start with it.
   * @param options how many workers, and how they run
   */
  constructor(options: WorkerServiceOptions) {
    const reactor = options.reactor ?? getReactor();
    super({ reactor, killTime: options.killTime ?? 30 });
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`Bad number of workers: ${options.workers}`);
    }
    const command = options.command ?? selfCommand(reactor);
    for (let i = 1; i <= options.workers; i++) {
      // `env` adds the variable and keeps the rest of the environment.
      this.addProcess(`worker ${i}`, ["env", `${WORKER_ENV}=${i}`, ...command]);
    }
  }
}

function selfCommand(reactor: Pick<Reactor, "runtime">): string[] {
  const runtime = reactor.runtime;
  if (typeof runtime.selfCommand !== "function") {
    throw new TypeError(`The ${runtime.name} adapter cannot start this program again`);
  }
  return [...runtime.selfCommand(), ...runtime.args()];
}
