/** CPU masks and bitmaps (drgn's for_each_cpu, cpumask_weight, for_each_set_bit). */
import type { Kernel } from "../kernel.ts";

/** A bound on CPU numbers against a damaged nr_cpu_ids (the kernel's NR_CPUS maximum). */
const MAX_CPUS = 8192;

/** nr_cpu_ids: how many CPU numbers this kernel can use. */
export function nrCpuIds(kernel: Kernel): number {
  return Math.min(kernel.readU32(kernel.symbol("nr_cpu_ids")), MAX_CPUS);
}

/** The bits set in a bitmap of `nbits` at `address`, lowest first (for_each_set_bit). */
export function* forEachSetBit(kernel: Kernel, address: bigint, nbits: number): Generator<number> {
  const bytes = kernel.read(address, Math.ceil(nbits / 8));
  for (let i = 0; i < nbits; i++) if (bytes[i >> 3] & (1 << (i & 7))) yield i;
}

/** How many bits are set (bitmap_weight). */
export function bitmapWeight(kernel: Kernel, address: bigint, nbits: number): number {
  let n = 0;
  for (const _ of forEachSetBit(kernel, address, nbits)) n++;
  return n;
}

/** The CPUs in a cpumask symbol (__cpu_online_mask, __cpu_present_mask, __cpu_possible_mask). */
export function cpumask(kernel: Kernel, symbol: string): number[] {
  return [...forEachSetBit(kernel, kernel.symbol(symbol), nrCpuIds(kernel))];
}

/** Every CPU number below nr_cpu_ids, each with a per-CPU area: how crash walks the runqueues and counters. */
export function cpuIds(kernel: Kernel): number[] {
  return Array.from({ length: nrCpuIds(kernel) }, (_, i) => i);
}
