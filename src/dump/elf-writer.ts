/**
 * Writing an ELF64 core as makedumpfile -E does: the notes, then each input PT_LOAD cut where at least 256
 * pages in a row were left out. A segment's file data runs to its last kept page (shorter gaps are written
 * with their contents, as makedumpfile writes them); its memory size runs on to the next segment, so the
 * pages left out read as zeros.
 */
import type { PageBitmap } from "../util/bitmap.ts";
import type { OutputSink } from "./flattened-stream.ts";

/** An input PT_LOAD: where it sits in physical and virtual memory (vaddr 0 when unknown, as QEMU writes). */
export interface LoadSpan {
  paddr: number;
  vaddr: bigint;
  memsz: number;
}

export interface ElfSegment {
  paddr: number;
  vaddr: bigint;
  filesz: number;
  memsz: number;
  offset: number;
}

/** makedumpfile's PFN_EXCLUDED: a gap this long (in pages) starts a new segment. */
const GAP_PAGES = 256;
const EHDR = 64;
const PHDR = 56;
const PT_LOAD = 1;
const PT_NOTE = 4;

/** The segments of the output, with file offsets, for the pages `dumpable` keeps. */
export function planElfSegments(
  loads: LoadSpan[],
  dumpable: PageBitmap,
  pageSize: number,
  notesSize: number,
): ElfSegment[] {
  const segs: Omit<ElfSegment, "offset">[] = [];
  for (const load of loads) {
    const first = Math.ceil(load.paddr / pageSize);
    const last = Math.floor((load.paddr + load.memsz) / pageSize);
    const end = load.paddr + load.memsz;
    const at = (pfn: number) => ({
      paddr: pfn * pageSize,
      vaddr: load.vaddr ? load.vaddr + BigInt(pfn * pageSize - load.paddr) : 0n,
    });
    // Blocks of kept pages, joined across gaps shorter than GAP_PAGES.
    const blocks: [number, number][] = [];
    let runStart = -1;
    for (let pfn = first; pfn <= last; pfn++) {
      const kept = pfn < last && dumpable.test(pfn);
      if (kept && runStart < 0) runStart = pfn;
      if (!kept && runStart >= 0) {
        const prev = blocks[blocks.length - 1];
        if (prev && runStart - prev[1] < GAP_PAGES) prev[1] = pfn;
        else blocks.push([runStart, pfn]);
        runStart = -1;
      }
    }
    if (!blocks.length) {
      segs.push({ paddr: load.paddr, vaddr: load.vaddr, filesz: 0, memsz: load.memsz });
      continue;
    }
    // A short gap at the load's start is written too; a long one is memory without file data.
    if (blocks[0]![0] - first < GAP_PAGES) blocks[0]![0] = first;
    else
      segs.push({
        paddr: load.paddr,
        vaddr: load.vaddr,
        filesz: 0,
        memsz: blocks[0]![0] * pageSize - load.paddr,
      });
    blocks.forEach(([s, e], i) => {
      const next = blocks[i + 1];
      const memEnd = next ? next[0] * pageSize : end;
      segs.push({ ...at(s), filesz: (e - s) * pageSize, memsz: memEnd - s * pageSize });
    });
  }
  let offset = EHDR + (segs.length + 1) * PHDR + notesSize;
  return segs.map((s) => {
    const seg = { ...s, offset: s.filesz ? offset : 0 };
    offset += s.filesz;
    return seg;
  });
}

/** Header, program headers and the note blob (serializeNotes) of the planned file, for ELF machine `machine`. */
export function elfHeaders(segments: ElfSegment[], blob: Uint8Array, machine: number): Uint8Array {
  const phnum = segments.length + 1;
  const notesAt = EHDR + phnum * PHDR;
  const h = new Uint8Array(notesAt + blob.length);
  const dv = new DataView(h.buffer);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // ELF, 64-bit, little-endian, version 1
  dv.setUint16(16, 4, true); // ET_CORE
  dv.setUint16(18, machine, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(32, BigInt(EHDR), true); // e_phoff
  dv.setUint16(52, EHDR, true);
  dv.setUint16(54, PHDR, true);
  dv.setUint16(56, Math.min(phnum, 0xffff), true);
  const ph = (
    i: number,
    type: number,
    offset: number,
    vaddr: bigint,
    paddr: number,
    filesz: number,
    memsz: number,
  ) => {
    const o = EHDR + i * PHDR;
    dv.setUint32(o, type, true);
    dv.setUint32(o + 4, type === PT_LOAD ? 7 : 0, true); // RWE
    dv.setBigUint64(o + 8, BigInt(offset), true);
    dv.setBigUint64(o + 16, vaddr, true);
    dv.setBigUint64(o + 24, BigInt(paddr), true);
    dv.setBigUint64(o + 32, BigInt(filesz), true);
    dv.setBigUint64(o + 40, BigInt(memsz), true);
  };
  ph(0, PT_NOTE, notesAt, 0n, 0, blob.length, blob.length);
  segments.forEach((s, i) => {
    ph(i + 1, PT_LOAD, s.offset, s.vaddr, s.paddr, s.filesz, s.memsz);
  });
  h.set(blob, notesAt);
  return h;
}

/** Sequential page data after the headers, buffered into large writes. */
export class ElfDataWriter {
  private readonly buf = new Uint8Array(1 << 20);
  private fill = 0;

  constructor(
    private readonly sink: OutputSink,
    private at: number,
  ) {}

  add(page: Uint8Array): void {
    if (this.fill + page.length > this.buf.length) this.flush();
    this.buf.set(page, this.fill);
    this.fill += page.length;
  }

  flush(): void {
    if (!this.fill) return;
    this.sink.write(this.at, this.buf.subarray(0, this.fill));
    this.at += this.fill;
    this.fill = 0;
  }
}
