/**
 * PIDs and the tasks they name, as drgn's find_pid, pid_task and find_task: the pid namespace's IDR maps
 * a number to its struct pid, whose tasks[PIDTYPE_PID] hlist holds the task.
 */
import type { Kernel } from "../kernel.ts";
import { type KernelObject, kobject } from "../types/object.ts";
import { idrFind } from "./idr.ts";
import { hlistForEachEntry } from "./list.ts";

/** The struct pid for `nr` in the initial pid namespace, or undefined (find_pid). */
export function findPid(kernel: Kernel, nr: number): KernelObject | undefined {
  const idr = kobject(kernel, "struct pid_namespace", kernel.symbol("init_pid_ns")).member("idr");
  const pid = idrFind(kernel, idr.address, BigInt(nr));
  return pid ? kobject(kernel, "struct pid", pid) : undefined;
}

/** The task a struct pid names as its PIDTYPE_PID (pid_task(pid, PIDTYPE_PID)). */
export function pidTask(pid: KernelObject): KernelObject | undefined {
  for (const task of hlistForEachEntry(pid.member("tasks").index(0), "struct task_struct", "pid_links"))
    return task;
  return undefined;
}

/** The task with thread ID `nr` (find_task). */
export function findTask(kernel: Kernel, nr: number): KernelObject | undefined {
  const pid = findPid(kernel, nr);
  return pid ? pidTask(pid) : undefined;
}
