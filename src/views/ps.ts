/** crash's ps, and kdx.ps/1. */
import type { PsRow } from "../analysis/tasks.ts";

export function renderPs(rows: PsRow[]): string {
  const lines = ["      PID    PPID  CPU       TASK        ST  %MEM      VSZ      RSS  COMM"];
  for (const r of rows)
    lines.push(
      `${r.active ? ">" : " "}${String(r.pid).padStart(8)}${String(r.ppid).padStart(8)}${String(r.cpu).padStart(4)}  ${r.task.toString(16).padStart(16, "0")}  ${r.st}${r.pctMem.toFixed(1).padStart(6)}${String(r.vsz).padStart(9)}${String(r.rss).padStart(9)}  ${r.kernelThread ? `[${r.comm}]` : r.comm}`,
    );
  return `${lines.join("\n")}\n`;
}

export function psJson(rows: PsRow[]): string {
  return `${JSON.stringify({
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
  })}\n`;
}
