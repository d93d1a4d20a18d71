/**
 * Pure-JavaScript page decompressors, so that the dump layer runs where no native library does (a
 * browser): LZO1X by hand, snappyjs, fzstd; zlib is the platform's.
 */
import { decompress as zstdDecompress } from "fzstd";
import { uncompress as snappyUncompress } from "snappyjs";
import { type Codecs, type Decompress, exactly } from "./index.ts";
import { lzo1xDecompress } from "./lzo1x.ts";

/** The content size a zstd frame's header declares, or undefined when it has none (or is no zstd frame). */
function zstdContentSize(src: Uint8Array): number | undefined {
  if (src.length < 6 || src[0] !== 0x28 || src[1] !== 0xb5 || src[2] !== 0x2f || src[3] !== 0xfd)
    return undefined;
  const fhd = src[4]!;
  const single = (fhd >> 5) & 1;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
  const width = [single, 2, 4, 8][fhd >> 6]!;
  if (width === 0 || src.length < at + width) return undefined;
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 256 + src[at + i]!;
  return width === 2 ? v + 256 : v;
}

export function pureCodecs(zlib: Decompress): Codecs {
  return {
    zlib,
    lzo: lzo1xDecompress,
    snappy: (src, size) => exactly("snappy", snappyUncompress(src, size), size),
    // fzstd fills the buffer it is given without saying how much it wrote, so the frame must declare its
    // size (libzstd's frames do, makedumpfile's too): a frame of any other size is refused before decoding.
    zstd: (src, size) => {
      const declared = zstdContentSize(src);
      if (declared !== size)
        throw new Error(`zstd: a frame of ${declared ?? "undeclared"} bytes where ${size} were expected`);
      return zstdDecompress(src, new Uint8Array(size));
    },
  };
}
