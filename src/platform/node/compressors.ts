/**
 * Page compressors from npm, for where native/page-codec could not be built or a system library is missing:
 * Node's zlib at level 1 (Chromium's zlib: valid, but not the bytes makedumpfile writes, and 4-10% larger),
 * miniLZO through the `lzo` package's binding, snappyjs, and libzstd level 1 through `zstd-napi`.
 */

import { deflateSync } from "node:zlib";
import type { Compress, Compression } from "../../dump/codecs/index.ts";
import { asBuffer, lazyRequire } from "./lazy-require.ts";

// Loaded on first use: most runs never need a stand-in, and each worker thread would load them all.
const lzoBinding = lazyRequire<{ compress(input: Buffer, output: Buffer): { err: number; len: number } }>(
  "lzo/build/Release/node_lzo.node",
);
const lzoOut = Buffer.alloc(4096 + 4096 / 16 + 64 + 3);

/**
 * The lzo package's native binding, called directly: its wrapper allocates and zero-fills a fresh output
 * buffer for every call, which costs more than compressing a page.
 */
function lzoCompress(page: Uint8Array): Uint8Array {
  const out = page.length <= 4096 ? lzoOut : Buffer.alloc(page.length + page.length / 16 + 64 + 3);
  const r = lzoBinding().compress(asBuffer(page), out);
  if (r.err !== 0) throw new Error(`lzo1x_1_compress failed (${r.err})`);
  return new Uint8Array(out.subarray(0, r.len)); // a copy: the output buffer is reused
}

const snappy = lazyRequire<typeof import("snappyjs")>("snappyjs");
const zstd = lazyRequire<typeof import("zstd-napi")>("zstd-napi");

export const fallbackCompressors: Record<Compression, { library: string; compress: Compress }> = {
  zlib: { library: "Node's zlib", compress: (page) => deflateSync(page, { level: 1 }) },
  lzo: { library: "miniLZO (lzo)", compress: lzoCompress },
  snappy: { library: "snappyjs", compress: (page) => snappy().compress(page) },
  zstd: {
    library: "libzstd (zstd-napi)",
    compress: (page) => zstd().compress(page, { compressionLevel: 1 }),
  },
};
