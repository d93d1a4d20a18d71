/**
 * The report reader: text in, structured reports out. `ReportScanner` takes
 * the log in chunks of any size and keeps only a bounded window of lines, so
 * memory does not grow with the input.
 */
import { defineCode, emptyFault, parseFields } from "./fields.ts";
import { type LogLine, lineTime, MAX_LINE, parseLine } from "./lines.ts";
import { decodePageFault } from "./pagefault.ts";
import { ANY_HEADER } from "./rules.ts";
import {
  END_TRACE_LINES,
  type Extent,
  findReport,
  headerFamily,
  MAX_REPORT_LINES,
  mayEndReport,
  PREFIX_LINES,
} from "./segment.ts";
import { describe, missingStack, normaliseTitle } from "./title.ts";
import type { Report } from "./types.ts";

const HEADER_SEARCH = new RegExp(ANY_HEADER.source, "g");

/**
 * What a search of a chunk's bytes for HEADER_LITERALS found (ReportScanner.push), lines counted from 0 at the
 * chunk's start, a line being the text up to a newline (the text after the last one is line `lines`).
 */
export interface ChunkIndex {
  /** An offset inside each header occurrence, in increasing order. */
  hits: ArrayLike<number>;
  /** The line of each hit. */
  hitLines: ArrayLike<number>;
  /** How many newlines the chunk holds. */
  lines: number;
  /** The whole lines longer than MAX_LINE: where each starts, and which line it is. */
  longStarts: ArrayLike<number>;
  longLines: ArrayLike<number>;
}

/**
 * Where report headers (HEADER_LITERALS) start in `text`, in order: one search over a whole chunk is far
 * cheaper than one per line.
 */
function findHeaders(text: string): number[] {
  const hits: number[] = [];
  HEADER_SEARCH.lastIndex = 0;
  for (let m = HEADER_SEARCH.exec(text); m; m = HEADER_SEARCH.exec(text)) hits.push(m.index);
  return hits;
}

/** FNV-1a, 64-bit: a stable, dependency-free fingerprint (in two 32-bit halves: BigInt is slow). */
function fnv64(s: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < s.length; i++) {
    lo ^= s.charCodeAt(i) & 0xff;
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40), modulo 2^64; every product below stays exact in a double.
    const loMul = (lo >>> 0) * 0x1b3;
    hi = ((hi >>> 0) * 0x1b3 + Math.floor(loMul / 0x100000000) + (lo << 8)) >>> 0;
    lo = loMul >>> 0;
  }
  return (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");
}

/**
 * A line cut out of a chunk, as a string of its own. V8 makes a substring a view of the string it was cut
 * from, so every string a report keeps (its lines, frames, registers, names) would hold the whole chunk
 * in memory for as long as the report lives: holding 256 reports of a long log held 256 chunks. Concatenation
 * then a cut makes V8 copy the line first (a flat string of its own) and cut from that. Done for a report's
 * own lines as it is built, before anything is cut from them.
 */
function ownCopy(line: string): string {
  // V8 copies substrings shorter than 13 characters anyway.
  return line.length < 13 ? line : ` ${line}`.slice(1);
}

/**
 * ownCopy for many lines at once: one copy of them all (a join is a string of its own), each line cut from
 * it. Returns the new texts.
 */
function ownLines(lines: LogLine[]): string[] {
  const texts = lines.map((l) => l.text);
  const joined = texts.join("\n");
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    const end = at + texts[i]!.length;
    texts[i] = lines[i]!.text = joined.slice(at, end);
    at = end + 1;
  }
  return texts;
}

/** The fields of a report after its `code`. */
type TailFields = "registers" | "trace" | "modules" | "unloadedModules" | "panic" | "kernelOffset" | "lines";

/** Build the report for one extent of parsed lines. */
export function buildReport(lines: LogLine[], ext: Extent, cutLine = -1): Report {
  for (const l of ext.prefix) l.text = ownCopy(l.text);
  const texts = ownLines(ext.body);
  const described = describe(ext.titleText, ext.family, ext.titleLines);
  const rule = described.rule;
  const title = normaliseTitle(described.title);
  let corruptedReason = described.corrupted ?? missingStack(ext.titleText, rule, title);
  const last = lines[Math.max(ext.start, ext.end - 1)];
  const first = lines[ext.start];
  // Every field of a report from the start, in one order (those a report lacks stay undefined, and JSON
  // leaves them out): every report then has one shape, and the code that fills them in stays optimised. Fields
  // added as lines come would give each report a shape of its own, and V8 would recompile parseFields each
  // time its code met a new one. It also gives --json one key order for every report. `code` is an accessor
  // (decoded when read), defined in its place between the fields before it and those after.
  const leading: Omit<Report, TailFields | "code"> = {
    kind: rule?.kind ?? "other",
    event: ext.family.event === true,
    title,
    corrupted: false,
    corruptedReason: undefined,
    signature: "",
    guiltyFrame: ownCopy(described.frames.find((f) => f !== "corrupted") ?? "") || undefined,
    startLine: first.no,
    endLine: last.no,
    time: lineTime(first),
    header: first.text,
    trigger: undefined,
    bugAt: undefined,
    release: undefined,
    build: undefined,
    cpu: undefined,
    pid: undefined,
    comm: undefined,
    kdumpLoaded: undefined,
    blockedTask: undefined,
    taint: undefined,
    hardware: undefined,
    oops: undefined,
    fault: undefined,
    rip: undefined,
    ripSource: undefined,
  };
  const trailing: Pick<Report, TailFields> = {
    registers: {},
    trace: [],
    modules: undefined,
    unloadedModules: undefined,
    panic: undefined,
    kernelOffset: undefined,
    lines: texts,
  };
  const report: Report = Object.assign(defineCode(leading), trailing);
  const signatureFrames = parseFields(ext.prefix, ext.body, report);
  // Old kernels print no #PF lines: the page-fault error code is the Oops code.
  if (
    (report.kind === "null-deref" || report.kind === "paging-request") &&
    report.oops?.code &&
    !report.fault?.pageFault
  ) {
    report.fault ??= emptyFault();
    report.fault.pageFault = decodePageFault(Number.parseInt(report.oops.code, 16));
  }
  if (report.trigger === "sysrq" || report.panic === "sysrq triggered crash") report.kind = "sysrq";
  // A report cut off before its last line is damaged whatever its title says.
  if (!corruptedReason && ext.end - ext.start >= MAX_REPORT_LINES)
    corruptedReason = "report runs past the reader's window";
  // Input that stops mid-line inside a report that never reached its end marker was cut off.
  const ended = ext.body.some((l) => l.text.startsWith("---[ end "));
  if (!corruptedReason && !ended && ext.body.some((l) => l.no === cutLine)) {
    corruptedReason = "the input ends in the middle of a line";
  }
  if (corruptedReason) {
    report.corrupted = true;
    report.corruptedReason = corruptedReason;
  }
  // The title names the bug; the top reliable frames tell apart bugs that share a title.
  let key = `${report.kind}\n${title}`;
  for (let i = 0; i < signatureFrames.length; i++) key += `\n${signatureFrames[i]}`;
  report.signature = fnv64(key);
  return report;
}

/** Parse every report in a text held in memory. */
export function parseReports(text: string): Report[] {
  const scanner = new ReportScanner();
  return [...scanner.push(text), ...scanner.finish()];
}

/**
 * Streaming reader. Lines without a report header are only kept as context
 * (the last PREFIX_LINES); once a header is seen, lines are gathered until the
 * report's window is full or the input ends, then the report is built.
 */
export class ReportScanner {
  private partial = "";
  private partialCut = false;
  private window: LogLine[] = [];
  /** Raw context lines not parsed yet (they follow `window`), with their numbers. */
  private context: string[] = [];
  private contextNos: number[] = [];
  /** Index in `window` of the first header line not yet reported, or -1. */
  private pendingHeader = -1;
  /** Window length at which the open report's end-of-trace deadline passes, or -1 (see findReport). */
  private flushAt = -1;
  private lineNo = 0;
  /** Number of the last line when the input ended without a newline (cut off). */
  private cutLine = -1;
  private out: Report[] = [];
  /** Lines longer than a log line can be, seen and cut. */
  longLines = 0;

  /**
   * Feed more text; returns the reports completed so far (and forgets them). `index`, when the caller has
   * searched the chunk's bytes itself (natively), says where the headers are and on which lines, so that runs
   * of quiet lines are skipped whole instead of line by line.
   */
  push(chunk: string, index?: ChunkIndex): Report[] {
    const hits = index?.hits ?? findHeaders(chunk);
    let hit = 0;
    let pos = 0;
    // With an index: the line pos is on, and the next long line to look at.
    let line = 0;
    let long = 0;
    for (;;) {
      while (hit < hits.length && hits[hit]! < pos) hit++;
      if (index !== undefined && !this.partial && this.pendingHeader < 0) {
        // Every line before the next header's, the next long one's, and the last (not whole) is quiet.
        while (long < index.longLines.length && index.longLines[long]! < line) long++;
        let stop = index.lines;
        let stopAt = -1;
        if (hit < hits.length && index.hitLines[hit]! < stop) {
          stop = index.hitLines[hit]!;
          stopAt = hits[hit]!;
        }
        if (long < index.longLines.length && index.longLines[long]! < stop) {
          stop = index.longLines[long]!;
          stopAt = index.longStarts[long]!;
        }
        if (stop > line) {
          const next = chunk.lastIndexOf("\n", stopAt < 0 ? chunk.length - 1 : stopAt) + 1;
          this.skip(pos, next, stop - line);
          pos = next;
          line = stop;
        }
      }
      const nl = chunk.indexOf("\n", pos);
      if (nl === -1) {
        this.spillSkipped(chunk);
        this.addPartial(chunk.slice(pos));
        break;
      }
      const mayBeHeader = hit < hits.length && hits[hit]! < nl;
      if (!this.partial && nl - pos > MAX_LINE) this.longLines++;
      if (!this.partial && !mayBeHeader && this.pendingHeader < 0) {
        // Most lines: no header and no report open. Only where they are is noted; the few a report
        // may need as its context are cut out of the chunk later.
        this.skip(pos, nl + 1, 1);
      } else {
        this.spillSkipped(chunk);
        if (this.partial) {
          this.addPartial(chunk.slice(pos, nl));
          const raw = this.partial;
          this.partial = "";
          this.partialCut = false;
          this.addLine(raw, ANY_HEADER.test(raw));
        } else {
          this.addLine(chunk.slice(pos, Math.min(nl, pos + MAX_LINE)), mayBeHeader);
        }
      }
      pos = nl + 1;
      line++;
    }
    return this.drain();
  }

  /**
   * The lines skipped since the last spill: consecutive whole lines of the current chunk, from `runFrom` to
   * `runTo` (just past the last one's newline), `runCount` of them, the last numbered lineNo.
   */
  private runFrom = 0;
  private runTo = 0;
  private runCount = 0;

  /** Skip `count` whole lines starting at `from`, the last one's newline just before `to`. */
  private skip(from: number, to: number, count: number): void {
    if (this.runCount === 0) this.runFrom = from;
    this.runTo = to;
    this.runCount += count;
    this.lineNo += count;
  }

  /**
   * Move the skipped lines into the context, as if each had been added as context on its own. Only the last
   * PREFIX_LINES of the context are ever read (materialise takes at most that many, and asks only whether
   * there are that many), so only those are kept: cut out of the chunk, found back from the run's end.
   */
  private spillSkipped(chunk: string): void {
    const n = this.runCount;
    if (n === 0) return;
    this.runCount = 0;
    const length = Math.min(this.context.length + n, PREFIX_LINES);
    const fromNew = Math.min(length, n);
    const keepOld = length - fromNew;
    this.context.splice(0, this.context.length - keepOld);
    this.contextNos.splice(0, this.contextNos.length - keepOld);
    // Back from the run's end to the first line wanted, then forward, cutting each out.
    let pos = this.runTo;
    for (let k = 0; k < fromNew; k++) {
      // pos - 1 is a line's newline; the line starts after the one before (none before runFrom).
      pos = pos - 1 > this.runFrom ? chunk.lastIndexOf("\n", pos - 2) + 1 : this.runFrom;
    }
    for (let no = this.lineNo - fromNew + 1; no <= this.lineNo; no++) {
      const nl = chunk.indexOf("\n", pos);
      this.context.push(chunk.slice(pos, Math.min(nl, pos + MAX_LINE)));
      this.contextNos.push(no);
      pos = nl + 1;
    }
  }

  /** End of input: flush the last line and any report still open. */
  finish(): Report[] {
    if (this.partial) {
      this.addLine(this.partial, ANY_HEADER.test(this.partial));
      this.cutLine = this.lineNo;
      this.partial = "";
    }
    this.materialise("");
    this.flush(true);
    return this.drain();
  }

  /** Parse the raw context lines into the window (only when a report needs them). */
  private materialise(next: string): void {
    if (this.context.length > 0) {
      // Context older than the raw lines is no longer adjacent to what follows.
      if (this.context.length >= PREFIX_LINES && this.pendingHeader < 0) this.window = [];
      // A report takes up to 5 lines of its own context before it (50 with task caller ids, whose lines interleave).
      const keep = /\[ *T\d+\]/.test(next) ? PREFIX_LINES : 16;
      for (let i = Math.max(0, this.context.length - keep); i < this.context.length; i++) {
        // Context lines are the ones the chunk's header search passed over.
        const line = parseLine(this.context[i], this.contextNos[i]);
        line.family = null;
        this.window.push(line);
      }
      this.context = [];
      this.contextNos = [];
    }
    if (this.window.length > PREFIX_LINES * 2 && this.pendingHeader < 0)
      this.window.splice(0, this.window.length - PREFIX_LINES);
  }

  private drain(): Report[] {
    const r = this.out;
    this.out = [];
    return r;
  }

  private addPartial(s: string): void {
    if (this.partialCut) return;
    if (this.partial.length + s.length > MAX_LINE) {
      this.partial = (this.partial + s).slice(0, MAX_LINE);
      this.partialCut = true;
      this.longLines++;
    } else this.partial += s;
  }

  private addLine(raw: string, mayBeHeader: boolean): void {
    this.lineNo++;
    // Most lines are no header: keep them raw, as context, and parse them only if a report follows.
    if (this.pendingHeader < 0 && !mayBeHeader) {
      this.context.push(raw);
      this.contextNos.push(this.lineNo);
      if (this.context.length > PREFIX_LINES * 2) {
        this.context.splice(0, PREFIX_LINES);
        this.contextNos.splice(0, PREFIX_LINES);
      }
      return;
    }
    this.materialise(raw);
    const line = parseLine(raw, this.lineNo);
    if (!mayBeHeader) line.family = null;
    this.window.push(line);
    if (this.pendingHeader < 0) {
      if (headerFamily(line)) this.pendingHeader = this.window.length - 1;
      return;
    }
    // An end-of-trace marker: the report ends END_TRACE_LINES lines on unless a panic follows (if the marker is
    // another context's, findReport will say so, and when to ask again).
    if (line.text.startsWith("---[ end trace")) this.flushAt = this.window.length + END_TRACE_LINES + 1;
    // Try to close the open report only where it may have ended: a new report, a line that ends one, the
    // end-of-trace deadline, the length limit. Asking findReport on every line would rescan the report each time.
    const since = this.window.length - this.pendingHeader;
    if (
      since >= MAX_REPORT_LINES ||
      (mayBeHeader && !line.text.includes("Kernel panic - not syncing")) ||
      (this.flushAt >= 0 && this.window.length >= this.flushAt) ||
      mayEndReport(line)
    ) {
      this.flush(false);
    }
  }

  /** Build the reports whose windows are complete (all of them at the end of input). */
  private flush(atEnd: boolean): void {
    let ext = this.pendingHeader >= 0 ? findReport(this.window, this.pendingHeader) : undefined;
    while (ext) {
      // Not finished while it runs to the window's edge, the window may still grow, and no line has ended it
      // (`---[ end Kernel panic` closes a report as the window's last line).
      if (
        !atEnd &&
        !ext.closed &&
        ext.end >= this.window.length &&
        this.window.length - ext.start < MAX_REPORT_LINES
      ) {
        this.pendingHeader = ext.start;
        // The deadline counts only the report's own lines: past it, ask again every few lines.
        this.flushAt =
          ext.endTrace >= 0 ? Math.max(ext.endTrace + END_TRACE_LINES + 2, this.window.length + 8) : -1;
        return;
      }
      this.out.push(buildReport(this.window, ext, this.cutLine));
      // Keep context lines before the next search point; search on from there (the extent found is
      // the next report's, over the same window).
      const keepFrom = Math.max(0, ext.next - PREFIX_LINES);
      this.window = this.window.slice(keepFrom);
      ext = findReport(this.window, ext.next - keepFrom);
    }
    this.pendingHeader = -1;
    this.flushAt = -1;
    if (this.window.length > PREFIX_LINES * 2) this.window.splice(0, this.window.length - PREFIX_LINES);
  }
}
