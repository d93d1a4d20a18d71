/**
 * x86-64's registers, one table: struct pt_regs (what entry code saves on an interrupt, exception or system
 * call), which NT_PRSTATUS's user_regs_struct repeats in the same order before six more (the segment bases
 * and selectors). The names are pt_regs' own (ip, sp, bp, …), for both.
 */
import { type ElfNote, NT_PRSTATUS } from "../../../dump/elf-notes.ts";
import { i32 } from "../../../util/bytes.ts";
import type { CpuRegisters, RegisterLayout } from "../architecture.ts";

export const PT_REGS = [
  "r15",
  "r14",
  "r13",
  "r12",
  "bp",
  "bx",
  "r11",
  "r10",
  "r9",
  "r8",
  "ax",
  "cx",
  "dx",
  "si",
  "di",
  "orig_ax",
  "ip",
  "cs",
  "flags",
  "sp",
  "ss",
] as const;
export type PtRegs = Record<(typeof PT_REGS)[number], bigint>;

/** user_regs_struct: pt_regs, then what only a whole thread's state has. */
const USER_REGS = [...PT_REGS, "fs_base", "gs_base", "ds", "es", "fs", "gs"] as const;

/** struct elf_prstatus: pr_pid at 32, pr_reg at 112. */
const PR_PID = 32;
const PR_REG = 112;

/** Each CPU's registers from the dump's NT_PRSTATUS notes, in note order (the CPU number, for kdump and QEMU). */
export function prstatus(notes: ElfNote[]): CpuRegisters[] {
  const out: CpuRegisters[] = [];
  for (const n of notes) {
    if (n.type !== NT_PRSTATUS || n.name !== "CORE" || n.desc.length < PR_REG + USER_REGS.length * 8)
      continue;
    const dv = new DataView(n.desc.buffer, n.desc.byteOffset, n.desc.byteLength);
    const regs: Record<string, bigint> = {};
    USER_REGS.forEach((r, i) => {
      regs[r] = dv.getBigUint64(PR_REG + i * 8, true);
    });
    out.push({ cpu: out.length, pid: i32(n.desc, PR_PID), regs });
  }
  return out;
}

/** struct pt_regs read from the stack. */
export function readPtRegs(b: Uint8Array): PtRegs {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const r = {} as PtRegs;
  PT_REGS.forEach((name, i) => {
    r[name] = dv.getBigUint64(i * 8, true);
  });
  return r;
}

export const PT_REGS_SIZE = PT_REGS.length * 8;

/** crash's exception-frame block, row by row (labels as crash aligns them): RIP/RSP/RFLAGS, the general registers in threes, ORIG_RAX/CS/SS. */
export const X86_64_REGISTERS: RegisterLayout = {
  ip: "ip",
  ipLabel: "RIP",
  userMode: (r) => (r.cs & 3n) === 3n,
  rows: [
    [
      ["RIP", "ip", 16],
      ["RSP", "sp", 16],
      ["RFLAGS", "flags", 8],
    ],
    [
      ["RAX", "ax", 16],
      ["RBX", "bx", 16],
      ["RCX", "cx", 16],
    ],
    [
      ["RDX", "dx", 16],
      ["RSI", "si", 16],
      ["RDI", "di", 16],
    ],
    [
      ["RBP", "bp", 16],
      [" R8", "r8", 16],
      [" R9", "r9", 16],
    ],
    [
      ["R10", "r10", 16],
      ["R11", "r11", 16],
      ["R12", "r12", 16],
    ],
    [
      ["R13", "r13", 16],
      ["R14", "r14", 16],
      ["R15", "r15", 16],
    ],
    [
      ["ORIG_RAX", "orig_ax", 16],
      ["CS", "cs", 4],
      ["SS", "ss", 4],
    ],
  ],
};
