/** A compression worker thread for CompressPool: the batch's buffers arrive moved and go back moved. */
import { parentPort } from "node:worker_threads";
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
      const length = compressBatch(m.method, m.pages, m.count, m.pageSize, m.out, sizes);
      parentPort!.postMessage({ id: m.id, pages: m.pages, out: m.out, length, sizes }, [
        m.pages.buffer as ArrayBuffer,
        m.out.buffer as ArrayBuffer,
        sizes.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      parentPort!.postMessage({ id: m.id, error: (e as Error).message });
    }
  },
);
parentPort?.postMessage("ready");
