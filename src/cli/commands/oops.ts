/** `kdx oops [FILE...|-]`: find and explain the crash reports in kernel logs. */
import { parseArgs } from "node:util";
import { formatForReports } from "../../analysis/printk/format.ts";
import { readKernelLog } from "../../analysis/printk/index.ts";
import { literalScanner } from "../../platform/node/literal-scan.ts";
import { looksLikeDump, openKernel, reportWarnings } from "../../platform/node/open-kernel.ts";
import { MAX_LINE } from "../../report/lines.ts";
import { type ChunkIndex, ReportScanner } from "../../report/reader.ts";
import { HEADER_LITERALS } from "../../report/rules.ts";
import { type Symbolizer, symbolizeReport } from "../../report/symbolize.ts";
import { REPORT_SCHEMA, type Report } from "../../report/types.ts";
import { UsageError } from "../../util/errors.ts";
import { renderReport } from "../../views/oops-text.ts";
import { pickStyle } from "../../views/style.ts";
import { kallsymsSymbolizer, systemMapSymbolizer, vmlinuxSymbolizer } from "../io/symbolizers.ts";
import { readTextChunks } from "../io/text-input.ts";

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

/** The native search for report headers in raw bytes, made on first use (undefined where there is none). */
let headerScan: ((bytes: Uint8Array) => ChunkIndex) | null | undefined;

/**
 * A text log streamed as it is read, each chunk with its index (where its headers are, found natively) where
 * there is one; or the log inside a dump.
 */
async function readInput(file: string, onText: (s: string, index?: ChunkIndex) => void): Promise<void> {
  if (!looksLikeDump(file)) {
    if (headerScan === undefined) headerScan = literalScanner(HEADER_LITERALS, MAX_LINE) ?? null;
    return readTextChunks(file, onText, headerScan ?? undefined);
  }
  const { dump, kernel } = openKernel(file, "oops");
  try {
    const log = readKernelLog(kernel);
    reportWarnings("oops", log.warnings);
    onText(formatForReports(log.records));
  } finally {
    dump.close();
  }
}

/**
 * Reports held back before anything is printed: the header can then say how many there are, and raw addresses
 * are named with the KASLR offset of any of them. A log with more (a warning storm) is printed as it is read,
 * each report as soon as it is whole, so that memory stays bounded whatever the number of reports.
 */
export const HELD_REPORTS = 256;

/** How one file's reports are written: a header, each report, an end. */
interface ReportWriter {
  /** `count` and `longLines` are known when the whole file was read first (undefined when streaming). */
  begin(count: number | undefined, longLines: number | undefined): void;
  report(r: Report, index: number, total: number | undefined): void;
  end(count: number, longLines: number, streamed: boolean): void;
  fail(message: string, started: boolean): void;
}

function jsonWriter(file: string, out: NodeJS.WritableStream): ReportWriter {
  const head = JSON.stringify({ schema: REPORT_SCHEMA, file }).slice(0, -1);
  return {
    begin: () => out.write(`${head},"reports":[`),
    report: (r, i) => out.write(`${i ? "," : ""}${JSON.stringify(r)}`),
    end: (_count, longLines) => out.write(`],"longLines":${longLines}}\n`),
    fail: (message, started) =>
      out.write(
        started
          ? `],"error":${JSON.stringify(message)}}\n`
          : `${JSON.stringify({ schema: REPORT_SCHEMA, file, error: message, reports: [] })}\n`,
      ),
  };
}

function textWriter(
  file: string,
  out: NodeJS.WritableStream,
  style: ReturnType<typeof pickStyle>,
  explain: boolean,
): ReportWriter {
  const name = file === "-" ? "<stdin>" : file;
  const counted = (n: number) => (n === 0 ? "no crash reports found" : `${n} report${n > 1 ? "s" : ""}`);
  return {
    begin: (count, longLines) => {
      out.write(
        style.bold(
          `${name}: ${count === undefined ? `more than ${HELD_REPORTS} reports, printed as they are found` : counted(count)}\n`,
        ),
      );
      if (longLines) out.write(`  (${longLines} over-long line(s) cut: not a clean kernel log?)\n`);
    },
    report: (r, i, total) => out.write(`\n${renderReport(r, i, total, style, explain)}\n`),
    end: (count, longLines, streamed) => {
      if (!streamed) return;
      out.write(style.bold(`\n${name}: ${counted(count)}\n`));
      if (longLines) out.write(`  (${longLines} over-long line(s) cut: not a clean kernel log?)\n`);
    },
    fail: (message) => process.stderr.write(`kdx oops: ${message}\n`),
  };
}

/** Read one file's reports into `w`: held back up to HELD_REPORTS, then printed as they come. */
async function reportFile(file: string, opts: Options, w: ReportWriter): Promise<boolean> {
  const scanner = new ReportScanner();
  const held: Report[] = [];
  let streamed = false;
  let count = 0;
  let sym: Symbolizer | undefined;
  const emit = (r: Report, total: number | undefined) => {
    if (sym) symbolizeReport(r, sym);
    w.report(r, count++, total);
  };
  const take = (reports: Report[]) => {
    for (const r of reports) {
      if (streamed) {
        emit(r, undefined);
        continue;
      }
      held.push(r);
      if (held.length > HELD_REPORTS) {
        streamed = true;
        sym = symbolizerFor(opts, held);
        w.begin(undefined, undefined);
        for (const h of held.splice(0)) emit(h, undefined);
      }
    }
  };
  try {
    await readInput(file, (text, index) => take(scanner.push(text, index)));
    take(scanner.finish());
  } catch (e) {
    w.fail((e as Error).message, streamed);
    return false;
  }
  if (!streamed) {
    sym = symbolizerFor(opts, held);
    w.begin(held.length, scanner.longLines);
    for (const r of held) emit(r, held.length);
  }
  w.end(count, scanner.longLines, streamed);
  return true;
}

export async function oopsCommand(
  argv: string[],
  out: NodeJS.WritableStream & { isTTY?: boolean },
): Promise<number> {
  const { files, opts } = parse(argv);
  const style = pickStyle(opts.color, out.isTTY === true);
  let failed = 0;
  for (const file of files) {
    const w = opts.json ? jsonWriter(file, out) : textWriter(file, out, style, !opts.brief);
    if (!(await reportFile(file, opts, w))) failed++;
    else if (!opts.json && files.length > 1) out.write("\n");
  }
  return failed ? 1 : 0;
}
