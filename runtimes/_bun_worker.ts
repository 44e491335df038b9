/**
 * The bootstrap a `runInWorker` worker runs on Bun: it receives one request
 * (module URL, export name, arguments), imports the module, calls the export,
 * and posts back its awaited result or its error.
 *
 * @module
 */

/** The request the adapter posts. */
interface WorkerRequest {
  moduleURL: string;
  exportName: string;
  args: unknown[];
}

/** The global scope of a worker, as far as this file uses it. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (event) => {
  const { moduleURL, exportName, args } = event.data;
  try {
    const mod = await import(moduleURL) as Record<string, unknown>;
    const fn = mod[exportName];
    if (typeof fn !== "function") {
      throw new TypeError(`${moduleURL} has no function export named ${exportName}`);
    }
    const value = await fn(...args);
    scope.postMessage({ ok: true, value });
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    scope.postMessage({
      ok: false,
      error: { name: err.name, message: err.message, stack: err.stack ?? "" },
    });
  }
};
