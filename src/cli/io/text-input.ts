/** Read a log file (or stdin) in chunks, refusing what is clearly not text. */
import { closeSync, openSync, readSync } from "node:fs";
import { compressedWith, dumpFormat } from "../../dump/sniff.ts";
import { describeFsError } from "../../platform/node/file-source.ts";
import { FormatError } from "../../util/errors.ts";
import { Utf8ChunkDecoder } from "../../util/utf8-chunks.ts";

/**
 * 64 KiB: each chunk becomes one string, and V8 puts a string over ~128 KiB in its large-object space, fresh
 * pages from the OS for every chunk. With 1 MiB chunks that cost a page fault per 4 KiB of log (49,000 faults
 * over a 127 MB log against 32,000) and made kdx oops ~10% slower, its peak RSS ~60 MB larger.
 */
const CHUNK = 1 << 16;
/** Every this many chunks (1 MiB) the event loop turns: a turn costs ~15 µs, and one per chunk took ~3% of the reader. */
const CHUNKS_PER_TURN = 16;

/** What the first bytes say a file is, when it is not a text log. */
export function sniffBinary(head: Buffer): string | undefined {
  const format = dumpFormat(head);
  if (format === "elf") return "an ELF file (a vmcore? give its file name: kdx oops VMCORE), not a text log";
  // DISKDUMP (the older kdump-compressed signature) is left to the binary-data check, as before.
  if (format === "kdump-compressed" && head.subarray(0, 5).toString("latin1") === "KDUMP")
    return "a kdump-compressed vmcore: give its file name (kdx oops VMCORE) to read the log inside";
  if (format === "flattened")
    return "a makedumpfile flattened vmcore: give its file name (kdx oops VMCORE) to read the log inside";
  const packed = compressedWith(head);
  if (packed === "gzip" && head.length >= 3)
    return "gzip-compressed: decompress it first (zcat FILE | kdx oops -)";
  if (packed === "xz") return "xz-compressed: decompress it first (xzcat FILE | kdx oops -)";
  const n = Math.min(head.length, 65536);
  if (n === 0) return undefined;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 0 || (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 27)) odd++;
  }
  if (odd / n > 0.1)
    return `binary data, not a text log (${Math.round((100 * odd) / n)}% control bytes in the first ${n} bytes)`;
  return undefined;
}

/**
 * A file's bytes a chunk at a time, read synchronously into one buffer that is used again for each chunk (the
 * caller consumes a chunk before asking for the next): a read stream allocates every chunk anew and hops to
 * libuv's thread pool and back for each, which cost several percent of kdx oops over a large log. Every
 * CHUNKS_PER_TURN chunks the event loop turns, so output written meanwhile still drains. "-" is standard input,
 * as a stream.
 */
async function* chunksOf(path: string): AsyncGenerator<Buffer> {
  if (path === "-") {
    for await (const chunk of process.stdin) yield chunk as Buffer;
    return;
  }
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let chunks = 0;
    for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) {
      yield buf.subarray(0, n);
      if (++chunks % CHUNKS_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Stream a file's text to `onText`, chunk by chunk. `path` "-" is standard input. With `scan` (a search of raw
 * bytes), each chunk that is plain ASCII comes with what it finds there: offsets in the bytes are offsets in
 * the text.
 */
export async function readTextChunks<Found>(
  path: string,
  onText: (s: string, found?: Found) => void,
  scan?: (bytes: Uint8Array) => Found,
): Promise<void> {
  const decoder = new Utf8ChunkDecoder();
  let first = true;
  try {
    for await (const buf of chunksOf(path)) {
      if (first) {
        first = false;
        const why = sniffBinary(buf);
        if (why) throw new FormatError(path === "-" ? "<stdin>" : path, why, 0);
      }
      const text = decoder.write(buf);
      onText(text, scan && decoder.plain ? scan(buf) : undefined);
    }
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(path, describeFsError(e));
  }
  onText(decoder.end());
}
