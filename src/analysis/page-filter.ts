/**
 * Which pages a dump can leave out, decided as makedumpfile decides without debuginfo: from each page's
 * `struct page` (flags, mapping, _mapcount, private, compound head/order) with every offset and flag number
 * taken from VMCOREINFO. The rules and their order follow makedumpfile's __exclude_unnecessary_pages(), so
 * the two tools drop the same pages at the same dump level; zero pages are found later, by content, when
 * the pages are copied.
 */
import type { Kernel } from "../kernel/kernel.ts";
import { memMapRanges } from "../kernel/mem-map.ts";
import type { PageBitmap } from "../util/bitmap.ts";
import { KdxError, MemoryError, TranslationError } from "../util/errors.ts";

/** makedumpfile's dump-level bits. */
export const DL_EXCLUDE_ZERO = 1;
export const DL_EXCLUDE_CACHE = 2;
export const DL_EXCLUDE_CACHE_PRI = 4;
export const DL_EXCLUDE_USER_DATA = 8;
export const DL_EXCLUDE_FREE = 16;

export const DUMP_LEVEL_NAMES: [number, string][] = [
  [DL_EXCLUDE_ZERO, "zero pages"],
  [DL_EXCLUDE_CACHE, "page cache"],
  [DL_EXCLUDE_CACHE_PRI, "private page cache"],
  [DL_EXCLUDE_USER_DATA, "user data"],
  [DL_EXCLUDE_FREE, "free pages"],
];

/** Pages dropped by each rule, counted as makedumpfile counts them (its "Excluded pages" report). */
export interface ExclusionCounts {
  zero: number;
  cache: number;
  cachePrivate: number;
  user: number;
  free: number;
  hwpoison: number;
  offline: number;
}

export function emptyCounts(): ExclusionCounts {
  return { zero: 0, cache: 0, cachePrivate: 0, user: 0, free: 0, hwpoison: 0, offline: 0 };
}

/** makedumpfile reads struct pages in blocks of this many; a compound head at a block's end is not examined. */
const PGMM_CACHED = 512;
const PAGE_MAPPING_ANON = 1;

interface PageLayout {
  size: number;
  flags: number;
  refcount: number;
  mapping: number;
  mapcount: number | undefined;
  private: number | undefined;
  compoundHead: number | undefined;
  orderOffset: number | undefined;
  dtorOffset: number | undefined;
}

/**
 * Whether page.compound_order / compound_dtor are bytes (4.16 and later) rather than wider, from VMCOREINFO
 * alone (collect must work where BTF and kallsyms cannot be read): side by side, bytes lie 1 apart. Where
 * either is gone (6.6 dropped compound_dtor, 7.x both), what is left is a byte. makedumpfile decides by the
 * release.
 */
function compoundFieldsAreBytes(kernel: Kernel): boolean {
  const vi = kernel.vmcoreinfo;
  const order = vi.offset("page.compound_order");
  const dtor = vi.offset("page.compound_dtor");
  return order === undefined || dtor === undefined || Math.abs(order - dtor) === 1;
}

/** The rules a dump level turns on, and the VMCOREINFO numbers they need. */
class Rules {
  readonly lru: number | undefined;
  readonly privateBit: number | undefined;
  readonly swapCache: number | undefined;
  readonly swapBacked: number | undefined;
  readonly slab: number | undefined;
  readonly headMask: number | undefined;
  readonly hwpoison: number | undefined;
  readonly buddyMapcount: number | undefined;
  readonly offlineMapcount: number | undefined;
  readonly hugetlbDtor: number | undefined;
  readonly buddyFlag: number | undefined;

  constructor(kernel: Kernel) {
    const vi = kernel.vmcoreinfo;
    const bit = (name: string) => {
      const n = vi.number(name);
      if (n === undefined) return undefined;
      if (n < 0n || n > 31n)
        throw new KdxError(`VMCOREINFO NUMBER(${name})=${n}: page flags above bit 31 are not expected`);
      return 2 ** Number(n);
    };
    const int = (name: string) => {
      const n = vi.number(name);
      return n === undefined ? undefined : Number(BigInt.asIntN(32, n));
    };
    this.lru = bit("PG_lru");
    this.privateBit = bit("PG_private");
    this.swapCache = bit("PG_swapcache");
    this.swapBacked = bit("PG_swapbacked");
    this.slab = bit("PG_slab");
    const head = vi.number("PG_head_mask");
    this.headMask = head === undefined ? undefined : Number(head & 0xffffffffn);
    this.hwpoison = bit("PG_hwpoison");
    this.buddyFlag = bit("PG_buddy");
    this.buddyMapcount = int("PAGE_BUDDY_MAPCOUNT_VALUE");
    this.offlineMapcount = int("PAGE_OFFLINE_MAPCOUNT_VALUE");
    this.hugetlbDtor = int("HUGETLB_PAGE_DTOR");
  }

  has(flags: number, b: number | undefined): boolean {
    return b !== undefined && (flags & b) !== 0;
  }

  /** Free pages are told by PG_buddy (2.6.17–2.6.37) or by _mapcount holding the buddy page type. */
  get canTellBuddy(): boolean {
    return this.buddyFlag !== undefined || this.buddyMapcount !== undefined;
  }

  isBuddy(flags: number, mapcount: number): boolean {
    if (this.buddyFlag !== undefined) return (flags & this.buddyFlag) !== 0;
    if (this.has(flags, this.slab)) return false;
    return this.buddyMapcount !== undefined && mapcount === this.buddyMapcount;
  }

  isCache(flags: number): boolean {
    if (this.has(flags, this.lru)) return true;
    // PG_swapcache means swap cache only with PG_swapbacked set (4.10+, where that flag exists).
    return (
      (this.swapBacked === undefined || this.has(flags, this.swapBacked)) && this.has(flags, this.swapCache)
    );
  }

  isOffline(flags: number, mapcount: number): boolean {
    if (this.offlineMapcount === undefined || this.has(flags, this.slab)) return false;
    return mapcount === this.offlineMapcount;
  }
}

function pageLayout(kernel: Kernel): PageLayout {
  const vi = kernel.vmcoreinfo;
  const size = vi.needSize("page");
  const lru = vi.offset("page.lru");
  // Before 4.4 the order and destructor of a compound page lived in its first tail page's lru; 4.4 gave
  // struct page compound_head (7.x: compound_info) and its own compound_order.
  const old = ["page.compound_head", "page.compound_info", "page.compound_order"].every(
    (m) => vi.offset(m) === undefined,
  );
  const orderOffset = vi.offset("page.compound_order") ?? (old && lru !== undefined ? lru + 8 : undefined);
  const dtorOffset = vi.offset("page.compound_dtor") ?? (old && lru !== undefined ? lru : undefined);
  return {
    size,
    flags: vi.needOffset("page.flags"),
    refcount: vi.offset("page._refcount") ?? vi.needOffset("page._count"),
    mapping: vi.needOffset("page.mapping"),
    mapcount: vi.offset("page._mapcount"),
    private: vi.offset("page.private"),
    compoundHead: vi.offset("page.compound_head"),
    orderOffset,
    dtorOffset,
  };
}

export interface FilterResult {
  counts: ExclusionCounts;
  /** Page-frame ranges whose struct pages could not be read (kept, not classified). */
  unreadable: { pfnStart: number; pfnEnd: number; reason: string }[];
}

/**
 * Clear from `dumpable` every page the dump level drops, reading the struct pages of the frames
 * `present` marks. Pages whose struct page cannot be read stay in, and are reported.
 */
export function excludeUnnecessaryPages(
  kernel: Kernel,
  present: PageBitmap,
  dumpable: PageBitmap,
  level: number,
): FilterResult {
  const counts = emptyCounts();
  const unreadable: FilterResult["unreadable"] = [];
  const rules = new Rules(kernel);
  const wantsFree = (level & DL_EXCLUDE_FREE) !== 0;
  if (wantsFree && !rules.canTellBuddy)
    throw new KdxError(
      "VMCOREINFO gives neither PG_buddy nor PAGE_BUDDY_MAPCOUNT_VALUE: free pages cannot be told (use a dump level without 16)",
    );
  // makedumpfile walks mem_map only for these; offline pages (a balloon's) are left out only on a walk done
  // for another reason, so at -d 0 or 1 it keeps them, and so must kdx.
  const needed =
    level & (DL_EXCLUDE_CACHE | DL_EXCLUDE_CACHE_PRI | DL_EXCLUDE_USER_DATA) ||
    wantsFree ||
    rules.hwpoison !== undefined;
  if (!needed) return { counts, unreadable };

  const L = pageLayout(kernel);
  const newOrder = compoundFieldsAreBytes(kernel);
  let ranges: ReturnType<typeof memMapRanges>;
  try {
    ranges = memMapRanges(kernel, present.pages);
  } catch (e) {
    if (!(e instanceof KdxError)) throw e;
    throw new KdxError(
      `dump level ${level} needs the kernel's struct pages, and they cannot be found (${e.message}): levels 0 and 1 need none`,
    );
  }

  const exclude = (counter: keyof ExclusionCounts, from: number, to: number) => {
    dumpable.clearRange(from, to);
    counts[counter] += to - from;
  };

  for (const range of ranges) {
    let buf: Uint8Array = new Uint8Array(0);
    let bufStart = 0;
    let bufEnd = 0;
    let view = new DataView(buf.buffer);
    for (let pfn = range.pfnStart; pfn < range.pfnEnd; pfn++) {
      if (!present.test(pfn)) continue;
      if (pfn < bufStart || pfn >= bufEnd) {
        bufStart = pfn;
        bufEnd = Math.min(range.pfnEnd, (Math.floor(pfn / PGMM_CACHED) + 1) * PGMM_CACHED);
        try {
          buf = kernel.read(range.memMap + BigInt((pfn - range.pfnStart) * L.size), (bufEnd - pfn) * L.size);
        } catch (e) {
          if (!(e instanceof MemoryError || e instanceof TranslationError)) throw e;
          unreadable.push({ pfnStart: bufStart, pfnEnd: bufEnd, reason: e.message });
          pfn = bufEnd - 1;
          bufEnd = bufStart;
          continue;
        }
        view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      }
      const at = (pfn - bufStart) * L.size;
      // Only low bits are tested (page flags below 32; mapping and compound_head bit 0; a small order in
      // private), so 32-bit reads of the low words do, without BigInt on this per-page path.
      const flags = view.getUint32(at + L.flags, true);
      const mapping = view.getUint32(at + L.mapping, true);
      const mapcount = L.mapcount === undefined ? 0 : view.getInt32(at + L.mapcount, true);
      const priv =
        L.private === undefined || view.getUint32(at + L.private + 4, true)
          ? -1
          : view.getUint32(at + L.private, true);
      const compoundHead = L.compoundHead === undefined ? 0 : view.getUint32(at + L.compoundHead, true);

      let order = 0;
      let dtor = -1;
      const next = at + L.size;
      if (
        pfn % PGMM_CACHED < PGMM_CACHED - 1 &&
        rules.has(flags, rules.headMask) &&
        next + L.size <= buf.length
      ) {
        if (L.orderOffset !== undefined)
          order = newOrder ? buf[next + L.orderOffset]! : view.getUint16(next + L.orderOffset, true);
        if (L.dtorOffset !== undefined)
          dtor = newOrder ? buf[next + L.dtorOffset]! : view.getUint16(next + L.dtorOffset, true);
        if (order >= 64 || pfn % 2 ** order !== 0) order = 0;
      }

      // Tail pages went with their head.
      if (compoundHead & 1) continue;
      const anon = (mapping & PAGE_MAPPING_ANON) !== 0;
      let counter: keyof ExclusionCounts;
      let nrPages = 2 ** order;
      if (wantsFree && rules.isBuddy(flags, mapcount)) {
        counter = "free";
        // A free block's order is in private; a nonsense value (damaged memory) counts as a single page.
        nrPages = priv >= 0 && priv < 31 ? 2 ** priv : 1;
      } else if (
        level & DL_EXCLUDE_CACHE &&
        rules.isCache(flags) &&
        !rules.has(flags, rules.privateBit) &&
        !anon
      ) {
        counter = "cache";
      } else if (level & DL_EXCLUDE_CACHE_PRI && rules.isCache(flags) && !anon) {
        counter = rules.has(flags, rules.privateBit) ? "cachePrivate" : "cache";
      } else if (
        level & DL_EXCLUDE_USER_DATA &&
        (anon || (rules.hugetlbDtor !== undefined && dtor === rules.hugetlbDtor))
      ) {
        counter = "user";
      } else if (rules.has(flags, rules.hwpoison)) {
        counter = "hwpoison";
      } else if (rules.isOffline(flags, mapcount)) {
        counter = "offline";
      } else continue;

      exclude(counter, pfn, pfn + nrPages);
      pfn += nrPages - 1;
    }
  }
  return { counts, unreadable };
}
