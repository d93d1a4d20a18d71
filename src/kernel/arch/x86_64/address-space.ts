/**
 * x86-64 kernel virtual → physical: the kernel-text mapping is linear (__START_KERNEL_map + phys_base,
 * KASLR already folded into the symbol addresses VMCOREINFO gives); everything else (direct map wherever
 * KASLR put it, vmalloc, vmemmap, modules, per-CPU areas) is found by walking the dead kernel's own page
 * tables from init_top_pgt, 4 or 5 levels, with 1 GiB and 2 MiB pages. Translations are cached per page.
 */
import type { Dump, PhysicalMemory } from "../../../dump/physical-memory.ts";
import { MemoryError, TranslationError } from "../../../util/errors.ts";
import { Lru } from "../../../util/lru.ts";
import type { VmcoreInfo } from "../../vmcoreinfo.ts";
import type { AddressSpace } from "../architecture.ts";

/** Where x86-64 maps the kernel image (__START_KERNEL_map). */
export const START_KERNEL_MAP = 0xffffffff80000000n;
/** The kernel's half of the address space (canonical addresses with bit 47 set, 4-level paging). */
export const KERNEL_SPACE = 0xffff800000000000n;
const MASK64 = (1n << 64n) - 1n;
const PRESENT = 1n;
const PSE = 0x80n;
const PHYS_MASK = 0x000ffffffffff000n;
const PAGE = 4096;

/**
 * phys_base: VMCOREINFO's NUMBER(phys_base), else the kdump sub-header's, else what /proc/vmcore's
 * kernel-text segment says (its physical address less its offset into __START_KERNEL_map).
 */
export function physBase(info: VmcoreInfo, dump: Dump): bigint | undefined {
  const fromInfo = info.number("phys_base") ?? dump.physBase;
  if (fromInfo !== undefined) return fromInfo;
  const text = dump.loads?.find((l) => l.vaddr >= START_KERNEL_MAP);
  return text ? BigInt(text.paddr) - (text.vaddr - START_KERNEL_MAP) : undefined;
}

export interface AddressSpaceOptions {
  /** When VMCOREINFO lacks NUMBER(phys_base): from the dump (see physBase). */
  physBase?: bigint;
}

export class X86_64AddressSpace implements AddressSpace {
  readonly physBase: bigint;
  readonly kernelImageSize: bigint;
  readonly fiveLevel: boolean;
  /** Physical address of the top-level page table. */
  readonly pgd: bigint;
  private readonly entryMask: bigint;
  private readonly tlb = new Lru<number, number>(8192);

  constructor(
    readonly memory: PhysicalMemory,
    info: VmcoreInfo,
    opts: AddressSpaceOptions = {},
  ) {
    const pb = info.number("phys_base") ?? opts.physBase;
    if (pb === undefined)
      throw new TranslationError(
        0n,
        "no phys_base: VMCOREINFO has no NUMBER(phys_base) and the dump header none either",
      );
    this.physBase = pb & MASK64;
    this.kernelImageSize = info.number("KERNEL_IMAGE_SIZE") ?? 1n << 30n;
    this.fiveLevel = info.number("pgtable_l5_enabled") === 1n;
    this.entryMask = PHYS_MASK & ~(info.number("sme_mask") ?? 0n);
    const top =
      info.symbol("init_top_pgt") ?? info.symbol("init_level4_pgt") ?? info.symbol("swapper_pg_dir");
    if (top === undefined)
      throw new TranslationError(
        0n,
        "VMCOREINFO names no top-level page table (init_top_pgt / swapper_pg_dir)",
      );
    this.pgd = this.textToPhys(top) ?? 0n;
  }

  /** The linear kernel-text mapping, or undefined outside it. */
  textToPhys(va: bigint): bigint | undefined {
    if (va >= START_KERNEL_MAP && va < START_KERNEL_MAP + this.kernelImageSize)
      return (va - START_KERNEL_MAP + this.physBase) & MASK64;
    return undefined;
  }

  translate(va: bigint): bigint {
    const text = this.textToPhys(va);
    if (text !== undefined) return text;
    const vpage = Number(va >> 12n);
    const hit = this.tlb.get(vpage);
    if (hit !== undefined) return BigInt(hit) * 4096n + (va & 0xfffn);
    const pa = this.walk(va);
    this.tlb.set(vpage, Number(pa >> 12n));
    return pa;
  }

  private entry(table: bigint, index: bigint, va: bigint, level: string): bigint {
    let b: Uint8Array;
    try {
      b = this.memory.read(table + index * 8n, 8);
    } catch (e) {
      if (e instanceof MemoryError)
        throw new TranslationError(
          va,
          `its ${level} page table at physical 0x${table.toString(16)} is not readable (${e.message})`,
        );
      throw e;
    }
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  private walk(va: bigint): bigint {
    const canonical = this.fiveLevel ? 56n : 47n;
    const top = va >> canonical;
    if (top !== 0n && top !== MASK64 >> canonical) throw new TranslationError(va, "not a canonical address");
    let table = this.pgd;
    if (this.fiveLevel) {
      const p4d = this.entry(table, (va >> 48n) & 511n, va, "PGD");
      if (!(p4d & PRESENT)) throw new TranslationError(va, "not mapped (PGD entry not present)");
      table = p4d & this.entryMask;
    }
    const pgd = this.entry(table, (va >> 39n) & 511n, va, this.fiveLevel ? "P4D" : "PGD");
    if (!(pgd & PRESENT)) throw new TranslationError(va, "not mapped (PGD entry not present)");
    const pud = this.entry(pgd & this.entryMask, (va >> 30n) & 511n, va, "PUD");
    if (!(pud & PRESENT)) throw new TranslationError(va, "not mapped (PUD entry not present)");
    if (pud & PSE) return (pud & this.entryMask & ~0x3fffffffn) | (va & 0x3fffffffn);
    const pmd = this.entry(pud & this.entryMask, (va >> 21n) & 511n, va, "PMD");
    if (!(pmd & PRESENT)) throw new TranslationError(va, "not mapped (PMD entry not present)");
    if (pmd & PSE) return (pmd & this.entryMask & ~0x1fffffn) | (va & 0x1fffffn);
    const pte = this.entry(pmd & this.entryMask, (va >> 12n) & 511n, va, "PTE");
    if (!(pte & PRESENT)) throw new TranslationError(va, "not mapped (PTE not present)");
    return (pte & this.entryMask) | (va & 0xfffn);
  }

  /**
   * `length` bytes of kernel virtual memory, translated page by page; pages that follow each other in
   * physical memory too (a huge page, the direct map, most of vmemmap) are read in one go.
   */
  read(va: bigint, length: number): Uint8Array {
    const first = PAGE - Number(va & 0xfffn);
    if (length <= first) return this.memory.read(this.translate(va), length);
    const runs: [pa: bigint, at: number, n: number][] = [];
    for (let done = 0; done < length; ) {
      const at = va + BigInt(done);
      const n = Math.min(length - done, PAGE - Number(at & 0xfffn));
      const pa = this.translate(at);
      const last = runs[runs.length - 1];
      if (last && last[0] + BigInt(last[2]) === pa) last[2] += n;
      else runs.push([pa, done, n]);
      done += n;
    }
    if (runs.length === 1) return this.memory.read(runs[0]![0], length);
    const out = new Uint8Array(length);
    for (const [pa, at, n] of runs) out.set(this.memory.read(pa, n), at);
    return out;
  }
}
