/**
 * UTF-8 text from a byte stream, chunk by chunk, a character split between chunks kept whole. A chunk of
 * pure ASCII (nearly all of a kernel log) is copied into a string without decoding: checking is several
 * times faster than decoding.
 */
import { isAscii } from "node:buffer";
import { StringDecoder } from "node:string_decoder";

export class Utf8ChunkDecoder {
  private readonly decoder = new StringDecoder("utf8");
  /** The last chunk ended in non-ASCII bytes: the decoder may hold the start of a character. */
  private mayHold = false;
  /** The last text written is the chunk's bytes one for one (ASCII): an offset in one is the same in the other. */
  plain = false;

  write(chunk: Buffer): string {
    this.plain = !this.mayHold && isAscii(chunk);
    if (this.plain) return chunk.toString("latin1");
    const text = this.decoder.write(chunk);
    // An unfinished character at the end starts in the last three bytes.
    const n = chunk.length;
    if (n > 0)
      this.mayHold =
        chunk[n - 1] >= 0x80 || (n > 1 && chunk[n - 2] >= 0x80) || (n > 2 && chunk[n - 3] >= 0x80);
    return text;
  }

  /** What is left at the end: a character cut off by the end of input becomes U+FFFD. */
  end(): string {
    return this.decoder.end();
  }
}
