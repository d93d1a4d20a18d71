/**
 * The kernel's ORC unwind tables, read from its memory (arch/x86/kernel/unwind_orc.c): a sorted array of
 * instruction addresses (orc_unwind_ip, 32-bit self-relative) and a parallel array of 6-byte orc_entry
 * telling, for each address, how to find the caller's stack pointer, frame pointer and return address.
 * The entry's bitfields are read through BTF: their layout changed in 6.3 (type:2,end:1 → type:3,signal:1).
 * Modules carry their own tables (module.arch.orc_unwind_ip / orc_unwind / num_orcs).
 */

import { KdxError } from "../../../util/errors.ts";
import type { Kernel } from "../../kernel.ts";

export const ORC_REG = {
  UNDEFINED: 0,
  PREV_SP: 1,
  DX: 2,
  DI: 3,
  BP: 4,
  SP: 5,
  R10: 6,
  R13: 7,
  BP_INDIRECT: 8,
  SP_INDIRECT: 9,
};

/**
 * Kernel commit 1735858caa4b ("objtool/x86: Reorder ORC register numbering", Debian's 7.2 has it) moved
 * SP to 3, PREV_SP to 8 and BP_INDIRECT to 10; DX, BP, R10, R13 and SP_INDIRECT kept their numbers. Which
 * numbering a kernel uses is read from the kernel itself, as crash does since bfce258: orc_fp_entry (the
 * entry for frame-pointer code) has bp_reg = PREV_SP. Entries are translated into the names above; a
 * number with no known meaning in the new order maps to -1, which the unwinder reports as unknown.
 */
const REORDERED: Record<number, number> = {
  0: ORC_REG.UNDEFINED,
  2: ORC_REG.DX,
  3: ORC_REG.SP,
  4: ORC_REG.BP,
  6: ORC_REG.R10,
  7: ORC_REG.R13,
  8: ORC_REG.PREV_SP,
  9: ORC_REG.SP_INDIRECT,
  10: ORC_REG.BP_INDIRECT,
};

function registerNumbering(
  kernel: Kernel,
  bpRegOf: (b: Uint8Array, at: number) => number,
): (raw: number) => number {
  const fp = kernel.symbols.lookup("orc_fp_entry");
  if (!fp || bpRegOf(kernel.read(fp.address, 6), 0) !== 8) return (raw) => raw;
  return (raw) => REORDERED[raw] ?? -1;
}

export type OrcType = "call" | "regs" | "regs_partial" | "undefined" | "end";

export interface OrcEntry {
  spOffset: number;
  bpOffset: number;
  spReg: number;
  bpReg: number;
  type: OrcType;
  end: boolean;
}

interface Table {
  /** The instruction addresses, ascending, as plain numbers relative to `base` (no BigInt per entry). */
  base: bigint;
  offs: Float64Array;
  entries: Uint8Array;
  /** Where the entries lie in kernel memory. */
  orcVa: bigint;
  start: bigint;
  end: bigint;
}

const MAX_ENTRIES = 4_000_000;

export class OrcTables {
  private readonly tables: Table[] = [];
  private readonly decode: (b: Uint8Array, at: number) => OrcEntry;

  /** False on a kernel built without ORC (no 6-byte struct orc_entry): its stacks are walked by prologues and frame pointers alone. */
  readonly available: boolean;

  constructor(private readonly kernel: Kernel) {
    const btf = kernel.btf;
    const e = btf.find("orc_entry", "struct");
    this.available = e?.size === 6;
    if (!this.available) {
      this.decode = () => {
        throw new KdxError("no ORC tables");
      };
      return;
    }
    const bits = new Map(e!.members!.map((m) => [m.name, m]));
    const field = (name: string) => {
      const m = bits.get(name);
      return m ? { at: m.bitOffset, size: m.bitSize || 16 } : undefined;
    };
    const spReg = field("sp_reg")!;
    const bpReg = field("bp_reg")!;
    const type = field("type")!;
    const end = field("end");
    const newTypes = bits.has("signal"); // 6.3+: UNDEFINED, END_OF_STACK, CALL, REGS, REGS_PARTIAL
    const TYPES_OLD: OrcType[] = ["call", "regs", "regs_partial", "undefined"];
    const TYPES_NEW: OrcType[] = [
      "undefined",
      "end",
      "call",
      "regs",
      "regs_partial",
      "undefined",
      "undefined",
      "undefined",
    ];
    const get = (b: Uint8Array, at: number, f: { at: number; size: number }) => {
      const word = b[at + 4] | (b[at + 5] << 8);
      return (word >> (f.at - 32)) & ((1 << f.size) - 1);
    };
    const reg = registerNumbering(kernel, (b, at) => get(b, at, bpReg));
    this.decode = (b, at) => {
      const t = get(b, at, type);
      const ty = newTypes ? TYPES_NEW[t] : TYPES_OLD[t];
      return {
        spOffset: ((b[at] | (b[at + 1] << 8)) << 16) >> 16,
        bpOffset: ((b[at + 2] | (b[at + 3] << 8)) << 16) >> 16,
        spReg: reg(get(b, at, spReg)),
        bpReg: reg(get(b, at, bpReg)),
        type: ty,
        end: ty === "end" || (end !== undefined && get(b, at, end) === 1),
      };
    };
    const sym = (n: string) => kernel.symbol(n);
    const startIp = sym("__start_orc_unwind_ip");
    const count = Number(sym("__stop_orc_unwind_ip") - startIp) / 4;
    this.tables.push(this.load(startIp, sym("__start_orc_unwind"), count));
    this.loadModules();
  }

  private load(ipVa: bigint, orcVa: bigint, count: number): Table {
    if (!Number.isInteger(count) || count <= 0 || count > MAX_ENTRIES)
      throw new KdxError(`ORC table of ${count} entries is implausible`);
    const raw = this.kernel.read(ipVa, count * 4);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    // Each entry is 32-bit self-relative: its address is ipVa + 4i + the value.
    const offs = new Float64Array(count);
    for (let i = 0; i < count; i++) offs[i] = i * 4 + dv.getInt32(i * 4, true);
    return {
      base: ipVa,
      offs,
      entries: this.kernel.read(orcVa, count * 6),
      orcVa,
      start: ipVa + BigInt(offs[0]),
      end: ipVa + BigInt(offs[count - 1]),
    };
  }

  private loadModules(): void {
    const k = this.kernel;
    const btf = k.btf;
    if (!btf.find("mod_arch_specific", "struct")?.members?.some((m) => m.name === "orc_unwind_ip")) return;
    const head = k.symbols.lookup("modules")?.address;
    if (head === undefined) return;
    const off = (s: string, m: string) => BigInt(btf.offsetof(s, m));
    const list = off("module", "list");
    const arch = off("module", "arch");
    let node = k.readU64(head);
    for (let n = 0; node !== head && n < 65536; n++) {
      const m = node - list + arch;
      const num = k.readU32(m + off("mod_arch_specific", "num_orcs"));
      const ip = k.readU64(m + off("mod_arch_specific", "orc_unwind_ip"));
      const orc = k.readU64(m + off("mod_arch_specific", "orc_unwind"));
      if (num && ip && orc) {
        try {
          this.tables.push(this.load(ip, orc, num));
        } catch (e) {
          if (!(e instanceof KdxError)) throw e;
        }
      }
      node = k.readU64(node);
    }
  }

  /** The entry that covers `ip`: the last table address at or below it. */
  find(ip: bigint): OrcEntry | undefined {
    const hit = this.lookup(ip);
    return hit && this.decode(hit.table.entries, hit.index * 6);
  }

  /** Where in kernel memory the entry covering `ip` lies, to read it with `rd` (or damage it in a test). */
  entryAddress(ip: bigint): bigint | undefined {
    const hit = this.lookup(ip);
    return hit && hit.table.orcVa + BigInt(hit.index * 6);
  }

  private lookup(ip: bigint): { table: Table; index: number } | undefined {
    for (const t of this.tables) {
      if (ip < t.start || ip > t.end + 0x10000n) continue;
      const at = Number(ip - t.base);
      let lo = 0;
      let hi = t.offs.length - 1;
      let idx = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (t.offs[mid] <= at) {
          idx = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (idx >= 0) return { table: t, index: idx };
    }
    return undefined;
  }
}
