/** A bit per page frame, least significant bit first in each byte: the layout of kdump's bitmaps. */
export class PageBitmap {
  readonly bytes: Uint8Array;

  constructor(readonly pages: number) {
    this.bytes = new Uint8Array(Math.ceil(pages / 8));
  }

  static copyOf(other: PageBitmap): PageBitmap {
    const b = new PageBitmap(other.pages);
    b.bytes.set(other.bytes);
    return b;
  }

  test(pfn: number): boolean {
    return pfn < this.pages && (this.bytes[pfn >>> 3]! & (1 << (pfn & 7))) !== 0;
  }

  set(pfn: number): void {
    if (pfn < this.pages) this.bytes[pfn >>> 3]! |= 1 << (pfn & 7);
  }

  clear(pfn: number): void {
    if (pfn < this.pages) this.bytes[pfn >>> 3]! &= ~(1 << (pfn & 7));
  }

  /** Set every bit in [from, to). */
  setRange(from: number, to: number): void {
    this.fillRange(from, to, true);
  }

  /** Clear every bit in [from, to). */
  clearRange(from: number, to: number): void {
    this.fillRange(from, to, false);
  }

  private put(pfn: number, on: boolean): void {
    if (on) this.set(pfn);
    else this.clear(pfn);
  }

  /** Bits one at a time up to a byte boundary, then whole bytes, then the bits left. */
  private fillRange(from: number, to: number, on: boolean): void {
    const end = Math.min(to, this.pages);
    let p = from;
    for (; p < end && p & 7; p++) this.put(p, on);
    const byte = on ? 0xff : 0;
    for (; p + 8 <= end; p += 8) this.bytes[p >>> 3] = byte;
    for (; p < end; p++) this.put(p, on);
  }

  count(): number {
    let n = 0;
    for (const byte of this.bytes) {
      let v = byte;
      while (v) {
        v &= v - 1;
        n++;
      }
    }
    return n;
  }
}
