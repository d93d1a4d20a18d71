/**
 * Page compressors with the libraries makedumpfile links: zlib at Z_BEST_SPEED (Node's), LZO1X-1 (miniLZO,
 * through the `lzo` binding), snappy (snappyjs) and zstd level 1 (libzstd, through `zstd-napi`).
 */
import { deflateSync } from "node:zlib";
import lzo from "lzo";
import { compress as snappyCompress } from "snappyjs";
import { compress as zstdCompress } from "zstd-napi";
import type { Compressors } from "../../dump/codecs/index.ts";

const asBuffer = (b: Uint8Array) =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

export const nodeCompressors: Compressors = {
  zlib: (page) => deflateSync(page, { level: 1 }),
  lzo: (page) => lzo.compress(asBuffer(page)),
  snappy: (page) => snappyCompress(page),
  zstd: (page) => zstdCompress(page, { compressionLevel: 1 }),
};
