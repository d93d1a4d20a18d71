/**
 * Where a dump's bytes come from. Synchronous positional reads: analysis is a chain of small dependent
 * reads. The core never opens files itself; the platform layer (a file descriptor in Node) supplies this.
 */
export interface ByteSource {
  /** For messages: the file name. */
  readonly name: string;
  readonly size: number;
  /** Up to `length` bytes at `offset`; shorter only where the source ends. */
  read(offset: number, length: number): Uint8Array;
  /** Optional: read into `dst` (as many bytes as it holds, fewer where the source ends); the bytes read. */
  readInto?(offset: number, dst: Uint8Array): number;
  /** Optional: the operating system's descriptor for these same bytes, for native code that reads them itself. */
  readonly fd?: number;
  close?(): void;
}

/** A ByteSource over bytes in memory (tests, small embedded images). */
export class BufferSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(
      Math.min(offset, this.bytes.length),
      Math.min(offset + length, this.bytes.length),
    );
  }
}

/** Read exactly `length` bytes or return undefined when the source ends first. */
export function readExact(src: ByteSource, offset: number, length: number): Uint8Array | undefined {
  const b = src.read(offset, length);
  return b.length === length ? b : undefined;
}

/**
 * Reads through a small cache of aligned blocks: a sequential scan costs one system call per block instead
 * of one per page, and small metadata reads near each other share a block. Bounded: `blocks` × `blockSize`.
 */
export class BlockCachedSource implements ByteSource {
  private readonly cache = new Map<number, Uint8Array>();

  constructor(
    private readonly inner: ByteSource,
    private readonly blockSize = 64 * 1024,
    private readonly blocks = 32,
  ) {}

  get name(): string {
    return this.inner.name;
  }
  get size(): number {
    return this.inner.size;
  }

  private block(i: number): Uint8Array {
    let b = this.cache.get(i);
    if (b) {
      this.cache.delete(i);
      this.cache.set(i, b);
      return b;
    }
    b = this.inner.read(i * this.blockSize, this.blockSize);
    this.cache.set(i, b);
    if (this.cache.size > this.blocks) this.cache.delete(this.cache.keys().next().value as number);
    return b;
  }

  /** Straight through, when the source can: bulk reads into the caller's buffer need no cache. */
  get readInto(): ((offset: number, dst: Uint8Array) => number) | undefined {
    return this.inner.readInto?.bind(this.inner);
  }

  get fd(): number | undefined {
    return this.inner.fd;
  }

  read(offset: number, length: number): Uint8Array {
    // Large reads go straight through; the cache is for the many small ones.
    if (length > this.blockSize) return this.inner.read(offset, length);
    const first = Math.floor(offset / this.blockSize);
    const last = Math.floor((offset + length - 1) / this.blockSize);
    const b0 = this.block(first);
    const at = offset - first * this.blockSize;
    // A short block is the end of the source: nothing lies beyond it.
    if (first === last || length === 0 || b0.length < this.blockSize)
      return b0.subarray(Math.min(at, b0.length), Math.min(at + length, b0.length));
    const b1 = this.block(last);
    const out = new Uint8Array(Math.min(length, b0.length - at + b1.length));
    out.set(b0.subarray(at), 0);
    out.set(b1.subarray(0, out.length - (b0.length - at)), b0.length - at);
    return out;
  }

  close(): void {
    this.cache.clear();
    this.inner.close?.();
  }
}
