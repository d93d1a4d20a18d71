/**
 * The kernel's own symbol table, decoded from its memory (kernel/kallsyms.c): names compressed with a
 * 256-entry token table, addresses as 32-bit offsets. Until kallsyms_relative_base went away (Debian's 7.2
 * has none) they count from it (with KALLSYMS_ABSOLUTE_PERCPU, non-negative offsets are absolute per-CPU
 * addresses, negative ones count down from the base); since, each is place-relative, as the kernel's
 * offset_to_ptr() reads it: the address of the entry plus its signed value. VMCOREINFO names the tables on
 * kernels that export them (upstream 6.x, and Debian's and RHEL's backports), so no vmlinux or System.map
 * is needed; whether it names kallsyms_relative_base tells the two layouts apart.
 */
import { KdxError } from "../../util/errors.ts";
import type { Kernel } from "../kernel.ts";
import { type Symbol as KernelSymbol, SymbolTable } from "./symbol-table.ts";

const MAX_SYMS = 4_000_000;
const CHUNK = 64 * 1024;

/** Where the kallsyms tables are in the dead kernel's memory. */
export interface KallsymsLocation {
  numSyms: bigint;
  names: bigint;
  tokenTable: bigint;
  tokenIndex: bigint;
  offsets: bigint;
  /** Absent on kernels whose offsets are place-relative (no kallsyms_relative_base). */
  relativeBase?: bigint;
  /** How they were found: "VMCOREINFO" or "searched". */
  how: string;
}

const NAMES = ["num_syms", "names", "token_table", "token_index", "offsets"] as const;

export function kallsymsFromVmcoreinfo(kernel: Kernel): KallsymsLocation | undefined {
  const vi = kernel.vmcoreinfo;
  const a = NAMES.map((n) => vi.symbol(`kallsyms_${n}`));
  if (a.some((x) => x === undefined)) return undefined;
  const [numSyms, names, tokenTable, tokenIndex, offsets] = a as bigint[];
  const relativeBase = vi.symbol("kallsyms_relative_base");
  return { numSyms, names, tokenTable, tokenIndex, offsets, relativeBase, how: "VMCOREINFO" };
}

export function hasKallsyms(kernel: Kernel): boolean {
  return kallsymsFromVmcoreinfo(kernel) !== undefined;
}

export function readKallsyms(
  kernel: Kernel,
  loc: KallsymsLocation | undefined = kallsymsFromVmcoreinfo(kernel),
): SymbolTable {
  if (!loc) throw new KdxError("VMCOREINFO does not locate the kallsyms tables");
  const at = (s: (typeof NAMES)[number]) =>
    ({
      num_syms: loc.numSyms,
      names: loc.names,
      token_table: loc.tokenTable,
      token_index: loc.tokenIndex,
      offsets: loc.offsets,
    })[s];
  const num = kernel.readU32(at("num_syms"));
  if (num === 0 || num > MAX_SYMS)
    throw new KdxError(`kallsyms_num_syms is ${num}: the kallsyms tables look damaged`);

  // 256 tokens: their offsets (u16) into the table of NUL-terminated strings.
  const indexBytes = kernel.read(at("token_index"), 512);
  const tableVa = at("token_table");
  const span = Number(at("token_index") - tableVa);
  const table = kernel.read(tableVa, span > 0 && span < 1 << 16 ? span : 8192);
  const tokens: string[] = [];
  for (let i = 0; i < 256; i++) {
    const off = indexBytes[2 * i] | (indexBytes[2 * i + 1] << 8);
    let end = off;
    while (end < table.length && table[end] !== 0) end++;
    tokens.push(String.fromCharCode(...table.subarray(off, end)));
  }

  const offsetsVa = at("offsets");
  const offsets = kernel.read(offsetsVa, num * 4);
  const odv = new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
  const base = loc.relativeBase === undefined ? undefined : kernel.readU64(loc.relativeBase);
  let absolutePercpu = false;
  if (base !== undefined)
    for (let i = 0; i < num && !absolutePercpu; i++) if (odv.getInt32(i * 4, true) < 0) absolutePercpu = true;

  // The names stream, read in chunks as it is decoded (its length is not recorded).
  const namesVa = at("names");
  let chunk: Uint8Array = new Uint8Array(0);
  let chunkAt = 0;
  let pos = 0;
  const byte = (): number => {
    if (pos >= chunkAt + chunk.length) {
      chunkAt = pos;
      chunk = kernel.read(namesVa + BigInt(pos), CHUNK);
    }
    return chunk[pos++ - chunkAt];
  };

  const syms: KernelSymbol[] = new Array(num);
  for (let i = 0; i < num; i++) {
    let len = byte();
    // Since 6.1, names over 127 bytes take a second length byte (ULEB128).
    if (len & 0x80) len = (len & 0x7f) | (byte() << 7);
    let name = "";
    for (let k = 0; k < len; k++) name += tokens[byte()];
    const off = odv.getInt32(i * 4, true);
    const address =
      base === undefined
        ? offsetsVa + BigInt(i * 4 + off)
        : absolutePercpu
          ? off >= 0
            ? BigInt(off)
            : base - 1n - BigInt(off)
          : base + BigInt(odv.getUint32(i * 4, true));
    if (name.length < 2)
      throw new KdxError(`kallsyms entry ${i} decodes to "${name}": the tables look damaged`);
    syms[i] = { type: name[0], name: name.slice(1), address };
  }
  return new SymbolTable(
    syms,
    loc.how === "VMCOREINFO"
      ? "kallsyms in the dump"
      : "kallsyms in the dump (found by searching the kernel image)",
  );
}
