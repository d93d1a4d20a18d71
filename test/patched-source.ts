/** A dump file with some bytes replaced, without copying it: how tests damage real dumps. */
import type { ByteSource } from "../src/dump/byte-source.ts";

export class PatchedSource implements ByteSource {
  constructor(
    private readonly base: ByteSource,
    private readonly patches: Map<number, number>,
  ) {}
  get name() {
    return this.base.name;
  }
  get size() {
    return this.base.size;
  }
  read(offset: number, length: number): Uint8Array {
    const b = Uint8Array.from(this.base.read(offset, length));
    for (const [at, v] of this.patches) if (at >= offset && at < offset + b.length) b[at - offset] = v;
    return b;
  }
}

/** The byte patches that write a little-endian 64-bit word at `at`. */
export function wordPatch(at: number, value: bigint): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < 8; i++) m.set(at + i, Number((value >> BigInt(8 * i)) & 0xffn));
  return m;
}
