/** The kernel's BTF, read from its own image: the bytes between __start_BTF and __stop_BTF. */
import { KdxError } from "../../util/errors.ts";
import type { Kernel } from "../kernel.ts";
import type { SymbolTable } from "../symbols/symbol-table.ts";
import { Btf } from "./btf.ts";

const MAX_BTF = 64 << 20;

export function readKernelBtf(kernel: Kernel, symbols: SymbolTable): Btf {
  const start = symbols.lookup("__start_BTF")?.address;
  const stop = symbols.lookup("__stop_BTF")?.address;
  if (start === undefined || stop === undefined)
    throw new KdxError(
      "the kernel's symbols have no __start_BTF/__stop_BTF: it was built without CONFIG_DEBUG_INFO_BTF, and kdx takes its types from BTF (reading DWARF from a debug vmlinux is not supported yet)",
    );
  const size = Number(stop - start);
  if (size <= 0 || size > MAX_BTF)
    throw new KdxError(`__start_BTF..__stop_BTF spans ${size} bytes: not a BTF section`);
  return new Btf(kernel.read(start, size), "the kernel's .BTF in the dump");
}
