/**
 * Page decompressors on real pages: every LZO page of the kdump capture decodes to a whole page, and a
 * damaged page fails with the codec's error, never a wrong-sized page or a runaway loop. Snappy and zstd
 * round-trip the same real pages (no fixture dump uses snappy: kdx collect's tests write one). The native
 * LZO and zstd decoders Node uses agree with the pure ones and never write past a page.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { compress as snappyCompress } from "snappyjs";
import { compress as zstdCompress } from "zstd-napi";
import { LzoError, lzo1xDecompress } from "../../src/dump/codecs/lzo1x.ts";
import { pureCodecs } from "../../src/dump/codecs/pure.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";

/** The LZO-compressed pages of the capture's vmcore, straight from its page descriptors. */
function lzoPages(limit: number): Uint8Array[] {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const f = new FileSource(d.path);
  try {
    const h = f.read(0, 464);
    const dv = new DataView(h.buffer, h.byteOffset);
    const block = dv.getInt32(428, true);
    const descAt = (1 + dv.getInt32(432, true) + dv.getUint32(436, true)) * block;
    const descs = f.read(descAt, 24 * 4000);
    const ddv = new DataView(descs.buffer, descs.byteOffset);
    const out: Uint8Array[] = [];
    for (let i = 0; i < 4000 && out.length < limit; i++) {
      const flags = ddv.getUint32(i * 24 + 12, true);
      if (flags & 2)
        out.push(f.read(Number(ddv.getBigUint64(i * 24, true)), ddv.getUint32(i * 24 + 8, true)));
    }
    return out;
  } finally {
    f.close();
  }
}

const pages = lzoPages(400);

test("LZO: hundreds of real compressed pages decode to whole pages", () => {
  assert.ok(pages.length >= 300, `${pages.length} LZO pages`);
  for (const p of pages) assert.equal(lzo1xDecompress(p, 4096).length, 4096);
});

test("LZO: damaged pages fail with LzoError, never a wrong size or another exception", () => {
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  let failed = 0;
  for (const p of pages) {
    for (let k = 0; k < 10; k++) {
      const bad = Uint8Array.from(p);
      for (let m = 0; m < 1 + Math.floor(rand() * 4); m++)
        bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.2 ? bad.subarray(0, Math.floor(rand() * bad.length)) : bad;
      try {
        assert.equal(lzo1xDecompress(cut, 4096).length, 4096);
      } catch (e) {
        assert.ok(e instanceof LzoError, String(e));
        failed++;
      }
    }
  }
  assert.ok(failed > pages.length, `${failed} damaged pages rejected`);
});

test("snappy and zstd decode real pages; a short or long result is an error", () => {
  const plain = pages.slice(0, 50).map((p) => lzo1xDecompress(p, 4096));
  for (const p of plain) {
    const s = snappyCompress(p);
    assert.deepEqual(nodeCodecs.snappy(s, 4096), p);
    assert.throws(() => nodeCodecs.snappy(s, 2048));
  }
  assert.throws(() => nodeCodecs.zstd(new Uint8Array([1, 2, 3, 4]), 4096));
  assert.throws(() => nodeCodecs.zlib(new Uint8Array([1, 2, 3, 4]), 4096));
});

test("the native decoders (miniLZO, libzstd) agree with the pure ones, and stay inside the page", () => {
  // miniLZO's lzo1x_decompress_safe gives the same pages as the hand-written decoder...
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  for (const p of pages) assert.ok(same(nodeCodecs.lzo(p, 4096), lzo1xDecompress(p, 4096)));
  // ...and on damaged input either a whole page or an error, never another size.
  let seed = 777;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  let failed = 0;
  for (const p of pages.slice(0, 100)) {
    for (let k = 0; k < 10; k++) {
      const bad = Uint8Array.from(p);
      for (let m = 0; m < 1 + Math.floor(rand() * 4); m++)
        bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
      try {
        assert.equal(nodeCodecs.lzo(bad, 4096).length, 4096);
      } catch (e) {
        assert.ok(e instanceof Error && /lzo/.test(e.message), String(e));
        failed++;
      }
    }
  }
  assert.ok(failed > 100, `${failed} damaged pages rejected`);
  // libzstd decodes what libzstd wrote; a frame holding more than a page is refused, not grown into.
  const plain = pages.slice(0, 20).map((p) => lzo1xDecompress(p, 4096));
  for (const p of plain) assert.ok(same(nodeCodecs.zstd(zstdCompress(p), 4096), p));
  const two = zstdCompress(new Uint8Array(8192).fill(7));
  assert.throws(() => nodeCodecs.zstd(two, 4096), /zstd|Destination/i);
});

test("the pure decoders (for a platform without native ones) decode the same real pages, exactly", () => {
  const pure = pureCodecs(nodeCodecs.zlib);
  // Plain bytes, compared as such (the native decoder gives a Buffer, the pure ones Uint8Arrays).
  const plain = pages.slice(0, 50).map((p) => Uint8Array.from(nodeCodecs.lzo(p, 4096)));
  for (const [i, p] of plain.entries()) {
    assert.deepEqual(pure.lzo(pages[i]!, 4096), p);
    assert.deepEqual(pure.snappy(snappyCompress(p), 4096), p);
    assert.deepEqual(pure.zstd(zstdCompress(p), 4096), p);
  }
  // A frame of two pages, or of half a page, is refused: fzstd alone would cut or pad it without a word.
  assert.throws(() => pure.zstd(zstdCompress(new Uint8Array(8192).fill(7)), 4096), /8192 bytes/);
  assert.throws(() => pure.zstd(zstdCompress(new Uint8Array(2048).fill(7)), 4096), /2048 bytes/);
  assert.throws(() => pure.zstd(new Uint8Array([1, 2, 3, 4, 5, 6, 7]), 4096), /undeclared/);
  assert.throws(() => pure.snappy(snappyCompress(new Uint8Array(8192)), 4096));
});
