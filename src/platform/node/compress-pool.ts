/**
 * Batch compressors for kdx collect: on the calling thread, or spread over worker threads (makedumpfile's
 * --num-threads), each worker compressing whole batches so messages stay few.
 */
import type { Worker } from "node:worker_threads";
import type { BatchCompressor, CompressedBatch } from "../../capture/collect.ts";
import type { Compression } from "../../dump/codecs/index.ts";
import { compressBatch } from "./compress-batch.ts";
import { startWorker } from "./start-worker.ts";

export function inlineCompressor(method: Compression): BatchCompressor {
  return {
    compress: async (pages, count, pageSize, out) => {
      const sizes = new Int32Array(count);
      compressBatch(method, pages, count, pageSize, out, sizes);
      return { pages, out, sizes };
    },
  };
}

interface Job {
  resolve: (r: CompressedBatch) => void;
  reject: (e: Error) => void;
}

/** The worker script: the .ts source beside this module under tsx; in the bundle, dist/compress-worker.js. */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("./compress-worker.ts", here);
  return new URL(here.includes("/chunks/") ? "../compress-worker.js" : "./compress-worker.js", here);
}

/**
 * Batches go to the ready worker with the fewest in flight. Until a worker has started (some 40 ms: a Node
 * isolate and the compressors to load), batches are compressed on the calling thread instead, so a small
 * dump is not kept waiting for threads it hardly needs. A worker says it is ready in shared memory, which
 * the calling thread can read while it is busy (a message would wait for its event loop).
 */
export class CompressPool implements BatchCompressor {
  private readonly workers: { worker: Worker; jobs: Map<number, Job> }[] = [];
  private readonly ready: Int32Array;
  private readonly inline: BatchCompressor;
  private seq = 0;
  private failed: Error | undefined;
  /** Batches compressed on the calling thread (while no worker was ready) and on the workers. */
  batchesInline = 0;
  batchesOnWorkers = 0;

  constructor(
    private readonly method: Compression,
    threads: number,
  ) {
    this.inline = inlineCompressor(method);
    this.ready = new Int32Array(new SharedArrayBuffer(4 * threads));
    for (let i = 0; i < threads; i++) {
      const entry = {
        worker: startWorker(workerUrl(), { ready: this.ready, index: i }),
        jobs: new Map<number, Job>(),
      };
      entry.worker.on("message", (m: CompressedBatch & { id: number; error?: string }) => {
        const job = entry.jobs.get(m.id);
        entry.jobs.delete(m.id);
        if (!job) return;
        if (m.error) job.reject(new Error(`compression worker: ${m.error}`));
        else job.resolve({ pages: m.pages, out: m.out, sizes: m.sizes });
      });
      entry.worker.on("error", (e) => this.fail(e));
      entry.worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`compression worker exited with code ${code}`));
      });
      this.workers.push(entry);
    }
  }

  compress(pages: Uint8Array, count: number, pageSize: number, out: Uint8Array): Promise<CompressedBatch> {
    if (this.failed) return Promise.reject(this.failed);
    let to: (typeof this.workers)[number] | undefined;
    this.workers.forEach((w, i) => {
      if (Atomics.load(this.ready, i) && (!to || w.jobs.size < to.jobs.size)) to = w;
    });
    if (!to) {
      this.batchesInline++;
      return this.inline.compress(pages, count, pageSize, out);
    }
    this.batchesOnWorkers++;
    const id = this.seq++;
    const { worker, jobs } = to;
    return new Promise((resolve, reject) => {
      jobs.set(id, { resolve, reject });
      // Both buffers move to the worker and back, not copied; a view of part of a buffer is copied instead.
      const movable = [pages, out].filter((b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength);
      worker.postMessage(
        { id, method: this.method, pages, count, pageSize, out },
        movable.map((b) => b.buffer as ArrayBuffer),
      );
    });
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const { jobs } of this.workers) {
      for (const job of jobs.values()) job.reject(e);
      jobs.clear();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
