/** The dump layer's codecs with Node's native zlib. */
import { inflateSync } from "node:zlib";
import { type Codecs, makeCodecs } from "../../dump/codecs/index.ts";

export const nodeCodecs: Codecs = makeCodecs((src, size) => {
  const out = inflateSync(src, { maxOutputLength: size });
  if (out.length !== size) throw new Error(`zlib: ${out.length} bytes where ${size} were expected`);
  return out;
});
