/**
 * Batch compressors for kdx collect: on the calling thread, or spread over worker threads (makedumpfile's
 * --num-threads), each worker compressing whole batches so messages stay few.
 */
import type { Worker } from "node:worker_threads";
import type { BatchCompressor } from "../../capture/collect.ts";
import type { Compression } from "../../dump/codecs/index.ts";
import { compressBatch } from "./compress-batch.ts";
import { startWorker } from "./start-worker.ts";

export function inlineCompressor(method: Compression, pageSize: number): BatchCompressor {
  return { compress: async (pages, count) => compressBatch(method, pages, count, pageSize) };
}

interface Job {
  resolve: (r: { data: Uint8Array; sizes: Int32Array }) => void;
  reject: (e: Error) => void;
}

/** The worker script: the .ts source beside this module under tsx; in the bundle, dist/compress-worker.js. */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("./compress-worker.ts", here);
  return new URL(here.includes("/chunks/") ? "../compress-worker.js" : "./compress-worker.js", here);
}

export class CompressPool implements BatchCompressor {
  private readonly workers: Worker[] = [];
  private readonly queues: Map<number, Job>[] = [];
  private next = 0;
  private seq = 0;
  private failed: Error | undefined;

  constructor(
    private readonly method: Compression,
    threads: number,
    private readonly pageSize: number,
  ) {
    for (let i = 0; i < threads; i++) {
      const w = startWorker(workerUrl());
      const jobs = new Map<number, Job>();
      w.on("message", (m: { id: number; data: Uint8Array; sizes: Int32Array; error?: string }) => {
        const job = jobs.get(m.id);
        jobs.delete(m.id);
        if (!job) return;
        if (m.error) job.reject(new Error(`compression worker: ${m.error}`));
        else job.resolve({ data: m.data, sizes: m.sizes });
      });
      w.on("error", (e) => this.fail(e));
      w.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`compression worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.queues.push(jobs);
    }
  }

  compress(pages: Uint8Array, count: number): Promise<{ data: Uint8Array; sizes: Int32Array }> {
    if (this.failed) return Promise.reject(this.failed);
    const i = this.next++ % this.workers.length;
    const id = this.seq++;
    return new Promise((resolve, reject) => {
      this.queues[i]!.set(id, { resolve, reject });
      // A copy goes to the worker: the caller keeps `pages` to store raw the pages that do not shrink.
      this.workers[i]!.postMessage({ id, method: this.method, pages, count, pageSize: this.pageSize });
    });
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const q of this.queues) {
      for (const job of q.values()) job.reject(e);
      q.clear();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
