/** Open a dump by what its first bytes say it is, never by its name. */
import { FormatError } from "../util/errors.ts";
import { BlockCachedSource, type ByteSource } from "./byte-source.ts";
import type { Codecs } from "./codecs/index.ts";
import { ElfCore } from "./elf-core.ts";
import { FlattenedSource } from "./flattened.ts";
import { KdumpCompressed } from "./kdump-compressed.ts";
import type { Dump } from "./physical-memory.ts";
import { describeUnknown, dumpFormat } from "./sniff.ts";

export function openDump(file: ByteSource, codecs: Codecs): Dump {
  const src = new BlockCachedSource(file);
  const head = src.read(0, 64);
  const format = dumpFormat(head);
  if (format === "elf") return new ElfCore(src);
  if (format === "kdump-compressed") return new KdumpCompressed(src, codecs);
  if (format === "flattened") {
    const flat = new FlattenedSource(src);
    const inner = dumpFormat(flat.read(0, 64));
    let dump: Dump;
    if (inner === "kdump-compressed") dump = new KdumpCompressed(flat, codecs, { flattened: true });
    else if (inner === "elf") dump = new ElfCore(flat);
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
