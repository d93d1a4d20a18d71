export type Method = "zlib" | "lzo" | "snappy" | "zstd";
/**
 * Compress `count` pages of `pageSize` bytes laid end to end in `pages`, appending to `out` (which needs
 * count * pageSize bytes) each page's compressed form where it shrinks (sizes[i] is its length) and the page
 * itself where it does not (sizes[i] is -1: stored raw). Returns the bytes written to `out`. Throws when the method's library is not loaded.
 */
export function compressPages(
  method: Method,
  pages: Uint8Array,
  count: number,
  pageSize: number,
  out: Uint8Array,
  sizes: Int32Array,
): number;
/**
 * compressPages on one of the addon's compression threads, started up to `threads` (default 1; they last as
 * long as the process): several batches compress at once with no JS thread to boot. The buffers must be left
 * alone until the promise settles.
 */
export function compressPagesAsync(
  method: Method,
  pages: Uint8Array,
  count: number,
  pageSize: number,
  out: Uint8Array,
  sizes: Int32Array,
  threads?: number,
): Promise<number>;
/**
 * compressPagesAsync for pages the compression thread reads itself: page i from file descriptor `fd` at byte
 * offset offsets[i] (one read per run of adjacent pages), into `pages`. A page that cannot be read whole is
 * zero-filled and flagged (flags[i] |= 2). With `dropZero`, pages of zeros are flagged (flags[i] |= 1) and
 * left out; the others are compressed as compressPagesAsync does, sizes[] in their order.
 */
export function compressFilePagesAsync(
  method: Method,
  fd: number,
  offsets: Float64Array,
  count: number,
  pageSize: number,
  pages: Uint8Array,
  out: Uint8Array,
  sizes: Int32Array,
  flags: Uint8Array,
  dropZero: boolean,
  threads: number,
): Promise<number>;
/** How many compression threads compressPagesAsync has started (they last as long as the process). */
export function threadCount(): number;
/** The methods whose system library was loaded, each with that library's version string ("" if it has none). */
export function methods(): Partial<Record<Method, string>>;
