/**
 * kdx collect: makedumpfile's job. Decide which pages a dump level keeps (from the struct pages, VMCOREINFO
 * alone), then copy those pages out of any dump kdx reads into makedumpfile's kdump-compressed format,
 * compressing them in batches (on worker threads when asked). Platform-free: the caller supplies the
 * output sink and the batch compressor.
 */
import { DL_EXCLUDE_ZERO, type ExclusionCounts, excludeUnnecessaryPages } from "../analysis/page-filter.ts";
import type { Compression } from "../dump/codecs/index.ts";
import { ElfCore } from "../dump/elf-core.ts";
import { serializeNotes } from "../dump/elf-notes.ts";
import { ElfDataWriter, elfHeaders, type LoadSpan, planElfSegments } from "../dump/elf-writer.ts";
import type { OutputSink } from "../dump/flattened-stream.ts";
import { type KdumpHeaderFields, KdumpWriter } from "../dump/kdump-writer.ts";
import type { Dump, PhysicalMemory } from "../dump/physical-memory.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { PageBitmap } from "../util/bitmap.ts";
import { cstring } from "../util/bytes.ts";
import { KdxError } from "../util/errors.ts";

/** Pages handed to the compressor at once. */
export const BATCH_PAGES = 256;

/** Compresses `count` pages laid end to end; sizes[i] < 0 means page i did not shrink (store it raw). */
export interface BatchCompressor {
  compress(pages: Uint8Array, count: number): Promise<{ data: Uint8Array; sizes: Int32Array }>;
}

export interface CollectOptions {
  dumpLevel: number;
  compression: Compression | undefined;
  /** Called as pages are written: pages done of the total to write. */
  onProgress?: (done: number, total: number) => void;
}

export interface CollectSummary {
  /** Page frames up to the highest one the input holds (makedumpfile's "Total pages"). */
  totalPages: number;
  /** Page frames the input holds (memory holes left out). */
  originalPages: number;
  excluded: ExclusionCounts;
  /** Pages whose data went into the output (zero pages sharing one copy counted as excluded). */
  remainingPages: number;
  /** Pages the input said it held but could not deliver; written as zeros. */
  unreadablePages: number[];
  /** Frames whose struct pages could not be read, so they were kept unexamined. */
  unclassified: number;
  warnings: string[];
}

/** Which page frames exist and which the input actually holds, as makedumpfile's two bitmaps start. */
export function inputBitmaps(dump: Dump): { present: PageBitmap; dumpable: PageBitmap } {
  const mem = dump.memory;
  const ps = BigInt(mem.pageSize);
  const ranges = mem.ranges();
  if (!ranges.length) throw new KdxError(`${dump.info.file}: the dump holds no memory`);
  // Only whole pages count (makedumpfile leaves out a range's partial last page).
  const maxPfn = Number(ranges[ranges.length - 1]!.end / ps);
  const present = new PageBitmap(maxPfn);
  const dumpable = new PageBitmap(maxPfn);
  for (const r of ranges) {
    const from = Number((r.start + ps - 1n) / ps);
    const to = Number(r.end / ps);
    present.setRange(from, to);
    for (let pfn = from; pfn < to; pfn++) if (mem.pageState(pfn) === "present") dumpable.set(pfn);
  }
  return { present, dumpable };
}

/** The header's utsname, from the kernel's init_uts_ns; the release alone when that cannot be read. */
function utsname(kernel: Kernel): KdumpHeaderFields["utsname"] {
  const vi = kernel.vmcoreinfo;
  const at = vi.symbol("init_uts_ns");
  try {
    if (at === undefined) throw new KdxError("no init_uts_ns");
    const u = kernel.read(at + BigInt(vi.offset("uts_namespace.name") ?? 4), 6 * 65);
    return [0, 1, 2, 3, 4, 5].map((i) => cstring(u, i * 65, 65)) as KdumpHeaderFields["utsname"];
  } catch {
    return ["Linux", "", vi.osrelease ?? "", "", "x86_64", ""];
  }
}

function isZero(page: Uint8Array): boolean {
  // Eight bytes at a time where the page is aligned for it (a page sliced out of a file block may not be).
  if (page.byteOffset % 8 === 0 && page.byteLength % 8 === 0) {
    // As doubles: any set bit makes a word non-zero except -0 (the sign bit alone), which the byte check catches.
    const words = new Float64Array(page.buffer, page.byteOffset, page.byteLength / 8);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
  }
  for (let i = 0; i < page.length; i++) if (page[i]) return false;
  return true;
}

function summarize(
  present: PageBitmap,
  excluded: ExclusionCounts,
  written: number,
  unreadablePages: number[],
  unclassified: number,
  warnings: string[],
): CollectSummary {
  if (unreadablePages.length)
    warnings.push(
      `${unreadablePages.length} pages could not be read from the input and were written as zeros (first: pfn ${unreadablePages[0]})`,
    );
  return {
    totalPages: present.pages,
    originalPages: present.count(),
    excluded,
    remainingPages: written,
    unreadablePages,
    unclassified,
    warnings,
  };
}

/** Page i of `pfns` (ascending), read run by run; a page that cannot be read is recorded and reads as zeros. */
function readRuns(mem: PhysicalMemory, pfns: number[], unreadable: number[]): (i: number) => Uint8Array {
  const ps = mem.pageSize;
  const pages: Uint8Array[] = new Array(pfns.length);
  const one = (pfn: number) => {
    try {
      return mem.readPage(pfn);
    } catch {
      unreadable.push(pfn);
      return new Uint8Array(ps);
    }
  };
  for (let i = 0; i < pfns.length; ) {
    let j = i + 1;
    while (j < pfns.length && pfns[j] === pfns[j - 1]! + 1) j++;
    let buf: Uint8Array | undefined;
    if (mem.readPages && j - i > 1) {
      try {
        buf = mem.readPages(pfns[i]!, j - i);
      } catch {
        buf = undefined; // fall back to page by page, to find which page failed
      }
    }
    for (let k = i; k < j; k++) pages[k] = buf ? buf.subarray((k - i) * ps, (k - i + 1) * ps) : one(pfns[k]!);
    i = j;
  }
  return (i) => pages[i]!;
}

export async function collect(
  dump: Dump,
  kernel: Kernel,
  sink: OutputSink,
  compressor: BatchCompressor | undefined,
  opts: CollectOptions,
): Promise<CollectSummary> {
  const mem = dump.memory;
  const ps = mem.pageSize;
  const { present, dumpable } = inputBitmaps(dump);
  const warnings: string[] = [];
  const filter = excludeUnnecessaryPages(kernel, present, dumpable, opts.dumpLevel);
  const unclassified = filter.unreadable.reduce((n, u) => n + u.pfnEnd - u.pfnStart, 0);
  if (unclassified)
    warnings.push(
      `${unclassified} pages kept unexamined: their struct pages could not be read (first: pfn ${filter.unreadable[0]!.pfnStart}, ${filter.unreadable[0]!.reason})`,
    );

  const shareZero = (opts.dumpLevel & DL_EXCLUDE_ZERO) !== 0;
  const writer = new KdumpWriter(
    sink,
    {
      utsname: utsname(kernel),
      timestamp:
        kernel.vmcoreinfo.crashTime ?? Math.floor((dump.info.timestamp?.getTime() ?? Date.now()) / 1000),
      compression: opts.compression,
      shareZeroPages: shareZero,
      pageSize: ps,
      dumpLevel: opts.dumpLevel,
      physBase: kernel.vmcoreinfo.number("phys_base") ?? dump.physBase ?? 0n,
      notes: dump.notes,
    },
    present,
    dumpable,
  );

  const total = dumpable.count();
  const counts = filter.counts;
  const unreadablePages: number[] = [];
  let done = 0;
  let written = 0;

  // Batches are read in order and compressed concurrently; results are written strictly in order.
  const inFlight: Promise<() => void>[] = [];
  const depth = 4;
  let pfn = 0;
  const nextBatch = (): Promise<() => void> | undefined => {
    const pages = new Uint8Array(BATCH_PAGES * ps);
    let toCompress = 0;
    const order: number[] = []; // index into the compressed batch, or -1 for a zero page
    // Runs of consecutive pages are read in one go where the format allows it.
    const batch: number[] = [];
    for (; pfn < present.pages && batch.length < BATCH_PAGES; pfn++) if (dumpable.test(pfn)) batch.push(pfn);
    const run = readRuns(mem, batch, unreadablePages);
    for (let i = 0; i < batch.length; i++) {
      const page = run(i);
      if (shareZero && isZero(page)) order.push(-1);
      else {
        pages.set(page, toCompress * ps);
        order.push(toCompress++);
      }
    }
    if (!batch.length) return undefined;
    const compressed =
      compressor && toCompress ? compressor.compress(pages, toCompress) : Promise.resolve(undefined);
    return compressed.then((result) => () => {
      let dataAt = 0;
      for (const idx of order) {
        if (idx < 0) {
          writer.addZeroPage();
          counts.zero++;
          continue;
        }
        const size = result ? result.sizes[idx]! : -1;
        if (size >= 0) {
          writer.addPage(result!.data.subarray(dataAt, dataAt + size), false);
          dataAt += size;
        } else writer.addPage(pages.subarray(idx * ps, (idx + 1) * ps), true);
        written++;
      }
      done += order.length;
      opts.onProgress?.(done, total);
    });
  };

  try {
    for (;;) {
      while (inFlight.length < depth) {
        const b = nextBatch();
        if (!b) break;
        inFlight.push(b);
      }
      const head = inFlight.shift();
      if (!head) break;
      (await head)();
    }
    writer.finish();
  } catch (e) {
    await Promise.allSettled(inFlight);
    try {
      // Keep what was written readable, and say it is not whole.
      writer.abandon();
    } catch {
      // The sink itself failed (disk full): the caller reports the first error.
    }
    throw e;
  }

  return summarize(present, counts, written, unreadablePages, unclassified, warnings);
}

/**
 * makedumpfile -E: the same page filter, written as an ELF core (uncompressed). Zero pages are found
 * first, by reading every kept page, because the segment layout must be known before any data is written.
 */
export async function collectElf(
  dump: Dump,
  kernel: Kernel,
  sink: OutputSink,
  opts: Omit<CollectOptions, "compression">,
): Promise<CollectSummary> {
  const mem = dump.memory;
  const ps = mem.pageSize;
  const { present, dumpable } = inputBitmaps(dump);
  const filter = excludeUnnecessaryPages(kernel, present, dumpable, opts.dumpLevel);
  const counts = filter.counts;
  const warnings: string[] = [];
  const unreadablePages: number[] = [];
  const read = (pfn: number): Uint8Array => {
    try {
      return mem.readPage(pfn);
    } catch {
      unreadablePages.push(pfn);
      return new Uint8Array(ps);
    }
  };
  if (opts.dumpLevel & DL_EXCLUDE_ZERO)
    for (let pfn = 0; pfn < dumpable.pages; pfn++)
      if (dumpable.test(pfn) && isZero(read(pfn))) {
        dumpable.clear(pfn);
        counts.zero++;
      }
  unreadablePages.length = 0;

  const loads: LoadSpan[] =
    dump instanceof ElfCore
      ? dump.loads.map((l) => ({ paddr: l.paddr, vaddr: l.vaddr, memsz: l.memsz }))
      : mem.ranges().map((r) => ({ paddr: Number(r.start), vaddr: 0n, memsz: Number(r.end - r.start) }));
  const notes = serializeNotes(dump.notes);
  const segments = planElfSegments(loads, dumpable, ps, notes.length);
  const headers = elfHeaders(segments, notes);
  sink.write(0, headers);
  const data = new ElfDataWriter(sink, headers.length);
  const total = segments.reduce((n, s) => n + s.filesz / ps, 0);
  let done = 0;
  let written = 0;
  for (const seg of segments) {
    const first = seg.paddr / ps;
    const end = first + seg.filesz / ps;
    for (let at = first; at < end; at += BATCH_PAGES) {
      const pfns = Array.from({ length: Math.min(BATCH_PAGES, end - at) }, (_, i) => at + i);
      const page = readRuns(mem, pfns, unreadablePages);
      // As makedumpfile, a short gap inside a segment is written with its contents: ELF cannot mark it.
      pfns.forEach((pfn, i) => {
        data.add(page(i));
        if (dumpable.test(pfn)) written++;
      });
      done += pfns.length;
      opts.onProgress?.(done, total);
    }
  }
  data.flush();
  opts.onProgress?.(total, total);
  const unclassified = filter.unreadable.reduce((n, u) => n + u.pfnEnd - u.pfnStart, 0);
  return summarize(present, counts, written, unreadablePages, unclassified, warnings);
}
