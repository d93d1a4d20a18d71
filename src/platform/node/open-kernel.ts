/** Opening dump files for the commands: magic sniffing, the Node byte source and codecs, warnings. */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { openDump } from "../../dump/open-dump.ts";
import type { Dump } from "../../dump/physical-memory.ts";
import { dumpFormat, isElfCore } from "../../dump/sniff.ts";
import { elfSymbols } from "../../kernel/elf-sections.ts";
import { Kernel } from "../../kernel/kernel.ts";
import { parseNmText, SymbolTable } from "../../kernel/symbols/symbol-table.ts";
import { btfFromFile } from "../../kernel/types/find-btf.ts";
import { FormatError } from "../../util/errors.ts";
import { nodeCodecs } from "./codecs.ts";
import { describeFsError, FileSource } from "./file-source.ts";

/** True when the file starts like a dump (ELF core, kdump-compressed, flattened). Never throws. */
export function looksLikeDump(path: string): boolean {
  if (path === "-") return false;
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    const h = head.subarray(0, n);
    const format = dumpFormat(h);
    return format === "elf" ? isElfCore(h) : format !== undefined;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function openDumpFile(path: string): Dump {
  const src = new FileSource(path);
  try {
    return openDump(src, nodeCodecs);
  } catch (e) {
    src.close();
    throw e;
  }
}

/** Warnings about the dump itself (truncation, damage) go to stderr, once, prefixed by the command. */
export function reportWarnings(
  cmd: string,
  warnings: string[],
  err: NodeJS.WritableStream = process.stderr,
): void {
  for (const w of warnings) err.write(`kdx ${cmd}: warning: ${w}\n`);
}

export interface KernelOptions {
  /** A System.map, a copy of /proc/kallsyms, or a vmlinux (its .symtab) instead of the kallsyms in the dump. */
  systemMap?: string;
  /** The kernel's BTF as a file (raw, or a vmlinux's .BTF) instead of the .BTF in the dump. */
  btf?: string;
}

export function isElfFile(path: string): boolean {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    return dumpFormat(b) === "elf";
  } finally {
    closeSync(fd);
  }
}

function symbolsFromFile(path: string): SymbolTable {
  let elf: boolean;
  try {
    elf = isElfFile(path);
  } catch (e) {
    throw new FormatError(path, describeFsError(e));
  }
  if (elf) {
    const src = new FileSource(path);
    try {
      return new SymbolTable(elfSymbols(src), `${path} (.symtab)`);
    } finally {
      src.close();
    }
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new FormatError(path, describeFsError(e));
  }
  try {
    return parseNmText(text, path);
  } catch (e) {
    throw new FormatError(path, (e as Error).message);
  }
}

/** A vmlinux given with the dump: its line tables for `bt -l`, and how far the dump's kernel moved from its link addresses. */
export interface VmlinuxFile {
  path: string;
  delta: bigint;
}

export function openKernel(
  path: string,
  cmd: string,
  opts: KernelOptions = {},
): { dump: Dump; kernel: Kernel; vmlinux?: VmlinuxFile } {
  const dump = openDumpFile(path);
  reportWarnings(cmd, dump.info.warnings);
  try {
    const kernel = new Kernel(dump);
    let vmlinux: VmlinuxFile | undefined;
    if (opts.systemMap) {
      const table = symbolsFromFile(opts.systemMap);
      const moved = matchToDump(table, kernel, opts.systemMap);
      kernel.useSymbols(moved);
      const link = table.lookup("_stext")?.address;
      const run = moved.lookup("_stext")?.address;
      if (isElfFile(opts.systemMap) && link !== undefined && run !== undefined)
        vmlinux = { path: opts.systemMap, delta: run - link };
    }
    if (opts.btf) {
      const src = new FileSource(opts.btf);
      try {
        kernel.useBtf(btfFromFile(src));
      } finally {
        src.close();
      }
    }
    return { dump, kernel, vmlinux };
  } catch (e) {
    dump.close();
    throw e;
  }
}

/**
 * Move a symbol table to where the dump's kernel was loaded (a System.map by the KASLR offset; a
 * /proc/kallsyms copy not at all), and refuse one from another build: VMCOREINFO's own symbol addresses
 * are the check.
 */
function matchToDump(table: SymbolTable, kernel: Kernel, file: string): SymbolTable {
  const vi = kernel.vmcoreinfo;
  const stext = vi.symbol("_stext");
  const mapStext = table.lookup("_stext")?.address;
  const delta = stext !== undefined && mapStext !== undefined ? stext - mapStext : vi.kernelOffset;
  const moved = table.relocated(delta);
  const checks = ["init_uts_ns", "swapper_pg_dir", "prb"].filter((n) => vi.symbol(n) !== undefined);
  if (checks.length && !checks.some((n) => moved.lookup(n)))
    throw new FormatError(file, `has none of ${checks.join(", ")}: not a symbol table of this kernel`);
  for (const name of checks) {
    const want = vi.symbol(name);
    const got = moved.lookup(name)?.address;
    if (want !== undefined && got !== undefined && want !== got)
      throw new FormatError(
        file,
        `does not match the kernel in the dump: ${name} is at 0x${got.toString(16)} by it, at 0x${want.toString(16)} by the dump's VMCOREINFO (another build of ${kernel.release ?? "the kernel"}?)`,
      );
  }
  return moved;
}
