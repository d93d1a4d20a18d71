/** What an uploaded file is, by its first bytes: never by its name. */
import { closeSync, openSync, readSync } from "node:fs";
import { isElf } from "../dump/elf-core.ts";
import { isFlattened } from "../dump/flattened.ts";
import { isKdumpCompressed } from "../dump/kdump-compressed.ts";

export type Sniffed = "dump" | "compressed" | "text" | "other";

const COMPRESSED = [
  [0x1f, 0x8b],
  [0x42, 0x5a, 0x68],
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
  [0x04, 0x22, 0x4d, 0x18],
  [0x28, 0xb5, 0x2f, 0xfd],
];

export function sniffFile(path: string): Sniffed {
  const head = Buffer.alloc(4096);
  let n = 0;
  const fd = openSync(path, "r");
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const h = head.subarray(0, n);
  if (n >= 64 && (isElf(h) || isKdumpCompressed(h) || isFlattened(h))) return "dump";
  if (COMPRESSED.some((m) => m.every((b, i) => h[i] === b))) return "compressed";
  // A log: ASCII text with line ends (a few bytes of UTF-8 allowed), no NULs, no control bytes.
  if (n > 0 && !h.includes(0)) {
    let printable = 0;
    let control = 0;
    for (const b of h) {
      if ((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13) printable++;
      else if (b < 32 || b === 127) control++;
    }
    if (control === 0 && printable >= 0.95 * n && h.includes(10)) return "text";
  }
  return "other";
}
