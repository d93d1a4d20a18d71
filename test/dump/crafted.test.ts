/**
 * Two damaged kdump headers found by fuzzing, crafted here from the real capture: each ends in one line
 * naming what is wrong (a FormatError or KdxError), never "internal error" and a stack trace.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { kdx, tempDir } from "../helpers.ts";

const capture = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;

function crafted(name: string, patches: [number, number][]): string {
  const b = readFileSync(capture.path);
  for (const [at, v] of patches) b[at] = v;
  const out = join(tempDir("kdx-crafted-"), name);
  writeFileSync(out, b);
  return out;
}

function assertOneLineError(r: { status: number | null; stderr: string }, want: RegExp): void {
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, want);
}

test("kdump header: a timestamp whose high byte is flipped is named, with its offset, by info and sys", () => {
  // disk_dump_header.timestamp is a struct timeval at offset 408: byte 413 is tv_sec's sixth.
  const f = crafted("timestamp.kdump", [[413, readFileSync(capture.path)[413] ^ 0xff]]);
  for (const cmd of ["info", "sys"])
    assertOneLineError(
      kdx([cmd, f]),
      /^kdx: .*timestamp\.kdump \(offset 408\): the header's timestamp \(\d+ s\) is not a time/,
    );
});

test("kdump bitmaps: a second bitmap that no longer counts the descriptors is named, with its offset", () => {
  // Found by the fuzz campaign (it read tick_nsec as 0, and HZ as Infinity): a word of the dumpable bitmap
  // cleared and a byte of each bitmap changed.
  const f = crafted("bitmaps.kdump", [
    ...Array.from({ length: 7 }, (_, i) => [32616 + i, 0] as [number, number]),
    [32623, 64],
    [44459, 239],
    [19934, 239],
  ]);
  // The descriptors the second bitmap now counts end where no page's data begins: named, with its offset.
  for (const cmd of ["info", "sys", "ps", "bt", "log"])
    assertOneLineError(
      kdx([cmd, f]),
      /^kdx: .*bitmaps\.kdump \(offset 28672\): the dumpable-page bitmap counts \d+ pages, whose descriptors end at \d+, but no page's data starts there: the bitmaps are damaged$/m,
    );
});
