/** `task PID|TASK`: a task's struct task_struct, under crash's context header. */
import { parseArgs } from "node:util";
import { psRows, tasksMatching } from "../../analysis/tasks.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import { formatMember, formatValue, valueJson } from "../../views/btf-value.ts";
import { taskHeader } from "../../views/task.ts";
import type { SessionCommand } from "../session.ts";
import { currentTask } from "./set.ts";

export const task: SessionCommand = {
  name: "task",
  help: `usage: task [PID|TASK] [-R member[,member...]]      (kdx task ... DUMP)

The task's context line (PID, TASK, CPU, COMMAND) and its struct task_struct,
read through the kernel's BTF; -R shows only the named members.
`,
  run(session, argv, out) {
    const { kernel } = session;
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { R: { type: "string", short: "R" }, json: { type: "boolean" } },
    });
    if (positionals.length > 1) throw new UsageError("task [PID|TASK]");
    const arg = positionals[0];
    const rows = psRows(kernel);
    // Without an argument, the current context (set's task, else the panic task), as crash does.
    const current = arg === undefined ? currentTask(session, rows) : undefined;
    const hits = arg === undefined ? (current ? [current] : []) : tasksMatching(rows, arg);
    if (!hits.length) throw new KdxError(`${arg ?? "the current task"}: no such task`);
    const ts = kernel.btf.find("task_struct", "struct")!;
    if (values.json) {
      const tasks = hits.map((r) => {
        const all = valueJson(kernel, ts.id, kernel.read(r.task, ts.size!)) as Record<string, unknown>;
        const picked = values.R
          ? Object.fromEntries(
              values.R.split(",").map((m) => [
                m,
                m.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], all),
              ]),
            )
          : all;
        return {
          pid: r.pid,
          task: `0x${r.task.toString(16)}`,
          cpu: r.cpu,
          comm: r.comm,
          task_struct: picked,
        };
      });
      out.write(`${JSON.stringify({ schema: "kdx.task/1", tasks })}\n`);
      return;
    }
    for (const r of hits) {
      out.write(`${taskHeader(r)}\n`);
      const bytes = kernel.read(r.task, ts.size!);
      if (values.R) {
        const names = values.R.split(",");
        for (const m of names) out.write(`${formatMember(kernel, ts.id, bytes, m)}\n`);
        // crash shows the task's thread_info too (the start of task_struct since 4.9): its members of
        // those names after the task_struct's, then an empty line.
        const ti = kernel.btf.find("thread_info", "struct");
        if (ti && kernel.btf.has("task_struct", "thread_info")) {
          const at = kernel.btf.offsetof("task_struct", "thread_info");
          const tiBytes = bytes.subarray(at, at + ti.size!);
          for (const m of names)
            if (kernel.btf.has("thread_info", m)) out.write(`${formatMember(kernel, ti.id, tiBytes, m)}\n`);
        }
        out.write("\n");
      } else {
        out.write(`struct task_struct ${formatValue(kernel, ts.id, bytes, "")}\n`);
        if (hits.length > 1) out.write("\n");
      }
    }
  },
};
