/**
 * The dead kernel's tasks, found as crash and drgn find them: init_task, every process on its `tasks`
 * list, every thread of each on its signal's thread list. Fields come through BTF offsets.
 */
import type { Kernel } from "../kernel/kernel.ts";

export interface TaskInfo {
  task: bigint;
  pid: number;
  tgid: number;
  ppid: number;
  comm: string;
  /** No mm: a kernel thread (crash shows its name in brackets). */
  kernelThread: boolean;
  state: number;
  exitState: number;
}

/** Walk a list_head from `head`, yielding the address of each entry's containing object. */
export function* listForEach(
  kernel: Kernel,
  head: bigint,
  memberOffset: number,
  limit = 1 << 22,
): Generator<bigint> {
  let node = kernel.readU64(head);
  for (let n = 0; node !== head; n++) {
    if (n >= limit) throw new Error(`list at 0x${head.toString(16)} does not end after ${limit} entries`);
    yield node - BigInt(memberOffset);
    node = kernel.readU64(node);
  }
}

export function readTask(kernel: Kernel, task: bigint): TaskInfo {
  const btf = kernel.btf;
  const off = (m: string) => BigInt(btf.offsetof("task_struct", m));
  const parent = kernel.readU64(task + off("real_parent"));
  return {
    task,
    pid: kernel.readU32(task + off("pid")),
    tgid: kernel.readU32(task + off("tgid")),
    ppid: parent ? kernel.readU32(parent + off("pid")) : 0,
    comm: kernel.readCString(task + off("comm"), 16),
    kernelThread: kernel.readU64(task + off("mm")) === 0n,
    state: kernel.readU32(task + off("__state")),
    exitState: kernel.readU32(task + off("exit_state")),
  };
}

/** Every task but the idle tasks of secondary CPUs (which are on no list): processes and their threads. */
export function listTasks(kernel: Kernel): TaskInfo[] {
  const btf = kernel.btf;
  const init = kernel.symbol("init_task");
  const tasksOff = btf.offsetof("task_struct", "tasks");
  const signalOff = BigInt(btf.offsetof("task_struct", "signal"));
  const threadNodeOff = btf.offsetof("task_struct", "thread_node");
  const threadHeadOff = BigInt(btf.offsetof("signal_struct", "thread_head"));
  const out: TaskInfo[] = [];
  for (const leader of [init, ...listForEach(kernel, init + BigInt(tasksOff), tasksOff)]) {
    const signal = kernel.readU64(leader + signalOff);
    const threads = signal ? [...listForEach(kernel, signal + threadHeadOff, threadNodeOff)] : [];
    for (const t of threads.length ? threads : [leader]) out.push(readTask(kernel, t));
  }
  return out;
}
