/**
 * A kernel global's type, for p/px/pd. BTF types per-CPU variables (and, on kernels built with
 * CONFIG_DEBUG_INFO_BTF for all variables, every global); for the rest kdx keeps a table of the globals
 * crash users print, with their C types from include/linux (test/kernel/globals.test.ts holds each to the
 * dump: the type exists in the kernel's BTF and fits the symbol's extent); else the symbol's extent says
 * how many bytes there are (1, 2 or 4 of them read as an unsigned integer), never more.
 */
import type { Kernel } from "../kernel/kernel.ts";
import type { Btf } from "../kernel/types/btf.ts";

export const KNOWN_GLOBALS: Record<string, string> = {
  jiffies: "unsigned long",
  jiffies_64: "u64",
  nr_cpu_ids: "unsigned int",
  nr_node_ids: "unsigned int",
  max_pfn: "unsigned long",
  max_low_pfn: "unsigned long",
  min_low_pfn: "unsigned long",
  totalreserve_pages: "unsigned long",
  tainted_mask: "unsigned long",
  page_offset_base: "unsigned long",
  vmalloc_base: "unsigned long",
  vmemmap_base: "unsigned long",
  phys_base: "unsigned long",
  pid_max: "int",
  nr_threads: "int",
  oops_in_progress: "int",
  panic_timeout: "int",
  panic_cpu: "atomic_t",
  system_state: "enum system_states",
  init_task: "struct task_struct",
  init_mm: "struct mm_struct",
  init_uts_ns: "struct uts_namespace",
  init_pid_ns: "struct pid_namespace",
  modules: "struct list_head",
  super_blocks: "struct list_head",
  vm_committed_as: "struct percpu_counter",
  _totalram_pages: "atomic_long_t",
};

export interface GlobalType {
  btf: Btf;
  typeId: number;
  /** Which source typed it. */
  from: "btf" | "table" | "symbol size";
  perCpu: boolean;
}

/** How GCC (and so BTF) names the C integer types. */
const GCC_NAMES: Record<string, string> = {
  "unsigned long": "long unsigned int",
  "unsigned short": "short unsigned int",
  "unsigned long long": "long long unsigned int",
  long: "long int",
  short: "short int",
  "long long": "long long int",
};

/** A BTF type by its C spelling: "unsigned long", "u64", "struct task_struct", "enum system_states". */
export function typeNamed(kernel: Kernel, c: string): { btf: Btf; id: number } | undefined {
  const spelled = GCC_NAMES[c] ?? c;
  const m = /^(struct|union|enum)\s+(\S+)$/.exec(spelled);
  const hit = m
    ? kernel.findType(m[2], [m[1] as "struct" | "union" | "enum"])
    : kernel.findType(spelled, ["typedef", "int"]);
  return hit ? { btf: hit.btf, id: hit.type.id } : undefined;
}

/** The widest unsigned integer an extent of 1 to 7 bytes holds. */
const SIZED = [
  "",
  "unsigned char",
  "unsigned short",
  "unsigned short",
  "unsigned int",
  "unsigned int",
  "unsigned int",
  "unsigned int",
];

export function globalType(kernel: Kernel, name: string): GlobalType | undefined {
  const btf = kernel.btf;
  const v = btf.find(name, "var");
  const sym = kernel.symbols.lookup(name);
  if (v) return { btf, typeId: v.type ?? 0, from: "btf", perCpu: sym?.type.toUpperCase() === "A" };
  const known = KNOWN_GLOBALS[name];
  const t = known ? typeNamed(kernel, known) : undefined;
  if (t) return { btf: t.btf, typeId: t.id, from: "table", perCpu: false };
  const extent = kernel.symbols.extent(name);
  const spelled = extent !== undefined && extent < 8 ? SIZED[extent] : "unsigned long";
  const s = spelled ? typeNamed(kernel, spelled) : undefined;
  return s ? { btf: s.btf, typeId: s.id, from: "symbol size", perCpu: false } : undefined;
}
