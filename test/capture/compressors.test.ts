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
  compressorLibrary,
} from "../../src/platform/node/compress-batch.ts";
import { CompressPool } from "../../src/platform/node/compress-pool.ts";
import { fallbackCompressors } from "../../src/platform/node/compressors.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";

const METHODS: Compression[] = ["zlib", "lzo", "snappy", "zstd"];
const PS = 4096;

/** 256 pages of the kdump capture's /proc/vmcore: kernel text, data, zero and random-looking pages. */
function realPages(): Uint8Array {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore.elf")!;
  const f = new FileSource(d.path);
  try {
    const out = new Uint8Array(256 * PS);
    // 64 pages from each of four places (file offsets, page-aligned past the ELF headers).
    for (let i = 0; i < 4; i++) out.set(f.read((1 + i * 20_000) * 16 * PS, 64 * PS), i * 64 * PS);
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
