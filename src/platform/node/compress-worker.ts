/** A compression worker thread for CompressPool. */
import { parentPort } from "node:worker_threads";
import type { Compression } from "../../dump/codecs/index.ts";
import { compressBatch } from "./compress-batch.ts";

parentPort?.on(
  "message",
  (m: { id: number; method: Compression; pages: Uint8Array; count: number; pageSize: number }) => {
    try {
      const { data, sizes } = compressBatch(m.method, m.pages, m.count, m.pageSize);
      parentPort!.postMessage({ id: m.id, data, sizes }, [
        data.buffer as ArrayBuffer,
        sizes.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      parentPort!.postMessage({ id: m.id, error: (e as Error).message });
    }
  },
);
