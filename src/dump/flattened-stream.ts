/**
 * Writing makedumpfile's flattened stream (-F) and restoring one into a file (-R). The stream is a 4 KiB
 * header ("makedumpfile", type 1, version 1), then (offset, size) big-endian records each followed by its
 * bytes, then (-1, -1). Restoring writes each record where it says, in stream order, so later records win.
 */
import { FormatError } from "../util/errors.ts";
import { isFlattened } from "./flattened.ts";

export const FLAT_HEADER_SIZE = 4096;
const MAX_RECORD = 2 ** 40;
const MAX_OFFSET = 2 ** 52;

/** A destination for a dump being written: positional writes, whatever the medium. */
export interface OutputSink {
  write(offset: number, data: Uint8Array): void;
}

export function flattenedHeader(): Uint8Array {
  const h = new Uint8Array(FLAT_HEADER_SIZE);
  h.set(new TextEncoder().encode("makedumpfile"));
  const dv = new DataView(h.buffer);
  dv.setBigInt64(16, 1n, false); // type: flat header
  dv.setBigInt64(24, 1n, false); // version
  return h;
}

function recordHeader(offset: number, size: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(offset), false);
  dv.setBigInt64(8, BigInt(size), false);
  return b;
}

/** Turns positional writes into a flattened stream, handed on in order to `emit`. */
export class FlattenedSink implements OutputSink {
  constructor(private readonly emit: (bytes: Uint8Array) => void) {
    emit(flattenedHeader());
  }

  write(offset: number, data: Uint8Array): void {
    if (data.length === 0) return;
    this.emit(recordHeader(offset, data.length));
    this.emit(data);
  }

  end(): void {
    this.emit(recordHeader(-1, -1));
  }
}

export interface RestoreProgress {
  records: number;
  /** Bytes of the restored file written so far. */
  bytes: number;
  /** The end marker arrived. */
  complete: boolean;
}

/**
 * A flattened stream fed in chunks of any size (a pipe), restored through `sink` as it arrives: record
 * data goes out piece by piece, so nothing larger than a chunk is ever held.
 */
export class FlattenedRestorer {
  private header = new Uint8Array(FLAT_HEADER_SIZE);
  private headerFill = 0;
  private recHead = new Uint8Array(16);
  private recFill = 0;
  /** The record being copied: where its next byte goes, and how many remain. */
  private at = 0;
  private left = 0;
  private consumed = 0;
  readonly progress: RestoreProgress = { records: 0, bytes: 0, complete: false };

  constructor(
    private readonly sink: OutputSink,
    private readonly name = "<stdin>",
  ) {}

  push(chunk: Uint8Array): void {
    let p = 0;
    while (p < chunk.length) {
      if (this.progress.complete)
        throw new FormatError(this.name, "data after the flattened stream's end marker", this.consumed + p);
      if (this.headerFill < FLAT_HEADER_SIZE) {
        const n = Math.min(FLAT_HEADER_SIZE - this.headerFill, chunk.length - p);
        this.header.set(chunk.subarray(p, p + n), this.headerFill);
        this.headerFill += n;
        p += n;
        if (this.headerFill === FLAT_HEADER_SIZE) this.checkHeader();
        continue;
      }
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - p);
        this.sink.write(this.at, chunk.subarray(p, p + n));
        this.at += n;
        this.left -= n;
        this.progress.bytes += n;
        p += n;
        continue;
      }
      const n = Math.min(16 - this.recFill, chunk.length - p);
      this.recHead.set(chunk.subarray(p, p + n), this.recFill);
      this.recFill += n;
      p += n;
      if (this.recFill === 16) this.startRecord(this.consumed + p - 16);
    }
    this.consumed += chunk.length;
  }

  /** The input ended: an error unless the end marker was seen. */
  end(): RestoreProgress {
    if (this.headerFill < FLAT_HEADER_SIZE)
      throw new FormatError(
        this.name,
        `the input ended after ${this.consumed} bytes, inside the flattened-format header`,
      );
    if (!this.progress.complete)
      throw new FormatError(
        this.name,
        `the flattened stream ended before its end marker (${this.progress.records} records, ${this.progress.bytes} bytes restored): the sender stopped early`,
        this.consumed,
      );
    return this.progress;
  }

  private checkHeader(): void {
    if (!isFlattened(this.header))
      throw new FormatError(
        this.name,
        'not a flattened dump: no "makedumpfile" signature (was it made with -F?)',
        0,
      );
    const type = new DataView(this.header.buffer).getBigInt64(16, false);
    if (type !== 1n) throw new FormatError(this.name, `flattened header type ${type}, expected 1`, 16);
  }

  private startRecord(pos: number): void {
    this.recFill = 0;
    const dv = new DataView(this.recHead.buffer);
    const offset = dv.getBigInt64(0, false);
    const size = dv.getBigInt64(8, false);
    if (offset === -1n && size === -1n) {
      this.progress.complete = true;
      return;
    }
    if (offset < 0n || size < 0n || size > MAX_RECORD || offset > MAX_OFFSET)
      throw new FormatError(
        this.name,
        `flattened record ${this.progress.records} has offset ${offset} and size ${size}: the stream is damaged`,
        pos,
      );
    this.at = Number(offset);
    this.left = Number(size);
    this.progress.records++;
  }
}
