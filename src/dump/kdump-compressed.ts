/**
 * makedumpfile's kdump-compressed format (and the older diskdump one): a header block, a sub-header with
 * the notes and VMCOREINFO, two bitmaps (pages that exist; pages written), then one 24-byte descriptor per
 * written page, in page-frame order, pointing at its (compressed) data. Nothing is slurped: the bitmaps are
 * read once at open to build a rank index (a running count per 32768 pages), then bitmap chunks,
 * descriptor blocks and pages come through bounded caches.
 */
import { cstring, i32, popcount, popcountBits, u32, u64n } from "../util/bytes.ts";
import { FormatError, MemoryError, type MissingReason } from "../util/errors.ts";
import { Lru } from "../util/lru.ts";
import { type ByteSource, readExact } from "./byte-source.ts";
import type { Codecs } from "./codecs/index.ts";
import { type ElfNote, parseNotes, vmcoreinfoNote } from "./elf-notes.ts";
import { COMPRESSION_FLAGS, DESC_SIZE, DH_INCOMPLETE, HEADER_SIZE } from "./kdump-format.ts";
import {
  type Dump,
  type DumpInfo,
  mergeRanges,
  type PageState,
  type PhysicalMemory,
  type PhysRange,
  readAcrossPages,
} from "./physical-memory.ts";

/** Bitmap bytes per rank-index entry: 4 KiB of bitmap = 32768 pages. */
const CHUNK = 4096;
const DESCS_PER_BLOCK = 256;

export function isKdumpCompressed(head: Uint8Array): boolean {
  const sig = cstring(head, 0, 8);
  return sig === "KDUMP   " || sig === "DISKDUMP";
}

interface PageDesc {
  offset: number;
  size: number;
  flags: number;
}

export class KdumpCompressed implements Dump, PhysicalMemory {
  readonly info: DumpInfo;
  readonly notes: ElfNote[] = [];
  readonly vmcoreinfo: string | undefined;
  readonly pageSize: number;
  readonly headerVersion: number;
  readonly maxMapnr: number;
  readonly physBase: bigint | undefined;
  private readonly bitmapOffset: number;
  private readonly bitmapHalf: number;
  private readonly descOffset: number;
  /** rank[i]: written pages before page i*CHUNK*8. */
  private readonly rank: Float64Array;
  private readonly startPfn: number;
  private readonly endPfn: number;
  private readonly headerIncomplete: boolean;
  private readonly bitmapCache = new Lru<number, Uint8Array>(64);
  private readonly descCache = new Lru<number, Uint8Array>(64);
  private readonly pageCache = new Lru<number, Uint8Array>(1024);

  constructor(
    private readonly src: ByteSource,
    private readonly codecs: Codecs,
    opts: { flattened?: boolean } = {},
  ) {
    const file = src.name;
    const h = readExact(src, 0, HEADER_SIZE);
    if (!h) {
      const what = isKdumpCompressed(src.read(0, 8)) ? "kdump-compressed " : "";
      throw new FormatError(
        file,
        `the file ends at ${src.size} bytes, inside the ${HEADER_SIZE}-byte ${what}header: it is truncated`,
        0,
      );
    }
    if (!isKdumpCompressed(h)) throw new FormatError(file, 'no "KDUMP   " or "DISKDUMP" signature', 0);
    const diskdump = cstring(h, 0, 8) === "DISKDUMP";
    this.headerVersion = i32(h, 8);
    const uts = (i: number) => cstring(h, 12 + i * 65, 65);
    const tsSec = u64n(h, 408);
    const status = u32(h, 424);
    const blockSize = i32(h, 428);
    const subHdrSize = i32(h, 432);
    const bitmapBlocks = u32(h, 436);
    let maxMapnr = u32(h, 440);
    const nrCpus = i32(h, 460);
    if (blockSize < 1024 || blockSize > 1 << 20 || (blockSize & (blockSize - 1)) !== 0)
      throw new FormatError(
        file,
        `block size ${blockSize} is not a power of two between 1 KiB and 1 MiB`,
        428,
      );
    if (this.headerVersion < 0 || this.headerVersion > 100)
      throw new FormatError(file, `implausible header version ${this.headerVersion}`, 8);
    // timeval.tv_sec of the dump's creation: a flipped high byte puts it past what a date can hold.
    if (!Number.isSafeInteger(tsSec) || tsSec > 8.64e12)
      throw new FormatError(
        file,
        `the header's timestamp (${tsSec} s) is not a time: the header is damaged`,
        408,
      );
    if (subHdrSize < 0 || subHdrSize > 1 << 16)
      throw new FormatError(file, `implausible sub-header size ${subHdrSize}`, 432);
    this.pageSize = blockSize;
    const warnings: string[] = [];

    // The kdump sub-header: phys_base, dump level, split range, VMCOREINFO, notes, 64-bit sizes.
    let dumpLevel: number | undefined;
    let startPfn = 0;
    let endPfn = Number.POSITIVE_INFINITY;
    let split = false;
    let physBase: bigint | undefined;
    if (!diskdump && subHdrSize > 0) {
      const sh = readExact(src, blockSize, Math.min(104, subHdrSize * blockSize));
      if (!sh || sh.length < 16) throw new FormatError(file, "the kdump sub-header is cut off", blockSize);
      const v = this.headerVersion;
      physBase = new DataView(sh.buffer, sh.byteOffset).getBigUint64(0, true);
      if (v >= 1) dumpLevel = i32(sh, 8);
      if (v >= 2) {
        split = i32(sh, 12) !== 0;
        if (split) {
          startPfn = u64n(sh, 16);
          endPfn = u64n(sh, 24);
        }
      }
      let vmcoreinfo: string | undefined;
      if (v >= 3 && sh.length >= 48) {
        const off = u64n(sh, 32);
        const size = u64n(sh, 40);
        if (size > 0 && size < 1 << 20) {
          const b = src.read(off, size);
          if (b.length === size) vmcoreinfo = cstring(b, 0, size);
          else warnings.push("the VMCOREINFO block is cut off by the end of the file");
        }
      }
      if (v >= 4 && sh.length >= 64) {
        const off = u64n(sh, 48);
        const size = u64n(sh, 56);
        if (size > 0) {
          if (size > 64 << 20)
            throw new FormatError(file, `note data of ${size} bytes is implausible`, blockSize + 56);
          const b = src.read(off, size);
          if (b.length < size) warnings.push("the ELF notes are cut off by the end of the file");
          const parsed = parseNotes(b);
          this.notes.push(...parsed.notes);
          if (parsed.error) warnings.push(parsed.error);
        }
      }
      if (v >= 6 && sh.length >= 104) {
        if (split) {
          startPfn = u64n(sh, 80);
          endPfn = u64n(sh, 88);
        }
        maxMapnr = u64n(sh, 96);
      }
      this.vmcoreinfo = vmcoreinfoNote(this.notes) ?? vmcoreinfo;
    }
    this.physBase = physBase;
    this.startPfn = startPfn;
    this.endPfn = endPfn;
    this.maxMapnr = maxMapnr;

    this.bitmapOffset = (1 + subHdrSize) * blockSize;
    const bitmapLen = bitmapBlocks * blockSize;
    this.bitmapHalf = bitmapLen / 2;
    if (bitmapLen === 0 || this.bitmapHalf * 8 < maxMapnr)
      throw new FormatError(file, `bitmaps of ${bitmapLen} bytes cannot describe ${maxMapnr} pages`, 436);
    if (this.bitmapOffset + bitmapLen > src.size)
      throw new FormatError(
        file,
        `the page bitmaps (${bitmapLen} bytes at offset ${this.bitmapOffset}) run past the end of the file (${src.size} bytes): the dump is truncated before any page`,
        this.bitmapOffset,
      );
    this.descOffset = this.bitmapOffset + bitmapLen;

    // Rank index over the second bitmap, read once in 1 MiB pieces.
    const chunks = Math.ceil(this.bitmapHalf / CHUNK);
    this.rank = new Float64Array(chunks + 1);
    const PIECE = 256 * CHUNK;
    let total = 0;
    for (let c = 0; c < chunks; c += 256) {
      const piece = src.read(
        this.bitmapOffset + this.bitmapHalf + c * CHUNK,
        Math.min(PIECE, this.bitmapHalf - c * CHUNK),
      );
      for (let k = 0; k < 256 && c + k < chunks; k++) {
        this.rank[c + k] = total;
        total += popcount(piece, k * CHUNK, Math.min(piece.length, (k + 1) * CHUNK));
      }
    }
    this.rank[chunks] = total;

    const descEnd = this.descOffset + total * DESC_SIZE;
    // The page data starts where the descriptors end (the shared zero page, or the first page just after
    // it): as makedumpfile and QEMU write it. Anything else means the second bitmap no longer counts the
    // descriptors there are, and every page would be read from another's data.
    if (descEnd <= src.size && !this.dataStartsAt(descEnd, total))
      throw new FormatError(
        file,
        `the dumpable-page bitmap counts ${total} pages, whose descriptors end at ${descEnd}, but no page's data starts there: the bitmaps are damaged`,
        this.bitmapOffset + this.bitmapHalf,
      );
    this.headerIncomplete = (status & DH_INCOMPLETE) !== 0;
    let incomplete = this.headerIncomplete;
    if (this.headerIncomplete)
      warnings.push(
        "the dump is marked incomplete (its writer ran out of space or was stopped, or its input lacked memory): some pages are missing",
      );
    if (descEnd > src.size) {
      incomplete = true;
      warnings.push(
        `the file ends at ${src.size} bytes, inside the page descriptors (which end at ${descEnd}): the dump is truncated and most pages are missing`,
      );
    } else {
      const end = this.dataEnd(total);
      if (end > src.size) {
        incomplete = true;
        warnings.push(
          `the file ends at ${src.size} bytes but its pages reach ${end}: the dump is truncated, later pages are missing`,
        );
      }
    }

    const compression = COMPRESSION_FLAGS.filter(([bit]) => status & bit).map(([, n]) => n as string);
    this.info = {
      file,
      format: diskdump ? "diskdump" : "kdump",
      description: `${diskdump ? "diskdump" : "kdump-compressed"} (header version ${this.headerVersion})${opts.flattened ? ", flattened" : ""}${split ? `, split part: pages ${startPfn}-${endPfn}` : ""}`,
      flattened: opts.flattened ?? false,
      compression,
      dumpLevel,
      pageSize: blockSize,
      fileSize: src.size,
      utsname: { sysname: uts(0), nodename: uts(1), release: uts(2), version: uts(3), machine: uts(4) },
      timestamp: tsSec > 0 ? new Date(tsSec * 1000) : undefined,
      cpus: nrCpus > 0 ? nrCpus : undefined,
      incomplete,
      warnings,
    };
  }

  /**
   * Whether the data begins at `at`: some early page (the first written, or the shared zero page written
   * before it) starts exactly there. Descriptors of zeros (pages never written) prove nothing either way.
   */
  private dataStartsAt(at: number, total: number): boolean {
    let seen = false;
    for (let i = 0; i < Math.min(total, DESCS_PER_BLOCK); i++) {
      const d = this.descAt(i);
      if (!d || d.offset === 0) continue;
      if (d.offset === at) return true;
      seen = true;
    }
    return !seen;
  }

  /**
   * Where page data should end: the furthest data among the last descriptors. Page data is written in
   * page order, but trailing zero pages all share one early copy, so look back past them (bounded).
   */
  private dataEnd(total: number): number {
    let end = 0;
    for (let i = total - 1, seen = 0; i >= 0 && seen < 16 * DESCS_PER_BLOCK; i--, seen++) {
      const d = this.descAt(i);
      if (!d) break;
      end = Math.max(end, d.offset + d.size);
      if (seen >= DESCS_PER_BLOCK && end > this.descOffset + total * DESC_SIZE + this.pageSize) break;
    }
    return end;
  }

  get memory(): PhysicalMemory {
    return this;
  }

  /** Written pages, counted by the rank index. */
  get writtenPages(): number {
    return this.rank[this.rank.length - 1];
  }

  private bitmapChunk(which: 0 | 1, chunk: number): Uint8Array {
    const key = which * 0x100000000 + chunk;
    let b = this.bitmapCache.get(key);
    if (!b) {
      b = this.src.read(this.bitmapOffset + which * this.bitmapHalf + chunk * CHUNK, CHUNK);
      this.bitmapCache.set(key, b);
    }
    return b;
  }

  private bit(which: 0 | 1, pfn: number): boolean {
    if (pfn < 0 || pfn >= this.bitmapHalf * 8) return false;
    const chunk = Math.floor(pfn / (CHUNK * 8));
    const within = pfn - chunk * CHUNK * 8;
    const b = this.bitmapChunk(which, chunk);
    return ((b[within >> 3] >> (within & 7)) & 1) === 1;
  }

  /** The index of pfn's descriptor: written pages before it. */
  private descIndex(pfn: number): number {
    const chunk = Math.floor(pfn / (CHUNK * 8));
    return this.rank[chunk] + popcountBits(this.bitmapChunk(1, chunk), pfn - chunk * CHUNK * 8);
  }

  private descAt(index: number): PageDesc | undefined {
    const block = Math.floor(index / DESCS_PER_BLOCK);
    let b = this.descCache.get(block);
    if (!b) {
      b = this.src.read(this.descOffset + block * DESCS_PER_BLOCK * DESC_SIZE, DESCS_PER_BLOCK * DESC_SIZE);
      this.descCache.set(block, b);
    }
    const at = (index - block * DESCS_PER_BLOCK) * DESC_SIZE;
    if (at + DESC_SIZE > b.length) return undefined;
    return { offset: u64n(b, at), size: u32(b, at + 8), flags: u32(b, at + 12) };
  }

  ranges(): PhysRange[] {
    // Runs of set bits in the first bitmap, chunk by chunk.
    const out: PhysRange[] = [];
    const ps = BigInt(this.pageSize);
    let runStart = -1;
    const limit = Math.min(this.maxMapnr, this.bitmapHalf * 8);
    for (let chunk = 0; chunk * CHUNK * 8 < limit; chunk++) {
      const b = this.bitmapChunk(0, chunk);
      const base = chunk * CHUNK * 8;
      for (let i = 0; i < b.length; i++) {
        const byte = b[i];
        if ((byte === 0xff && runStart >= 0) || (byte === 0 && runStart < 0)) continue;
        for (let k = 0; k < 8; k++) {
          const pfn = base + i * 8 + k;
          if (pfn >= limit) break;
          const set = (byte >> k) & 1;
          if (set && runStart < 0) runStart = pfn;
          else if (!set && runStart >= 0) {
            out.push({ start: BigInt(runStart) * ps, end: BigInt(pfn) * ps });
            runStart = -1;
          }
        }
      }
    }
    if (runStart >= 0) out.push({ start: BigInt(runStart) * ps, end: BigInt(limit) * ps });
    return mergeRanges(out);
  }

  /** Where page `pfn`'s data is, or why the dump cannot give it: the one place both questions are answered. */
  private locate(pfn: number): PageDesc | { missing: MissingReason; detail?: string } {
    if (pfn < 0 || pfn >= this.maxMapnr || !this.bit(0, pfn)) return { missing: "hole" };
    if (pfn < this.startPfn || pfn >= this.endPfn)
      return { missing: "excluded", detail: "it is in another part of a split dump" };
    if (!this.bit(1, pfn))
      return {
        missing: "excluded",
        detail: this.info.dumpLevel !== undefined ? `dump level ${this.info.dumpLevel}` : undefined,
      };
    const d = this.descAt(this.descIndex(pfn));
    if (!d || d.offset === 0 || d.offset + d.size > this.src.size) return { missing: "truncated" };
    if (d.size === 0 || d.size > this.pageSize)
      return { missing: "corrupt", detail: `page descriptor says ${d.size} bytes` };
    return d;
  }

  pageState(pfn: number): PageState {
    const where = this.locate(pfn);
    return "missing" in where ? (where.missing === "corrupt" ? "present" : where.missing) : "present";
  }

  readPage(pfn: number): Uint8Array {
    const hit = this.pageCache.get(pfn);
    if (hit) return hit;
    const addr = () => BigInt(pfn) * BigInt(this.pageSize);
    const d = this.locate(pfn);
    if ("missing" in d) throw new MemoryError(addr(), d.missing, d.detail);
    const data = this.src.read(d.offset, d.size);
    if (data.length < d.size) throw new MemoryError(addr(), "truncated");
    const page = this.decode(data, d, addr);
    this.pageCache.set(pfn, page);
    return page;
  }

  private decode(data: Uint8Array, d: PageDesc, addr: () => bigint): Uint8Array {
    const codec = COMPRESSION_FLAGS.find(([bit]) => d.flags & bit);
    if (!codec) {
      if (d.size !== this.pageSize)
        throw new MemoryError(addr(), "corrupt", `uncompressed page of ${d.size} bytes`);
      return data;
    }
    try {
      return this.codecs[codec[1]](data, this.pageSize);
    } catch (e) {
      throw new MemoryError(addr(), "corrupt", `${codec[1]}: ${(e as Error).message}`);
    }
  }

  read(paddr: bigint, length: number): Uint8Array {
    return readAcrossPages(this, paddr, length);
  }

  close(): void {
    this.pageCache.clear();
    this.src.close?.();
  }
}
