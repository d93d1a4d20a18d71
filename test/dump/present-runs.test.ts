/**
 * A dump's present frames worked out from its layout (what a copier reads to start its bitmaps) are exactly
 * the frames it answers "present" for one by one: on every fixture dump, whole and cut short at page
 * boundaries and between them.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ByteSource } from "../../src/dump/byte-source.ts";
import { openDump } from "../../src/dump/open-dump.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";

/** The file as if it ended at `size`. */
function cutAt(inner: ByteSource, size: number): ByteSource {
  return {
    name: inner.name,
    size,
    read: (offset, length) => inner.read(offset, Math.max(0, Math.min(length, size - offset))),
  };
}

test("presentRuns gives the frames pageState calls present, whole and cut short", () => {
  let checked = 0;
  for (const d of fixtureDumps()) {
    const file = new FileSource(d.path);
    try {
      for (const size of [
        file.size,
        file.size - 1,
        Math.floor(file.size * 0.6) + 100,
        file.size * 0.3 - 4096 * 7,
      ]) {
        const dump = openDump(cutAt(file, Math.floor(size)), nodeCodecs);
        const mem = dump.memory;
        if (!mem.presentRuns) continue;
        const ranges = mem.ranges();
        const maxPfn = Number(ranges[ranges.length - 1]!.end / BigInt(mem.pageSize)) + 2;
        // Asked over the whole space and over a window that cuts into runs.
        for (const [from, to] of [
          [0, maxPfn],
          [Math.floor(maxPfn / 3) + 1, Math.floor((maxPfn * 2) / 3) - 1],
        ] as const) {
          const want: [number, number][] = [];
          for (let pfn = from; pfn < to; pfn++) {
            if (mem.pageState(pfn) !== "present") continue;
            const last = want[want.length - 1];
            if (last && last[1] === pfn) last[1]++;
            else want.push([pfn, pfn + 1]);
          }
          // Adjacent runs of two segments are one stretch of present frames.
          const got: [number, number][] = [];
          for (const [a, b] of mem.presentRuns(from, to)) {
            const last = got[got.length - 1];
            if (last && last[1] === a) last[1] = b;
            else got.push([a, b]);
          }
          assert.deepEqual(
            got,
            want,
            `${d.id}, file cut to ${Math.floor(size)} bytes, frames ${from}..${to}`,
          );
          checked++;
        }
      }
    } finally {
      file.close();
    }
  }
  assert.ok(checked >= 8, `${checked} layouts checked`);
});
