/**
 * LZO1X decompression (what makedumpfile -l writes, through liblzo2's lzo1x_1). No maintained pure-JS
 * decoder exists, so this follows the bitstream as the kernel documents it (Documentation/staging/lzo.rst),
 * checking every read and write against the buffers so damaged input fails instead of running away.
 * Written as one flat loop: this is the hot path of reading an LZO dump.
 */

export class LzoError extends Error {
  override name = "LzoError";
}

export function lzo1xDecompress(src: Uint8Array, outSize: number): Uint8Array {
  const out = new Uint8Array(outSize);
  const n = src.length;
  let ip = 0;
  let op = 0;
  // state: literals the previous instruction copied (0, 1..3, or 4 for "4 or more").
  let state = 0;
  let t = 0;
  let len = 0;
  let dist = 0;

  if (n === 0) throw new LzoError("empty input");
  if (src[0] > 17) {
    t = src[ip++] - 17;
    if (ip + t > n || t > outSize) throw new LzoError("input overrun");
    for (let i = 0; i < t; i++) out[op++] = src[ip++];
    state = Math.min(t, 4);
  }
  for (;;) {
    if (ip >= n) throw new LzoError("input overrun");
    t = src[ip++];
    if (t < 16) {
      if (state === 0) {
        // A run of 4 or more literals.
        len = t;
        if (len === 0) {
          len = 15;
          while (ip < n && src[ip] === 0) {
            len += 255;
            ip++;
            if (len > outSize) throw new LzoError("length overrun");
          }
          if (ip >= n) throw new LzoError("input overrun");
          len += src[ip++];
        }
        len += 3;
        if (ip + len > n) throw new LzoError("input overrun");
        if (op + len > outSize) throw new LzoError("output overrun");
        out.set(src.subarray(ip, ip + len), op);
        ip += len;
        op += len;
        state = 4;
        continue;
      }
      if (ip >= n) throw new LzoError("input overrun");
      const h = src[ip++];
      if (state !== 4) {
        dist = 1 + (t >> 2) + (h << 2);
        len = 2;
      } else {
        dist = 2049 + (t >> 2) + (h << 2);
        len = 3;
      }
    } else if (t >= 64) {
      if (ip >= n) throw new LzoError("input overrun");
      dist = 1 + ((t >> 2) & 7) + (src[ip++] << 3);
      len = (t >> 5) + 1;
    } else if (t >= 32) {
      len = t & 31;
      if (len === 0) {
        len = 31;
        while (ip < n && src[ip] === 0) {
          len += 255;
          ip++;
          if (len > outSize) throw new LzoError("length overrun");
        }
        if (ip >= n) throw new LzoError("input overrun");
        len += src[ip++];
      }
      len += 2;
      if (ip + 2 > n) throw new LzoError("input overrun");
      const d = src[ip] | (src[ip + 1] << 8);
      ip += 2;
      dist = 1 + (d >> 2);
      t = d; // the low 2 bits say how many literals follow
    } else {
      len = t & 7;
      if (len === 0) {
        len = 7;
        while (ip < n && src[ip] === 0) {
          len += 255;
          ip++;
          if (len > outSize) throw new LzoError("length overrun");
        }
        if (ip >= n) throw new LzoError("input overrun");
        len += src[ip++];
      }
      len += 2;
      if (ip + 2 > n) throw new LzoError("input overrun");
      const d = src[ip] | (src[ip + 1] << 8);
      ip += 2;
      dist = ((t & 8) << 11) + (d >> 2);
      if (dist === 0) {
        // End of stream (0x11 0x00 0x00).
        if (op !== outSize) throw new LzoError(`stream ended after ${op} of ${outSize} bytes`);
        return out;
      }
      dist += 0x4000;
      t = d;
    }
    // Copy the match byte by byte: it may overlap its own output.
    let from = op - dist;
    if (from < 0) throw new LzoError("lookbehind overrun");
    if (op + len > outSize) throw new LzoError("output overrun");
    for (let i = 0; i < len; i++) out[op++] = out[from++];
    state = t & 3;
    if (state) {
      if (ip + state > n) throw new LzoError("input overrun");
      if (op + state > outSize) throw new LzoError("output overrun");
      for (let i = 0; i < state; i++) out[op++] = src[ip++];
    }
  }
}
