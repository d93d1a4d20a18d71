/**
 * Where the kernel keeps its `struct page` array, from VMCOREINFO alone (as makedumpfile finds it without
 * debuginfo): SPARSEMEM's `mem_section` (static or EXTREME, whose roots are allocated) decoded section by
 * section, or FLATMEM's single `mem_map`.
 */
import { KdxError } from "../util/errors.ts";
import type { Kernel } from "./kernel.ts";

/** The struct pages of page frames [pfnStart, pfnEnd) start at virtual address `memMap`. */
export interface MemMapRange {
  pfnStart: number;
  pfnEnd: number;
  memMap: bigint;
}

const SECTION_HAS_MEM_MAP = 1n << 1n;
/** The low bits of section_mem_map are flags (SECTION_MAP_LAST_BIT is 1 << 5 in 5.12+; fewer before). */
const SECTION_MAP_MASK = ~((1n << 5n) - 1n) & 0xffffffffffffffffn;

/** The mem_map pieces covering page frames below `maxPfn`; sections with no memory map are left out. */
export function memMapRanges(kernel: Kernel, maxPfn: number): MemMapRange[] {
  const vi = kernel.vmcoreinfo;
  const pageSize = vi.pageSize;
  const flat = vi.symbol("mem_map");
  const root = vi.symbol("mem_section");
  if (root === undefined) {
    if (flat === undefined)
      throw new KdxError("VMCOREINFO names neither mem_section nor mem_map: struct pages cannot be found");
    return [{ pfnStart: 0, pfnEnd: maxPfn, memMap: kernel.readU64(flat) }];
  }

  const sectionBits = Number(vi.number("SECTION_SIZE_BITS") ?? 27n);
  const physBits = Number(vi.number("MAX_PHYSMEM_BITS") ?? 46n);
  const sectionSize = vi.needSize("mem_section");
  const mapOffset = BigInt(vi.needOffset("mem_section.section_mem_map"));
  const pageStruct = BigInt(vi.needSize("page"));
  const pagesPerSection = 2 ** (sectionBits - Math.log2(pageSize));
  const nrSections = 2 ** (physBits - sectionBits);
  const roots = vi.length("mem_section") ?? nrSections;

  // EXTREME allocates a page of sections per root; the static layout is one flat array.
  const perRoot = roots === nrSections ? nrSections : Math.floor(pageSize / sectionSize);
  if (roots !== nrSections && roots * perRoot !== nrSections)
    throw new KdxError(
      `VMCOREINFO's mem_section (LENGTH ${roots}, SIZE ${sectionSize}) fits neither SPARSEMEM layout for ${nrSections} sections`,
    );
  const extreme = roots !== nrSections;

  const out: MemMapRange[] = [];
  const rootCache = new Map<number, bigint>();
  const sections = Math.ceil(maxPfn / pagesPerSection);
  for (let nr = 0; nr < Math.min(sections, nrSections); nr++) {
    let base: bigint;
    if (extreme) {
      const r = Math.floor(nr / perRoot);
      let rootAddr = rootCache.get(r);
      if (rootAddr === undefined) {
        rootAddr = kernel.readU64(root + BigInt(r) * 8n);
        rootCache.set(r, rootAddr);
      }
      if (!kernel.arch.isKernelAddress(rootAddr)) continue;
      base = rootAddr + BigInt((nr % perRoot) * sectionSize);
    } else base = root + BigInt(nr * sectionSize);

    const coded = kernel.readU64(base + mapOffset);
    if (!(coded & SECTION_HAS_MEM_MAP)) continue;
    const pfnStart = nr * pagesPerSection;
    // The section's map is stored minus its first pfn's offset (sparse_encode_mem_map).
    const memMap = ((coded & SECTION_MAP_MASK) + BigInt(pfnStart) * pageStruct) & 0xffffffffffffffffn;
    if (!kernel.arch.isKernelAddress(memMap)) continue;
    const pfnEnd = Math.min(pfnStart + pagesPerSection, maxPfn);
    const last = out[out.length - 1];
    if (
      last &&
      last.pfnEnd === pfnStart &&
      last.memMap + BigInt(last.pfnEnd - last.pfnStart) * pageStruct === memMap
    )
      last.pfnEnd = pfnEnd;
    else out.push({ pfnStart, pfnEnd, memMap });
  }
  return out;
}
