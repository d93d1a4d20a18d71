/** A ByteSource over a file descriptor: positional reads, nothing held but the descriptor. */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { ByteSource } from "../../dump/byte-source.ts";
import { FormatError } from "../../util/errors.ts";

const FS_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "is a directory",
  EACCES: "permission denied",
};

/** A file-system error in the words a user expects ("no such file"), not Node's. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return (err.code && FS_ERRORS[err.code]) || err.message;
}

export class FileSource implements ByteSource {
  readonly size: number;
  private descriptor: number | undefined;

  constructor(readonly name: string) {
    try {
      this.descriptor = openSync(name, "r");
      const st = fstatSync(this.descriptor);
      if (st.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
      this.size = st.size;
    } catch (e) {
      if (this.descriptor !== undefined) closeSync(this.descriptor);
      throw new FormatError(name, describeFsError(e));
    }
  }

  get fd(): number | undefined {
    return this.descriptor;
  }

  read(offset: number, length: number): Uint8Array {
    const buf = Buffer.allocUnsafe(Math.max(0, Math.min(length, this.size - offset)));
    const done = this.readInto(offset, buf);
    return done === buf.length ? buf : buf.subarray(0, done);
  }

  readInto(offset: number, dst: Uint8Array): number {
    if (this.descriptor === undefined) throw new Error(`${this.name}: read after close`);
    const n = Math.max(0, Math.min(dst.length, this.size - offset));
    let done = 0;
    while (done < n) {
      const got = readSync(this.descriptor, dst, done, n - done, offset + done);
      if (got === 0) break;
      done += got;
    }
    return done;
  }

  close(): void {
    if (this.descriptor !== undefined) closeSync(this.descriptor);
    this.descriptor = undefined;
  }
}
