/**
 * What the dashboard knows about one dump directory: the crash reports in its log (title, signature,
 * the explained report), and from the vmcore itself `sys` and the panic task's `bt`, rendered as crash
 * prints them (the same renderers as the CLI's commands). A dump whose vmcore is missing or unreadable
 * is analysed from its vmcore-dmesg.txt alone.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { backtrace, panicTask } from "../analysis/backtrace.ts";
import { formatForReports, formatMakedumpfile } from "../analysis/printk/format.ts";
import { readKernelLog } from "../analysis/printk/index.ts";
import { type SystemInfo, sys } from "../analysis/system.ts";
import { psRows } from "../analysis/tasks.ts";
import type { Dump } from "../dump/physical-memory.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { openKernel } from "../platform/node/open-kernel.ts";
import { ReportScanner } from "../report/reader.ts";
import type { Report } from "../report/types.ts";
import { renderBacktraces } from "../views/bt.ts";
import { renderReport } from "../views/oops-text.ts";
import { PLAIN } from "../views/style.ts";
import { renderSys } from "../views/sys.ts";
import type { Analysis } from "./crash-index.ts";

/** Logs beyond this are cut for the index (the whole log stays in the directory). */
const MAX_LOG = 4 << 20;

export interface CrashDetail {
  source: "vmcore" | "vmcore-dmesg.txt" | "none";
  reports: Report[];
  explained: string[];
  sys?: string;
  bt?: string;
  log?: string;
  logCut?: boolean;
  dumpInfo?: { format: string; description: string; dumpLevel?: number; warnings: string[] };
  problems: string[];
}

function scan(text: string): Report[] {
  const s = new ReportScanner();
  return [...s.push(text), ...s.finish()];
}

/** The report the crash is named after: the first real crash, else the first event. */
function primary(reports: Report[]): Report | undefined {
  return reports.find((r) => !r.event) ?? reports[0];
}

/** The machine (sys) and the panic task's stack (bt) as records, and as crash prints them for the page. */
function sysAndBt(dump: Dump, kernel: Kernel, path: string, detail: CrashDetail): SystemInfo | undefined {
  let s: SystemInfo | undefined;
  try {
    s = sys(kernel);
    detail.sys = renderSys(s, {
      dumpfile: path,
      partial: (dump.info.dumpLevel ?? 0) > 0,
      symbols: kernel.symbols.source,
      types: kernel.btf.source,
    });
  } catch (e) {
    detail.problems.push(`sys: ${(e as Error).message}`);
  }
  try {
    const task = panicTask(kernel, psRows(kernel));
    if (!task) throw new Error("the panic task: no such task");
    detail.bt = renderBacktraces([backtrace(kernel, task)], kernel.arch.registers);
  } catch (e) {
    detail.problems.push(`bt: ${(e as Error).message}`);
  }
  return s;
}

export function analyseDumpDir(dir: string): Analysis {
  const detail: CrashDetail = { source: "none", reports: [], explained: [], problems: [] };
  const a: Analysis = { detail };
  const vmcore = join(dir, "vmcore");
  const dmesg = join(dir, "vmcore-dmesg.txt");
  let logText: string | undefined;
  if (existsSync(vmcore)) {
    try {
      const { dump, kernel } = openKernel(vmcore, "serve");
      try {
        a.format = dump.info.description;
        detail.dumpInfo = {
          format: dump.info.format,
          description: dump.info.description,
          dumpLevel: dump.info.dumpLevel,
          warnings: dump.info.warnings,
        };
        const vi = kernel.vmcoreinfo;
        a.release = vi.osrelease;
        a.crashTime = vi.crashTime;
        const log = readKernelLog(kernel);
        detail.source = "vmcore";
        logText = new TextDecoder().decode(formatMakedumpfile(log.records));
        detail.reports = scan(formatForReports(log.records));
        const s = sysAndBt(dump, kernel, vmcore, detail);
        if (s?.nodename) a.hostname = s.nodename;
        // No CRASHTIME (a QEMU or virsh dump): the kernel's own clock at the crash, as sys shows it.
        if (a.crashTime === undefined && s) a.crashTime = s.date;
      } finally {
        dump.close();
      }
    } catch (e) {
      detail.problems.push(`vmcore: ${(e as Error).message}`);
    }
  }
  if (detail.source === "none" && existsSync(dmesg) && statSync(dmesg).size > 0) {
    logText = readFileSync(dmesg, "latin1");
    detail.source = "vmcore-dmesg.txt";
    detail.reports = scan(logText);
  }
  if (logText !== undefined) {
    detail.logCut = logText.length > MAX_LOG;
    detail.log = detail.logCut ? logText.slice(logText.length - MAX_LOG) : logText;
  }
  detail.explained = detail.reports.map((r, i) => renderReport(r, i, detail.reports.length, PLAIN, true));
  const p = primary(detail.reports);
  if (p) {
    a.kind = p.kind;
    a.title = p.title;
    a.signature = p.signature;
    a.corrupted = p.corrupted;
    a.release ??= p.release;
  } else if (detail.source !== "none") {
    a.title = "no crash report in the log";
  }
  return a;
}
