/**
 * The bootstrap the node adapter's `runInWorker` starts in a worker thread:
 * imports the module, calls the export with the arguments, and posts back the
 * (awaited) result or the error.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";

/** What the parent sends in `workerData`. */
interface Job {
  moduleURL: string;
  exportName: string;
  args: unknown[];
}

async function run(job: Job): Promise<unknown> {
  const mod = await import(job.moduleURL) as Record<string, unknown>;
  const fn = mod[job.exportName];
  if (typeof fn !== "function") {
    throw new TypeError(`${job.moduleURL} has no exported function ${job.exportName}`);
  }
  return await fn(...job.args);
}

run(workerData as Job).then(
  (value) => parentPort!.postMessage({ ok: true, value }),
  (error: unknown) => {
    // Errors are sent as plain fields: not every runtime clones Error objects alike.
    const e = error instanceof Error ? error : new Error(String(error));
    parentPort!.postMessage({
      ok: false,
      error: { name: e.name, message: e.message, stack: e.stack },
    });
  },
);
