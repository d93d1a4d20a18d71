/** What an uploaded file is, by its first bytes: never by its name. */
import { closeSync, openSync, readSync } from "node:fs";
import { compressedWith, dumpFormat } from "../dump/sniff.ts";

export type Sniffed = "dump" | "compressed" | "text" | "other";

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
  if (n >= 64 && dumpFormat(h)) return "dump";
  if (compressedWith(h)) return "compressed";
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
