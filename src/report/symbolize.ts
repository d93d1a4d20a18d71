/**
 * Naming what a report left raw: frames printed as bare addresses get
 * function+offset/size, and frames gain file:line when line tables exist
 * (as the kernel's scripts/decode_stacktrace.sh does).
 */
import type { Report, SymbolRef } from "./types.ts";

export interface SourceLine {
  file: string;
  line: number;
  /** Functions inlined at this address, innermost first. */
  inlined?: { name: string; file: string; line: number }[];
}

export interface Symbolizer {
  /** The function containing a runtime address. */
  resolve(address: bigint): SymbolRef | undefined;
  /**
   * Source line of `symbol+offset`; `isReturn` means the address is a return
   * address, whose call instruction is the byte before.
   */
  sourceOf?(symbol: SymbolRef, isReturn: boolean): SourceLine | undefined;
}

/** Fill in missing symbols and source lines, in place. Returns how many frames were improved. */
export function symbolizeReport(report: Report, sym: Symbolizer): number {
  let improved = 0;
  const fix = (address: string | undefined, symbol: SymbolRef | undefined): SymbolRef | undefined => {
    if (symbol || !address) return symbol;
    const r = sym.resolve(BigInt(address));
    if (r) improved++;
    return r;
  };
  if (report.rip) {
    report.rip.symbol = fix(report.rip.address, report.rip.symbol);
    if (report.rip.symbol && sym.sourceOf) {
      const src = sym.sourceOf(report.rip.symbol, false);
      if (src) report.ripSource = src;
    }
  }
  for (const f of report.trace) {
    if (f.kind === "regs") {
      f.rip.symbol = fix(f.rip.address, f.rip.symbol);
      continue;
    }
    f.symbol = fix(f.address, f.symbol);
    if (f.symbol && sym.sourceOf) {
      const src = sym.sourceOf(f.symbol, true);
      if (src) {
        f.file = src.file;
        f.line = src.line;
        if (src.inlined?.length) f.inlined = src.inlined;
        improved++;
      }
    }
  }
  return improved;
}
