/**
 * What the dashboard knows about one dump directory: the crash reports in its log (title, signature,
 * the explained report), and from the vmcore itself `sys` and the panic task's `bt`, rendered as crash
 * prints them (the same renderers as the CLI's commands). A dump whose vmcore is missing or unreadable
 * is analysed from its vmcore-dmesg.txt alone.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { formatForReports, formatMakedumpfile } from "../analysis/printk/format.ts";
import { readKernelLog } from "../analysis/printk/index.ts";
import { bt } from "../cli/commands/bt.ts";
import { sys } from "../cli/commands/sys.ts";
import { openKernel } from "../cli/io/dump-input.ts";
import { TextSink } from "../cli/session.ts";
import { PLAIN } from "../cli/style.ts";
import { renderReport } from "../cli/views/oops-text.ts";
import { ReportScanner } from "../report/reader.ts";
import type { Report } from "../report/types.ts";
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

function run(cmd: typeof sys, session: Parameters<typeof sys.run>[0]): string {
  const sink = new TextSink();
  cmd.run(session, [], sink.stream);
  return sink.text;
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
        const session = { dump, kernel, path: vmcore, commands: new Map() };
        for (const [name, cmd] of [
          ["sys", sys],
          ["bt", bt],
        ] as const) {
          try {
            detail[name] = run(cmd, session);
          } catch (e) {
            detail.problems.push(`${name}: ${(e as Error).message}`);
          }
        }
        const node = /NODENAME: (\S+)/.exec(detail.sys ?? "");
        if (node) a.hostname = node[1];
        // No CRASHTIME (a QEMU or virsh dump): the kernel's own clock at the crash, as sys shows it.
        const date = /DATE: \w+ (\w+ +\d+ [\d:]+) UTC (\d{4})/.exec(detail.sys ?? "");
        if (a.crashTime === undefined && date) {
          const t = Date.parse(`${date[1]} ${date[2]} UTC`);
          if (Number.isFinite(t)) a.crashTime = Math.floor(t / 1000);
        }
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
