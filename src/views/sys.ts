/** crash's sys banner, and kdx.sys/1. */
import { ctimeUtc } from "../analysis/printk/format.ts";
import type { SystemInfo } from "../analysis/system.ts";

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

export interface SysContext {
  /** The dump's file name, as crash's DUMPFILE shows it. */
  dumpfile: string;
  /** Filtered by a dump level: crash's [PARTIAL DUMP]. */
  partial: boolean;
  /** Where the symbols and types came from: crash's KERNEL line names its vmlinux. */
  symbols: string;
  types: string;
}

/** What crash's KERNEL line names: kdx has no vmlinux, so where its symbols and types came from. */
function kernelSource(symbols: string, types: string): string {
  if (symbols.startsWith("kallsyms in the dump") && types.includes("in the dump"))
    return "no vmlinux: kallsyms and BTF from the dump";
  const name = (s: string) => (s.includes("in the dump") ? "the dump" : baseName(s.replace(/ \(.*\)$/, "")));
  return `no vmlinux: symbols from ${name(symbols)}, BTF from ${name(types)}`;
}

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);

export function renderSys(s: SystemInfo, c: SysContext): string {
  const row = (k: string, v: string) => `${k.padStart(12)}: ${v}`;
  return `${[
    row("KERNEL", `${kernelSource(c.symbols, c.types)}${s.tainted ? "  [TAINTED]" : ""}`),
    row("DUMPFILE", `${baseName(c.dumpfile)}${c.partial ? "  [PARTIAL DUMP]" : ""}`),
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

export function sysJson(s: SystemInfo, c: SysContext): string {
  return `${JSON.stringify({ schema: "kdx.sys/1", ...s, taintMask: `0x${s.taintMask.toString(16)}`, dumpfile: c.dumpfile, partial: c.partial, symbols: c.symbols })}\n`;
}

/** sys -t: "TAINTED_MASK: 3080  DOE". */
export function renderTaint(t: { mask: bigint; letters: string }): string {
  return `TAINTED_MASK: ${t.mask.toString(16)}  ${t.letters}\n`;
}

export function taintJson(t: { mask: bigint; letters: string }): string {
  return `${JSON.stringify({ schema: "kdx.sys-t/1", taintedMask: `0x${t.mask.toString(16)}`, letters: t.letters })}\n`;
}
