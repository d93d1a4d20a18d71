/** `kdx sys DUMP`: crash's system banner, from the dump alone. */
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { ctimeUtc, formatCrashLog } from "../../analysis/printk/format.ts";
import { readKernelLog } from "../../analysis/printk/index.ts";
import { type SystemInfo, systemInfo } from "../../analysis/system.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

const HELP = `usage: kdx sys [--json] [--system-map FILE] DUMP      (in the shell: sys [--json])

The dead machine at a glance, as crash's "sys" prints it: CPUs, date, uptime,
load average, tasks, uname, memory, the panic message.

options:
  --json             the same as JSON
${SYSTEM_MAP_HELP}`;

const hms = (s: number) =>
  [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");

/** crash's sizes: "127.5 MB", "3.9 GB". */
function size(bytes: number): string {
  const mb = bytes / 2 ** 20;
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${mb.toFixed(1)} MB`;
}

/** crash's date: ctime with the zone, "Wed Nov 25 02:56:26 UTC 2026". */
function date(sec: number): string {
  const c = ctimeUtc(sec);
  return `${c.slice(0, 19)} UTC${c.slice(19)}`;
}

export function renderSys(s: SystemInfo, dumpfile: string, partial: boolean, kernelFrom: string): string {
  const row = (k: string, v: string) => `${k.padStart(12)}: ${v}`;
  return `${[
    row("KERNEL", `${kernelFrom}${s.tainted ? "  [TAINTED]" : ""}`),
    row("DUMPFILE", `${dumpfile}${partial ? "  [PARTIAL DUMP]" : ""}`),
    row("CPUS", `${s.cpus}${s.offline ? ` [OFFLINE: ${s.offline}]` : ""}`),
    row("DATE", date(s.date)),
    row("UPTIME", hms(s.uptimeSeconds)),
    row("LOAD AVERAGE", s.loadAverage.join(", ")),
    row("TASKS", String(s.tasks)),
    row("NODENAME", s.nodename),
    row("RELEASE", s.release),
    row("VERSION", s.version),
    row("MACHINE", `${s.machine}  (${s.mhz} Mhz)`),
    row("MEMORY", size(s.memoryBytes)),
    row("PANIC", s.panic ? `"${s.panic}"` : '""'),
  ].join("\n")}\n`;
}

/** What crash's KERNEL line names: kdx has no vmlinux, so where its symbols and types came from. */
function kernelSource(kernel: Kernel): string {
  const symbols = kernel.symbols.source;
  const types = kernel.btf.source;
  if (symbols.startsWith("kallsyms in the dump") && types.includes("in the dump"))
    return "no vmlinux: kallsyms and BTF from the dump";
  const name = (s: string) => (s.includes("in the dump") ? "the dump" : basename(s.replace(/ \(.*\)$/, "")));
  return `no vmlinux: symbols from ${name(symbols)}, BTF from ${name(types)}`;
}

export const sys: SessionCommand = {
  name: "sys",
  help: HELP,
  run({ dump, kernel, path }, argv, out) {
    const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" } } });
    const log = readKernelLog(kernel);
    const lines = new TextDecoder().decode(formatCrashLog(log.records, { noTime: true })).split("\n");
    const s = systemInfo(kernel, lines);
    const partial = (dump.info.dumpLevel ?? 0) > 0;
    if (values.json)
      out.write(
        `${JSON.stringify({ schema: "kdx.sys/1", ...s, taintMask: `0x${s.taintMask.toString(16)}`, dumpfile: path, partial, symbols: kernel.symbols.source })}\n`,
      );
    else out.write(renderSys(s, basename(path), partial, kernelSource(kernel)));
  },
};
