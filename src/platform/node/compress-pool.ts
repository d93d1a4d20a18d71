/**
 * Batch compressors for kdx collect: on the calling thread, or several at once (makedumpfile's --num-threads):
 * on the native codec's compression threads where it has the method, else on worker threads running the npm
 * stand-ins, each compressing whole batches so messages stay few.
 */
import type { Worker } from "node:worker_threads";
import type { BatchCompressor, CompressedBatch, FilePages } from "../../capture/collect.ts";
import type { Compression } from "../../dump/codecs/index.ts";
import {
  compressBatch,
  compressBatchOnThread,
  compressFileOnThread,
  compressionThreads,
  threadsCompress,
} from "./compress-batch.ts";
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

/** Batches compressed several at once: how many, and where. */
export interface ThreadedCompressor extends BatchCompressor {
  readonly concurrency: number;
  /** Where the batches went, for --message-level 8: "352 of 352 batches on 2 compression threads". */
  describe(): string;
  close(): Promise<void>;
}

/** Compress on `threads` threads at once: the native codec's threads where it can, else worker threads. */
export function threadedCompressor(method: Compression, threads: number): ThreadedCompressor {
  return threadsCompress(method)
    ? new NativeThreadCompressor(method, threads)
    : new CompressPool(method, threads);
}

/**
 * Each batch compresses in the native codec on one of its `concurrency` compression threads (batches beyond
 * those wait in the codec's queue). No JS isolate boots for it (a worker thread takes some 40-100 ms), so a
 * small dump gains from the first batch.
 */
export class NativeThreadCompressor implements ThreadedCompressor {
  private batches = 0;
  /** Batches whose pages the compression threads read from the dump file themselves. */
  private batchesFromFile = 0;

  constructor(
    private readonly method: Compression,
    readonly concurrency: number,
  ) {}

  async compress(
    pages: Uint8Array,
    count: number,
    pageSize: number,
    out: Uint8Array,
  ): Promise<CompressedBatch> {
    const sizes = new Int32Array(count);
    await compressBatchOnThread(this.method, pages, count, pageSize, out, sizes, this.concurrency);
    this.batches++;
    return { pages, out, sizes };
  }

  async compressFile(
    file: FilePages,
    count: number,
    pageSize: number,
    pages: Uint8Array,
    out: Uint8Array,
  ): Promise<CompressedBatch & { flags: Uint8Array }> {
    const sizes = new Int32Array(count);
    const flags = new Uint8Array(count);
    await compressFileOnThread(
      this.method,
      file,
      count,
      pageSize,
      pages,
      out,
      sizes,
      flags,
      this.concurrency,
    );
    this.batches++;
    this.batchesFromFile++;
    return { pages, out, sizes, flags };
  }

  describe(): string {
    return `${this.batches} of ${this.batches} batches on ${compressionThreads()} compression threads, ${this.batchesFromFile} read there from the dump file`;
  }

  async close(): Promise<void> {}
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
export class CompressPool implements ThreadedCompressor {
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
    readonly concurrency: number,
  ) {
    this.inline = inlineCompressor(method);
    this.ready = new Int32Array(new SharedArrayBuffer(4 * concurrency));
    for (let i = 0; i < concurrency; i++) {
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

  describe(): string {
    return `${this.batchesOnWorkers} of ${this.batchesOnWorkers + this.batchesInline} batches on ${this.concurrency} worker threads`;
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
