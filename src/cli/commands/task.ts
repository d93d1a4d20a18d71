/** `task PID|TASK`: a task's struct task_struct, under crash's context header. */
import { parseArgs } from "node:util";
import { psRows, tasksMatching } from "../../analysis/tasks.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import { formatMember, formatValue, valueJson } from "../../views/btf-value.ts";
import { taskHeader } from "../../views/task.ts";
import type { SessionCommand } from "../session.ts";

export const task: SessionCommand = {
  name: "task",
  help: `usage: task PID|TASK [-R member[,member...]]      (kdx task ... DUMP)

The task's context line (PID, TASK, CPU, COMMAND) and its struct task_struct,
read through the kernel's BTF; -R shows only the named members.
`,
  run({ kernel }, argv, out) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { R: { type: "string", short: "R" }, json: { type: "boolean" } },
    });
    if (positionals.length !== 1) throw new UsageError("task PID|TASK");
    const arg = positionals[0];
    const hits = tasksMatching(psRows(kernel), arg);
    if (!hits.length) throw new KdxError(`${arg}: no such task`);
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
      if (values.R)
        for (const m of values.R.split(",")) out.write(`${formatMember(kernel, ts.id, bytes, m)}\n`);
      else out.write(`struct task_struct ${formatValue(kernel, ts.id, bytes, "")}\n`);
      if (hits.length > 1) out.write("\n");
    }
  },
};
