/** crash's ps, and kdx.ps/1. */
import type { PsRow } from "../analysis/tasks.ts";

import { taskHeader } from "./task.ts";

/** crash's mkstring(CENTER) in a 16-column field (an odd space goes left). */
const center16 = (s: string) => {
  const left = Math.ceil((16 - s.length) / 2);
  return `${" ".repeat(left)}${s}`.padEnd(16);
};

/**
 * crash's ps. `kstackp` (ps -s): the KSTACKP column, each sleeping task's saved stack pointer ("--" for
 * one on a CPU), in place of TASK.
 */
export function renderPs(rows: PsRow[], kstackp?: Map<bigint, bigint>): string {
  const lines = [
    `      PID    PPID  CPU ${center16(kstackp ? "KSTACKP" : "TASK")}  ST  %MEM      VSZ      RSS  COMM`,
  ];
  for (const r of rows) {
    const where = kstackp
      ? r.active
        ? center16("--")
        : (kstackp.get(r.task) ?? 0n).toString(16).padStart(16, "0")
      : r.task.toString(16).padStart(16, "0");
    lines.push(
      `${r.active ? ">" : " "}${String(r.pid).padStart(8)}${String(r.ppid).padStart(8)}${String(r.cpu).padStart(4)}  ${where}  ${r.st}${r.pctMem.toFixed(1).padStart(6)}${String(r.vsz).padStart(9)}${String(r.rss).padStart(9)}  ${r.kernelThread ? `[${r.comm}]` : r.comm}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** ps -S: how many tasks are in each state, states in the order first met. */
export function renderStateCounts(rows: PsRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.st, (counts.get(r.st) ?? 0) + 1);
  return [...counts].map(([st, n]) => `  ${st}: ${n}\n`).join("");
}

/** ps -l: each task under its last-run timestamp, widest first (the rows come sorted, latest first). */
export function renderLastRun(rows: { row: PsRow; lastRun: bigint }[]): string {
  const width = String(rows[0]?.lastRun ?? 0n).length;
  return rows
    .map(({ row, lastRun }) => `[${String(lastRun).padStart(width)}] [${row.st}]  ${taskHeader(row)}\n`)
    .join("");
}

/** crash's translate_nanoseconds: "D HH:MM:SS.mmm". */
function elapsed(ns: bigint): string {
  let v = ns / 1_000_000n;
  const ms = v % 1000n;
  v /= 1000n;
  const secs = v % 60n;
  v /= 60n;
  const mins = v % 60n;
  v /= 60n;
  const hours = v % 24n;
  const days = v / 24n;
  const two = (n: bigint) => String(n).padStart(2, "0");
  return `${days} ${two(hours)}:${two(mins)}:${two(secs)}.${String(ms).padStart(3, "0")}`;
}

/** ps -m: how long before its CPU's runqueue clock each task last ran, days padded to the clock's. */
export function renderSinceRun(rows: { row: PsRow; lastRun: bigint; clock: bigint }[]): string {
  return rows
    .map(({ row, lastRun, clock }) => {
      const delta = clock - lastRun > 0n ? clock - lastRun : 0n;
      const text = elapsed(delta);
      const pad = elapsed(clock).indexOf(" ") - text.indexOf(" ");
      return `[${" ".repeat(Math.max(0, pad))}${text}] [${row.st}]  ${taskHeader(row)}\n`;
    })
    .join("");
}

/** ps -p: the task's ancestry, from the first ancestor down, each one space further in; an empty line after. */
export function renderAncestry(chain: PsRow[]): string {
  return `${chain.map((r, i) => `${" ".repeat(i)}${taskHeader(r)}\n`).join("")}\n`;
}

/** ps -c: the task, then each child two spaces in (or "(no children)"); an empty line after. */
export function renderChildren(task: PsRow, children: PsRow[]): string {
  const lines = children.length ? children.map((c) => `  ${taskHeader(c)}`) : ["  (no children)"];
  return `${taskHeader(task)}\n${lines.join("\n")}\n\n`;
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
