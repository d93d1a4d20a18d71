/** Where a task's stack walk starts: a sleeping task's switch frame (thread.sp → inactive_task_frame). */

import type { CpuRegisters } from "../../dump/prstatus.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { kobject } from "../../kernel/types/object.ts";
import { KdxError } from "../../util/errors.ts";
import { perCpu } from "../tasks.ts";
import type { StackRegion, UnwindStart } from "./unwind.ts";

const THREAD_SIZE = 16384n;
const IRQ_STACK_SIZE = 16384n;

/** The CPU's hardirq stack (hardirq_stack_ptr points at its top word). */
export function irqStack(kernel: Kernel, cpu: number): StackRegion | undefined {
  if (!kernel.symbols.lookup("hardirq_stack_ptr")) return undefined;
  const top = kernel.readU64(perCpu(kernel, "hardirq_stack_ptr", cpu)) + 8n;
  return top > 8n ? { start: top - IRQ_STACK_SIZE, end: top, name: "IRQ stack" } : undefined;
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
  const bp = regs?.regs.rbp ?? 0n;
  const t = kobject(kernel, "struct task_struct", task);
  const stacks = [
    irqStack(kernel, cpu),
    { start: t.member("stack").value(), end: t.member("stack").value() + THREAD_SIZE, name: "task" },
  ];
  for (const fn of ["machine_kexec", "panic"]) {
    for (const st of stacks) {
      if (!st) continue;
      let words: Uint8Array;
      try {
        words = kernel.read(st.start, Number(st.end - st.start));
      } catch {
        continue;
      }
      const dv = new DataView(words.buffer, words.byteOffset, words.byteLength);
      for (let i = 0; i + 8 <= words.length; i += 8) {
        const v = dv.getBigUint64(i, true);
        if (v < 0xffffffff80000000n) continue;
        const r = kernel.symbols.resolve(v);
        if (r?.name !== fn || r.offset === 0) continue;
        // A return address: the five bytes before it are a near call.
        try {
          if (kernel.read(v - 5n, 1)[0] !== 0xe8) continue;
        } catch {
          continue;
        }
        const slot = st.start + BigInt(i);
        return { ip: v, frameAddress: slot, sp: slot + 8n, bp };
      }
    }
  }
  if (!regs) throw new KdxError(`no saved registers for CPU ${cpu}, and no panic frame on its stacks`);
  return { ip: regs.regs.rip, sp: regs.regs.rsp, bp, exact: true };
}

export function sleepingTaskStart(kernel: Kernel, task: bigint): UnwindStart {
  const t = kobject(kernel, "struct task_struct", task);
  const sp = t.member("thread.sp").value();
  const frame = kobject(kernel, "struct inactive_task_frame", sp);
  const retAt = frame.member("ret_addr").address;
  return {
    ip: frame.member("ret_addr").value(),
    frameAddress: retAt,
    sp: sp + BigInt(frame.size),
    bp: frame.member("bp").value(),
  };
}
