/** Worker threads that start the same whether kdx runs from its bundle or from its TypeScript sources. */
import { Worker } from "node:worker_threads";

/**
 * A worker on `url`. A TypeScript source (an edited tree, run through tsx) is loaded through tsx inside the
 * worker too: tsx's hooks, registered on the main thread, do not reach workers.
 */
export function startWorker(url: URL, workerData?: unknown): Worker {
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData });
  const tsx = import.meta.resolve("tsx/esm/api");
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(url.href)}); })`,
    { eval: true, workerData },
  );
}
