/** What a file is, by its first bytes, never by its name: the one place that decides (each format keeps its own signature test). */
import { isElf } from "./elf-core.ts";
import { isFlattened } from "./flattened.ts";
import { isKdumpCompressed } from "./kdump-compressed.ts";

export type DumpFormat = "elf" | "kdump-compressed" | "flattened";

/** A dump's format from its first bytes, or undefined. */
export function dumpFormat(head: Uint8Array): DumpFormat | undefined {
  if (isElf(head)) return "elf";
  if (isKdumpCompressed(head)) return "kdump-compressed";
  if (isFlattened(head)) return "flattened";
  return undefined;
}

/** An ELF file whose e_type is ET_CORE (a vmcore, not a vmlinux). */
export function isElfCore(head: Uint8Array): boolean {
  return isElf(head) && head[16] === 4;
}

const COMPRESSED: [name: string, magic: number[]][] = [
  ["gzip", [0x1f, 0x8b]],
  ["bzip2", [0x42, 0x5a, 0x68]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["lz4", [0x04, 0x22, 0x4d, 0x18]],
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
];

/** The compressor whose frame the bytes start with (gzip, bzip2, xz, lz4, zstd), if any. */
export function compressedWith(head: Uint8Array): string | undefined {
  return COMPRESSED.find(([, magic]) => magic.every((b, i) => head[i] === b))?.[0];
}

/** Why the bytes are not a dump, in words a user can act on. */
export function describeUnknown(head: Uint8Array): string {
  if (head.length === 0) return "the file is empty";
  const packed = compressedWith(head);
  if (packed && packed !== "lz4") return `${packed}-compressed data (decompress it first)`;
  const printable = head.filter((b) => b === 9 || b === 10 || b === 13 || b === 27 || b >= 32).length;
  if (printable >= head.length * 0.9) return "it looks like text (for a log, use kdx oops)";
  return "expected an ELF core (\\x7fELF), a kdump-compressed file (KDUMP), or a flattened stream (makedumpfile)";
}
