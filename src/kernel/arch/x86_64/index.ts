/** x86-64 (EM_X86_64): everything kdx knows of it, behind the Architecture interface. */
import type { Architecture } from "../architecture.ts";
import { KERNEL_SPACE, physBase, X86_64AddressSpace } from "./address-space.ts";
import { disassemble } from "./disasm.ts";
import { prstatus, X86_64_REGISTERS } from "./registers.ts";
import { walkStack } from "./stacks.ts";
import { followsCall } from "./unwind.ts";

export const x86_64: Architecture = {
  name: "x86_64",
  elfMachine: 62,
  // kdump-compressed dumps carry no ELF machine: their uname does, and x86-64's VMCOREINFO names its
  // top-level page table.
  recognises: (uts, info) =>
    uts === "x86_64" ||
    (uts === undefined && (info.symbol("init_top_pgt") ?? info.symbol("init_level4_pgt")) !== undefined),
  pageSize: 4096,
  isKernelAddress: (va) => va >= KERNEL_SPACE,
  // page_offset_base: where KASLR put the direct map (__PAGE_OFFSET_BASE_L4 without KASLR).
  directMapBase: (kernel) => {
    const base = kernel.symbols.lookup("page_offset_base");
    return base ? kernel.readU64(base.address) : 0xffff888000000000n;
  },
  addressSpace: (memory, info, dump) =>
    new X86_64AddressSpace(memory, info, { physBase: physBase(info, dump) }),
  physBase,
  prstatus,
  registers: X86_64_REGISTERS,
  walkStack,
  followsCall,
  disassemble,
  // cpu_khz: the TSC-calibrated clock the kernel prints at boot.
  cpuMhz: (kernel) => {
    const khz = kernel.symbols.lookup("cpu_khz");
    return khz ? Math.floor(kernel.readU32(khz.address) / 1000) : undefined;
  },
};
