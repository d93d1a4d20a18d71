/** Read a log file (or stdin) in chunks, refusing what is clearly not text. */
import { createReadStream } from "node:fs";
import { describeFsError } from "../../platform/node/file-source.ts";
import { FormatError } from "../../util/errors.ts";
import { Utf8ChunkDecoder } from "../../util/utf8-chunks.ts";

const CHUNK = 1 << 20;

/** What the first bytes say a file is, when it is not a text log. */
export function sniffBinary(head: Buffer): string | undefined {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46)
    return "an ELF file (a vmcore? give its file name: kdx oops VMCORE), not a text log";
  if (head.subarray(0, 8).toString("latin1") === "KDUMP   ")
    return "a kdump-compressed vmcore: give its file name (kdx oops VMCORE) to read the log inside";
  if (head.subarray(0, 12).toString("latin1") === "makedumpfile")
    return "a makedumpfile flattened vmcore: give its file name (kdx oops VMCORE) to read the log inside";
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b)
    return "gzip-compressed: decompress it first (zcat FILE | kdx oops -)";
  if (head.length >= 6 && head.subarray(0, 6).toString("latin1") === "\xfd7zXZ\x00")
    return "xz-compressed: decompress it first (xzcat FILE | kdx oops -)";
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
 * Stream a file's text to `onText`, chunk by chunk. `path` "-" is standard input. With `scan` (a search of raw
 * bytes), each chunk that is plain ASCII comes with what it finds there: offsets in the bytes are offsets in
 * the text.
 */
export async function readTextChunks<Found>(
  path: string,
  onText: (s: string, found?: Found) => void,
  scan?: (bytes: Uint8Array) => Found,
): Promise<void> {
  const stream = path === "-" ? process.stdin : createReadStream(path, { highWaterMark: CHUNK });
  const decoder = new Utf8ChunkDecoder();
  let first = true;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
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
  } finally {
    if (path !== "-") (stream as ReturnType<typeof createReadStream>).destroy();
  }
  onText(decoder.end());
}
