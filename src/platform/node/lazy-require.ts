/** CommonJS modules and native bindings required on first use, not at import: most runs need few of them. */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** `id`, required on the first call of the function returned (relative ids resolve from this directory). */
export function lazyRequire<T>(id: string): () => T {
  let m: T | undefined;
  return () => {
    m ??= require(id) as T;
    return m;
  };
}

/** A Buffer over `b`'s bytes, without a copy. */
export const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
