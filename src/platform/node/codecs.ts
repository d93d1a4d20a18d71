/**
 * The dump layer's codecs in Node: native zlib, and the native libraries makedumpfile itself links for
 * LZO (miniLZO's lzo1x_decompress_safe, through the `lzo` package's binding) and zstd (libzstd, through
 * `zstd-napi`'s binding). Each writes into a buffer of the page's size, so a damaged or hostile page
 * can never make it allocate more. Snappy stays the pure one (snappyjs).
 */
import { createRequire } from "node:module";
import { inflateSync } from "node:zlib";
import { type Codecs, type Decompress, makeCodecs } from "../../dump/codecs/index.ts";

const require = createRequire(import.meta.url);

const lzoBinding = require("lzo/build/Release/node_lzo.node") as {
  decompress(input: Buffer, output: Buffer): { err: number; len: number };
};

interface ZstdDCtx {
  decompress(dst: Uint8Array, src: Uint8Array): number;
}
const zstdBinding = require("zstd-napi/binding.js") as { DCtx: new () => ZstdDCtx };

const asBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));

function exactly(name: string, got: number, size: number): void {
  if (got !== size) throw new Error(`${name}: ${got} bytes where ${size} were expected`);
}

const lzo: Decompress = (src, size) => {
  const out = Buffer.alloc(size);
  const r = lzoBinding.decompress(asBuffer(src), out);
  if (r.err !== 0) throw new Error(`lzo: lzo1x_decompress_safe failed (error ${r.err})`);
  exactly("lzo", r.len, size);
  return out;
};

let dctx: ZstdDCtx | undefined;
const zstd: Decompress = (src, size) => {
  dctx ??= new zstdBinding.DCtx();
  const out = new Uint8Array(size);
  // libzstd refuses a frame that would not fit, rather than growing the buffer.
  exactly("zstd", dctx.decompress(out, src), size);
  return out;
};

export const nodeCodecs: Codecs = makeCodecs(
  (src, size) => {
    const out = inflateSync(src, { maxOutputLength: size });
    exactly("zlib", out.length, size);
    return out;
  },
  { lzo, zstd },
);
