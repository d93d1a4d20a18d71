/**
 * makedumpfile's flattened stream holds records in any order, and a later record may overwrite an earlier
 * one (makedumpfile -R just writes them in turn). The test flattens real dumps itself — records shuffled,
 * a garbage record later overwritten — and kdx must read them without restoring first.
 */
import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps, makedumpfileDmesgOracle } from "../dump-fixtures.ts";
import { kdx, tempDir } from "../helpers.ts";

function be64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
}

/** Write `src` as a flattened stream: shuffled records, one garbage record overwritten later. */
function flatten(src: string, out: string, seed: number, withEnd = true): void {
  const f = new FileSource(src);
  let s = seed;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pieces: [number, number][] = [];
  for (let off = 0; off < f.size; ) {
    const len = Math.min(f.size - off, 1 + Math.floor(rand() * 65536));
    pieces.push([off, len]);
    off += len;
  }
  for (let i = pieces.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pieces[i], pieces[j]] = [pieces[j], pieces[i]];
  }
  const fd = openSync(out, "w");
  const header = Buffer.alloc(4096);
  header.write("makedumpfile", 0, "latin1");
  be64(1n).copy(header, 16);
  be64(1n).copy(header, 24);
  writeSync(fd, header);
  // Garbage over the first 8 KiB, which the real records written after it must replace.
  writeSync(fd, Buffer.concat([be64(0n), be64(8192n), Buffer.alloc(8192, 0xa5)]));
  for (const [off, len] of pieces)
    writeSync(fd, Buffer.concat([be64(BigInt(off)), be64(BigInt(len)), f.read(off, len)]));
  if (withEnd) writeSync(fd, Buffer.concat([be64(-1n), be64(-1n)]));
  closeSync(fd);
  f.close();
}

const dir = tempDir();

for (const id of ["6.1-kdump/vmcore", "6.1-null/vmcore.elf"]) {
  test(`${id} re-flattened with shuffled, overlapping records: same log, no restore step`, () => {
    const d = fixtureDumps().find((x) => x.id === id)!;
    const flat = join(dir, `${id.replace("/", "_")}.flat`);
    flatten(d.path, flat, 42);
    const r = kdx(["dmesg", flat]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.ok(Buffer.from(r.stdout, "latin1").equals(readFileSync(makedumpfileDmesgOracle(d)!)));
    const info = JSON.parse(kdx(["info", "--json", flat]).stdout);
    assert.equal(info.flattened, true);
    assert.equal(info.format, d.id.endsWith(".elf") ? "elf" : "kdump");
    assert.equal(info.incomplete, false);
  });
}

test("a flattened stream without its end marker opens with a warning that the transfer was cut off", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const flat = join(dir, "noend.flat");
  flatten(d.path, flat, 7, false);
  const r = kdx(["info", flat]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /WARNING: the flattened stream ends without its end marker/);
  assert.match(r.stdout, /STATE: INCOMPLETE/);
});
