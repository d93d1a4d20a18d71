/**
 * crash's `kmem -i`: the kernel's own counters (totalram, vm_zone_stat / vm_node_stat by their BTF enum
 * names, hugetlb, swap, overcommit), and the one figure crash counts itself — SHARED, pages mapped more than
 * once (page refcount > 1, not reserved), from the struct pages in vmemmap.
 */

import { listForEachEntry } from "../kernel/helpers/list.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { kobject } from "../kernel/types/object.ts";
import { KdxError } from "../util/errors.ts";

export interface MemInfo {
  totalPages: number;
  freePages: number;
  /** Counted only when asked (crash 9's `kmem -i=shared`): it walks every struct page. */
  sharedPages?: number;
  bufferPages: number;
  cachedPages: number;
  slabPages: number;
  hugeTotal: number;
  hugeFree: number;
  swapTotal: number;
  swapFree: number;
  commitLimit: number;
  committed: number;
}

const i64 = (v: bigint) => Number(BigInt.asIntN(64, v));

function stat(kernel: Kernel, array: string, enumName: string, item: string): number {
  const e = kernel.btf.find(enumName, "enum")?.enumerators?.find((x) => x.name === item);
  if (!e) return 0;
  return i64(kernel.readU64(kernel.symbol(array) + e.value * 8n));
}

/** Pages with more than one reference that are not reserved, as crash's kmem -i counts SHARED. */
export function sharedPages(kernel: Kernel): number {
  const btf = kernel.btf;
  const vi = kernel.vmcoreinfo;
  const pageSize = BigInt(vi.size("page") ?? btf.find("page", "struct")!.size!);
  const refOff = vi.offset("page._refcount") ?? btf.offsetof("page", "_refcount");
  const reserved = btf.find("pageflags", "enum")?.enumerators?.find((e) => e.name === "PG_reserved")?.value;
  if (reserved === undefined) throw new KdxError("BTF has no PG_reserved in enum pageflags");
  const vmemmap = kernel.readU64(kernel.symbol("vmemmap_base"));
  const maxPfn = Number(kernel.readU64(kernel.symbol("max_pfn")));
  const CHUNK = 64;
  let shared = 0;
  for (let pfn = 0; pfn < maxPfn; pfn += CHUNK) {
    const n = Math.min(CHUNK, maxPfn - pfn);
    let buf: Uint8Array;
    try {
      buf = kernel.read(vmemmap + BigInt(pfn) * pageSize, n * Number(pageSize));
    } catch (e) {
      if (e instanceof KdxError) continue; // a hole in memory has no struct pages
      throw e;
    }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < n; i++) {
      const at = i * Number(pageSize);
      if (dv.getInt32(at + refOff, true) > 1 && !((dv.getBigUint64(at, true) >> reserved) & 1n)) shared++;
    }
  }
  return shared;
}

/** Pages cached for block devices (crash's BUFFERS): every bdev inode's page count. */
function bufferPages(kernel: Kernel): number {
  const sbSym = kernel.symbols.lookup("blockdev_superblock");
  if (!sbSym) return 0;
  const sb = kernel.readU64(sbSym.address);
  if (!sb) return 0;
  const inodes = kobject(kernel, "struct super_block", sb).member("s_inodes");
  let pages = 0;
  for (const inode of listForEachEntry(inodes, "struct inode", "i_sb_list")) {
    const mapping = inode.member("i_mapping");
    if (mapping.value()) pages += Number(mapping.deref().member("nrpages").value());
  }
  return pages;
}

function hugePages(kernel: Kernel): { total: number; free: number } {
  const max = kernel.symbols.lookup("hugetlb_max_hstate");
  if (!max) return { total: 0, free: 0 };
  const n = kernel.readU32(max.address);
  let total = 0;
  let free = 0;
  for (let i = 0; i < Math.min(n, 8); i++) {
    const h = kobject(kernel, "struct hstate", kernel.symbol("hstates")).element(i);
    const order = Number(h.member("order").value());
    total += Number(h.member("nr_huge_pages").value()) << order;
    free += Number(h.member("free_huge_pages").value()) << order;
  }
  return { total, free };
}

export function memInfo(kernel: Kernel, opts: { shared?: boolean } = {}): MemInfo {
  const totalPages = Number(kernel.readU64(kernel.symbol("_totalram_pages")));
  const freePages = stat(kernel, "vm_zone_stat", "zone_stat_item", "NR_FREE_PAGES");
  const buffers = bufferPages(kernel);
  const filePages = stat(kernel, "vm_node_stat", "node_stat_item", "NR_FILE_PAGES");
  const swapCache = stat(kernel, "vm_node_stat", "node_stat_item", "NR_SWAPCACHE");
  const slab =
    stat(kernel, "vm_node_stat", "node_stat_item", "NR_SLAB_RECLAIMABLE_B") +
    stat(kernel, "vm_node_stat", "node_stat_item", "NR_SLAB_UNRECLAIMABLE_B");
  const huge = hugePages(kernel);
  const swapTotal = Number(kernel.readU64(kernel.symbol("total_swap_pages")));
  const swapFree = i64(kernel.readU64(kernel.symbol("nr_swap_pages")));
  const ratio = kernel.readU32(kernel.symbol("sysctl_overcommit_ratio"));
  const kbytes = kernel.symbols.lookup("sysctl_overcommit_kbytes");
  const overKb = kbytes ? Number(kernel.readU64(kbytes.address)) : 0;
  const commitLimit =
    (overKb ? overKb / 4 : Math.floor(((totalPages - huge.total) * ratio) / 100)) + swapTotal;
  // crash takes the shared count alone, not percpu_counter_sum.
  const vca = kobject(kernel, "struct percpu_counter", kernel.symbol("vm_committed_as"))
    .member("count")
    .value();
  return {
    totalPages,
    freePages,
    sharedPages: opts.shared ? sharedPages(kernel) : undefined,
    bufferPages: buffers,
    cachedPages: filePages - swapCache - buffers,
    slabPages: slab,
    hugeTotal: huge.total,
    hugeFree: huge.free,
    swapTotal,
    swapFree,
    commitLimit,
    committed: Math.max(0, Number(vca)),
  };
}
