/** IDRs (include/linux/idr.h), as drgn's idr_for_each and idr_find: an XArray, indices from idr_base. */
import type { Kernel } from "../kernel.ts";
import { xaForEach } from "./xarray.ts";

/** Every allocated ID of the struct idr at `idr`, with its pointer: [id, pointer], in ID order. */
export function* idrForEach(kernel: Kernel, idr: bigint): Generator<[bigint, bigint]> {
  const btf = kernel.btf;
  const base = btf.has("idr", "idr_base")
    ? BigInt(kernel.readU32(idr + BigInt(btf.offsetof("idr", "idr_base"))))
    : 0n;
  for (const [i, e] of xaForEach(kernel, idr + BigInt(btf.offsetof("idr", "idr_rt")))) yield [i + base, e];
}

/** The pointer ID `id` names, or 0 (idr_find). */
export function idrFind(kernel: Kernel, idr: bigint, id: bigint): bigint {
  for (const [i, e] of idrForEach(kernel, idr)) {
    if (i === id) return e;
    if (i > id) break;
  }
  return 0n;
}
