/** `kdx ps DUMP`: crash's process list, from the dump alone (kallsyms and BTF in its memory). */
import { parseArgs } from "node:util";
import { type PsRow, psRows } from "../../analysis/tasks.ts";
import { UsageError } from "../../util/errors.ts";
import { openKernel } from "../io/dump-input.ts";

export const HELP = `usage: kdx ps [--json] [--system-map FILE] DUMP

Every task of the dead kernel, as crash's "ps" lists it: ">" marks the task
running on each CPU; kernel threads' names are in brackets.

options:
  --json             the same as JSON
  --system-map FILE  the kernel's System.map (or a copy of /proc/kallsyms) instead of the kallsyms in
                     the dump (for kernels whose VMCOREINFO does not locate kallsyms)
`;

export function renderPs(rows: PsRow[]): string {
  const lines = ["      PID    PPID  CPU       TASK        ST  %MEM      VSZ      RSS  COMM"];
  for (const r of rows)
    lines.push(
      `${r.active ? ">" : " "}${String(r.pid).padStart(8)}${String(r.ppid).padStart(8)}${String(r.cpu).padStart(4)}  ${r.task.toString(16).padStart(16, "0")}  ${r.st}${r.pctMem.toFixed(1).padStart(6)}${String(r.vsz).padStart(9)}${String(r.rss).padStart(9)}  ${r.kernelThread ? `[${r.comm}]` : r.comm}`,
    );
  return `${lines.join("\n")}\n`;
}

export async function psCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: "boolean" }, "system-map": { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError("kdx ps takes one DUMP");
  const { dump, kernel } = openKernel(positionals[0], "ps", { systemMap: values["system-map"] });
  try {
    const rows = psRows(kernel);
    if (values.json)
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
    else out.write(renderPs(rows));
    return 0;
  } finally {
    dump.close();
  }
}
