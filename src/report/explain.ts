/**
 * What each field of an oops means, in a sentence or two. Written to be
 * right where popular write-ups are not: `+0x12/0x20` is an offset and the
 * function's size, not a line number; a `? ` frame is a guess.
 */
import type { Frame, Report, Rip, SymbolRef } from "./types.ts";

const hex = (n: number): string => `0x${n.toString(16)}`;

export function explainSymbol(s: SymbolRef): string {
  const where = `${hex(s.offset)} bytes into ${s.name}, a function ${hex(s.size)} bytes long`;
  const mod = s.module ? `, in module ${s.module}` : ", in the kernel image";
  return `${where}${mod}. "+${hex(s.offset)}/${hex(s.size)}" is an offset and a size, not a line number: scripts/faddr2line or gdb's "list *(${s.name}+${hex(s.offset)})" on the matching debug vmlinux gives the source line.`;
}

export function explainRip(rip: Rip): string {
  const parts: string[] = [
    "RIP is the instruction pointer: the instruction that was executing when the CPU trapped.",
  ];
  if (rip.cs) {
    parts.push(
      rip.mode === "user"
        ? `${rip.cs} is the code segment selector of 64-bit user mode: the CPU was running a user program.`
        : `${rip.cs} is the kernel's code segment selector: the CPU was in kernel mode (0033 would mean user mode).`,
    );
  }
  if (rip.symbol)
    parts.push(
      `${rip.symbol.name}+${hex(rip.symbol.offset)}/${hex(rip.symbol.size)}: ${explainSymbol(rip.symbol)}`,
    );
  return parts.join(" ");
}

export function explainFrame(f: Frame): string {
  const base = f.symbol
    ? `Return address ${hex(f.symbol.offset)} bytes into ${f.symbol.name} (${hex(f.symbol.size)} bytes long): ${f.symbol.name} called the function listed above it and would have continued here.`
    : "A return address with no symbol: pass --system-map, --kallsyms or --vmlinux to name it.";
  return f.reliable
    ? base
    : `${base} Marked "?": the unwinder found this kernel-text address on the stack but could not prove it is a live return address; it is often stale, left over from an earlier call.`;
}

export const EXPLAIN = {
  header: "The first line says what went wrong; the lines that follow come from the kernel's oops handler.",
  cpu: "The CPU that hit the problem, and the task (process) it was running: PID and Comm (the command name, at most 15 characters).",
  tainted:
    "Taint flags: conditions that make the kernel's state suspect for debugging. Each letter is one condition; a space in a column means it is absent.",
  hardware: "The machine, as DMI/firmware describes it (vendor, product, BIOS version and date).",
  oops: (r: Report): string => {
    const o = r.oops;
    if (!o) return "";
    const parts = [
      o.code
        ? `${o.code} is the hardware error code of the exception (for page faults: the bits decoded below).`
        : "",
      o.count !== undefined
        ? `[#${o.count}] counts oopses since boot: ${o.count === 1 ? "this is the first, so it is the one to debug" : "earlier oopses may have caused this one: read the first"}.`
        : "",
      o.config.length
        ? `${o.config.join(" ")}: how the kernel was built (preemption model, SMP, page-table isolation, sanitizers).`
        : "",
    ];
    return parts.filter(Boolean).join(" ");
  },
  code: "The machine code around RIP as the kernel printed it; the byte in <> is the first byte of the faulting instruction. Decoded here with iced-x86 (AT&T syntax, as objdump shows it).",
  trace:
    "The call trace, innermost call first: each line is a return address on the stack, as function+offset/size [module]. <IRQ>, <NMI>, <TASK> mark which stack a part of the trace was on; a RIP/registers block inside it is an exception or interrupt frame (the user-mode block at the end is where the task entered the kernel).",
  modules:
    "Modules loaded when it crashed; the letters in parentheses are their taint flags (O out-of-tree, E unsigned, P proprietary, C staging, F force-loaded).",
  panic: "panic() was called: the kernel stopped. With kdump loaded, the capture kernel then saves a vmcore.",
  kernelOffset:
    "The KASLR offset: how far the kernel image was moved from its link address at boot. Needed to match addresses against System.map.",
  registers:
    "General-purpose and control registers at the moment of the fault. CR2 holds the address of the last page fault; CR3 the page-table base.",
};
