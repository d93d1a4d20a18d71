/**
 * Turn an uploaded dump into `vmcore` as crash and kdx read it best: a flattened stream (kdump's ssh
 * collector, makedumpfile -F) is restored to kdump-compressed — crash would otherwise sort every record
 * on each open — and kdump-tools' gzip/bzip2/xz/lz4 wrapping is undone first. The format is sniffed from
 * the bytes, never taken from the name. The result is written as vmcore-incomplete, synced and renamed,
 * and the upload is removed only after that.
 */
import { spawn } from "node:child_process";
import { closeSync, createReadStream, openSync, readSync, renameSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { FlattenedRestorer } from "../dump/flattened-stream.ts";
import { compressedWith, dumpFormat } from "../dump/sniff.ts";
import { AtomicOutputFile } from "../platform/node/output-file.ts";
import { KdxError } from "../util/errors.ts";

/** How each compressor's wrapping is undone: gzip in-process, the others by their tools. */
const WRAPPERS: { name: string; tool?: string[] }[] = [
  { name: "gzip" },
  { name: "bzip2", tool: ["bzip2", "-dc"] },
  { name: "xz", tool: ["xz", "-dc"] },
  { name: "lz4", tool: ["lz4", "-dc"] },
  { name: "zstd", tool: ["zstd", "-dc"] },
];

function head(path: string, n: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** The decompressed content of a wrapped upload, as a stream (gzip in-process, the others by their tools). */
function unwrap(path: string, w: (typeof WRAPPERS)[number]): Readable {
  if (!w.tool) {
    const gunzip = createGunzip();
    const file = createReadStream(path);
    file.on("error", (e) => gunzip.destroy(e));
    return file.pipe(gunzip);
  }
  const child = spawn(w.tool[0], [...w.tool.slice(1), path], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => {
    err += d;
  });
  const out = child.stdout;
  child.on("error", (e) =>
    out.destroy(
      new KdxError(
        (e as NodeJS.ErrnoException).code === "ENOENT"
          ? `${w.name}-compressed upload: the server needs "${w.tool![0]}" installed to unpack it`
          : e.message,
      ),
    ),
  );
  child.on("exit", (code) => {
    if (code)
      out.destroy(new KdxError(`${w.tool![0]} failed on the upload: ${err.trim() || `exit ${code}`}`));
  });
  return out;
}

export interface Unpacked {
  from: string;
  how: string;
  bytes: number;
}

/** Make DIR/vmcore from DIR/UPLOAD. Returns what was done. */
export async function unpackUpload(dir: string, upload: string): Promise<Unpacked> {
  const src = join(dir, upload);
  const target = join(dir, "vmcore");
  const h = head(src, 64);
  const packed = compressedWith(h);
  const wrap = WRAPPERS.find((w) => w.name === packed);
  if (!wrap && dumpFormat(h) !== "flattened") {
    // Already what crash reads (ELF, kdump-compressed) or not a dump at all: the analysis will say which.
    renameSync(src, target);
    return { from: upload, how: "renamed", bytes: statSync(target).size };
  }
  const input: Readable = wrap ? unwrap(src, wrap) : createReadStream(src, { highWaterMark: 1 << 20 });
  const out = new AtomicOutputFile(target, { force: true });
  let restorer: FlattenedRestorer | undefined;
  let pos = 0;
  let sniffed = false;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const feed = (chunk: Buffer) => {
    if (restorer) restorer.push(chunk);
    else {
      out.write(pos, chunk);
      pos += chunk.length;
    }
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (!sniffed) {
        pending.push(chunk);
        pendingLen += chunk.length;
        if (pendingLen < 4096) continue;
        const first = Buffer.concat(pending);
        pending = [];
        sniffed = true;
        if (dumpFormat(first) === "flattened") restorer = new FlattenedRestorer(out, upload);
        feed(first);
        continue;
      }
      feed(chunk);
    }
    if (!sniffed) {
      const first = Buffer.concat(pending);
      if (dumpFormat(first) === "flattened") restorer = new FlattenedRestorer(out, upload);
      feed(first);
    }
    restorer?.end();
    out.commit();
  } catch (e) {
    out.abort(false);
    throw e;
  }
  unlinkSync(src);
  const how = [wrap ? `${wrap.name}-decompressed` : "", restorer ? "flattened stream restored" : ""]
    .filter(Boolean)
    .join(", ");
  return { from: upload, how, bytes: out.bytesWritten };
}
