/**
 * kdx collect against makedumpfile: the same pages left out, the same bytes where the same compressor is
 * linked, output the real makedumpfile reads (its --dump-dmesg gives the fixture's log), and a dump kdx
 * reads back with the same sys, bt and log as the original.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, copyFileSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { collect, collectElf, inputBitmaps } from "../../src/capture/collect.ts";
import type { Compression } from "../../src/dump/codecs/index.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { memMapRanges } from "../../src/kernel/mem-map.ts";
import { inlineCompressor } from "../../src/platform/node/compress-pool.ts";
import { openDumpFile } from "../../src/platform/node/open-kernel.ts";
import { AtomicOutputFile } from "../../src/platform/node/output-file.ts";
import { fixtureDumps, makedumpfileDmesgOracle } from "../dump-fixtures.ts";
import { fixture, kdx, tempDir } from "../helpers.ts";
import { fixtureCheck } from "../known-gaps.ts";
import { kdumpLayout } from "./kdump-file.ts";

const tmp = tempDir();
after(() => rmSync(tmp, { recursive: true, force: true }));

const elfDumps = fixtureDumps().filter((d) => d.manifest.format.startsWith("ELF"));
const kdumpElf = elfDumps.find((d) => d.id.startsWith("6.1-kdump/"))!;
const captured = fixtureDumps().find((d) => d.id === "6.1-kdump/vmcore")!;

const MDF_FLAG: Record<Compression | "none", string[]> = {
  none: [],
  zlib: ["-c"],
  lzo: ["-l"],
  snappy: ["-p"],
  zstd: ["-z"],
};
const METHODS: (Compression | "none")[] = ["none", "zlib", "lzo", "snappy", "zstd"];

/** What the installed makedumpfile can read and write (Debian bookworm's 1.7.2 has neither snappy nor zstd). */
const mdf = (() => {
  const r = spawnSync("makedumpfile", ["-v"], { encoding: "utf8" });
  if (r.error)
    throw new Error("makedumpfile is needed by these tests (apt-get install makedumpfile; .ci/run does)");
  const out = r.stdout + r.stderr;
  return { snappy: /snappy\s+enabled/.test(out), zstd: /zstd\s+enabled/.test(out) };
})();
const mdfHandles = (c: Compression | "none") =>
  c === "snappy" ? mdf.snappy : c === "zstd" ? mdf.zstd : true;

let serial = 0;
async function convert(input: string, level: number, method: Compression | "none"): Promise<string> {
  const out = join(tmp, `out-${serial++}.kdump`);
  const dump = openDumpFile(input);
  try {
    const kernel = new Kernel(dump);
    const file = new AtomicOutputFile(out);
    const compression = method === "none" ? undefined : method;
    await collect(dump, kernel, file, compression && inlineCompressor(compression), {
      dumpLevel: level,
      compression,
    });
    file.commit();
  } finally {
    dump.close();
  }
  return out;
}

/**
 * The fixtures' dmesg oracles come from makedumpfile 1.7.6, which prints each record's caller id
 * ("[     T42] ") and indents continuation lines past it; Debian bookworm's 1.7.2 prints neither. Both are
 * compared without them.
 */
function withoutCallerIds(log: string): string {
  return log.replace(/^(\[\s*\d+\.\d+\]) \[\s*[TC]\d+\] /gm, "$1 ").replace(/^ {26}/gm, " ".repeat(15));
}

function makedumpfile(args: string[]): void {
  const r = spawnSync("makedumpfile", args, { encoding: "utf8" });
  assert.equal(r.status, 0, `makedumpfile ${args.join(" ")}: ${r.stdout}${r.stderr}`);
}

/** sys, bt and log as kdx prints them, less the line naming the dump file. */
function readback(path: string): string {
  const r = kdx(["-c", "sys; bt; log", path]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split("\n")
    .filter((l) => !/^\s+DUMPFILE:/.test(l))
    .join("\n");
}

test("the kdump capture's /proc/vmcore at -l -d 31 is byte-identical to what makedumpfile wrote in the capture kernel", async () => {
  const out = await convert(kdumpElf.path, 31, "lzo");
  assert.ok(readFileSync(out).equals(readFileSync(captured.path)));
});

test("-z -d 31 is byte-identical to makedumpfile 1.7.6's zstd conversion of the same /proc/vmcore", async () => {
  const out = await convert(kdumpElf.path, 31, "zstd");
  const want = fixture("vmcore/6.1-kdump/makedumpfile/vmcore-d31.kdump-zstd");
  assert.ok(readFileSync(out).equals(readFileSync(want)));
});

/**
 * Every kernel's kdump capture: kdx collect -d 31 of its /proc/vmcore against each of makedumpfile's
 * conversions of the same file, by the size and sha256 its MANIFEST keeps (the files are not stored). The
 * codec is the one the conversion's pages were compressed with: sid's makedumpfile 1.7.8 has no snappy, and
 * its -p wrote pages uncompressed, which kdx's no-codec output must then match.
 */
for (const d of elfDumps.filter((x) => /-kdump\//.test(x.id))) {
  const manifest = JSON.parse(readFileSync(join(d.dir, "MANIFEST.json"), "utf8"));
  for (const [name, want] of Object.entries<{ size: number; sha256: string; format: string }>(
    manifest.makedumpfile_conversions ?? {},
  )) {
    const codec = /^kdump-compressed .*pages compressed with (\w+)$/.exec(want.format)?.[1];
    if (!codec || !/^vmcore-d31\.kdump-/.test(name)) continue;
    test(`${d.dir.split("/").pop()}: collect -d 31 ${codec} is byte-identical to makedumpfile's ${name}`, async () => {
      const out = await convert(d.path, 31, codec as Compression | "none");
      assert.equal(statSync(out).size, want.size);
      assert.equal(createHash("sha256").update(readFileSync(out)).digest("hex"), want.sha256);
      rmSync(out);
    });
  }
}

for (const level of [0, 1, 2, 4, 8, 16, 31]) {
  test(`level ${level}: the pages kdx leaves out are the ones makedumpfile leaves out; sizes within 5%`, async () => {
    for (const method of METHODS.filter(mdfHandles)) {
      const mine = await convert(kdumpElf.path, level, method);
      const theirs = join(tmp, `mdf-${serial++}.kdump`);
      makedumpfile([...MDF_FLAG[method], "-d", String(level), kdumpElf.path, theirs]);
      const a = kdumpLayout(mine);
      const b = kdumpLayout(theirs);
      assert.ok(a.bitmap1.equals(b.bitmap1), `${method}: bitmap of existing pages`);
      assert.ok(a.bitmap2.equals(b.bitmap2), `${method}: bitmap of written pages`);
      assert.deepEqual(a.zeroShared, b.zeroShared, `${method}: pages sharing the zero page`);
      const ratio = statSync(mine).size / statSync(theirs).size;
      // The same system libraries (native/page-codec) and the same writer: the same bytes.
      assert.ok(ratio <= 1, `${method} output ${ratio.toFixed(3)}× makedumpfile's`);
      assert.ok(readFileSync(mine).equals(readFileSync(theirs)), `${method}: byte-identical`);
      rmSync(mine);
      rmSync(theirs);
    }
  });
}

for (const d of elfDumps) {
  const oracle = makedumpfileDmesgOracle(d)!;
  const original = readback(d.path);
  for (const level of [0, 1, 31]) {
    fixtureCheck(
      d.id,
      `-d ${level}, every compression: makedumpfile --dump-dmesg reads it; kdx reads back the same sys, bt, log`,
      async () => {
        for (const method of METHODS) {
          const out = await convert(d.path, level, method);
          const layout = kdumpLayout(out);
          assert.equal(layout.dumpLevel, level);
          if (mdfHandles(method)) {
            const log = join(tmp, `dmesg-${serial++}.txt`);
            makedumpfile(["--dump-dmesg", out, log]);
            assert.equal(
              withoutCallerIds(readFileSync(log, "utf8")),
              withoutCallerIds(readFileSync(oracle, "utf8")),
              `${method}: makedumpfile --dump-dmesg`,
            );
            rmSync(log);
          }
          // Every compression once per dump, and every level with LZO (kdump's default), through kdx itself.
          if (level === 31 || method === "lzo")
            assert.equal(readback(out), original, `${method}: sys; bt; log`);
          rmSync(out);
        }
      },
    );
  }
}

test("offline pages (a balloon's) are left out where makedumpfile leaves them out: at -d 31, not at -d 0 or 1", async () => {
  // makedumpfile walks mem_map only when the level (or PG_hwpoison) asks for it, and tells offline pages only
  // on that walk. The kdump capture with eight kernel-text pages marked offline in their struct pages:
  const copy = join(tmp, "offline.elf");
  copyFileSync(kdumpElf.path, copy);
  const dump = openDumpFile(kdumpElf.path);
  const pfns: number[] = [];
  try {
    const kernel = new Kernel(dump);
    const vi = kernel.vmcoreinfo;
    const offlineValue = Number(vi.number("PAGE_OFFLINE_MAPCOUNT_VALUE"));
    const pageStruct = vi.needSize("page");
    const mapcountAt = vi.needOffset("page._mapcount");
    const text = Number(kernel.mm.translate(kernel.symbol("_stext")) / 4096n);
    const ranges = memMapRanges(kernel, inputBitmaps(dump).present.pages);
    const fd = openSync(copy, "r+");
    try {
      for (let pfn = text; pfn < text + 8; pfn++) {
        const range = ranges.find((r) => pfn >= r.pfnStart && pfn < r.pfnEnd)!;
        const va = range.memMap + BigInt((pfn - range.pfnStart) * pageStruct + mapcountAt);
        const pa = kernel.mm.translate(va);
        const at = dump.memory.rawPages!.offset(Number(pa / 4096n)) + Number(pa % 4096n);
        const value = Buffer.alloc(4);
        value.writeInt32LE(offlineValue);
        writeSync(fd, value, 0, 4, at);
        pfns.push(pfn);
      }
    } finally {
      closeSync(fd);
    }
  } finally {
    dump.close();
  }
  const written = (bitmap: Buffer, pfn: number) => ((bitmap[pfn >> 3]! >> (pfn & 7)) & 1) === 1;
  for (const level of [0, 1, 31]) {
    const mine = await convert(copy, level, "lzo");
    const theirs = join(tmp, `mdf-${serial++}.kdump`);
    makedumpfile(["-l", "-d", String(level), copy, theirs]);
    const a = kdumpLayout(mine).bitmap2;
    assert.ok(a.equals(kdumpLayout(theirs).bitmap2), `-d ${level}: bitmap of written pages`);
    for (const pfn of pfns) assert.equal(written(a, pfn), level !== 31, `-d ${level}: pfn ${pfn} written`);
    rmSync(mine);
    rmSync(theirs);
  }
  rmSync(copy);
});

async function convertElf(input: string, level: number): Promise<string> {
  const out = join(tmp, `out-${serial++}.elf`);
  const dump = openDumpFile(input);
  try {
    const file = new AtomicOutputFile(out);
    await collectElf(dump, new Kernel(dump), file, { dumpLevel: level });
    file.commit();
  } finally {
    dump.close();
  }
  return out;
}

test("-E at levels 0, 1, 31: byte-identical to makedumpfile -E (segments cut at 256-page gaps)", async () => {
  for (const level of [0, 1, 31]) {
    const mine = await convertElf(kdumpElf.path, level);
    const theirs = join(tmp, `mdf-${serial++}.elf`);
    makedumpfile(["-E", "-d", String(level), kdumpElf.path, theirs]);
    assert.ok(readFileSync(mine).equals(readFileSync(theirs)), `level ${level}`);
    rmSync(mine);
    rmSync(theirs);
  }
});

for (const d of elfDumps.filter((x) => x !== kdumpElf)) {
  test(`${d.id} -E -d 31 (QEMU's ELF, no virtual addresses): kdx reads back the same sys, bt, log`, async () => {
    const out = await convertElf(d.path, 31);
    assert.equal(readback(out), readback(d.path));
    rmSync(out);
  });
}
