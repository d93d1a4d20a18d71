/** Open a dump by what its first bytes say it is, never by its name. */
import { cstring } from "../util/bytes.ts";
import { FormatError } from "../util/errors.ts";
import { BlockCachedSource, type ByteSource } from "./byte-source.ts";
import type { Codecs } from "./codecs/index.ts";
import { ElfCore, isElf } from "./elf-core.ts";
import { FlattenedSource, isFlattened } from "./flattened.ts";
import { isKdumpCompressed, KdumpCompressed } from "./kdump-compressed.ts";
import type { Dump } from "./physical-memory.ts";

export function openDump(file: ByteSource, codecs: Codecs): Dump {
  const src = new BlockCachedSource(file);
  const head = src.read(0, 64);
  if (isElf(head)) return new ElfCore(src);
  if (isKdumpCompressed(head)) return new KdumpCompressed(src, codecs);
  if (isFlattened(head)) {
    const flat = new FlattenedSource(src);
    const inner = flat.read(0, 64);
    let dump: Dump;
    if (isKdumpCompressed(inner)) dump = new KdumpCompressed(flat, codecs, { flattened: true });
    else if (isElf(inner)) dump = new ElfCore(flat);
    else
      throw new FormatError(
        src.name,
        "a flattened stream, but what it holds is neither kdump-compressed nor ELF",
        4096,
      );
    dump.info.flattened = true;
    if (dump.info.format === "elf") dump.info.description += ", flattened";
    if (flat.index.truncated) {
      dump.info.incomplete = true;
      dump.info.warnings.unshift(
        "the flattened stream ends without its end marker: the transfer was cut off",
      );
    }
    return dump;
  }
  throw new FormatError(src.name, `not a dump this tool knows: ${describeUnknown(head)}`, 0);
}

function describeUnknown(head: Uint8Array): string {
  if (head.length === 0) return "the file is empty";
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip-compressed data (decompress it first)";
  if (cstring(head, 0, 6) === "\xfd7zXZ") return "xz-compressed data (decompress it first)";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd)
    return "zstd-compressed data (decompress it first)";
  if (cstring(head, 0, 3) === "BZh") return "bzip2-compressed data (decompress it first)";
  const printable = head.filter((b) => b === 9 || b === 10 || b === 13 || b === 27 || b >= 32).length;
  if (printable >= head.length * 0.9) return "it looks like text (for a log, use kdx oops)";
  return "expected an ELF core (\\x7fELF), a kdump-compressed file (KDUMP), or a flattened stream (makedumpfile)";
}
