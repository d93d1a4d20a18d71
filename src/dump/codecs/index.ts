/**
 * Page decompressors by name. zlib comes from the platform (Node's native zlib; a pure one in a browser);
 * the others are pure JavaScript so the dump layer runs anywhere, and a platform may replace them with
 * native ones (Node: libzstd, miniLZO).
 */
import { decompress as zstdDecompress } from "fzstd";
import { uncompress as snappyUncompress } from "snappyjs";
import { lzo1xDecompress } from "./lzo1x.ts";

export type Compression = "zlib" | "lzo" | "snappy" | "zstd";

/** Decompress `src` to exactly `size` bytes, or throw. */
export type Decompress = (src: Uint8Array, size: number) => Uint8Array;

export type Codecs = Record<Compression, Decompress>;

function exact(name: string, out: Uint8Array, size: number): Uint8Array {
  if (out.length !== size) throw new Error(`${name}: ${out.length} bytes where ${size} were expected`);
  return out;
}

/** The pure decompressors, with the platform's zlib and any faster native ones it has. */
export function makeCodecs(zlib: Decompress, native: Partial<Codecs> = {}): Codecs {
  return {
    zlib,
    lzo: lzo1xDecompress,
    snappy: (src, size) => exact("snappy", snappyUncompress(src, size), size),
    zstd: (src, size) => exact("zstd", zstdDecompress(src, new Uint8Array(size)), size),
    ...native,
  };
}

/** Compress one page; the caller stores the page raw when the result is not smaller. */
export type Compress = (page: Uint8Array) => Uint8Array;
