/** Per-CPU variables (drgn's per_cpu_ptr, per_cpu), and percpu_counter sums. */
import type { Kernel } from "../kernel.ts";
import type { KernelObject } from "../types/object.ts";
import { cpuIds } from "./cpumask.ts";

/**
 * A per-CPU address: the variable's plus that CPU's __per_cpu_offset, in 64-bit arithmetic. Per-CPU
 * symbols are offsets from 0 on x86_64 up to 6.1 at least; on Debian's 7.2 they are kernel addresses in
 * .data..percpu and the offsets are negative: the sum wraps, as it does in the kernel.
 */
export function perCpuPtr(kernel: Kernel, address: bigint, cpu: number): bigint {
  const base = kernel.readU64(kernel.symbol("__per_cpu_offset") + BigInt(cpu) * 8n);
  return BigInt.asUintN(64, address + base);
}

/** A per-CPU variable's address on one CPU. */
export function perCpu(kernel: Kernel, symbol: string, cpu: number): bigint {
  return perCpuPtr(kernel, kernel.symbol(symbol), cpu);
}

/**
 * A struct percpu_counter's value as percpu_counter_sum_positive computes it: the shared count plus every
 * possible CPU's delta, never below 0.
 */
export function percpuCounterSum(fbc: KernelObject): bigint {
  const kernel = fbc.kernel;
  let v = fbc.member("count").value();
  const counters = fbc.member("counters").value();
  for (const cpu of cpuIds(kernel)) v += BigInt(kernel.readU32(perCpuPtr(kernel, counters, cpu)) | 0);
  return v < 0n ? 0n : v;
}
