/**
 * makedumpfile's flattened stream (-F; what kdump pipes over SSH, and what QEMU's kdump-* dumps are):
 * a 4 KiB header, then records of (offset, size, data) in big-endian, ending with (-1, -1). Restoring it
 * (makedumpfile -R) just writes each record at its offset. Here the records are indexed instead, once, and
 * the restored file is presented as a ByteSource without being written out.
 */
import { cstring } from "../util/bytes.ts";
import { FormatError } from "../util/errors.ts";
import type { ByteSource } from "./byte-source.ts";

const HEADER_SIZE = 4096;
const SIGNATURE = "makedumpfile";
const TYPE_FLAT_HEADER = 1n;
const READ_WINDOW = 1 << 20;

export function isFlattened(head: Uint8Array): boolean {
  return head.length >= 12 && cstring(head, 0, 16) === SIGNATURE;
}

function be64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigInt64(off, false);
}

export interface FlattenedIndex {
  records: number;
  /** The size of the restored file. */
  size: number;
  /** The stream stopped before its end marker. */
  truncated: boolean;
}

export class FlattenedSource implements ByteSource {
  readonly size: number;
  readonly index: FlattenedIndex;
  // Records sorted by restored offset; seq keeps the stream order so later writes win where they overlap.
  private readonly outOff: Float64Array;
  private readonly inOff: Float64Array;
  private readonly len: Float64Array;
  private readonly seq: Uint32Array;
  private readonly maxLen: number;

  constructor(private readonly src: ByteSource) {
    const file = src.name;
    const h = src.read(0, HEADER_SIZE);
    if (!isFlattened(h)) throw new FormatError(file, 'no "makedumpfile" flattened-format signature', 0);
    if (h.length < 32) throw new FormatError(file, "the flattened-format header is cut off", 0);
    const type = be64(h, 16);
    if (type !== TYPE_FLAT_HEADER)
      throw new FormatError(file, `flattened header type ${type}, expected 1`, 16);

    let cap = 1024;
    let outOff: Float64Array = new Float64Array(cap);
    let inOff: Float64Array = new Float64Array(cap);
    let len: Float64Array = new Float64Array(cap);
    let n = 0;
    let pos = HEADER_SIZE;
    let window: Uint8Array = new Uint8Array(0);
    let windowAt = 0;
    let truncated = true;
    let maxLen = 0;
    let size = 0;
    for (;;) {
      if (pos + 16 > windowAt + window.length) {
        window = src.read(pos, READ_WINDOW);
        windowAt = pos;
        if (window.length < 16) break;
      }
      const o = be64(window, pos - windowAt);
      const l = be64(window, pos - windowAt + 8);
      if (o === -1n && l === -1n) {
        truncated = false;
        break;
      }
      if (o < 0n || l < 0n || l > 1n << 40n || o > 1n << 52n)
        throw new FormatError(
          file,
          `flattened record ${n} has offset ${o} and size ${l}: the stream is damaged`,
          pos,
        );
      const at = pos + 16;
      // A stream cut inside a record's data keeps the part that arrived.
      const length = Math.min(Number(l), src.size - at);
      if (length <= 0) break;
      if (n === cap) {
        cap *= 2;
        outOff = grow(outOff, cap);
        inOff = grow(inOff, cap);
        len = grow(len, cap);
      }
      outOff[n] = Number(o);
      inOff[n] = at;
      len[n] = length;
      if (length > maxLen) maxLen = length;
      if (Number(o) + length > size) size = Number(o) + length;
      n++;
      pos = at + length;
      if (length < Number(l)) break;
    }
    if (n === 0) throw new FormatError(file, "the flattened stream holds no data records", HEADER_SIZE);

    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => outOff[a] - outOff[b] || a - b);
    this.outOff = new Float64Array(n);
    this.inOff = new Float64Array(n);
    this.len = new Float64Array(n);
    this.seq = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const k = order[i];
      this.outOff[i] = outOff[k];
      this.inOff[i] = inOff[k];
      this.len[i] = len[k];
      this.seq[i] = k;
    }
    this.maxLen = maxLen;
    this.size = size;
    this.index = { records: n, size, truncated };
  }

  get name(): string {
    return this.src.name;
  }

  read(offset: number, length: number): Uint8Array {
    const end = Math.min(offset + length, this.size);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    // First record that could reach `offset`: records start at most maxLen before it.
    let lo = 0;
    let hi = this.outOff.length;
    const from = offset - this.maxLen;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.outOff[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    const hits: number[] = [];
    for (let i = lo; i < this.outOff.length && this.outOff[i] < end; i++)
      if (this.outOff[i] + this.len[i] > offset) hits.push(i);
    if (hits.length > 1) hits.sort((a, b) => this.seq[a] - this.seq[b]);
    for (const i of hits) {
      const s = Math.max(offset, this.outOff[i]);
      const e = Math.min(end, this.outOff[i] + this.len[i]);
      const data = this.src.read(this.inOff[i] + (s - this.outOff[i]), e - s);
      out.set(data, s - offset);
    }
    return out;
  }

  close(): void {
    this.src.close?.();
  }
}

function grow(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}
