/** Test helpers for kdump-compressed files: their bitmaps and which pages share the zero page, read raw. */
import { closeSync, openSync, readSync } from "node:fs";

export interface KdumpLayout {
  maxMapnr: number;
  dumpLevel: number;
  status: number;
  /** Pages that exist, and pages written. */
  bitmap1: Buffer;
  bitmap2: Buffer;
  /** Page frames whose descriptor points at the shared zero page (dump level bit 1). */
  zeroShared: number[];
}

function read(fd: number, at: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  readSync(fd, b, 0, n, at);
  return b;
}

export function kdumpLayout(path: string): KdumpLayout {
  const fd = openSync(path, "r");
  try {
    const h = read(fd, 0, 464);
    const blockSize = h.readInt32LE(428);
    const subHdr = h.readInt32LE(432);
    const half = (h.readUInt32LE(436) * blockSize) / 2;
    const sub = read(fd, blockSize, 104);
    const maxMapnr = Number(sub.readBigUInt64LE(96));
    const bitmapAt = (1 + subHdr) * blockSize;
    const bitmap1 = read(fd, bitmapAt, half);
    const bitmap2 = read(fd, bitmapAt + half, half);
    const zeroShared: number[] = [];
    const dumpLevel = sub.readInt32LE(8);
    if (dumpLevel & 1) {
      let n = 0;
      for (const byte of bitmap2) for (let v = byte; v; v &= v - 1) n++;
      const descAt = bitmapAt + 2 * half;
      const descs = read(fd, descAt, n * 24);
      const zeroAt = descAt + n * 24;
      let i = 0;
      for (let pfn = 0; pfn < half * 8; pfn++) {
        if (!(bitmap2[pfn >> 3]! & (1 << (pfn & 7)))) continue;
        if (Number(descs.readBigInt64LE(i * 24)) === zeroAt) zeroShared.push(pfn);
        i++;
      }
    }
    return { maxMapnr, dumpLevel, status: h.readUInt32LE(424), bitmap1, bitmap2, zeroShared };
  } finally {
    closeSync(fd);
  }
}
