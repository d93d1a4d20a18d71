/** A compiled set of literals (Hyperscan database and its scratch space), for the thread that compiled it. */
export type LiteralSet = object & { readonly __literalSet: unique symbol };
/**
 * Compile `literals` (no two alike, none empty) for scan(). Throws when libhs.so.5 cannot be loaded, the CPU
 * is one Hyperscan does not run on (it needs SSSE3), or Hyperscan refuses the set.
 */
export function compile(literals: string[]): LiteralSet;
/**
 * Where the literals occur in `bytes`: for each occurrence, the offset of its last byte, in increasing order
 * (overlapping occurrences each count).
 */
export function scan(set: LiteralSet, bytes: Uint8Array): Int32Array;
/** The Hyperscan version loaded, or "" when it cannot be. */
export function version(): string;
