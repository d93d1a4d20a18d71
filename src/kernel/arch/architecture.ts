/**
 * What kdx must know of a processor architecture to read a kernel built for it, modelled on drgn's
 * drgn_architecture_info: how the dump records each CPU's registers (NT_PRSTATUS) and how the kernel saves
 * them (pt_regs), the kernel's virtual address layout and its page-table walk, how a task's stack is
 * unwound and how exception and IRQ frames look, and the disassembler. Everything outside arch/ asks these
 * questions; none of it names a register or an address constant of its own.
 *
 * Adding an architecture: a folder beside x86_64/ implementing this, and one line in index.ts.
 */
import type { ElfNote } from "../../dump/elf-notes.ts";
import type { Dump, PhysicalMemory } from "../../dump/physical-memory.ts";
import type { Kernel } from "../kernel.ts";
import type { VmcoreInfo } from "../vmcoreinfo.ts";

/** The dead kernel's virtual memory, read through its own page tables. */
export interface AddressSpace {
  translate(va: bigint): bigint;
  read(va: bigint, length: number): Uint8Array;
}

/** Registers by their pt_regs names, in the architecture's own order. */
export type Registers = Record<string, bigint>;

export interface CpuRegisters {
  /** Index among the dump's NT_PRSTATUS notes: the CPU number for kdump and QEMU dumps. */
  cpu: number;
  pid: number;
  regs: Registers;
}

/** How crash prints a saved register frame: rows of [label as crash aligns it, register, hex digits]. */
export interface RegisterLayout {
  /** The instruction pointer's name, and its label ("[exception RIP: …]"). */
  ip: string;
  ipLabel: string;
  /** Whether the frame was saved on entry from user mode. */
  userMode(regs: Registers): boolean;
  rows: [label: string, register: string, digits: number][][];
}

/** One step of a stack walk, as the unwinder found it. */
export type StackItem =
  /** A return address on the stack. `guess`: found by the last-resort scan, not proven by unwind data. */
  | { kind: "frame"; frameAddress: bigint; ip: bigint; guess?: boolean }
  /** A register frame saved by an interrupt, exception or system call. */
  | { kind: "regs"; at: bigint; user: boolean; regs: Registers }
  /** The walk left a stack other than the task's (crash's "--- <IRQ stack> ---"). */
  | { kind: "left-stack"; stack: string }
  /** What follows are words from scanning the rest of the stack, not proven frames. */
  | { kind: "scan" }
  | { kind: "stop"; reason: string };

/** A task's stack walk, and how it was made. */
export interface StackWalk {
  items: StackItem[];
  /** Started from the registers the dump recorded (QEMU: the vCPU at dump time, not at the crash). */
  fromRecordedRegisters: boolean;
  /** The kernel has no unwind tables: every frame came from prologues and frame pointers. */
  withoutUnwindTables: boolean;
  /** What the unwind tables are called (ORC on x86-64). */
  unwindTables: string;
}

/** A task as the stack walk needs it. */
export interface TaskOnCpu {
  task: bigint;
  /** Running on a CPU when the machine died. */
  active: boolean;
  cpu: number;
}

export interface Instruction {
  ip: bigint;
  length: number;
  /** As gdb (and so crash's dis) prints it. */
  text: string;
  /** Target of a direct call or jump. */
  branchTarget?: bigint;
  invalid: boolean;
}

export interface Architecture {
  /** As `uname -m` says it, and as crash's sys prints MACHINE. */
  name: string;
  /** ELF e_machine. */
  elfMachine: number;
  /** Whether a dump without an ELF machine (kdump-compressed) holds this architecture's kernel. */
  recognises(utsMachine: string | undefined, vmcoreinfo: VmcoreInfo): boolean;
  pageSize: number;
  /** Whether an address is in the kernel's half of the address space. */
  isKernelAddress(va: bigint): boolean;
  /** Where the kernel maps all physical memory (PAGE_OFFSET: crash's PTOV). */
  directMapBase(kernel: Kernel): bigint;
  /** The kernel's address space: its page tables, from what VMCOREINFO and the dump say. */
  addressSpace(memory: PhysicalMemory, vmcoreinfo: VmcoreInfo, dump: Dump): AddressSpace;
  /** phys_base (where the kernel image was loaded) as the dump records it, if it does. */
  physBase(vmcoreinfo: VmcoreInfo, dump: Dump): bigint | undefined;
  /** Each CPU's registers from NT_PRSTATUS notes. */
  prstatus(notes: ElfNote[]): CpuRegisters[];
  registers: RegisterLayout;
  /** A task's kernel stack, walked as crash walks it. */
  walkStack(kernel: Kernel, task: TaskOnCpu): StackWalk;
  /** Whether `ip` follows a call instruction (a return address). */
  followsCall(kernel: Kernel, ip: bigint): boolean;
  disassemble(bytes: Uint8Array, ip: bigint, max?: number): Instruction[];
  /** The CPU's clock in MHz, as the kernel measured it (crash's sys MACHINE line). */
  cpuMhz(kernel: Kernel): number | undefined;
}
