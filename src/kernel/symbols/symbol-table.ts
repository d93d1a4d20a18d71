/**
 * Address ↔ symbol over a sorted table, whatever the source: System.map,
 * a copy of /proc/kallsyms, a vmlinux's .symtab, or (later) the kallsyms in a
 * dump's memory. Addresses are bigint.
 */
import { FormatError } from "../../util/errors.ts";

export interface Symbol {
  name: string;
  address: bigint;
  /** nm-style type letter (T/t text, D/d data, …). */
  type: string;
  module?: string;
}

export interface Resolved {
  name: string;
  offset: number;
  size: number;
  module?: string;
  address: bigint;
}

/** Kernel addresses are in the upper half on every 64-bit architecture; per-CPU offsets sit near 0. */
const UPPER_HALF = 1n << 63n;

/** Symbol types that name code: where return addresses and RIPs land. */
const isText = (type: string) => type === "T" || type === "t" || type === "W" || type === "w";

const byAddress = (a: Symbol, b: Symbol) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);

function isSorted(symbols: Symbol[]): boolean {
  for (let i = 1; i < symbols.length; i++) if (symbols[i - 1].address > symbols[i].address) return false;
  return true;
}

export class SymbolTable {
  private readonly sorted: Symbol[];
  private readonly byName = new Map<string, Symbol>();

  constructor(
    symbols: Symbol[],
    /** Where the table came from, for messages and the `sys` banner. */
    readonly source: string,
  ) {
    // kallsyms and System.map come sorted already: the check is far cheaper than a sort of BigInts.
    this.sorted = isSorted(symbols) ? symbols.slice() : symbols.slice().sort(byAddress);
    for (const s of this.sorted) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  get size(): number {
    return this.sorted.length;
  }

  /** A copy with every address moved by `delta` (KASLR: runtime = link-time + offset). */
  relocated(delta: bigint): SymbolTable {
    if (delta === 0n) return this;
    return new SymbolTable(
      // Only the kernel image moves: module symbols are already runtime addresses, and per-CPU symbols
      // (offsets into each CPU's area, listed near 0) and absolute ones do not move.
      this.sorted.map((s) =>
        s.module || s.type === "A" || s.type === "a" || s.address < UPPER_HALF
          ? s
          : { ...s, address: s.address + delta },
      ),
      this.source,
    );
  }

  /** Names that start with `prefix`, sorted, at most `limit` (tab completion). */
  namesStartingWith(prefix: string, limit: number): string[] {
    const out: string[] = [];
    for (const name of this.byName.keys()) {
      if (name.startsWith(prefix)) out.push(name);
      if (out.length >= limit) break;
    }
    return out.sort();
  }

  /** This table with more symbols (a module's), keeping its source. */
  with(more: Symbol[]): SymbolTable {
    // Merged in order (the sort is stable, so equal addresses keep this table's symbols first).
    const add = isSorted(more) ? more : more.slice().sort(byAddress);
    const merged: Symbol[] = [];
    let i = 0;
    for (const s of add) {
      while (i < this.sorted.length && this.sorted[i].address <= s.address) merged.push(this.sorted[i++]);
      merged.push(s);
    }
    while (i < this.sorted.length) merged.push(this.sorted[i++]);
    return new SymbolTable(merged, this.source);
  }

  lookup(name: string): Symbol | undefined {
    return this.byName.get(name);
  }

  /** Index of the last symbol at or below `addr`, or -1. */
  private floor(addr: bigint): number {
    const a = this.sorted;
    let lo = 0;
    let hi = a.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].address <= addr) {
        idx = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return idx;
  }

  /** The symbol of any type at or below `addr` (data too), with the offset into it. */
  resolveAny(addr: bigint): { name: string; type: string; offset: number; module?: string } | undefined {
    const a = this.sorted;
    const idx = this.floor(addr);
    // Skip absolute and per-CPU entries that merely sort low; a kernel address needs a kernel symbol.
    if (idx < 0 || addr - a[idx].address > 0x1000000n) return undefined;
    const s = a[idx];
    return { name: s.name, type: s.type, offset: Number(addr - s.address), module: s.module };
  }

  /**
   * The bytes from a symbol to the next at a higher address: the most its object can span (kallsyms records
   * no sizes). Undefined for a name the table lacks.
   */
  extent(name: string): number | undefined {
    const s = this.byName.get(name);
    if (!s) return undefined;
    const a = this.sorted;
    let next = this.floor(s.address) + 1;
    while (next < a.length && a[next].address === s.address) next++;
    return next < a.length ? Number(a[next].address - s.address) : undefined;
  }

  /** The text symbol containing `addr`, its size taken as the distance to the next symbol. */
  resolve(addr: bigint): Resolved | undefined {
    const a = this.sorted;
    let idx = this.floor(addr);
    while (idx >= 0 && !isText(a[idx].type)) idx--;
    if (idx < 0) return undefined;
    const sym = a[idx];
    let next = idx + 1;
    while (next < a.length && a[next].address === sym.address) next++;
    const end = next < a.length ? a[next].address : sym.address + 0x1000n;
    // Past the end of the kernel text or of a module's symbols: unknown, not the last function.
    if (addr >= end || end - sym.address > 0x1000000n) return undefined;
    const r: Resolved = {
      name: sym.name,
      offset: Number(addr - sym.address),
      size: Number(end - sym.address),
      address: sym.address,
    };
    if (sym.module) r.module = sym.module;
    return r;
  }
}

const LINE = /^([0-9a-fA-F]{8,16})\s+([A-Za-z?])\s+(\S+)(?:\s+\[([^\]]+)\])?\s*$/;

/** Parse `nm`-style text: System.map (`ffffffff81000000 T _text`) or /proc/kallsyms (with `[module]`). */
export function parseNmText(text: string, source: string): SymbolTable {
  const syms: Symbol[] = [];
  let bad = 0;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const m = LINE.exec(line);
    if (!m) {
      bad++;
      continue;
    }
    const s: Symbol = { address: BigInt(`0x${m[1]}`), type: m[2], name: m[3] };
    if (m[4]) s.module = m[4];
    syms.push(s);
  }
  if (syms.length === 0) {
    throw new FormatError(source, `no symbols found (expected lines like "ffffffff81000000 T _text")`);
  }
  if (bad > syms.length)
    throw new FormatError(
      source,
      `mostly not a symbol list (${bad} of ${bad + syms.length} lines unreadable)`,
    );
  return new SymbolTable(syms, source);
}
