/**
 * Compress pages laid end to end, as makedumpfile does: through `page-codec` (native/page-codec: the system's
 * libz, liblzo2, libsnappy and libzstd, one call per batch), else page by page with the npm stand-ins.
 */
import { createRequire } from "node:module";
import type { FilePages } from "../../capture/collect.ts";
import type { Compression } from "../../dump/codecs/index.ts";
import { fallbackCompressors } from "./compressors.ts";

const pageCodec = (() => {
  try {
    return createRequire(import.meta.url)("page-codec") as typeof import("page-codec");
  } catch {
    return undefined; // not built (no compiler at install time): the stand-ins do the work
  }
})();
const nativeMethods = pageCodec?.methods() ?? {};

/** The native codec, where it has `method`'s library. */
function nativeCodec(method: Compression): typeof pageCodec {
  return nativeMethods[method] !== undefined ? pageCodec : undefined;
}

/** Which library compresses `method` pages here, for messages and tests. */
export function compressorLibrary(method: Compression): string {
  const version = nativeMethods[method];
  if (version !== undefined) return `system ${method}${version ? ` ${version}` : ""}`;
  return fallbackCompressors[method].library;
}

/**
 * compressBatch on one of the native codec's compression threads (started up to `threads`), where it has the
 * method (see threadsCompress): the stand-ins run on the calling thread only.
 */
export function compressBatchOnThread(
  method: Compression,
  pages: Uint8Array,
  count: number,
  pageSize: number,
  out: Uint8Array,
  sizes: Int32Array,
  threads: number,
): Promise<number> {
  const codec = nativeCodec(method);
  if (!codec) return Promise.reject(new Error(`no native ${method} compressor`));
  return codec.compressPagesAsync(method, pages, count, pageSize, out, sizes, threads);
}

/**
 * compressBatchOnThread for pages the compression thread reads itself from file descriptor `fd`, page i at
 * byte offset offsets[i]; flags[i] says which were zeros (1: left out when `dropZero`) or unreadable (2).
 */
export function compressFileOnThread(
  method: Compression,
  file: FilePages,
  count: number,
  pageSize: number,
  pages: Uint8Array,
  out: Uint8Array,
  sizes: Int32Array,
  flags: Uint8Array,
  threads: number,
): Promise<number> {
  const codec = nativeCodec(method);
  if (!codec) return Promise.reject(new Error(`no native ${method} compressor`));
  return codec.compressFilePagesAsync(
    method,
    file.fd,
    file.offsets,
    count,
    pageSize,
    pages,
    out,
    sizes,
    flags,
    file.dropZero,
    threads,
  );
}

/** How many compression threads the native codec is running. */
export function compressionThreads(): number {
  return pageCodec?.threadCount() ?? 0;
}

/** Whether compressBatchOnThread can take `method` here. */
export function threadsCompress(method: Compression): boolean {
  return nativeCodec(method) !== undefined;
}

/**
 * Compress `count` pages laid end to end in `pages` into `out` (count × pageSize bytes): each page's
 * compressed form where it shrinks (sizes[i] bytes), else the page itself (sizes[i] = -1, pageSize bytes:
 * stored raw). Returns the bytes written to `out`.
 */
export function compressBatch(
  method: Compression,
  pages: Uint8Array,
  count: number,
  pageSize: number,
  out: Uint8Array,
  sizes: Int32Array,
): number {
  const codec = nativeCodec(method);
  if (codec) return codec.compressPages(method, pages, count, pageSize, out, sizes);
  const compress = fallbackCompressors[method].compress;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const page = pages.subarray(i * pageSize, (i + 1) * pageSize);
    const packed = compress(page);
    const raw = packed.length >= pageSize;
    out.set(raw ? page : packed, at);
    sizes[i] = raw ? -1 : packed.length;
    at += raw ? pageSize : packed.length;
  }
  return at;
}
