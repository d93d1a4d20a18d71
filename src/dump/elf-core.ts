/**
 * ELF64 core files: /proc/vmcore as kdump saves it, QEMU's dump-guest-memory ELF, virsh dump, /proc/kcore.
 * Memory is what the PT_LOAD segments hold, by physical address (QEMU leaves p_vaddr at 0; the kernel's
 * /proc/vmcore adds a kernel-text segment that repeats part of RAM).
 */

import { u16, u32, u64n } from "../util/bytes.ts";
import { FormatError, MemoryError } from "../util/errors.ts";
import { Lru } from "../util/lru.ts";
import { type ByteSource, readExact } from "./byte-source.ts";
import { type ElfNote, NT_PRSTATUS, parseNotes, vmcoreinfoNote } from "./elf-notes.ts";
import {
  type Dump,
  type DumpInfo,
  mergeRanges,
  type PageState,
  type PhysicalMemory,
  type PhysRange,
  type RawPageLayout,
  readAcrossPages,
} from "./physical-memory.ts";

const PT_LOAD = 1;
/** Virtual addresses from here up are a kernel's (the upper half), on every 64-bit architecture Linux runs. */
const UPPER_HALF = 1n << 63n;
const PT_NOTE = 4;
const PN_XNUM = 0xffff;
const MAX_PHDRS = 1 << 20;
const MAX_NOTES_BYTES = 64 << 20;
const PAGE_SIZE = 4096;
const CACHE_PAGES = 1024;

export interface ElfLoad {
  paddr: number;
  vaddr: bigint;
  memsz: number;
  filesz: number;
  offset: number;
}

export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

export class ElfCore implements Dump, PhysicalMemory {
  readonly info: DumpInfo;
  readonly notes: ElfNote[];
  readonly vmcoreinfo: string | undefined;
  readonly pageSize = PAGE_SIZE;
  /** Non-overlapping, sorted by paddr. */
  private readonly segments: ElfLoad[];
  /** Every PT_LOAD as written, with virtual addresses (the kernel-text one included). */
  readonly loads: ElfLoad[];
  private readonly cache = new Lru<number, Uint8Array>(CACHE_PAGES);

  constructor(private readonly src: ByteSource) {
    const file = src.name;
    const eh = readExact(src, 0, 64);
    if (!eh || !isElf(eh)) throw new FormatError(file, "not an ELF file (no \\x7fELF magic)", 0);
    if (eh[4] !== 2) throw new FormatError(file, "32-bit ELF core: only ELF64 cores are supported", 4);
    if (eh[5] !== 1) throw new FormatError(file, "big-endian ELF: only little-endian cores are supported", 5);
    const type = u16(eh, 16);
    if (type !== 4)
      throw new FormatError(
        file,
        `ELF type ${type}${type === 2 ? " (an executable: a vmlinux?)" : ""}, not a core dump (ET_CORE)`,
        16,
      );
    const machine = u16(eh, 18);
    const phoff = u64n(eh, 32);
    const shoff = u64n(eh, 40);
    const phentsize = u16(eh, 54);
    let phnum = u16(eh, 56);
    if (phnum === PN_XNUM) {
      // More than 65534 segments: the real count is in section header 0's sh_info.
      const sh0 = readExact(src, shoff, 64);
      if (!sh0) throw new FormatError(file, "e_phnum is PN_XNUM but section header 0 is missing", shoff);
      phnum = u32(sh0, 44);
    }
    if (phentsize !== 56) throw new FormatError(file, `program header size ${phentsize}, expected 56`, 54);
    if (phnum === 0 || phnum > MAX_PHDRS)
      throw new FormatError(file, `implausible program header count ${phnum}`, 56);
    const ph = readExact(src, phoff, phnum * 56);
    if (!ph)
      throw new FormatError(
        file,
        `program headers (${phnum} at offset ${phoff}) run past the end of the file`,
        phoff,
      );

    const loads: ElfLoad[] = [];
    const notes: ElfNote[] = [];
    const warnings: string[] = [];
    let noteBytes = 0;
    for (let i = 0; i < phnum; i++) {
      const p = ph.subarray(i * 56, i * 56 + 56);
      const ptype = u32(p, 0);
      const offset = u64n(p, 8);
      const vaddr = new DataView(p.buffer, p.byteOffset).getBigUint64(16, true);
      const paddr = u64n(p, 24);
      const filesz = u64n(p, 32);
      const memsz = u64n(p, 40);
      if (ptype === PT_NOTE) {
        noteBytes += filesz;
        if (noteBytes > MAX_NOTES_BYTES)
          throw new FormatError(file, `note segments total over 64 MiB`, phoff + i * 56);
        const blob = src.read(offset, filesz);
        if (blob.length < filesz)
          warnings.push(`note segment at offset ${offset} is cut short by the end of the file`);
        const parsed = parseNotes(blob);
        notes.push(...parsed.notes);
        if (parsed.error) warnings.push(parsed.error);
      } else if (ptype === PT_LOAD) {
        if (filesz > memsz)
          throw new FormatError(
            file,
            `PT_LOAD ${i}: file size ${filesz} exceeds memory size ${memsz}`,
            phoff + i * 56,
          );
        loads.push({ paddr, vaddr, memsz, filesz, offset });
      }
    }
    if (loads.length === 0)
      throw new FormatError(file, "core file has no PT_LOAD segments: no memory in it", phoff);
    this.loads = loads;
    this.segments = nonOverlapping(loads);
    this.notes = notes;
    this.vmcoreinfo = vmcoreinfoNote(notes);

    const dataEnd = Math.max(...loads.map((l) => l.offset + l.filesz));
    const incomplete = dataEnd > src.size;
    if (incomplete) {
      const missing = (dataEnd - src.size) / 2 ** 20;
      warnings.push(
        `the file ends at ${src.size} bytes but its segments reach ${dataEnd}: the dump is truncated, ${missing.toFixed(1)} MiB of memory are missing`,
      );
    }
    const qemu = notes.some((n) => n.name === "QEMU");
    // /proc/vmcore gives the kernel's own mappings virtual addresses; QEMU's and makedumpfile's ELF do not.
    const kernelText = loads.some((l) => l.vaddr >= UPPER_HALF);
    this.info = {
      file,
      format: "elf",
      description: qemu
        ? "ELF64 core (QEMU dump-guest-memory)"
        : kernelText
          ? "ELF64 core (/proc/vmcore)"
          : "ELF64 core",
      flattened: false,
      compression: [],
      pageSize: PAGE_SIZE,
      fileSize: src.size,
      elfMachine: machine,
      cpus: notes.filter((n) => n.type === NT_PRSTATUS && n.name === "CORE").length || undefined,
      incomplete,
      warnings,
    };
  }

  get memory(): PhysicalMemory {
    return this;
  }

  ranges(): PhysRange[] {
    return mergeRanges(
      this.segments.map((s) => ({ start: BigInt(s.paddr), end: BigInt(s.paddr) + BigInt(s.memsz) })),
    );
  }

  private segmentAt(paddr: number): ElfLoad | undefined {
    const s = this.segments;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid].paddr <= paddr) lo = mid + 1;
      else hi = mid - 1;
    }
    const seg = s[hi];
    return seg && paddr < seg.paddr + seg.memsz ? seg : undefined;
  }

  pageState(pfn: number): PageState {
    const pa = pfn * PAGE_SIZE;
    const seg = this.segmentAt(pa);
    if (!seg) return "hole";
    const rel = pa - seg.paddr;
    if (rel >= seg.filesz) return "zero";
    return seg.offset + rel + Math.min(PAGE_SIZE, seg.filesz - rel) > this.src.size ? "truncated" : "present";
  }

  presentRuns(from: number, to: number): [number, number][] {
    const runs: [number, number][] = [];
    for (const seg of this.segments) {
      // A frame is present when its first byte is in the segment's file part and the file holds the page's
      // bytes of it: the whole page, or the rest of the file part when that ends within the page.
      const inFile = this.src.size - seg.offset;
      const relEnd = seg.filesz <= inFile ? seg.filesz : Math.max(0, inFile - PAGE_SIZE + 1);
      const start = Math.max(from, Math.ceil(seg.paddr / PAGE_SIZE));
      const end = Math.min(to, Math.ceil((seg.paddr + Math.min(seg.memsz, relEnd)) / PAGE_SIZE));
      if (start < end) runs.push([start, end]);
    }
    return runs;
  }

  private layout: RawPageLayout | undefined;

  get rawPages(): RawPageLayout {
    this.layout ??= { source: this.src, offset: (pfn) => this.pageOffset(pfn) };
    return this.layout;
  }

  /** Where page `pfn` lies whole in the file, or -1 (see RawPageLayout). */
  private pageOffset(pfn: number): number {
    const pa = pfn * PAGE_SIZE;
    const seg = this.segmentAt(pa);
    if (!seg || pa - seg.paddr + PAGE_SIZE > seg.filesz) return -1;
    const at = seg.offset + (pa - seg.paddr);
    return at + PAGE_SIZE <= this.src.size ? at : -1;
  }

  readPage(pfn: number): Uint8Array {
    const hit = this.cache.get(pfn);
    if (hit) return hit;
    const page = this.readSpan(pfn * PAGE_SIZE, PAGE_SIZE);
    this.cache.set(pfn, page);
    return page;
  }

  readPages(pfn: number, count: number, into: Uint8Array): Uint8Array {
    const pa = pfn * PAGE_SIZE;
    const length = count * PAGE_SIZE;
    const out = into.subarray(0, length);
    const seg = this.segmentAt(pa);
    if (seg && pa + length <= seg.paddr + seg.filesz && this.src.readInto) {
      // All in one segment's file data: read straight into the caller's buffer.
      const got = this.src.readInto(seg.offset + (pa - seg.paddr), out);
      if (got < length) throw new MemoryError(BigInt(pa + got), "truncated");
    } else out.set(this.readSpan(pa, length));
    return out;
  }

  read(paddr: bigint, length: number): Uint8Array {
    const pa = Number(paddr);
    const seg = this.segmentAt(pa);
    // Most reads fall in one segment's whole pages: serve the small ones from the page cache, which repeated
    // reads of nearby structures hit (bulk reads would only churn it).
    if (
      seg &&
      length <= PAGE_SIZE &&
      seg.paddr % PAGE_SIZE === 0 &&
      pa + length <= seg.paddr + seg.memsz - (seg.memsz % PAGE_SIZE)
    )
      return readAcrossPages(this, paddr, length);
    return this.readSpan(pa, length);
  }

  /** Bytes [pa, pa+length) segment by segment, zero beyond a segment's file data. */
  private readSpan(pa: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = pa + done;
      const seg = this.segmentAt(at);
      if (!seg) throw new MemoryError(BigInt(at), "hole");
      const rel = at - seg.paddr;
      const n = Math.min(length - done, seg.paddr + seg.memsz - at);
      const inFile = Math.max(0, Math.min(n, seg.filesz - rel));
      if (inFile > 0) {
        const got = this.src.read(seg.offset + rel, inFile);
        if (got.length < inFile) throw new MemoryError(BigInt(at + got.length), "truncated");
        out.set(got, done);
      }
      done += n;
    }
    return out;
  }

  close(): void {
    this.cache.clear();
    this.src.close?.();
  }
}

/** Drop segments that lie inside another (the /proc/vmcore kernel-text repeat); trim partial overlaps. */
function nonOverlapping(loads: ElfLoad[]): ElfLoad[] {
  const sorted = loads
    .filter((l) => l.memsz > 0)
    .slice()
    .sort((a, b) => a.paddr - b.paddr || b.memsz - a.memsz);
  const out: ElfLoad[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (!last || s.paddr >= last.paddr + last.memsz) {
      out.push(s);
      continue;
    }
    const lastEnd = last.paddr + last.memsz;
    const end = s.paddr + s.memsz;
    if (end <= lastEnd) continue;
    const cut = lastEnd - s.paddr;
    out.push({
      paddr: lastEnd,
      vaddr: s.vaddr + BigInt(cut),
      memsz: s.memsz - cut,
      filesz: Math.max(0, s.filesz - cut),
      offset: s.offset + cut,
    });
  }
  return out;
}
