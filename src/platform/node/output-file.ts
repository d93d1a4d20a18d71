/**
 * Where kdx collect writes. A file is written as NAME-incomplete (kdump's own convention) and renamed to
 * NAME only once whole and synced, so an interrupted capture never leaves a partial dump under the final
 * name. Standard output takes the flattened stream. Write failures name the file and what went wrong.
 */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import type { OutputSink } from "../../dump/flattened-stream.ts";
import { KdxError } from "../../util/errors.ts";

const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is exhausted",
  EFBIG: "the file is larger than this system allows (ulimit -f?)",
  EIO: "an I/O error",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPIPE: "the reader went away (broken pipe)",
};

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err.code && WRITE_ERRORS[err.code]) || err.message;
}

export class WriteError extends KdxError {}

/** Suffix of a dump still being written. */
export const INCOMPLETE_SUFFIX = "-incomplete";

export class AtomicOutputFile implements OutputSink {
  readonly partPath: string;
  private fd: number | undefined;
  bytesWritten = 0;

  constructor(
    readonly path: string,
    opts: { force?: boolean } = {},
  ) {
    if (!opts.force && existsSync(path))
      throw new KdxError(`${path} already exists (give -f to overwrite it)`);
    this.partPath = path + INCOMPLETE_SUFFIX;
    try {
      this.fd = openSync(this.partPath, "w", 0o600);
    } catch (e) {
      throw new WriteError(`cannot create ${this.partPath}: ${describe(e)}`);
    }
  }

  write(offset: number, data: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.partPath}: write after close`);
    let done = 0;
    try {
      while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, offset + done);
    } catch (e) {
      throw new WriteError(
        `cannot write ${this.partPath} at offset ${offset + done} (${this.bytesWritten} bytes written so far): ${describe(e)}`,
      );
    }
    this.bytesWritten += data.length;
  }

  /** Sync, close and move into place under the final name. */
  commit(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
      renameSync(this.partPath, this.path);
    } catch (e) {
      throw new WriteError(`cannot finish ${this.path}: ${describe(e)}`);
    }
  }

  /** Give up: keep the partial file under its -incomplete name (readable for what it holds), or remove it. */
  abort(keep: boolean): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {}
      this.fd = undefined;
    }
    if (!keep) {
      try {
        unlinkSync(this.partPath);
      } catch {}
    }
  }
}

/** Sequential writes to a file descriptor (standard output), waiting out a non-blocking pipe. */
export function fdAppender(
  fd: number,
  name = "standard output",
): { emit: (b: Uint8Array) => void; bytes: () => number } {
  let total = 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return {
    emit(b: Uint8Array) {
      let done = 0;
      while (done < b.length) {
        try {
          done += writeSync(fd, b, done, b.length - done);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
            Atomics.wait(pause, 0, 0, 2);
            continue;
          }
          throw new WriteError(`cannot write to ${name} after ${total + done} bytes: ${describe(e)}`);
        }
      }
      total += b.length;
    },
    bytes: () => total,
  };
}
