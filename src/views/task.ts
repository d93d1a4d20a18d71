/** A task as crash names it: the context line over bt and task, and the block set and the banner print. */
import type { PsRow } from "../analysis/tasks.ts";

/** crash's context line: `PID: 105      TASK: ffff8eb6026f8000  CPU: 0    COMMAND: "sh"`. */
export function taskHeader(r: PsRow): string {
  return `PID: ${String(r.pid).padEnd(7)}  TASK: ${r.task.toString(16).padStart(16, "0")}  CPU: ${String(r.cpu).padEnd(3)}  COMMAND: "${r.comm}"`;
}

const STATE_NAMES: Record<string, string> = {
  RU: "TASK_RUNNING",
  IN: "TASK_INTERRUPTIBLE",
  UN: "TASK_UNINTERRUPTIBLE",
  ID: "TASK_IDLE",
  ST: "TASK_STOPPED",
  TR: "TASK_TRACED",
  ZO: "EXIT_ZOMBIE",
  DE: "EXIT_DEAD",
  WA: "TASK_WAKING",
  PA: "TASK_PARKED",
  NE: "TASK_NEW",
};

/**
 * crash's context block for `r` (`panic`: the task that panicked). `banner`: aligned under sys's fields, as
 * crash prints it when it starts; else as its `set` prints it.
 */
export function contextBlock(r: PsRow, panic: PsRow | undefined, banner: boolean): string {
  const width = banner ? 12 : 7;
  const line = (k: string, v: string) => `${k.padStart(width)}: ${v}\n`;
  const how = r.active ? (panic?.task === r.task ? "(PANIC)" : "(ACTIVE)") : "";
  const task = r.task.toString(16).padStart(16, "0");
  return (
    line("PID", String(r.pid)) +
    line("COMMAND", `"${r.comm}"`) +
    // Since Linux 4.9 (THREAD_INFO_IN_TASK) thread_info is the start of task_struct.
    line("TASK", `${task}  [THREAD_INFO: ${task}]`) +
    line("CPU", String(r.cpu)) +
    // crash prints the state, a space, then (PANIC) or (ACTIVE) for a task on a CPU.
    line("STATE", `${STATE_NAMES[r.st] ?? r.st} ${how}`)
  );
}
