/**
 * kdx collect: makedumpfile's job. Decide which pages a dump level keeps (from the struct pages, VMCOREINFO
 * alone), then copy those pages out of any dump kdx reads into makedumpfile's kdump-compressed format,
 * compressing them in batches (several at once on other threads when asked). Platform-free: the caller supplies the
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
import { BufferPool } from "../util/buffer-pool.ts";
import { cstring } from "../util/bytes.ts";
import { KdxError } from "../util/errors.ts";

/** Pages handed to the compressor at once. */
export const BATCH_PAGES = 256;

/**
 * Compresses `count` pages of `pageSize` bytes laid end to end in `pages` into `out` (count × pageSize
 * bytes): page i's compressed form (sizes[i] bytes), or where it does not shrink the page itself (sizes[i] <
 * 0: stored raw). Both buffers come back, perhaps as new views of the same memory (a worker thread moves them
 * and back), to be used again.
 */
/** Pages a compressor reads itself: page i at byte offset offsets[i] of file descriptor `fd`. */
export interface FilePages {
  fd: number;
  offsets: Float64Array;
  /** Leave pages of zeros out (flagged), for dump levels with bit 1. */
  dropZero: boolean;
}

export interface BatchCompressor {
  compress(pages: Uint8Array, count: number, pageSize: number, out: Uint8Array): Promise<CompressedBatch>;
  /**
   * Optional: read the pages too, from file descriptor `fd`, page i at byte offset offsets[i], into `pages`
   * (reading then runs where compressing does, off the calling thread). flags[i] has bit 0 for a page of
   * zeros, left out when `dropZero`, bit 1 for a page that could not be read whole (zeros stand in); sizes
   * are for the pages compressed, in order.
   */
  compressFile?(
    file: FilePages,
    count: number,
    pageSize: number,
    pages: Uint8Array,
    out: Uint8Array,
  ): Promise<CompressedBatch & { flags: Uint8Array }>;
  /** How many batches it compresses at once (1 when absent): collect keeps enough in flight to feed them. */
  readonly concurrency?: number;
}

export interface CompressedBatch {
  pages: Uint8Array;
  out: Uint8Array;
  sizes: Int32Array;
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
  /**
   * Pages the input said it held but could not deliver (a truncated file): marked missing in a kdump
   * output (its header then says incomplete), written as zeros in an ELF one, which cannot mark them.
   */
  unreadablePages: number[];
  /** Frames whose struct pages could not be read, so they were kept unexamined. */
  unclassified: number;
  /** Bytes written twice (the kdump header, first marked incomplete): not in makedumpfile's "Write bytes". */
  rewrittenBytes: number;
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
    // Pages the input lacks (a truncated file) stay in: the output marks them missing, never excluded.
    // Where the format knows its present runs, only the frames between them are asked about.
    const runs = [...(mem.presentRuns?.(from, to) ?? [])].sort((a, b) => a[0] - b[0]);
    let pfn = from;
    for (const [a, b] of [...runs, [to, to] as [number, number]]) {
      for (; pfn < a; pfn++) {
        const state = mem.pageState(pfn);
        if (state === "present" || state === "truncated") dumpable.set(pfn);
      }
      dumpable.setRange(a, b);
      pfn = Math.max(pfn, b);
    }
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
    return ["Linux", "", vi.osrelease ?? "", "", kernel.arch.name, ""];
  }
}

function isZero(page: Uint8Array): boolean {
  // Four bytes at a time where the page is aligned for it (a page sliced out of a file block may not be).
  if (page.byteOffset % 4 === 0 && page.byteLength % 4 === 0) {
    const words = new Int32Array(page.buffer, page.byteOffset, page.byteLength / 4);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    return true;
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
  opts: { elf?: boolean; rewrittenBytes?: number } = {},
): CollectSummary {
  if (unreadablePages.length)
    warnings.push(
      `${unreadablePages.length} pages are not in the input (first: pfn ${unreadablePages[0]}): ${opts.elf ? "written as zeros, as ELF cannot mark them missing" : "marked missing in the output, whose header says it is incomplete"}`,
    );
  return {
    totalPages: present.pages,
    originalPages: present.count(),
    excluded,
    remainingPages: written,
    unreadablePages,
    unclassified,
    rewrittenBytes: opts.rewrittenBytes ?? 0,
    warnings,
  };
}

/**
 * The pages of `pfns` (ascending) read into `buffer` end to end, run by run (one read per run where the
 * format allows it), less the zero pages when `dropZero`. flags[i], as the native file reader sets them:
 * bit 1 a page that cannot be read (it reads as zeros), bit 0 a page of zeros left out of `pages`.
 */
function gatherPages(
  mem: PhysicalMemory,
  pfns: number[],
  dropZero: boolean,
  buffer: Uint8Array,
): { pages: Uint8Array; count: number; flags: Uint8Array } {
  const ps = mem.pageSize;
  const flags = new Uint8Array(pfns.length);
  const readOne = (k: number) => {
    try {
      buffer.set(mem.readPage(pfns[k]!), k * ps);
    } catch {
      flags[k] = PAGE_UNREADABLE;
      buffer.fill(0, k * ps, (k + 1) * ps);
    }
  };
  for (let i = 0; i < pfns.length; ) {
    let j = i + 1;
    while (j < pfns.length && pfns[j] === pfns[j - 1]! + 1) j++;
    let whole = false;
    if (mem.readPages && j - i > 1) {
      try {
        mem.readPages(pfns[i]!, j - i, buffer.subarray(i * ps));
        whole = true;
      } catch {
        // page by page, to find which page failed
      }
    }
    if (!whole) for (let k = i; k < j; k++) readOne(k);
    i = j;
  }
  let count = 0;
  for (let i = 0; i < pfns.length; i++) {
    if (dropZero && isZero(buffer.subarray(i * ps, (i + 1) * ps))) {
      flags[i] |= PAGE_ZERO;
      continue;
    }
    // Close up the gaps the zero pages leave.
    if (count !== i) buffer.copyWithin(count * ps, i * ps, (i + 1) * ps);
    count++;
  }
  return { pages: buffer, count, flags };
}

/** gatherPages' and the native file reader's page flags. */
const PAGE_ZERO = 1;
const PAGE_UNREADABLE = 2;

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
      physBase: kernel.arch.physBase(kernel.vmcoreinfo, dump) ?? 0n,
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

  // Batches are read in order and compressed concurrently; results are written strictly in order. Their
  // buffers go round: a batch's are reused once it is written.
  const inFlight: Promise<() => void>[] = [];
  const depth = Math.max(4, (compressor?.concurrency ?? 1) + 2);
  const buffers = new BufferPool(BATCH_PAGES * ps, depth + 2);
  // Where the compressor can read pages itself and the input holds them whole in a file (an ELF vmcore),
  // reading runs on the compression threads too: on this thread it would take as long as compressing.
  const raw = mem.rawPages;
  const fd = raw?.source.fd;
  const readsFile = compressor?.compressFile !== undefined && fd !== undefined;
  /** The file offset of each page of `batch`, or undefined when one is not in the file whole. */
  const fileOffsets = (batch: number[]): Float64Array | undefined => {
    const offsets = new Float64Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const at = raw!.offset(batch[i]!);
      if (at < 0) return undefined;
      offsets[i] = at;
    }
    return offsets;
  };
  let pfn = 0;
  const nextBatch = (): Promise<() => void> | undefined => {
    const batch: number[] = [];
    for (; pfn < present.pages && batch.length < BATCH_PAGES; pfn++) if (dumpable.test(pfn)) batch.push(pfn);
    if (!batch.length) return undefined;
    // Per page: bit 0 set for a zero page left out, bit 1 for one that could not be read (file reads only).
    let compressed: Promise<{ result?: CompressedBatch; pages: Uint8Array; flags?: Uint8Array }>;
    const offsets = readsFile ? fileOffsets(batch) : undefined;
    if (offsets) {
      compressed = compressor!.compressFile!(
        { fd: fd!, offsets, dropZero: shareZero },
        batch.length,
        ps,
        buffers.acquire(),
        buffers.acquire(),
      ).then((result) => ({ result, pages: result.pages, flags: result.flags }));
    } else {
      const { pages, count, flags } = gatherPages(mem, batch, shareZero, buffers.acquire());
      compressed =
        compressor && count
          ? compressor
              .compress(pages, count, ps, buffers.acquire())
              .then((result) => ({ result, pages, flags }))
          : Promise.resolve({ pages, flags });
    }
    return compressed.then(({ result, pages, flags }) => () => {
      const data = result ? result.out : pages;
      let dataAt = 0;
      let idx = 0;
      for (let i = 0; i < batch.length; i++) {
        const f = flags?.[i] ?? 0;
        if (f & PAGE_UNREADABLE) {
          // Not in the input: missing in the output too. Its stand-in zeros are skipped where they were kept.
          unreadablePages.push(batch[i]!);
          writer.addMissingPage();
          if (!(f & PAGE_ZERO)) {
            const size = result ? result.sizes[idx]! : -1;
            dataAt += size >= 0 ? size : ps;
            idx++;
          }
          continue;
        }
        if (f & PAGE_ZERO) {
          writer.addZeroPage();
          counts.zero++;
          continue;
        }
        const size = result ? result.sizes[idx]! : -1;
        const length = size >= 0 ? size : ps;
        writer.addPage(data.subarray(dataAt, dataAt + length), size < 0);
        dataAt += length;
        idx++;
        written++;
      }
      buffers.release(result?.pages ?? pages);
      if (result) buffers.release(result.out);
      done += batch.length;
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

  return summarize(present, counts, written, unreadablePages, unclassified, warnings, {
    rewrittenBytes: writer.rewrittenBytes,
  });
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
  const headers = elfHeaders(segments, notes, kernel.arch.elfMachine);
  sink.write(0, headers);
  const data = new ElfDataWriter(sink, headers.length);
  const total = segments.reduce((n, s) => n + s.filesz / ps, 0);
  let done = 0;
  let written = 0;
  const buffer = new Uint8Array(BATCH_PAGES * ps);
  for (const seg of segments) {
    const first = seg.paddr / ps;
    const end = first + seg.filesz / ps;
    for (let at = first; at < end; at += BATCH_PAGES) {
      const pfns = Array.from({ length: Math.min(BATCH_PAGES, end - at) }, (_, i) => at + i);
      const { pages, flags } = gatherPages(mem, pfns, false, buffer);
      flags.forEach((f, i) => {
        if (f & PAGE_UNREADABLE) unreadablePages.push(pfns[i]!);
      });
      // As makedumpfile, a short gap inside a segment is written with its contents: ELF cannot mark it.
      pfns.forEach((pfn, i) => {
        data.add(pages.subarray(i * ps, (i + 1) * ps));
        if (dumpable.test(pfn)) written++;
      });
      done += pfns.length;
      opts.onProgress?.(done, total);
    }
  }
  data.flush();
  opts.onProgress?.(total, total);
  const unclassified = filter.unreadable.reduce((n, u) => n + u.pfnEnd - u.pfnStart, 0);
  return summarize(present, counts, written, unreadablePages, unclassified, warnings, { elf: true });
}
