/**
 * Page compressors with the libraries makedumpfile links: zlib at Z_BEST_SPEED (the system's libz through
 * `page-zlib`, else Node's), LZO1X-1 (miniLZO, through the `lzo` package's binding), snappy (snappyjs) and
 * zstd level 1 (libzstd, through `zstd-napi`).
 */

import { createRequire } from "node:module";
import { deflateSync } from "node:zlib";
import { compress as snappyCompress } from "snappyjs";
import { compress as zstdCompress } from "zstd-napi";
import type { Compressors } from "../../dump/codecs/index.ts";

const asBuffer = (b: Uint8Array) =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * The lzo package's native binding, called directly: its wrapper allocates and zero-fills a fresh output
 * buffer for every call, which costs more than compressing a page.
 */
const lzoBinding = createRequire(import.meta.url)("lzo/build/Release/node_lzo.node") as {
  compress(input: Buffer, output: Buffer): { err: number; len: number };
};
const lzoOut = Buffer.alloc(4096 + 4096 / 16 + 64 + 3);

function lzoCompress(page: Uint8Array): Uint8Array {
  const out = page.length <= 4096 ? lzoOut : Buffer.alloc(page.length + page.length / 16 + 64 + 3);
  const r = lzoBinding.compress(asBuffer(page), out);
  if (r.err !== 0) throw new Error(`lzo1x_1_compress failed (${r.err})`);
  return new Uint8Array(out.subarray(0, r.len)); // a copy: the output buffer is reused
}

/**
 * The system's libz, as makedumpfile calls it (compress2 at level 1): the same bytes as its -c output. Node's
 * own zlib (Chromium's) compresses pages differently and, at level 1, some 4-10% larger; it stands in where
 * the binding could not be built.
 */
const systemZlib = (() => {
  try {
    return createRequire(import.meta.url)("page-zlib") as typeof import("page-zlib");
  } catch {
    return undefined;
  }
})();
/** zlib's compressBound(n) is n + n/4096 + n/16384 + n/33554432 + 13: this is above it. */
const zlibBound = (n: number) => n + (n >> 12) + 64;
const zlibOut = Buffer.alloc(zlibBound(4096));

function zlibCompress(page: Uint8Array): Uint8Array {
  if (!systemZlib) return deflateSync(page, { level: 1 });
  const out = page.length <= 4096 ? zlibOut : Buffer.alloc(zlibBound(page.length));
  const len = systemZlib.compress(page, out, 1);
  if (len < 0) throw new Error("compress2 failed");
  return new Uint8Array(out.subarray(0, len)); // a copy: the output buffer is reused
}

export const nodeCompressors: Compressors = {
  zlib: zlibCompress,
  lzo: lzoCompress,
  snappy: (page) => snappyCompress(page),
  zstd: (page) => zstdCompress(page, { compressionLevel: 1 }),
};
