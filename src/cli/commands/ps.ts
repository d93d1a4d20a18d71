/** `ps`: crash's process list, from the dump alone (kallsyms and BTF in its memory), with crash's views of it. */
import { parseArgs } from "node:util";
import { lastRun, type PsRow, parentOf, psRows, rqClock, savedStackPointer } from "../../analysis/tasks.ts";
import { UsageError } from "../../util/errors.ts";
import {
  psJson,
  renderAncestry,
  renderChildren,
  renderLastRun,
  renderPs,
  renderSinceRun,
  renderStateCounts,
} from "../../views/ps.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

export const ps: SessionCommand = {
  name: "ps",
  help: `usage: kdx ps [-A|-S|-s|-l|-m|-p|-c] [--json] [--system-map FILE] DUMP      (in the shell: ps [...])

Every task of the dead kernel, as crash's "ps" lists it: ">" marks the task
running on each CPU; kernel threads' names are in brackets.

options:
  -A                 only the tasks running on a CPU
  -S                 how many tasks are in each state
  -s                 each task's saved kernel stack pointer (KSTACKP) instead of its task_struct
  -l                 each task under when it last ran (sched_info.last_arrival), latest first
  -m                 as -l, as the time before its CPU's runqueue clock (days hh:mm:ss.ms)
  -p                 each task's parentage, from the first ancestor down
  -c                 each task's children
  --json             {"schema": "kdx.ps/1", "tasks": [...]}
${SYSTEM_MAP_HELP}`,
  run({ kernel }, argv, out) {
    const flags = ["A", "S", "s", "l", "m", "p", "c"] as const;
    const { values } = parseArgs({
      args: argv,
      options: {
        json: { type: "boolean" },
        A: { type: "boolean", short: "A" },
        S: { type: "boolean", short: "S" },
        s: { type: "boolean", short: "s" },
        l: { type: "boolean", short: "l" },
        m: { type: "boolean", short: "m" },
        p: { type: "boolean", short: "p" },
        c: { type: "boolean", short: "c" },
      },
    });
    const chosen = flags.filter((f) => values[f]);
    if (chosen.length > 1) throw new UsageError(`ps: -${chosen.join(" and -")} do not go together`);
    const rows = psRows(kernel);
    if (values.json) {
      out.write(psJson(values.A ? rows.filter((r) => r.active) : rows));
      return;
    }
    const byTask = new Map(rows.map((r) => [r.task, r]));
    switch (chosen[0]) {
      case "A":
        out.write(renderPs(rows.filter((r) => r.active)));
        return;
      case "S":
        out.write(renderStateCounts(rows));
        return;
      case "s":
        out.write(
          renderPs(
            rows,
            new Map(rows.filter((r) => !r.active).map((r) => [r.task, savedStackPointer(kernel, r.task)])),
          ),
        );
        return;
      case "l":
      case "m": {
        // Latest first; tasks that ran at the same moment stay in ps's order, as crash's sort leaves them.
        const timed = rows
          .map((row) => ({ row, lastRun: lastRun(kernel, row.task), clock: 0n }))
          .sort((a, b) => (a.lastRun === b.lastRun ? 0 : a.lastRun < b.lastRun ? 1 : -1));
        if (chosen[0] === "l") out.write(renderLastRun(timed));
        else out.write(renderSinceRun(timed.map((t) => ({ ...t, clock: rqClock(kernel, t.row.cpu) }))));
        return;
      }
      case "p":
        for (const r of rows) out.write(renderAncestry(ancestry(kernel, r, byTask)));
        return;
      case "c":
        for (const r of rows)
          out.write(
            renderChildren(
              r,
              rows.filter((c) => parentOf(kernel, c.task) === r.task),
            ),
          );
        return;
      default:
        out.write(renderPs(rows));
    }
  },
};

/** The task's parents up to the first (a task that is its own parent), first ancestor first. */
function ancestry(kernel: Parameters<typeof parentOf>[0], r: PsRow, byTask: Map<bigint, PsRow>): PsRow[] {
  const chain = [r];
  for (
    let t = r.task, p = parentOf(kernel, t);
    p !== t && chain.length < 1 << 16;
    t = p, p = parentOf(kernel, t)
  ) {
    const row = byTask.get(p);
    if (!row) break;
    chain.push(row);
  }
  return chain.reverse();
}
