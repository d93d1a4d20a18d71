/** kdump's page bitmaps: ranges set and cleared a byte at a time where they can be agree with bit by bit. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PageBitmap } from "../../src/util/bitmap.ts";

test("setRange and clearRange agree with set and clear bit by bit, at and across byte boundaries and the end", () => {
  const pages = 203;
  const ranged = new PageBitmap(pages);
  const single = new PageBitmap(pages);
  // A fixed walk of ranges: starts and ends on and off byte boundaries, empty ones, ones past the end.
  let seed = 7;
  let mixed = 0;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.floor(seed / 65536) % n;
  };
  for (let i = 0; i < 400; i++) {
    const from = next(pages + 10);
    const to = from + next(40);
    const on = next(2) === 1;
    if (on) ranged.setRange(from, to);
    else ranged.clearRange(from, to);
    for (let p = from; p < to; p++) on ? single.set(p) : single.clear(p);
    assert.deepEqual(ranged.bytes, single.bytes, `after ${on ? "setting" : "clearing"} [${from}, ${to})`);
    const n = single.count();
    if (n > 0 && n < pages) mixed++;
  }
  // Not a vacuous pass: most steps leave some pages set and some clear.
  assert.ok(mixed > 300, `${mixed} of 400 steps with a mixed bitmap`);
});
