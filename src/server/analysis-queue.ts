/**
 * Dumps waiting to be unpacked and analysed, run one at a time per worker thread so uploads never wait
 * on an analysis. A worker that dies or overruns its time is replaced and the dump marked failed.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { startWorker } from "../platform/node/start-worker.ts";
import type { CrashIndex } from "./crash-index.ts";
import type { DumpStore } from "./dump-store.ts";
import type { DumpJob, DumpJobResult } from "./dump-worker.ts";

function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("./dump-worker.ts", here);
  return new URL(here.includes("/chunks/") ? "../dump-worker.js" : "./dump-worker.js", here);
}

export class AnalysisQueue {
  private readonly waiting: number[] = [];
  private readonly idle: Worker[] = [];
  private busy = 0;
  private closed = false;
  /** Resolves when the queue is empty and every worker idle (for tests and shutdown). */
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly index: CrashIndex,
    private readonly store: DumpStore,
    private readonly log: (m: string) => void,
    private readonly workers = 1,
    private readonly timeoutMs = 15 * 60_000,
  ) {}

  enqueue(dumpId: number): void {
    if (this.closed) return;
    this.index.setState(dumpId, "queued");
    if (!this.waiting.includes(dumpId)) this.waiting.push(dumpId);
    this.pump();
  }

  private spawn(): Worker {
    const w = startWorker(workerUrl());
    w.unref();
    return w;
  }

  private pump(): void {
    while (this.waiting.length && this.busy < this.workers) {
      const id = this.waiting.shift()!;
      const row = this.index.dumpById(id);
      if (!row) continue;
      this.busy++;
      const w = this.idle.pop() ?? this.spawn();
      this.index.setState(id, "analysing");
      const job: DumpJob = { id, dir: this.store.dirPath(row.dir), upload: row.upload };
      this.run(w, job);
    }
    if (!this.waiting.length && this.busy === 0) for (const f of this.drainWaiters.splice(0)) f();
  }

  private run(w: Worker, job: DumpJob): void {
    let settled = false;
    const done = (
      r: DumpJobResult | { id: number; ok: false; error: string; unpackFailed: boolean },
      keep: boolean,
    ) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      w.off("message", onMessage);
      w.off("error", onError);
      w.off("exit", onExit);
      this.record(job, r);
      this.busy--;
      if (keep && !this.closed) this.idle.push(w);
      else void w.terminate();
      this.pump();
    };
    const onMessage = (r: DumpJobResult) => done(r, true);
    const onError = (e: Error) =>
      done({ id: job.id, ok: false, error: `analysis crashed: ${e.message}`, unpackFailed: false }, false);
    const onExit = (code: number) =>
      done({ id: job.id, ok: false, error: `analysis worker exited (${code})`, unpackFailed: false }, false);
    const timer = setTimeout(
      () =>
        done(
          {
            id: job.id,
            ok: false,
            error: `analysis took over ${this.timeoutMs / 1000} s`,
            unpackFailed: false,
          },
          false,
        ),
      this.timeoutMs,
    );
    timer.unref();
    w.on("message", onMessage);
    w.on("error", onError);
    w.on("exit", onExit);
    w.postMessage(job);
  }

  private record(job: DumpJob, r: DumpJobResult): void {
    const row = this.index.dumpById(job.id);
    if (!row) return;
    if (!r.ok) {
      this.log(`${row.dir}: ${r.error}`);
      if (!this.waiting.includes(job.id)) this.index.setState(job.id, "failed", { error: r.error });
      return;
    }
    if (r.unpacked) {
      this.index.removeFile(job.id, r.unpacked.from);
      // The file's size on disk: a restored stream's record count can differ (holes, a rewritten header).
      let size = r.unpacked.bytes;
      try {
        size = statSync(join(this.store.dirPath(row.dir), "vmcore")).size;
      } catch {}
      this.index.setFile(job.id, "vmcore", "complete", size);
      this.index.setState(job.id, "analysing", { upload: "vmcore" });
      this.log(`${row.dir}: ${r.unpacked.from} → vmcore (${r.unpacked.how}, ${r.unpacked.bytes} bytes)`);
    }
    const detail = r.analysis.detail as { source?: string; problems?: string[] };
    if (detail.source === "none" && !this.waiting.includes(job.id)) {
      // Neither the vmcore nor a log could be read: say why rather than show an empty crash.
      const why = detail.problems?.length ? detail.problems.join("; ") : "no vmcore or kernel log to analyse";
      this.log(`${row.dir}: ${why}`);
      this.index.saveAnalysis(job.id, r.analysis, true);
      this.index.setState(job.id, "failed", { error: why });
      return;
    }
    this.index.saveAnalysis(job.id, r.analysis, this.waiting.includes(job.id));
    this.log(`${row.dir}: ${r.analysis.title ?? "analysed"}`);
  }

  drained(): Promise<void> {
    if (!this.waiting.length && this.busy === 0) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
  }
}
