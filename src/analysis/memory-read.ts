/**
 * Reading the dead kernel's memory as crash's rd, dis and sym answer: words at an address, instructions
 * with their symbols, symbol lookups in both directions. Records; views/ prints them.
 */
import type { Instruction } from "../kernel/arch/architecture.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { Resolved } from "../kernel/symbols/symbol-table.ts";
import { KdxError } from "../util/errors.ts";

/** An address written in hex, or a symbol's. */
export function addressOf(kernel: Kernel, arg: string): bigint {
  if (/^(0x)?[0-9a-f]+$/i.test(arg)) return BigInt(arg.startsWith("0x") ? arg : `0x${arg}`);
  const s = kernel.symbols.lookup(arg);
  if (!s) throw new KdxError(`${arg}: neither an address nor a symbol`);
  return s.address;
}

export interface MemoryWords {
  address: bigint;
  physical: boolean;
  /** Bytes per word: 1, 2, 4 or 8. */
  width: number;
  bytes: Uint8Array;
  values: bigint[];
  /** rd -s: the symbol each 8-byte word that is a kernel address points into. */
  symbols?: ({ name: string; offset: number } | undefined)[];
}

/** `count` words of `width` bytes at `address` (kernel virtual, or physical). */
export function readWords(
  kernel: Kernel,
  address: bigint,
  opts: { width: number; count: number; physical: boolean; symbols: boolean },
): MemoryWords {
  const { width, count, physical } = opts;
  const bytes = physical
    ? kernel.dump.memory.read(address, count * width)
    : kernel.read(address, count * width);
  const values: bigint[] = [];
  for (let k = 0; k < count; k++) {
    let v = 0n;
    for (let b = width - 1; b >= 0; b--) v = (v << 8n) | BigInt(bytes[k * width + b]);
    values.push(v);
  }
  const symbols =
    opts.symbols && width === 8
      ? values.map((v) => (kernel.arch.isKernelAddress(v) ? kernel.symbols.resolveAny(v) : undefined))
      : undefined;
  return { address, physical, width, bytes, values, symbols };
}

export interface Disassembly {
  start: bigint;
  bytes: Uint8Array;
  instructions: (Instruction & { symbol?: Resolved; target?: Resolved })[];
}

/** The function at `start` (up to the next symbol), or `count` instructions from it. */
export function disassemble(kernel: Kernel, start: bigint, count?: number): Disassembly {
  const table = kernel.symbols;
  const fn = table.resolve(start);
  const length = count !== undefined ? count * 15 : fn ? fn.size - fn.offset : 256;
  const bytes = kernel.read(start, Math.min(length, 1 << 20));
  const instructions = kernel.arch.disassemble(bytes, start, count).map((i) => ({
    ...i,
    symbol: table.resolve(i.ip),
    target: i.branchTarget !== undefined ? table.resolve(i.branchTarget) : undefined,
  }));
  return { start, bytes, instructions };
}

export type SymbolAnswer =
  | { query: string; name: string; type: string; offset: number; module?: string; address?: undefined }
  | { query: string; name: string; type: string; address: bigint; module?: string; offset?: undefined }
  | { query: string; error: string };

/** crash's sym: an address → the symbol it is in; a name → its address. */
export function symbolAnswer(kernel: Kernel, arg: string): SymbolAnswer {
  const table = kernel.symbols;
  if (/^(0x)?[0-9a-f]{9,16}$/i.test(arg)) {
    const r = table.resolveAny(BigInt(arg.startsWith("0x") ? arg : `0x${arg}`));
    return r
      ? { query: arg, name: r.name, type: r.type, offset: r.offset, module: r.module }
      : { query: arg, error: "no symbol there" };
  }
  const s = table.lookup(arg);
  return s
    ? { query: arg, name: s.name, type: s.type, address: s.address, module: s.module }
    : { query: arg, error: "no such symbol" };
}
