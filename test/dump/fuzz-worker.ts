/**
 * One fuzz campaign, in a worker so the test can stop a hang and cap memory: mutate the metadata bytes of a
 * real dump (headers, notes, bitmaps, descriptors, record headers) and run open → kernel → log on it.
 * Only KdxError-family errors may come out.
 */
import { parentPort, workerData } from "node:worker_threads";
import { formatMakedumpfile } from "../../src/analysis/printk/format.ts";
import { readKernelLog } from "../../src/analysis/printk/index.ts";
import { systemInfo } from "../../src/analysis/system.ts";
import { infoObject } from "../../src/cli/commands/info.ts";
import { openDump } from "../../src/dump/open-dump.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { KdxError } from "../../src/util/errors.ts";
import { PatchedSource } from "../patched-source.ts";

interface Job {
  path: string;
  seed: number;
  iterations: number;
  /** Byte ranges [start, end) of metadata to mutate. */
  regions: [number, number][];
  /** Run `sys`'s analysis on every n-th mutant (0: never). */
  sysEvery: number;
}

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const job = workerData as Job;
const base = new FileSource(job.path);
const rand = mulberry32(job.seed);
const pick = (n: number) => Math.floor(rand() * n);
const total = job.regions.reduce((s, [a, b]) => s + (b - a), 0);
const offsetAt = (k: number) => {
  for (const [a, b] of job.regions) {
    if (k < b - a) return a + k;
    k -= b - a;
  }
  return 0;
};

const outcomes: Record<string, number> = {};
let maxArrayBuffers = 0;
for (let i = 0; i < job.iterations; i++) {
  const patches = new Map<number, number>();
  const n = 1 + pick(8);
  for (let k = 0; k < n; k++) {
    const at = offsetAt(pick(total));
    const kind = pick(5);
    if (kind === 0) patches.set(at, pick(256));
    else if (kind === 1) patches.set(at, (base.read(at, 1)[0] ?? 0) ^ (1 << pick(8)));
    else {
      // A whole little-endian word set to an extreme: 0, all-ones, a huge or a small count.
      const v = [0n, (1n << 64n) - 1n, 1n << 62n, 0x7fffffffn, 0x80000000n, BigInt(pick(4096))][pick(6)];
      const w = (at & ~7) >>> 0;
      for (let j = 0; j < 8; j++) patches.set(w + j, Number((v >> BigInt(8 * j)) & 0xffn));
    }
  }
  let outcome: string;
  try {
    const dump = openDump(new PatchedSource(base, patches), nodeCodecs);
    dump.memory.ranges();
    // What `kdx info` prints of the file alone (timestamps, sizes, ranges), then the kernel: its log, and
    // `sys` on a share of the mutants (it walks every task).
    infoObject(dump);
    const kernel = new Kernel(dump);
    const log = readKernelLog(kernel);
    const text = new TextDecoder().decode(formatMakedumpfile(log.records));
    if (job.sysEvery && i % job.sysEvery === 0) systemInfo(kernel, text.split("\n"));
    outcome = log.warnings.length || dump.info.warnings.length ? "log-with-warnings" : "log";
  } catch (e) {
    if (!(e instanceof KdxError)) {
      parentPort!.postMessage({
        type: "bad",
        iteration: i,
        patches: [...patches].map(([a, v]) => `${a}=${v}`).join(","),
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
      process.exit(1);
    }
    outcome = e.name;
  }
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  maxArrayBuffers = Math.max(maxArrayBuffers, process.memoryUsage().arrayBuffers);
  parentPort!.postMessage({ type: "progress", iteration: i });
}
parentPort!.postMessage({ type: "done", outcomes, maxArrayBuffers });
