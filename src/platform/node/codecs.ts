/**
 * The dump layer's codecs in Node: native zlib, and the native libraries makedumpfile itself links for
 * LZO (miniLZO's lzo1x_decompress_safe, through the `lzo` package's binding) and zstd (libzstd, through
 * `zstd-napi`'s binding). Each writes into a buffer of the page's size, so a damaged or hostile page
 * can never make it allocate more. Snappy stays the pure one (snappyjs). Each library is loaded when a
 * page first needs it: most dumps use one method, and every command that opens a dump would pay for all.
 */
import { inflateSync } from "node:zlib";
import { type Codecs, exactly } from "../../dump/codecs/index.ts";
import { asBuffer, lazyRequire } from "./lazy-require.ts";

const lzoBinding = lazyRequire<{ decompress(input: Buffer, output: Buffer): { err: number; len: number } }>(
  "lzo/build/Release/node_lzo.node",
);
interface ZstdDCtx {
  decompress(dst: Uint8Array, src: Uint8Array): number;
}
const zstdBinding = lazyRequire<{ DCtx: new () => ZstdDCtx }>("zstd-napi/binding.js");
const snappyjs = lazyRequire<typeof import("snappyjs")>("snappyjs");

let dctx: ZstdDCtx | undefined;

export const nodeCodecs: Codecs = {
  zlib: (src, size) => exactly("zlib", inflateSync(src, { maxOutputLength: size }), size),
  lzo: (src, size) => {
    const out = Buffer.alloc(size);
    const r = lzoBinding().decompress(asBuffer(src), out);
    if (r.err !== 0) throw new Error(`lzo: lzo1x_decompress_safe failed (error ${r.err})`);
    return exactly("lzo", out.subarray(0, r.len), size);
  },
  snappy: (src, size) => exactly("snappy", snappyjs().uncompress(src, size), size),
  zstd: (src, size) => {
    dctx ??= new (zstdBinding().DCtx)();
    const out = new Uint8Array(size);
    // libzstd refuses a frame that would not fit, rather than growing the buffer.
    const n = dctx.decompress(out, src);
    return exactly("zstd", out.subarray(0, n), size);
  },
};
