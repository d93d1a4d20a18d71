/** `set [PID|TASK]`: crash's current context — the task bt shows without an argument. */
import { panicTask } from "../../analysis/backtrace.ts";
import { type PsRow, psRows, tasksMatching } from "../../analysis/tasks.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import { contextBlock } from "../../views/task.ts";
import type { Session, SessionCommand } from "../session.ts";

/** The session's current task: chosen with `set`, else the panic task. */
export function currentTask(session: Session, rows = psRows(session.kernel)): PsRow | undefined {
  if (session.context !== undefined) return rows.find((r) => r.task === session.context);
  return panicTask(session.kernel, rows);
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
    out.write(contextBlock(r, panicTask(session.kernel, rows), false));
  },
};
