/**
 * Dumps cut short — a capture that ran out of disk, a transfer that died: the log comes out whole when its
 * pages survive the cut, and otherwise a clear error (or the surviving records with a warning) — never a
 * crash of the tool. Real truncated copies for the small dumps through the CLI; every dump in-process.
 */
import assert from "node:assert/strict";
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatMakedumpfile } from "../../src/analysis/printk/format.ts";
import { readKernelLog } from "../../src/analysis/printk/index.ts";
import type { ByteSource } from "../../src/dump/byte-source.ts";
import { openDump } from "../../src/dump/open-dump.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { KdxError } from "../../src/util/errors.ts";
import { fixtureDumps } from "../dump-fixtures.ts";
import { kdx, tempDir } from "../helpers.ts";

/** The file as if it ended at `size`, recording how far into it reads went. */
class CutSource implements ByteSource {
  maxEnd = 0;
  constructor(
    private readonly inner: ByteSource,
    readonly size: number,
  ) {}
  get name() {
    return this.inner.name;
  }
  read(offset: number, length: number): Uint8Array {
    const b = this.inner.read(offset, Math.max(0, Math.min(length, this.size - offset)));
    this.maxEnd = Math.max(this.maxEnd, offset + b.length);
    return b;
  }
}

type Outcome = { log: Buffer; warnings: string[] } | { error: string };

function extract(src: ByteSource): Outcome {
  try {
    const dump = openDump(src, nodeCodecs);
    const log = readKernelLog(new Kernel(dump));
    return {
      log: Buffer.from(formatMakedumpfile(log.records)),
      warnings: [...dump.info.warnings, ...log.warnings],
    };
  } catch (e) {
    if (e instanceof KdxError) return { error: e.message };
    throw e;
  }
}

for (const d of fixtureDumps()) {
  test(`${d.id}: cut at many points, the log survives exactly when its pages do`, () => {
    const file = new FileSource(d.path);
    try {
      // The furthest byte reading the log needs, beyond what opening the dump reads.
      const whole = new CutSource(file, file.size);
      const dump = openDump(whole, nodeCodecs);
      whole.maxEnd = 0;
      const full = { log: Buffer.from(formatMakedumpfile(readKernelLog(new Kernel(dump)).records)) };
      const needed = whole.maxEnd;
      const cuts = [0, 100, 4096, 0.1, 0.3, 0.5, 0.7, 0.9].map((f) =>
        f < 1 ? Math.floor(file.size * f) : f,
      );
      cuts.push(needed - 1, needed, file.size - 1);
      let intact = 0;
      let failed = 0;
      for (const cut of cuts) {
        const out = extract(new CutSource(file, cut));
        if ("log" in out && cut <= file.size * 0.9)
          assert.ok(
            out.warnings.some((w) => /truncated|cut off/.test(w)),
            `cut at ${cut}: no truncation warning`,
          );
        if (cut >= needed) {
          assert.ok("log" in out, `cut at ${cut}: ${"error" in out ? out.error : ""}`);
          assert.ok(
            out.log.equals(full.log),
            `cut at ${cut} (log ends at ${needed}): the log should be whole`,
          );
          intact++;
        } else if ("error" in out) {
          // (Opening needs only the headers; a cut dump that opens must say it is cut.)
          assert.match(
            out.error,
            /truncated|cut off|end of the file|empty|no data|not a|missing|past the end/,
            `cut at ${cut}`,
          );
          failed++;
        } else {
          // Some pages survived: what came out is a prefix-free subset of the real log, and says it is partial.
          assert.ok(out.warnings.length > 0, `cut at ${cut}: a partial log comes with a warning`);
          const fullLines = new Set(full.log.toString("latin1").split("\n"));
          for (const line of out.log.toString("latin1").split("\n"))
            assert.ok(fullLines.has(line), `cut at ${cut}: invented line ${line}`);
        }
      }
      assert.ok(intact >= 2 && failed >= 2, `intact ${intact}, failed ${failed}`);
    } finally {
      file.close();
    }
  });
}

test("a real truncated copy through the CLI: info flags it, dmesg gives the log or a one-line error", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const dir = tempDir();
  const copy = (name: string, size: number) => {
    const path = join(dir, name);
    const from = openSync(d.path, "r");
    const to = openSync(path, "w");
    const buf = Buffer.alloc(1 << 20);
    for (let off = 0; off < size; ) {
      const n = readSync(from, buf, 0, Math.min(buf.length, size - off), off);
      writeSync(to, buf, 0, n);
      off += n;
    }
    closeSync(from);
    closeSync(to);
    return path;
  };
  const early = copy("vmcore-incomplete", 300_000);
  const info = kdx(["info", "--json", early]);
  assert.equal(info.status, 0, info.stderr);
  const o = JSON.parse(info.stdout);
  assert.equal(o.incomplete, true);
  assert.match(o.warnings.join("\n"), /truncated/);
  const dm = kdx(["dmesg", early]);
  assert.equal(dm.status, 2);
  assert.match(dm.stderr, /^kdx dmesg: warning: .*truncated/m);
  assert.match(dm.stderr, /^kdx: the kernel log cannot be read: .*truncated/m);
  assert.equal(dm.stderr.split("\n").filter((l) => l.startsWith("kdx: ")).length, 1);

  const header = copy("vmcore-header-only", 3000);
  const r = kdx(["info", header]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /vmcore-header-only.*(cut off|run past the end|truncated)/);
});
