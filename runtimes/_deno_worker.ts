/**
 * The worker bootstrap of `runInWorker` on Deno: imports the module named in
 * the first message, calls the export with the arguments and posts back its
 * (awaited) result or its error.
 *
 * @module
 */

interface Job {
  moduleURL: string;
  exportName: string;
  args: unknown[];
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<Job>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event: MessageEvent<Job>): Promise<void> => {
  const { moduleURL, exportName, args } = event.data;
  try {
    const mod = await import(moduleURL);
    const fn = mod[exportName];
    if (typeof fn !== "function") {
      throw new TypeError(`${moduleURL} has no exported function ${exportName}`);
    }
    const value = await fn(...args);
    scope.postMessage({ ok: true, value });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    scope.postMessage({
      ok: false,
      error: { name: err.name, message: err.message, stack: err.stack },
    });
  }
};
