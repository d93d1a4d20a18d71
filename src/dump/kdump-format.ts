/** The constants of makedumpfile's kdump-compressed format, shared by its reader and its writer. */
import type { Compression } from "./codecs/index.ts";

export const KDUMP_SIGNATURE = "KDUMP   ";
/** struct disk_dump_header, up to its flexible tasks[] array. */
export const HEADER_SIZE = 464;
/** struct kdump_sub_header as of header version 6. */
export const SUB_HEADER_SIZE = 104;
/** struct page_desc: offset, size, flags, page_flags. */
export const DESC_SIZE = 24;
export const HEADER_VERSION = 6;

export const DH_ZLIB = 0x1;
export const DH_LZO = 0x2;
export const DH_SNAPPY = 0x4;
export const DH_INCOMPLETE = 0x8;
export const DH_ZSTD = 0x20;

export const COMPRESSION_FLAGS: [number, Compression][] = [
  [DH_ZLIB, "zlib"],
  [DH_LZO, "lzo"],
  [DH_SNAPPY, "snappy"],
  [DH_ZSTD, "zstd"],
];

export function compressionFlag(c: Compression): number {
  return COMPRESSION_FLAGS.find(([, name]) => name === c)![0];
}
