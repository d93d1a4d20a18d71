/**
 * Page codec types. The decompressors come from the platform: Node's are native and loaded on first use
 * (platform/node/codecs.ts); `pure.ts` has pure-JavaScript ones for a platform without them.
 */
export type Compression = "zlib" | "lzo" | "snappy" | "zstd";

/** Decompress `src` to exactly `size` bytes, or throw. */
export type Decompress = (src: Uint8Array, size: number) => Uint8Array;

export type Codecs = Record<Compression, Decompress>;

/** Compress one page; the caller stores the page raw when the result is not smaller. */
export type Compress = (page: Uint8Array) => Uint8Array;

/** `out`, when it is exactly `size` bytes long; else the codec's error. */
export function exactly(name: string, out: Uint8Array, size: number): Uint8Array {
  if (out.length !== size) throw new Error(`${name}: ${out.length} bytes where ${size} were expected`);
  return out;
}
