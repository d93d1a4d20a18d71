/** Loaded kernel modules, from the `modules` list: name, struct address, load base and size. */

import { listEntries } from "../kernel/helpers/list.ts";
import type { Kernel } from "../kernel/kernel.ts";

export interface ModuleInfo {
  module: bigint;
  name: string;
  base: bigint;
  size: number;
}

export function listModules(kernel: Kernel): ModuleInfo[] {
  const btf = kernel.btf;
  const mod = btf.find("module", "struct")!;
  const has = (m: string) => mod.members!.some((x) => x.name === m);
  const listOff = btf.offsetof("module", "list");
  const nameOff = BigInt(btf.offsetof("module", "name"));
  const out: ModuleInfo[] = [];
  for (const m of listEntries(kernel, kernel.symbol("modules"), listOff)) {
    let base: bigint;
    let size = 0;
    if (has("core_layout")) {
      // Up to 6.3: one core layout.
      base = kernel.readU64(m + BigInt(btf.offsetof("module", "core_layout.base")));
      size = kernel.readU32(m + BigInt(btf.offsetof("module", "core_layout.size")));
    } else {
      // 6.4 and later: mem[MOD_TEXT .. MOD_RO_AFTER_INIT], the text region first.
      const memOff = BigInt(btf.offsetof("module", "mem"));
      const region = btf.find("module_memory", "struct")!.size!;
      const baseOff = BigInt(btf.offsetof("module_memory", "base"));
      const sizeOff = BigInt(btf.offsetof("module_memory", "size"));
      base = kernel.readU64(m + memOff + baseOff);
      for (let i = 0; i < 4; i++) size += kernel.readU32(m + memOff + BigInt(i * region) + sizeOff);
    }
    out.push({ module: m, name: kernel.readCString(m + nameOff, 56), base, size });
  }
  return out.sort((a, b) => (a.module < b.module ? -1 : 1));
}
