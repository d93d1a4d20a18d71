/**
 * LZO1X decompression (what makedumpfile -l writes, through liblzo2's lzo1x_1). No maintained pure-JS
 * decoder exists, so this follows the bitstream as the kernel documents it (Documentation/staging/lzo.rst),
 * checking every read and write against the buffers so damaged input fails instead of running away.
 */

export class LzoError extends Error {
  override name = "LzoError";
}

export function lzo1xDecompress(src: Uint8Array, outSize: number): Uint8Array {
  const out = new Uint8Array(outSize);
  let ip = 0;
  let op = 0;
  const n = src.length;

  const need = (k: number) => {
    if (ip + k > n) throw new LzoError("input overrun");
  };
  const room = (k: number) => {
    if (op + k > outSize) throw new LzoError("output overrun");
  };
  // A length continued over zero bytes: each zero adds 255, then the final byte.
  const longLength = (base: number): number => {
    let t = base;
    for (;;) {
      need(1);
      const b = src[ip++];
      if (b !== 0) return t + b;
      t += 255;
      if (t > outSize + 255) throw new LzoError("length overrun");
    }
  };
  const literals = (k: number) => {
    need(k);
    room(k);
    out.set(src.subarray(ip, ip + k), op);
    ip += k;
    op += k;
  };
  const copyMatch = (dist: number, len: number) => {
    const from = op - dist;
    if (from < 0) throw new LzoError("lookbehind overrun");
    room(len);
    for (let i = 0; i < len; i++) out[op + i] = out[from + i];
    op += len;
  };

  // state: how many literals the previous instruction copied (0, 1..3, or 4 for "4 or more").
  let state = 0;
  need(1);
  if (src[0] > 17) {
    const t = src[ip++] - 17;
    literals(t);
    state = Math.min(t, 4);
  }
  for (;;) {
    need(1);
    const t = src[ip++];
    let next: number;
    if (t < 16) {
      if (state === 0) {
        const len = (t === 0 ? longLength(15) : t) + 3;
        literals(len);
        state = 4;
        continue;
      }
      need(1);
      const h = src[ip++];
      if (state !== 4) copyMatch(1 + (t >> 2) + (h << 2), 2);
      else copyMatch(2049 + (t >> 2) + (h << 2), 3);
      next = t & 3;
    } else if (t >= 64) {
      need(1);
      const h = src[ip++];
      copyMatch(1 + ((t >> 2) & 7) + (h << 3), (t >> 5) + 1);
      next = t & 3;
    } else if (t >= 32) {
      const len = (t & 31 ? t & 31 : longLength(31)) + 2;
      need(2);
      const d = src[ip] | (src[ip + 1] << 8);
      ip += 2;
      copyMatch(1 + (d >> 2), len);
      next = d & 3;
    } else {
      const len = (t & 7 ? t & 7 : longLength(7)) + 2;
      need(2);
      const d = src[ip] | (src[ip + 1] << 8);
      ip += 2;
      const dist = ((t & 8) << 11) + (d >> 2);
      if (dist === 0) {
        // End of stream (0x11 0x00 0x00).
        if (op !== outSize) throw new LzoError(`stream ended after ${op} of ${outSize} bytes`);
        return out;
      }
      copyMatch(dist + 0x4000, len);
      next = d & 3;
    }
    state = next;
    if (next) literals(next);
  }
}
