/**
 * The dump layer's figures, each measured in this run:
 * - kdx dmesg vs makedumpfile --dump-dmesg, whole commands, best of 5, on the dumps makedumpfile reads;
 * - every page of each fixture format read back (memory delivered per second);
 * - peak memory on sparse ELF dumps of 1 GiB to 1 TiB made here from a real one (must stay flat).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureDumps } from "../test/dump-fixtures.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const KDX = join(ROOT, "bin/kdx");

function bestOf(n: number, run: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return best;
}

function worker(mode: string, file: string): { seconds: number; maxRssKb: number; pages?: number } {
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", join(ROOT, "bench/dump-worker.ts"), mode, file],
    {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out);
}

/** A copy of a QEMU ELF dump whose last PT_LOAD grows to `gib` GiB of sparse (zero) memory above 4 GiB. */
function sparseElf(from: string, to: string, gib: number): void {
  const src = openSync(from, "r");
  const eh = Buffer.alloc(64);
  readSync(src, eh, 0, 64, 0);
  const phoff = Number(eh.readBigUInt64LE(32));
  const phnum = eh.readUInt16LE(56);
  const ph = Buffer.alloc(phnum * 56);
  readSync(src, ph, 0, ph.length, phoff);
  let end = 0;
  for (let i = 0; i < phnum; i++)
    end = Math.max(end, Number(ph.readBigUInt64LE(i * 56 + 8) + ph.readBigUInt64LE(i * 56 + 32)));
  const dst = openSync(to, "w");
  const buf = Buffer.alloc(1 << 20);
  for (let off = 0; off < end; ) {
    const n = readSync(src, buf, 0, Math.min(buf.length, end - off), off);
    writeSync(dst, buf, 0, n, off);
    off += n;
  }
  // The extra segment: physical 4 GiB upwards, its data a hole in the file (reads as zeros, costs no disk).
  const extra = BigInt(gib) * 2n ** 30n;
  const seg = Buffer.alloc(56);
  seg.writeUInt32LE(1, 0);
  seg.writeBigUInt64LE(BigInt(end), 8);
  seg.writeBigUInt64LE(2n ** 32n, 24);
  seg.writeBigUInt64LE(extra, 32);
  seg.writeBigUInt64LE(extra, 40);
  // Rewrite the program headers with one more entry: they move to the end of the data.
  const newPhoff = BigInt(end) + extra;
  const phs = Buffer.concat([ph, seg]);
  writeSync(dst, phs, 0, phs.length, Number(newPhoff));
  eh.writeBigUInt64LE(newPhoff, 32);
  eh.writeUInt16LE(phnum + 1, 56);
  writeSync(dst, eh, 0, 64, 0);
  ftruncateSync(dst, Number(newPhoff) + phs.length);
  closeSync(src);
  closeSync(dst);
}

export function dumpBench(dir: string): void {
  const dumps = fixtureDumps();
  const mdf = spawnSync("makedumpfile", ["-v"], { encoding: "utf8" });
  const mdfVersion = mdf.status === 0 ? /version ([\d.]+)/.exec(mdf.stdout)?.[1] : undefined;

  console.log("\nkdx dmesg vs makedumpfile --dump-dmesg — whole commands, best of 5");
  if (!mdfVersion) console.log("  makedumpfile is not installed (apt-get install makedumpfile): kdx alone");
  for (const d of dumps) {
    const out = join(dir, "dmesg.txt");
    const kdx = bestOf(5, () =>
      execFileSync(KDX, ["dmesg", d.path], { stdio: ["ignore", "ignore", "ignore"] }),
    );
    const inner = worker("dmesg", d.path).seconds;
    let row = `  ${d.id.padEnd(34)} kdx ${(kdx * 1000).toFixed(0).padStart(5)} ms (open + log ${(inner * 1000).toFixed(0)} ms)`;
    if (mdfVersion) {
      let ok = true;
      const m = bestOf(5, () => {
        rmSync(out, { force: true });
        ok = spawnSync("makedumpfile", ["--dump-dmesg", d.path, out], { stdio: "ignore" }).status === 0 && ok;
      });
      row += ok
        ? `   makedumpfile ${mdfVersion} ${(m * 1000).toFixed(0).padStart(4)} ms   ratio ${(kdx / m).toFixed(1)}× (goal < 1: ${kdx < m ? "met" : "NOT met"})`
        : `   makedumpfile ${mdfVersion} cannot read it`;
    }
    console.log(row);
  }

  console.log("\nreading every page a dump holds — memory delivered per second");
  for (const d of dumps.filter((x) => !x.id.startsWith("6.1-gpf") && !x.id.startsWith("6.1-softlockup"))) {
    const r = worker("scan", d.path);
    const mb = (r.pages! * 4096) / 1e6;
    console.log(
      `  ${d.id.padEnd(34)} ${mb.toFixed(0).padStart(5)} MB in ${r.seconds.toFixed(2)} s = ${(mb / r.seconds).toFixed(0).padStart(4)} MB/s   peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB`,
    );
  }

  console.log("\npeak memory as the dump grows — sparse ELF copies of 6.1-null with extra memory");
  const base = dumps.find((x) => x.id === "6.1-null/vmcore.elf")!;
  for (const [gib, mode] of [
    [1, "scan"],
    [4, "scan"],
    [64, "dmesg"],
    [1024, "dmesg"],
  ] as const) {
    const f = join(dir, `sparse-${gib}.elf`);
    sparseElf(base.path, f, gib);
    const r = worker(mode, f);
    const what = mode === "scan" ? `read all ${((r.pages! * 4096) / 2 ** 30).toFixed(1)} GiB` : "open + log";
    console.log(
      `  +${String(gib).padStart(4)} GiB  ${what.padEnd(22)} ${r.seconds.toFixed(2).padStart(6)} s   peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB`,
    );
    rmSync(f);
  }
}
