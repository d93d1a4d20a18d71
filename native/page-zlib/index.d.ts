/** zlib's compress2(dst, &len, src, len, level): bytes written to `dst`, or -1 when they do not fit. */
export function compress(src: Uint8Array, dst: Uint8Array, level: number): number;
/** zlibVersion() of the library loaded. */
export function version(): string;
