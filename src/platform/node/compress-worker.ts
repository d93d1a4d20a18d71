/** A compression worker thread for CompressPool: the batch's buffers arrive moved and go back moved. */
import { parentPort, workerData } from "node:worker_threads";
import type { Compression } from "../../dump/codecs/index.ts";
import { compressBatch } from "./compress-batch.ts";

parentPort?.on(
  "message",
  (m: {
    id: number;
    method: Compression;
    pages: Uint8Array;
    count: number;
    pageSize: number;
    out: Uint8Array;
  }) => {
    try {
      const sizes = new Int32Array(m.count);
      compressBatch(m.method, m.pages, m.count, m.pageSize, m.out, sizes);
      parentPort!.postMessage({ id: m.id, pages: m.pages, out: m.out, sizes }, [
        m.pages.buffer as ArrayBuffer,
        m.out.buffer as ArrayBuffer,
        sizes.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      parentPort!.postMessage({ id: m.id, error: (e as Error).message });
    }
  },
);
// Ready: CompressPool reads this flag while its thread is busy.
const { ready, index } = workerData as { ready: Int32Array; index: number };
Atomics.store(ready, index, 1);
