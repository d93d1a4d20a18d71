/**
 * A task's stack walk on x86-64: where it starts (a sleeping task's switch frame, thread.sp →
 * inactive_task_frame; a running one's panic or NMI frame, or its CPU's registers), the CPU's IRQ and NMI
 * stacks it may cross, and the ORC walk from there.
 */
import { parseNotes } from "../../../dump/elf-notes.ts";
import { KdxError } from "../../../util/errors.ts";
import { cpuIds } from "../../helpers/cpumask.ts";
import { perCpu, perCpuPtr } from "../../helpers/percpu.ts";
import type { Kernel } from "../../kernel.ts";
import { kobject } from "../../types/object.ts";
import type { CpuRegisters, StackWalk, TaskOnCpu } from "../architecture.ts";
import { START_KERNEL_MAP } from "./address-space.ts";
import { OrcTables } from "./orc.ts";
import { prstatus } from "./registers.ts";
import { type StackRegion, type UnwindStart, unwind } from "./unwind.ts";

const THREAD_SIZE = 16384n;
const IRQ_STACK_SIZE = 16384n;

/** The CPU's hardirq stack (hardirq_stack_ptr points at its top word). */
export function irqStack(kernel: Kernel, cpu: number): StackRegion | undefined {
  if (!kernel.symbols.lookup("hardirq_stack_ptr")) return undefined;
  const top = kernel.readU64(perCpu(kernel, "hardirq_stack_ptr", cpu)) + 8n;
  return top > 8n ? { start: top - IRQ_STACK_SIZE, end: top, name: "IRQ stack" } : undefined;
}

/** The CPU's NMI stack (an IST stack in cpu_entry_area), where the crash-shootdown NMI ran. */
export function nmiStack(kernel: Kernel, cpu: number): StackRegion | undefined {
  if (!kernel.symbols.lookup("cea_exception_stacks")) return undefined;
  const base = kernel.readU64(perCpu(kernel, "cea_exception_stacks", cpu));
  const stacks = kobject(kernel, "struct cea_exception_stacks", base);
  const nmi = stacks.member("NMI_stack");
  return base
    ? { start: nmi.address, end: nmi.address + BigInt(nmi.size), name: "NMI exception stack" }
    : undefined;
}

/** The first word on `stack`, from its lowest address, that is a return address into `fn`. */
function findReturnInto(kernel: Kernel, stack: StackRegion, fn: string): bigint | undefined {
  let words: Uint8Array;
  try {
    words = kernel.read(stack.start, Number(stack.end - stack.start));
  } catch {
    return undefined;
  }
  const dv = new DataView(words.buffer, words.byteOffset, words.byteLength);
  for (let i = 0; i + 8 <= words.length; i += 8) {
    const v = dv.getBigUint64(i, true);
    if (v < START_KERNEL_MAP) continue;
    const r = kernel.symbols.resolve(v);
    if (r?.name !== fn || r.offset === 0) continue;
    // A return address: the five bytes before it are a near call.
    try {
      if (kernel.read(v - 5n, 1)[0] !== 0xe8) continue;
    } catch {
      continue;
    }
    return stack.start + BigInt(i);
  }
  return undefined;
}

/**
 * Where crash starts a task that was running when the machine died: at the return address into
 * machine_kexec (a kdump capture) or else into panic, found by scanning the task's stack and its CPU's IRQ
 * stack from their lowest address; the frame pointer is the one the CPU's registers held. Without such a
 * word, at the registers themselves.
 */
export function activeTaskStart(
  kernel: Kernel,
  task: bigint,
  cpu: number,
  regs: CpuRegisters | undefined,
): UnwindStart {
  const bp = regs?.regs.bp ?? 0n;
  const t = kobject(kernel, "struct task_struct", task);
  const stacks = [
    irqStack(kernel, cpu),
    { start: t.member("stack").value(), end: t.member("stack").value() + THREAD_SIZE, name: "task" },
  ];
  const nmi = nmiStack(kernel, cpu);
  // The panic CPU: machine_kexec (a kdump capture) or panic; another CPU stopped by the crash NMI:
  // crash_nmi_callback on its NMI stack.
  const searches: [string, (StackRegion | undefined)[]][] = [
    ["machine_kexec", stacks],
    ["panic", stacks],
    ["crash_nmi_callback", [nmi]],
  ];
  for (const [fn, where] of searches) {
    for (const st of where) {
      if (!st) continue;
      const slot = findReturnInto(kernel, st, fn);
      if (slot !== undefined)
        return {
          ip: kernel.readU64(slot),
          frameAddress: slot,
          sp: slot + 8n,
          bp,
          bpUnknown: true,
          stack: stacks[1],
        };
    }
  }
  if (!regs) throw new KdxError(`no saved registers for CPU ${cpu}, and no panic frame on its stacks`);
  return { ip: regs.regs.ip, sp: regs.regs.sp, bp, exact: true, stack: stacks[1] };
}

export function sleepingTaskStart(kernel: Kernel, task: bigint): UnwindStart {
  const t = kobject(kernel, "struct task_struct", task);
  const sp = t.member("thread.sp").value();
  const frame = kobject(kernel, "struct inactive_task_frame", sp);
  const retAt = frame.member("ret_addr").address;
  const base = t.member("stack").value();
  return {
    ip: frame.member("ret_addr").value(),
    frameAddress: retAt,
    sp: sp + BigInt(frame.size),
    bp: frame.member("bp").value(),
    stack: { start: base, end: base + THREAD_SIZE },
  };
}

/**
 * Each CPU's registers: the dump's NT_PRSTATUS notes, or, where the dump carries none, the kernel's own
 * crash_notes (per-CPU note buffers kdump fills at crash time), read from memory.
 */
export function cpuRegisters(
  kernel: Kernel,
  fromDump: CpuRegisters[],
): { cpus: CpuRegisters[]; source: string } {
  if (fromDump.length) return { cpus: fromDump, source: "the dump's NT_PRSTATUS notes" };
  const sym = kernel.symbols.lookup("crash_notes");
  if (!sym) return { cpus: [], source: "none" };
  const notesPtr = kernel.readU64(sym.address);
  const cpus: CpuRegisters[] = [];
  for (const cpu of cpuIds(kernel)) {
    try {
      const at = perCpuPtr(kernel, notesPtr, cpu);
      const found = prstatus(parseNotes(kernel.read(at, 1024)).notes);
      if (found.length) cpus[cpu] = { ...found[0], cpu };
    } catch (e) {
      if (!(e instanceof KdxError)) throw e;
    }
  }
  return { cpus, source: "the kernel's crash_notes" };
}

/** The kernel's ORC tables, read once per kernel. */
export function orcOf(kernel: Kernel): OrcTables {
  return kernel.memo("x86_64.orc", () => new OrcTables(kernel));
}

/** The walk for one task: a running one from its CPU's registers and stacks, a sleeping one from its switch frame. */
export function walkStack(kernel: Kernel, t: TaskOnCpu): StackWalk {
  const orc = orcOf(kernel);
  const withoutUnwindTables = !orc.available;
  if (!t.active)
    return {
      items: unwind(kernel, orc, sleepingTaskStart(kernel, t.task)),
      fromRecordedRegisters: false,
      withoutUnwindTables,
      unwindTables: "ORC",
    };
  const cpuRegs = kernel.memo("x86_64.cpu-registers", () => cpuRegisters(kernel, prstatus(kernel.dump.notes)))
    .cpus[t.cpu];
  const regions = [irqStack(kernel, t.cpu), nmiStack(kernel, t.cpu)].filter((x) => x !== undefined);
  const start = activeTaskStart(kernel, t.task, t.cpu, cpuRegs);
  return {
    items: unwind(kernel, orc, start, regions),
    fromRecordedRegisters: start.exact === true,
    withoutUnwindTables,
    unwindTables: "ORC",
  };
}
