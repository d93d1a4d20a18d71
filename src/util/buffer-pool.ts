/**
 * Reusable buffers of one size. Fresh memory costs a page fault per 4 KiB at its first touch, which for a
 * copy loop (kdx collect reads and compresses megabytes a batch) costs more than the copy itself.
 */
export class BufferPool {
  private readonly free: Uint8Array[] = [];

  constructor(
    readonly size: number,
    private readonly keep = 8,
  ) {}

  acquire(): Uint8Array {
    return this.free.pop() ?? new Uint8Array(this.size);
  }

  /** Give a buffer back (a whole one: views of the same memory, e.g. returned by a worker, are fine). */
  release(b: Uint8Array): void {
    if (b.byteLength === this.size && b.byteOffset === 0 && this.free.length < this.keep) this.free.push(b);
  }
}
