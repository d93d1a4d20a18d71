/**
 * The one interface every dump format gives the layers above: the dead machine's physical memory,
 * read by address, with an honest answer for what is not there.
 */
import type { ByteSource } from "./byte-source.ts";
import type { ElfNote } from "./elf-notes.ts";

export interface PhysRange {
  start: bigint;
  /** Exclusive. */
  end: bigint;
}

/** A page's standing in the dump. */
export type PageState = "present" | "zero" | "excluded" | "hole" | "truncated";

export interface PhysicalMemory {
  readonly pageSize: number;
  /** The memory the machine had (holes between ranges never existed), merged and sorted. */
  ranges(): PhysRange[];
  /** Whether page frame `pfn` can be read, and if not, why. Cheap: no page data is read. */
  pageState(pfn: number): PageState;
  /**
   * Optional: the frames in [from, to) that pageState calls "present", as sorted runs [start, end), worked out
   * from the format's layout rather than asked frame by frame (a copier needs them all).
   */
  presentRuns?(from: number, to: number): [number, number][];
  /** `length` bytes at `paddr`; a MemoryError names the first page that cannot be read and why. */
  read(paddr: bigint, length: number): Uint8Array;
  /** A whole page, from a bounded cache: the unit compressed formats decode. */
  readPage(pfn: number): Uint8Array;
  /**
   * Optional: `count` consecutive whole pages in one read, bypassing the page cache (for copying a dump out),
   * into the start of `into`, which is returned.
   */
  readPages?(pfn: number, count: number, into: Uint8Array): Uint8Array;
  /** Optional, for formats that store pages whole and uncompressed (ELF): where they are in the file. */
  readonly rawPages?: RawPageLayout;
}

/**
 * Where a dump stores its pages as they are: a copier that reads them itself (native threads reading and
 * compressing at once) needs no more than this.
 */
export interface RawPageLayout {
  readonly source: ByteSource;
  /** The byte offset of page `pfn` in `source`, or -1 where it is not there whole (a hole, zeros, cut off). */
  offset(pfn: number): number;
}

export type DumpFormat = "elf" | "kdump" | "diskdump";

/** What a dump says of itself, before anything is known about the kernel in it. */
export interface DumpInfo {
  file: string;
  format: DumpFormat;
  /** e.g. "ELF64 core (/proc/vmcore)", "kdump-compressed v6, flattened". */
  description: string;
  flattened: boolean;
  compression: string[];
  /** makedumpfile's -d level, when the format records it. */
  dumpLevel?: number;
  pageSize: number;
  fileSize: number;
  /** ELF e_machine, for an ELF core: the architecture whose kernel this is. */
  elfMachine?: number;
  /** kdump-compressed: the uname the capture recorded; the dump time. */
  utsname?: { sysname: string; nodename: string; release: string; version: string; machine: string };
  timestamp?: Date;
  cpus?: number;
  /** True when the writer did not finish (vmcore-incomplete, truncated file, INCOMPLETE flag). */
  incomplete: boolean;
  warnings: string[];
}

export interface Dump {
  readonly info: DumpInfo;
  readonly memory: PhysicalMemory;
  readonly notes: ElfNote[];
  /** The VMCOREINFO text, from its note or the kdump header. */
  readonly vmcoreinfo: string | undefined;
  /** phys_base as the kdump sub-header records it. */
  readonly physBase?: bigint;
  /** An ELF core's PT_LOAD segments, virtual and physical (/proc/vmcore maps the kernel image there). */
  readonly loads?: readonly { vaddr: bigint; paddr: number }[];
  close(): void;
}

/** Copy `length` bytes at `paddr` out of whole pages: how page-based formats implement read(). */
export function readAcrossPages(mem: PhysicalMemory, paddr: bigint, length: number): Uint8Array {
  const ps = mem.pageSize;
  const out = new Uint8Array(length);
  let done = 0;
  let pfn = Number(paddr / BigInt(ps));
  let off = Number(paddr % BigInt(ps));
  while (done < length) {
    const page = mem.readPage(pfn);
    const n = Math.min(ps - off, length - done);
    out.set(page.subarray(off, off + n), done);
    done += n;
    pfn++;
    off = 0;
  }
  return out;
}

/** Merge sorted-or-not ranges into sorted, non-overlapping ones. */
export function mergeRanges(ranges: PhysRange[]): PhysRange[] {
  const s = ranges
    .filter((r) => r.end > r.start)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: PhysRange[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ ...r });
  }
  return out;
}
