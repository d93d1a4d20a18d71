/** The kernel's BTF, read from its own image: the bytes between __start_BTF and __stop_BTF. */
import type { ByteSource } from "../../dump/byte-source.ts";
import { FormatError, KdxError } from "../../util/errors.ts";
import { elfSections, readSection } from "../elf-sections.ts";
import type { Kernel } from "../kernel.ts";
import type { SymbolTable } from "../symbols/symbol-table.ts";
import { Btf } from "./btf.ts";

const MAX_BTF = 64 << 20;

export function readKernelBtf(kernel: Kernel, symbols: SymbolTable): Btf {
  const start = symbols.lookup("__start_BTF")?.address;
  const stop = symbols.lookup("__stop_BTF")?.address;
  if (start === undefined || stop === undefined)
    throw new KdxError(
      "the kernel's symbols have no __start_BTF/__stop_BTF: it was built without CONFIG_DEBUG_INFO_BTF; give its types with --btf FILE (a vmlinux with a .BTF section, or a copy of /sys/kernel/btf/vmlinux)",
    );
  const size = Number(stop - start);
  if (size <= 0 || size > MAX_BTF)
    throw new KdxError(`__start_BTF..__stop_BTF spans ${size} bytes: not a BTF section`);
  return new Btf(kernel.read(start, size), "the kernel's .BTF in the dump");
}

/** BTF from a file: raw (a copy of /sys/kernel/btf/vmlinux) or an ELF vmlinux's .BTF section. */
export function btfFromFile(src: ByteSource): Btf {
  const head = src.read(0, 4);
  if (head[0] === 0x9f && head[1] === 0xeb)
    return new Btf(src.read(0, Math.min(src.size, MAX_BTF)), src.name);
  if (head[0] === 0x7f && head[1] === 0x45) {
    const sec = elfSections(src).find((s) => s.name === ".BTF");
    if (!sec)
      throw new FormatError(
        src.name,
        "this ELF file has no .BTF section (built without CONFIG_DEBUG_INFO_BTF?)",
      );
    return new Btf(readSection(src, sec), `${src.name} (.BTF)`);
  }
  throw new FormatError(
    src.name,
    "neither raw BTF (magic 0xeb9f, as /sys/kernel/btf/vmlinux) nor an ELF file with a .BTF section",
    0,
  );
}

/**
 * Each module's split BTF, on top of the kernel's. The module's .BTF section is freed once loaded; the kernel
 * keeps its parsed copy on btf_modules (struct btf_module → struct btf: data, data_size, name).
 */
export function readModuleBtfs(kernel: Kernel, base: Btf, symbols: SymbolTable): Btf[] {
  const head = symbols.lookup("btf_modules")?.address;
  if (head === undefined || !base.find("btf_module", "struct")) return [];
  const off = (s: string, m: string) => BigInt(base.offsetof(s, m));
  const btfOff = off("btf_module", "btf");
  const out: Btf[] = [];
  let node = kernel.readU64(head);
  for (let n = 0; node !== head && n < 65536; n++) {
    const btf = kernel.readU64(node + btfOff);
    if (btf) {
      const data = kernel.readU64(btf + off("btf", "data"));
      const size = kernel.readU32(btf + off("btf", "data_size"));
      const name = kernel.readCString(btf + off("btf", "name"), 56);
      if (data && size > 24 && size < MAX_BTF)
        out.push(new Btf(kernel.read(data, size), `the BTF of module ${name}`, base));
    }
    node = kernel.readU64(node);
  }
  return out;
}
