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
