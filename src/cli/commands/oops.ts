/** `kdx oops [FILE...|-]`: find and explain the crash reports in kernel logs. */
import { parseArgs } from "node:util";
import { formatForReports } from "../../analysis/printk/format.ts";
import { readKernelLog } from "../../analysis/printk/index.ts";
import { ReportScanner } from "../../report/reader.ts";
import { type Symbolizer, symbolizeReport } from "../../report/symbolize.ts";
import { REPORT_SCHEMA, type Report } from "../../report/types.ts";
import { UsageError } from "../../util/errors.ts";
import { looksLikeDump, openKernel, reportWarnings } from "../io/dump-input.ts";
import { kallsymsSymbolizer, systemMapSymbolizer, vmlinuxSymbolizer } from "../io/symbolizers.ts";
import { readTextChunks } from "../io/text-input.ts";
import { pickStyle } from "../style.ts";
import { renderReport } from "../views/oops-text.ts";

export const HELP = `usage: kdx oops [options] [FILE...|-]

Find kernel crash reports (oops, BUG, WARNING, panic, lockups, hung tasks,
KASAN/UBSAN/KFENCE/KMSAN, lockdep, OOM kills) in dmesg, vmcore-dmesg.txt,
serial consoles, journalctl -k or syslog output, and explain each field.
A FILE that is a vmcore (any format kdx reads) is read for the log it holds.

options:
  --json               one JSON object per input file per line: {"schema", "file", "reports": [...]}
  --brief              fields only, no explanations
  --system-map FILE    name raw addresses with a System.map (KASLR offset taken from the report)
  --kallsyms FILE      name raw addresses with a copy of /proc/kallsyms
  --vmlinux FILE       symbols, plus file:line from its DWARF line tables (needs binutils)
  --kaslr-offset HEX   KASLR offset for --system-map/--vmlinux when the log has no "Kernel Offset:" line
  --color WHEN         auto (default), always, never
`;

interface Options {
  json: boolean;
  brief: boolean;
  systemMap?: string;
  kallsyms?: string;
  vmlinux?: string;
  kaslrOffset?: bigint;
  color: "auto" | "always" | "never";
}

function parse(argv: string[]): { files: string[]; opts: Options } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      brief: { type: "boolean", default: false },
      "system-map": { type: "string" },
      kallsyms: { type: "string" },
      vmlinux: { type: "string" },
      "kaslr-offset": { type: "string" },
      color: { type: "string", default: "auto" },
    },
  });
  const color = values.color as string;
  if (!["auto", "always", "never"].includes(color))
    throw new UsageError(`--color takes auto, always or never, not "${color}"`);
  const opts: Options = {
    json: values.json === true,
    brief: values.brief === true,
    color: color as Options["color"],
  };
  if (values["system-map"]) opts.systemMap = values["system-map"];
  if (values.kallsyms) opts.kallsyms = values.kallsyms;
  if (values.vmlinux) opts.vmlinux = values.vmlinux;
  if (values["kaslr-offset"] !== undefined) {
    const v = values["kaslr-offset"];
    if (!/^(0x)?[0-9a-fA-F]+$/.test(v)) throw new UsageError(`--kaslr-offset takes a hex number, not "${v}"`);
    opts.kaslrOffset = BigInt(v.startsWith("0x") ? v : `0x${v}`);
  }
  return { files: positionals.length ? positionals : ["-"], opts };
}

function symbolizerFor(opts: Options, reports: Report[]): Symbolizer | undefined {
  const fromLog = reports.find((r) => r.kernelOffset)?.kernelOffset;
  const offset = opts.kaslrOffset ?? (fromLog ? BigInt(fromLog) : 0n);
  if (opts.vmlinux) return vmlinuxSymbolizer(opts.vmlinux, offset);
  if (opts.kallsyms) return kallsymsSymbolizer(opts.kallsyms);
  if (opts.systemMap) return systemMapSymbolizer(opts.systemMap, offset);
  return undefined;
}

/** A text log streamed as it is read, or the log inside a dump. */
async function readInput(file: string, onText: (s: string) => void): Promise<void> {
  if (!looksLikeDump(file)) return readTextChunks(file, onText);
  const { dump, kernel } = openKernel(file, "oops");
  try {
    const log = readKernelLog(kernel);
    reportWarnings("oops", log.warnings);
    onText(formatForReports(log.records));
  } finally {
    dump.close();
  }
}

export async function oopsCommand(
  argv: string[],
  out: NodeJS.WritableStream & { isTTY?: boolean },
): Promise<number> {
  const { files, opts } = parse(argv);
  const style = pickStyle(opts.color, out.isTTY === true);
  let failed = 0;
  for (const file of files) {
    const scanner = new ReportScanner();
    const reports: Report[] = [];
    try {
      await readInput(file, (text) => reports.push(...scanner.push(text)));
      reports.push(...scanner.finish());
    } catch (e) {
      failed++;
      if (opts.json)
        out.write(
          `${JSON.stringify({ schema: REPORT_SCHEMA, file, error: (e as Error).message, reports: [] })}\n`,
        );
      else process.stderr.write(`kdx oops: ${(e as Error).message}\n`);
      continue;
    }
    const sym = symbolizerFor(opts, reports);
    if (sym) for (const r of reports) symbolizeReport(r, sym);
    if (opts.json) {
      out.write(
        `${JSON.stringify({ schema: REPORT_SCHEMA, file, longLines: scanner.longLines, reports })}\n`,
      );
      continue;
    }
    const name = file === "-" ? "<stdin>" : file;
    out.write(
      style.bold(
        `${name}: ${reports.length === 0 ? "no crash reports found" : `${reports.length} report${reports.length > 1 ? "s" : ""}`}\n`,
      ),
    );
    if (scanner.longLines)
      out.write(`  (${scanner.longLines} over-long line(s) cut: not a clean kernel log?)\n`);
    reports.forEach((r, i) => {
      out.write(`\n${renderReport(r, i, reports.length, style, !opts.brief)}\n`);
    });
    if (files.length > 1) out.write("\n");
  }
  return failed ? 1 : 0;
}
