/** A compiled set of literals (Hyperscan database and its scratch space), for the thread that compiled it. */
export type LiteralSet = object & { readonly __literalSet: unique symbol };
/**
 * Compile `literals` (no two alike, none empty) for scan(). Throws when libhs.so.5 cannot be loaded, the CPU
 * is one Hyperscan does not run on (it needs SSSE3), or Hyperscan refuses the set.
 */
export function compile(literals: string[]): LiteralSet;
/**
 * A chunk's index for kdx's report reader, laid out as: the number of newlines; H, then H pairs (offset of
 * the last byte of an occurrence of a literal, its line), in increasing order; L, then L pairs (start, line) of
 * the whole lines longer than `maxLine` bytes. Lines are counted from 0 at the chunk's start, a line being the
 * bytes up to a newline; the bytes after the last newline are line `newlines`.
 */
export function scan(set: LiteralSet, bytes: Uint8Array, maxLine: number): Int32Array;
/** The Hyperscan version loaded, or "" when it cannot be. */
export function version(): string;
