/**
 * NT_PRSTATUS notes (struct elf_prstatus on x86-64): the registers of each CPU as the dump recorded them —
 * at crash time for kdump (crash_save_cpu), at dump time for QEMU — and the pid that was running.
 */
import { i32 } from "../util/bytes.ts";
import { type ElfNote, NT_PRSTATUS } from "./elf-notes.ts";

/** user_regs_struct, in its order. */
export const X86_64_REGS = [
  "r15",
  "r14",
  "r13",
  "r12",
  "rbp",
  "rbx",
  "r11",
  "r10",
  "r9",
  "r8",
  "rax",
  "rcx",
  "rdx",
  "rsi",
  "rdi",
  "orig_rax",
  "rip",
  "cs",
  "eflags",
  "rsp",
  "ss",
  "fs_base",
  "gs_base",
  "ds",
  "es",
  "fs",
  "gs",
] as const;
export type X86_64Reg = (typeof X86_64_REGS)[number];

export interface CpuRegisters {
  /** Index among the dump's NT_PRSTATUS notes: the CPU number for kdump and QEMU dumps. */
  cpu: number;
  pid: number;
  regs: Record<X86_64Reg, bigint>;
}

const PR_PID = 32;
const PR_REG = 112;

export function prstatus(notes: ElfNote[]): CpuRegisters[] {
  const out: CpuRegisters[] = [];
  for (const n of notes) {
    if (n.type !== NT_PRSTATUS || n.name !== "CORE" || n.desc.length < PR_REG + X86_64_REGS.length * 8)
      continue;
    const dv = new DataView(n.desc.buffer, n.desc.byteOffset, n.desc.byteLength);
    const regs = {} as Record<X86_64Reg, bigint>;
    X86_64_REGS.forEach((r, i) => {
      regs[r] = dv.getBigUint64(PR_REG + i * 8, true);
    });
    out.push({ cpu: out.length, pid: i32(n.desc, PR_PID), regs });
  }
  return out;
}
