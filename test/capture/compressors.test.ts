/**
 * Page compression for kdx collect on real pages: native/page-codec loads every library makedumpfile links
 * (CI installs them), each batch round-trips through the dump layer's decoders with raw pages stored as they
 * are, and the npm stand-ins used where the binding is missing give pages that decode the same. The batch
 * call refuses buffers too small for the pages it is told of rather than writing past them.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import type { Compression } from "../../src/dump/codecs/index.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import {
  compressBatch,
  compressBatchOnThread,
  compressFileOnThread,
  compressorLibrary,
} from "../../src/platform/node/compress-batch.ts";
import { CompressPool } from "../../src/platform/node/compress-pool.ts";
import { fallbackCompressors } from "../../src/platform/node/compressors.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";

const METHODS: Compression[] = ["zlib", "lzo", "snappy", "zstd"];
const PS = 4096;

/** The i-th of four page-aligned places spread over a file of `size` bytes, past the ELF headers. */
function place(size: number, i: number): number {
  return (1 + Math.floor((size * i) / 4 / (16 * PS))) * 16 * PS;
}

/** 256 pages of the kdump capture's /proc/vmcore: kernel text, data, zero and random-looking pages. */
function realPages(): Uint8Array {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore.elf")!;
  const f = new FileSource(d.path);
  try {
    const out = new Uint8Array(256 * PS);
    // 64 pages from each of four places in the file.
    for (let i = 0; i < 4; i++) out.set(f.read(place(f.size, i), 64 * PS), i * 64 * PS);
    // One page no compressor can shrink, so a raw page is always in the batch.
    let x = 12345;
    for (let j = 0; j < PS; j++) {
      x = (x * 1103515245 + 12345) >>> 0;
      out[255 * PS + j] = x >>> 24;
    }
    return out;
  } finally {
    f.close();
  }
}

const pages = realPages();

/** Decode a batch as kdx's reader would and compare with the input pages. */
function assertRoundTrip(method: Compression, out: Uint8Array, length: number, sizes: Int32Array): void {
  let at = 0;
  let raw = 0;
  for (let i = 0; i < sizes.length; i++) {
    const page = pages.subarray(i * PS, (i + 1) * PS);
    const n = sizes[i]! < 0 ? PS : sizes[i]!;
    assert.ok(n > 0 && n <= PS, `${method} page ${i}: ${n} bytes`);
    const got = sizes[i]! < 0 ? out.subarray(at, at + PS) : nodeCodecs[method](out.subarray(at, at + n), PS);
    assert.ok(Buffer.from(got).equals(Buffer.from(page)), `${method} page ${i} round-trips`);
    if (sizes[i]! < 0) raw++;
    at += n;
  }
  assert.equal(at, length);
  assert.ok(raw >= 1, `${method}: the random page is stored raw`);
}

test("the system libraries makedumpfile links are all loaded", () => {
  for (const m of METHODS) assert.match(compressorLibrary(m), /^system /, m);
});

for (const method of METHODS) {
  test(`${method}: a batch of real pages round-trips, raw pages in place`, () => {
    const out = new Uint8Array(256 * PS);
    const sizes = new Int32Array(256);
    const length = compressBatch(method, pages, 256, PS, out, sizes);
    assert.ok(length < pages.length / 2, `${method}: ${length} bytes`);
    assertRoundTrip(method, out, length, sizes);
  });
}

test("the npm stand-ins compress pages that decode the same", () => {
  for (const method of METHODS) {
    for (let i = 0; i < 256; i += 17) {
      const page = pages.subarray(i * PS, (i + 1) * PS);
      const packed = fallbackCompressors[method].compress(page);
      if (packed.length >= PS) continue;
      const back = nodeCodecs[method](packed, PS);
      assert.ok(Buffer.from(back).equals(Buffer.from(page)), `${method} stand-in page ${i}`);
    }
  }
});

test("the batch call refuses buffers smaller than the pages it is told of, and unknown methods", () => {
  const codec = createRequire(import.meta.url)("page-codec") as typeof import("page-codec");
  const sizes = new Int32Array(256);
  assert.throws(
    () => codec.compressPages("lzo", pages, 256, PS, new Uint8Array(255 * PS), sizes),
    RangeError,
  );
  assert.throws(
    () => codec.compressPages("lzo", pages, 257, PS, new Uint8Array(257 * PS), sizes),
    RangeError,
  );
  assert.throws(() =>
    codec.compressPages("lzo", pages, 256, PS, new Uint8Array(256 * PS), new Int32Array(8)),
  );
  assert.throws(
    () => codec.compressPages("lz4" as never, pages, 1, PS, new Uint8Array(PS), sizes),
    /compressPages\(method/,
  );
});

test("on the codec's compression threads, batches compressed several at once are the calling thread's bytes", async () => {
  for (const method of METHODS) {
    const expected = new Uint8Array(256 * PS);
    const expectedSizes = new Int32Array(256);
    const length = compressBatch(method, pages, 256, PS, expected, expectedSizes);
    const runs = Array.from({ length: 4 }, () => ({
      out: new Uint8Array(256 * PS),
      sizes: new Int32Array(256),
    }));
    const lengths = await Promise.all(
      runs.map((r) => compressBatchOnThread(method, pages, 256, PS, r.out, r.sizes, 4)),
    );
    for (const [i, r] of runs.entries()) {
      assert.equal(lengths[i], length, method);
      assert.deepEqual(r.sizes, expectedSizes, method);
      assert.ok(
        Buffer.from(r.out.subarray(0, length)).equals(Buffer.from(expected.subarray(0, length))),
        method,
      );
    }
  }
  const codec = createRequire(import.meta.url)("page-codec") as typeof import("page-codec");
  assert.throws(
    () => codec.compressPagesAsync("zstd", pages, 256, PS, new Uint8Array(PS), new Int32Array(256)),
    RangeError,
  );
  assert.throws(
    () => codec.compressPagesAsync("zstd", pages, 1, PS, new Uint8Array(PS), new Int32Array(1), 0),
    /threads is 1 to 1024/,
  );
  // The four batches above ran on four threads of the codec's own, which stay for later batches.
  assert.equal(codec.threadCount(), 4);
});

test("compression threads that read the pages themselves give the bytes of reading them here; zero and unreadable pages flagged", async () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore.elf")!;
  const f = new FileSource(d.path);
  try {
    // Runs of 16 adjacent pages from the four places of realPages in turn (zero pages between others, so
    // that leaving them out moves the rest up), then one page past the end of the file.
    const offsets = new Float64Array(256);
    for (let i = 0; i < 255; i++)
      offsets[i] = place(f.size, Math.floor(i / 16) % 4) + (Math.floor(i / 64) * 16 + (i % 16)) * PS;
    offsets[255] = f.size + 3 * PS;
    const read = new Uint8Array(256 * PS);
    for (let i = 0; i < 255; i++) read.set(f.read(offsets[i]!, PS), i * PS);
    const isZero = (i: number) => read.subarray(i * PS, (i + 1) * PS).every((b) => b === 0);
    const zeros = Array.from({ length: 256 }, (_, i) => i).filter(isZero);
    assert.ok(zeros.length >= 2 && zeros.length <= 192, `${zeros.length} zero pages among them`);
    for (const method of METHODS) {
      for (const dropZero of [false, true]) {
        // Here: the pages read above, less the zero pages when they are dropped, compressed on this thread.
        const kept = dropZero ? [...Array(256).keys()].filter((i) => !isZero(i)) : [...Array(256).keys()];
        const input = new Uint8Array(kept.length * PS);
        for (const [k, p] of kept.entries()) input.set(read.subarray(p * PS, (p + 1) * PS), k * PS);
        const want = new Uint8Array(256 * PS);
        const wantSizes = new Int32Array(kept.length);
        const length = compressBatch(method, input, kept.length, PS, want, wantSizes);
        // There: the thread reads the file.
        const out = new Uint8Array(256 * PS);
        const sizes = new Int32Array(256);
        const flags = new Uint8Array(256);
        const got = await compressFileOnThread(
          method,
          { fd: f.fd!, offsets, dropZero },
          256,
          PS,
          new Uint8Array(256 * PS),
          out,
          sizes,
          flags,
          2,
        );
        const label = `${method}, dropZero ${dropZero}`;
        assert.equal(got, length, label);
        assert.deepEqual(sizes.subarray(0, kept.length), wantSizes, label);
        assert.ok(Buffer.from(out.subarray(0, got)).equals(Buffer.from(want.subarray(0, length))), label);
        const wantFlags = Array.from(
          { length: 256 },
          (_, i) => (dropZero && isZero(i) ? 1 : 0) | (i === 255 ? 2 : 0),
        );
        assert.deepEqual([...flags], wantFlags, label);
      }
    }
    const codec = createRequire(import.meta.url)("page-codec") as typeof import("page-codec");
    const bad = Float64Array.of(-4096);
    assert.throws(
      () =>
        codec.compressFilePagesAsync(
          "lzo",
          f.fd!,
          bad,
          1,
          PS,
          read,
          read,
          new Int32Array(1),
          new Uint8Array(1),
          false,
          1,
        ),
      /not a file position/,
    );
    assert.throws(
      () =>
        codec.compressFilePagesAsync(
          "lzo",
          f.fd!,
          offsets,
          256,
          PS,
          read,
          read,
          new Int32Array(256),
          new Uint8Array(8),
          false,
          1,
        ),
      RangeError,
    );
  } finally {
    f.close();
  }
});

test("the worker-thread pool (for methods the native codec lacks) gives the same batches", async () => {
  const pool = new CompressPool("snappy", 2);
  try {
    const expected = new Uint8Array(256 * PS);
    const expectedSizes = new Int32Array(256);
    compressBatch("snappy", pages, 256, PS, expected, expectedSizes);
    // Copies: the pool moves the buffers it is given to a worker and back. Batches compress on the calling
    // thread until a worker has booted: go on until the workers have taken some.
    for (let round = 0; round < 200 && pool.batchesOnWorkers < 4; round++) {
      const batches = await Promise.all(
        [0, 1, 2, 3].map(() => pool.compress(pages.slice(), 256, PS, new Uint8Array(256 * PS))),
      );
      for (const b of batches) {
        assert.deepEqual(b.sizes, expectedSizes);
        assert.ok(Buffer.from(b.out).equals(Buffer.from(expected)));
      }
    }
    assert.ok(pool.batchesOnWorkers >= 4, `${pool.batchesOnWorkers} batches on the workers`);
  } finally {
    await pool.close();
  }
});
