/** `set [PID|TASK]`: crash's current context — the task bt shows without an argument. */
import { type PsRow, psRows } from "../../analysis/tasks.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import type { Session, SessionCommand } from "../session.ts";
import { panicCpu } from "./bt.ts";
import { tasksMatching } from "./task.ts";

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

/** The task crash starts in: the one running on the CPU that panicked. */
export function panicTask(session: Session, rows = psRows(session.kernel)): PsRow | undefined {
  const cpu = panicCpu(session.kernel);
  return rows.find((r) => r.active && r.cpu === cpu);
}

/** The session's current task: chosen with `set`, else the panic task. */
export function currentTask(session: Session, rows = psRows(session.kernel)): PsRow | undefined {
  if (session.context !== undefined) return rows.find((r) => r.task === session.context);
  return panicTask(session, rows);
}

/**
 * crash's context block. `banner`: aligned under sys's fields, as crash prints it when it starts; else
 * as its `set` prints it.
 */
export function contextBlock(session: Session, r: PsRow, banner: boolean): string {
  const width = banner ? 12 : 7;
  const line = (k: string, v: string) => `${k.padStart(width)}: ${v}\n`;
  const panic = panicTask(session);
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

export const set: SessionCommand = {
  name: "set",
  help: `usage: set [PID | TASK | -p]

Without an argument, the current context: the task bt shows when given none —
the panic task when the session starts. With a PID or task_struct address, make
that task current; -p goes back to the panic task.
`,
  run(session, argv, out) {
    if (argv.length > 1) throw new UsageError("set [PID | TASK | -p]");
    const rows = psRows(session.kernel);
    if (argv[0] === "-p") session.context = undefined;
    else if (argv.length) {
      const hits = tasksMatching(rows, argv[0]);
      if (hits.length !== 1)
        throw new KdxError(
          hits.length ? `${argv[0]}: several tasks; give a task address` : `${argv[0]}: no such task`,
        );
      session.context = hits[0].task;
    }
    const r = currentTask(session, rows);
    if (!r) throw new KdxError("no current task: the dump names no panic CPU; give set a PID");
    out.write(contextBlock(session, r, false));
  },
};
