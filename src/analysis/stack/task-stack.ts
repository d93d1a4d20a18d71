/** Where a task's stack walk starts: a sleeping task's switch frame (thread.sp → inactive_task_frame). */
import type { Kernel } from "../../kernel/kernel.ts";
import { kobject } from "../../kernel/types/object.ts";
import type { UnwindStart } from "./unwind.ts";

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
