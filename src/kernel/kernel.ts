/**
 * The dead kernel as the analyses see it: its architecture, VMCOREINFO, and its virtual memory read
 * through its own page tables. Symbols and types join here as they arrive.
 */
import type { Dump } from "../dump/physical-memory.ts";
import { cstring, latin1 } from "../util/bytes.ts";
import { KdxError, MissingSymbolError } from "../util/errors.ts";
import type { AddressSpace, Architecture } from "./arch/architecture.ts";
import { architectureOf } from "./arch/index.ts";
import { kallsymsFromVmcoreinfo, readKallsyms } from "./symbols/kallsyms.ts";
import { searchKallsyms } from "./symbols/kallsyms-search.ts";
import { readModuleSymbols } from "./symbols/module-kallsyms.ts";
import type { SymbolTable } from "./symbols/symbol-table.ts";
import type { Btf, BtfKind, BtfType } from "./types/btf.ts";
import { readKernelBtf, readModuleBtfs } from "./types/find-btf.ts";
import { VmcoreInfo } from "./vmcoreinfo.ts";

export class Kernel {
  readonly vmcoreinfo: VmcoreInfo;
  readonly arch: Architecture;
  readonly mm: AddressSpace;
  /** What the analyses read once per kernel (unwind tables, the CPUs' registers), by name. */
  private readonly memos = new Map<string, unknown>();
  private coreTable: SymbolTable | undefined;
  private symbolTable: SymbolTable | undefined;
  /** What could be read only in part (module symbols, …), for the commands to report. */
  readonly warnings: string[] = [];
  private btfTypes: Btf | undefined;
  private moduleTypes: Btf[] | undefined;

  constructor(readonly dump: Dump) {
    if (!dump.vmcoreinfo)
      throw new KdxError(
        `${dump.info.file}: the dump has no VMCOREINFO (no note, no kdump header copy): the kernel in it cannot be located${
          dump.info.incomplete ? " (the dump is truncated: its notes may be what was lost)" : ""
        }`,
      );
    this.vmcoreinfo = new VmcoreInfo(dump.vmcoreinfo);
    this.arch = architectureOf(dump, this.vmcoreinfo);
    this.mm = this.arch.addressSpace(dump.memory, this.vmcoreinfo, dump);
  }

  /** `make()`'s value, made once for this kernel under `key`. */
  memo<T>(key: string, make: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, make());
    return this.memos.get(key) as T;
  }

  /** The core kernel's symbols: kallsyms from its memory unless a table was given (System.map). */
  get coreSymbols(): SymbolTable {
    if (!this.coreTable) {
      let loc = kallsymsFromVmcoreinfo(this);
      if (!loc) {
        // Older kernels do not name kallsyms in VMCOREINFO: look for its tables in the image.
        try {
          loc = searchKallsyms(this);
        } catch (e) {
          if (!(e instanceof KdxError)) throw e;
          throw new KdxError(
            `the dump's VMCOREINFO does not locate the kernel's kallsyms tables, and ${e.message.replace(/^kallsyms was not found/, "they were not found")}: give the kernel's symbols with --system-map FILE`,
          );
        }
      }
      this.coreTable = readKallsyms(this, loc);
    }
    return this.coreTable;
  }

  /** Every symbol: the core kernel's, and each loaded module's from its own kallsyms in memory. */
  get symbols(): SymbolTable {
    if (!this.symbolTable) {
      const core = this.coreSymbols;
      let modules: ReturnType<typeof readModuleSymbols> = [];
      try {
        modules = readModuleSymbols(this, this.btf, core);
      } catch (e) {
        // Module symbols are a bonus: a damaged module list must not take the kernel's own symbols with it.
        if (!(e instanceof KdxError)) throw e;
        this.warnings.push(`module symbols unreadable: ${e.message}`);
      }
      this.symbolTable = modules.length ? core.with(modules) : core;
    }
    return this.symbolTable;
  }

  useSymbols(table: SymbolTable): void {
    this.coreTable = table;
    this.symbolTable = undefined;
  }

  /** Each loaded module's own BTF (split on the kernel's), where the module carries it. */
  get moduleBtfs(): Btf[] {
    if (!this.moduleTypes) {
      this.moduleTypes = [];
      try {
        this.moduleTypes = readModuleBtfs(this, this.btf, this.coreSymbols);
      } catch (e) {
        if (!(e instanceof KdxError)) throw e;
        this.warnings.push(`module BTF unreadable: ${e.message}`);
      }
    }
    return this.moduleTypes;
  }

  /** A named type from the kernel's BTF, else from a module's: with the BTF it belongs to. */
  findType(name: string, kinds: BtfKind[]): { btf: Btf; type: BtfType } | undefined {
    const inBtf = (btf: Btf) => {
      for (const kind of kinds) {
        const type = btf.find(name, kind);
        if (type && type.kind !== "fwd") return { btf, type };
      }
      return undefined;
    };
    // Modules' BTF is read only for a type the kernel's own does not have.
    const hit = inBtf(this.btf);
    if (hit) return hit;
    for (const btf of this.moduleBtfs) {
      const found = inBtf(btf);
      if (found) return found;
    }
    return undefined;
  }

  useBtf(btf: Btf): void {
    this.btfTypes = btf;
  }

  /** The kernel's types, from the BTF in its own image (unless given). */
  get btf(): Btf {
    this.btfTypes ??= readKernelBtf(this, this.coreSymbols);
    return this.btfTypes;
  }

  /** Address of a kernel symbol, or an error naming it. */
  symbol(name: string): bigint {
    const s = this.symbols.lookup(name);
    if (!s) throw new MissingSymbolError(name, this.symbols.source);
    return s.address;
  }

  get release(): string | undefined {
    return this.vmcoreinfo.osrelease;
  }

  read(va: bigint, length: number): Uint8Array {
    return this.mm.read(va, length);
  }

  readU64(va: bigint): bigint {
    const b = this.mm.read(va, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  readU32(va: bigint): number {
    const b = this.mm.read(va, 4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }

  readCString(va: bigint, max = 4096): string {
    return cstring(this.mm.read(va, max));
  }

  readString(va: bigint, length: number): string {
    return latin1(this.mm.read(va, length));
  }
}
