/** Compress pages laid end to end; sizes[i] is -1 where page i did not shrink and must be stored raw. */
import type { Compression } from "../../dump/codecs/index.ts";
import { nodeCompressors } from "./compressors.ts";

export function compressBatch(
  method: Compression,
  pages: Uint8Array,
  count: number,
  pageSize: number,
): { data: Uint8Array; sizes: Int32Array } {
  const compress = nodeCompressors[method];
  const sizes = new Int32Array(count);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const out = compress(pages.subarray(i * pageSize, (i + 1) * pageSize));
    if (out.length < pageSize) {
      parts.push(out);
      sizes[i] = out.length;
      total += out.length;
    } else sizes[i] = -1;
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { data, sizes };
}
