/**
 * A fuzz campaign over one dump, shared by the test (bounded, in CI) and `npm run fuzz` (as long as asked):
 * mutate its metadata in a worker, run open → info → kernel → log → sys on each mutant, and fail on
 * anything but a KdxError, on a hang (a watchdog stops a silent worker), or on memory past the worker's cap.
 */
import { Worker } from "node:worker_threads";
import { FileSource } from "../../src/platform/node/file-source.ts";

const HANG_MS = 15_000;

/** One dump per format: QEMU ELF, /proc/vmcore ELF, kdump lzo, kdump zstd, flattened zlib. */
export const FUZZED = [
  "6.1-null/vmcore.elf",
  "6.1-kdump/vmcore.elf",
  "6.1-kdump/vmcore",
  "6.1-kdump/vmcore-d31.kdump-zstd",
  "6.1-sysrq/vmcore.kdump-zlib",
];

/** The metadata of each format: everything before the page data, plus sampled record headers. */
export function regions(path: string): [number, number][] {
  const f = new FileSource(path);
  try {
    const head = f.read(0, 4096 + 64);
    const magic = Buffer.from(head.subarray(0, 12)).toString("latin1");
    if (magic.startsWith("\x7fELF")) {
      // Up to the first PT_LOAD's data: ELF header, program headers, notes.
      const dv = new DataView(head.buffer, head.byteOffset);
      const phoff = Number(dv.getBigUint64(32, true));
      const phnum = dv.getUint16(56, true);
      const ph = f.read(phoff, phnum * 56);
      const pv = new DataView(ph.buffer, ph.byteOffset);
      let first = f.size;
      for (let i = 0; i < phnum; i++)
        if (pv.getUint32(i * 56, true) === 1)
          first = Math.min(first, Number(pv.getBigUint64(i * 56 + 8, true)));
      return [[0, first]];
    }
    if (magic === "makedumpfile") {
      // The stream header, the first records' headers (the inner kdump header, sub-header, bitmaps…).
      const out: [number, number][] = [[0, 64]];
      let pos = 4096;
      for (let i = 0; i < 64 && pos + 16 <= f.size; i++) {
        const h = f.read(pos, 16);
        const len = Number(new DataView(h.buffer, h.byteOffset).getBigInt64(8, false));
        out.push([pos, pos + 16 + Math.min(len, 4096)]);
        pos += 16 + len;
      }
      return out;
    }
    // kdump-compressed: header, sub-header, notes, bitmaps, and the first page descriptors.
    const block = new DataView(head.buffer, head.byteOffset).getInt32(428, true);
    const sub = new DataView(head.buffer, head.byteOffset).getInt32(432, true);
    const bitmapBlocks = new DataView(head.buffer, head.byteOffset).getUint32(436, true);
    const descs = (1 + sub + bitmapBlocks) * block;
    return [[0, descs + 64 * 24]];
  } finally {
    f.close();
  }
}

export function campaign(
  path: string,
  seed: number,
  iterations: number,
  sysEvery: number,
): Promise<{ outcomes: Record<string, number>; maxArrayBuffers: number }> {
  return new Promise((resolve, reject) => {
    // Workers do not inherit tsx's loader on Node 20: register it first, then load the TypeScript worker.
    const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(new URL("./fuzz-worker.ts", import.meta.url).href)}); })`;
    const w = new Worker(boot, {
      eval: true,
      workerData: { path, seed, iterations, regions: regions(path), sysEvery },
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    let last = 0;
    let timer = setTimeout(function watchdog() {
      w.terminate();
      reject(new Error(`no progress for ${HANG_MS} ms after iteration ${last} (seed ${seed}): a hang`));
    }, HANG_MS);
    w.on("message", (m) => {
      if (m.type === "progress") {
        last = m.iteration;
        clearTimeout(timer);
        timer = setTimeout(() => {
          w.terminate();
          reject(new Error(`no progress for ${HANG_MS} ms after iteration ${last} (seed ${seed}): a hang`));
        }, HANG_MS);
      } else if (m.type === "bad") {
        clearTimeout(timer);
        reject(new Error(`iteration ${m.iteration} (seed ${seed}, patches ${m.patches}): ${m.error}`));
      } else if (m.type === "done") {
        clearTimeout(timer);
        resolve(m);
      }
    });
    w.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
