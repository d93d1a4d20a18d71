/** `ps`: crash's process list, from the dump alone (kallsyms and BTF in its memory). */
import { parseArgs } from "node:util";
import { type PsRow, psRows } from "../../analysis/tasks.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

export function renderPs(rows: PsRow[]): string {
  const lines = ["      PID    PPID  CPU       TASK        ST  %MEM      VSZ      RSS  COMM"];
  for (const r of rows)
    lines.push(
      `${r.active ? ">" : " "}${String(r.pid).padStart(8)}${String(r.ppid).padStart(8)}${String(r.cpu).padStart(4)}  ${r.task.toString(16).padStart(16, "0")}  ${r.st}${r.pctMem.toFixed(1).padStart(6)}${String(r.vsz).padStart(9)}${String(r.rss).padStart(9)}  ${r.kernelThread ? `[${r.comm}]` : r.comm}`,
    );
  return `${lines.join("\n")}\n`;
}

export const ps: SessionCommand = {
  name: "ps",
  help: `usage: kdx ps [--json] [--system-map FILE] DUMP      (in the shell: ps [--json])

Every task of the dead kernel, as crash's "ps" lists it: ">" marks the task
running on each CPU; kernel threads' names are in brackets.

options:
  --json             {"schema": "kdx.ps/1", "tasks": [...]}
${SYSTEM_MAP_HELP}`,
  run({ kernel }, argv, out) {
    const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" } } });
    const rows = psRows(kernel);
    if (!values.json) {
      out.write(renderPs(rows));
      return;
    }
    out.write(
      `${JSON.stringify({
        schema: "kdx.ps/1",
        tasks: rows.map((r) => ({
          pid: r.pid,
          ppid: r.ppid,
          cpu: r.cpu,
          task: `0x${r.task.toString(16)}`,
          state: r.st,
          active: r.active,
          pctMem: Number(r.pctMem.toFixed(1)),
          vszKiB: r.vsz,
          rssKiB: r.rss,
          comm: r.comm,
          kernelThread: r.kernelThread,
        })),
      })}\n`,
    );
  },
};
