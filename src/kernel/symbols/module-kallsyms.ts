/**
 * Each loaded module's own symbol table, from its memory (module->kallsyms: an Elf64_Sym array, its string
 * table, and a type letter per symbol) — what crash reports as "[CONFIG_KALLSYMS]".
 */
import { cstring } from "../../util/bytes.ts";
import type { Kernel } from "../kernel.ts";
import type { Btf } from "../types/btf.ts";
import type { Symbol as KernelSymbol, SymbolTable } from "./symbol-table.ts";

const MAX_MODULE_SYMS = 1 << 20;

export function readModuleSymbols(kernel: Kernel, btf: Btf, core: SymbolTable): KernelSymbol[] {
  const modules = core.lookup("modules")?.address;
  if (modules === undefined) return [];
  const off = (s: string, m: string) => BigInt(btf.offsetof(s, m));
  const listOff = off("module", "list");
  const nameOff = off("module", "name");
  const kallsymsOff = off("module", "kallsyms");
  const out: KernelSymbol[] = [];
  let node = kernel.readU64(modules);
  for (let n = 0; node !== modules && n < 65536; n++) {
    const mod = node - listOff;
    const name = kernel.readCString(mod + nameOff, 56);
    const ks = kernel.readU64(mod + kallsymsOff);
    if (ks) {
      const symtab = kernel.readU64(ks + off("mod_kallsyms", "symtab"));
      const num = Math.min(kernel.readU32(ks + off("mod_kallsyms", "num_symtab")), MAX_MODULE_SYMS);
      const strtab = kernel.readU64(ks + off("mod_kallsyms", "strtab"));
      const typetab = kernel.readU64(ks + off("mod_kallsyms", "typetab"));
      const syms = kernel.read(symtab, num * 24);
      const types = typetab ? kernel.read(typetab, num) : undefined;
      const dv = new DataView(syms.buffer, syms.byteOffset, syms.byteLength);
      // Names are read in one piece: the string table ends before the largest name offset plus a margin.
      let maxName = 0;
      for (let i = 0; i < num; i++) maxName = Math.max(maxName, dv.getUint32(i * 24, true));
      const strings = kernel.read(strtab, maxName + 256);
      for (let i = 1; i < num; i++) {
        const value = dv.getBigUint64(i * 24 + 8, true);
        const symName = cstring(strings, dv.getUint32(i * 24, true), 256);
        if (!symName || value === 0n) continue;
        out.push({
          name: symName,
          address: value,
          type: types ? String.fromCharCode(types[i]) : "t",
          module: name,
        });
      }
    }
    node = kernel.readU64(node);
  }
  return out;
}
