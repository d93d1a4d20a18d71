/** Little-endian reads from byte arrays, and small helpers the binary formats share. */

export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function u16(b: Uint8Array, off: number): number {
  return b[off] | (b[off + 1] << 8);
}

export function u32(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16)) + b[off + 3] * 0x1000000;
}

export function i32(b: Uint8Array, off: number): number {
  return b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24);
}

export function u64(b: Uint8Array, off: number): bigint {
  return view(b).getBigUint64(off, true);
}

/** A u64 as a number; file offsets and sizes: exact up to 2^53, which no file reaches. */
export function u64n(b: Uint8Array, off: number): number {
  return u32(b, off) + u32(b, off + 4) * 0x100000000;
}

export function i64n(b: Uint8Array, off: number): number {
  return u32(b, off) + i32(b, off + 4) * 0x100000000;
}

/** A NUL-terminated string from a fixed-size field. */
export function cstring(b: Uint8Array, off = 0, max = b.length - off): string {
  let end = off;
  const limit = Math.min(b.length, off + max);
  while (end < limit && b[end] !== 0) end++;
  return latin1(b.subarray(off, end));
}

export function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192)
    s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
}

export function hex(n: bigint | number, width = 0): string {
  return n.toString(16).padStart(width, "0");
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** Set bits in b[from, to). */
export function popcount(b: Uint8Array, from = 0, to = b.length): number {
  let n = 0;
  for (let i = from; i < to; i++) n += POPCOUNT[b[i]];
  return n;
}

/** Set bits among the first `bits` bits of b (bit i is byte i>>3, bit i&7, LSB first). */
export function popcountBits(b: Uint8Array, bits: number): number {
  const whole = bits >> 3;
  let n = popcount(b, 0, whole);
  const rest = bits & 7;
  if (rest) n += POPCOUNT[b[whole] & ((1 << rest) - 1)];
  return n;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** An instruction's bytes, `bytes[from..to)`, as objdump and crash print them: two hex digits each, space separated. */
export function hexBytes(bytes: Uint8Array, from: number, to: number): string {
  const end = Math.min(to, bytes.length);
  let s = from < end ? HEX[bytes[from]] : "";
  for (let k = from + 1; k < end; k++) s += ` ${HEX[bytes[k]]}`;
  return s;
}
