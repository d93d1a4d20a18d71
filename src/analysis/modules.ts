/** Loaded kernel modules, from the `modules` list: name, struct address, load base and size. */

import { listForEachEntry } from "../kernel/helpers/list.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { kobject } from "../kernel/types/object.ts";

export interface ModuleInfo {
  module: bigint;
  name: string;
  base: bigint;
  size: number;
}

export function listModules(kernel: Kernel): ModuleInfo[] {
  const head = kobject(kernel, "struct list_head", kernel.symbol("modules"));
  // Up to 6.3 one core layout; since 6.4 mem[MOD_TEXT .. MOD_RO_AFTER_INIT], the text region first.
  const coreLayout = kernel.btf.has("module", "core_layout");
  const out: ModuleInfo[] = [];
  for (const m of listForEachEntry(head, "struct module", "list")) {
    let base: bigint;
    let size = 0;
    if (coreLayout) {
      base = m.member("core_layout.base").value();
      size = Number(m.member("core_layout.size").value());
    } else {
      const mem = m.member("mem");
      base = mem.index(0).member("base").value();
      for (let i = 0; i < 4; i++) size += Number(mem.index(i).member("size").value());
    }
    out.push({ module: m.address, name: m.member("name").string(56), base, size });
  }
  return out.sort((a, b) => (a.module < b.module ? -1 : 1));
}
