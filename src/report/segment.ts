/**
 * Where a report starts and stops in a log, and which of the lines around it
 * belong to it (other CPUs' and tasks' output is interleaved on busy machines).
 */
import { contextOf, type LogLine } from "./lines.ts";
import {
  ANY_HEADER,
  anyMatches,
  CONTINUES_REPORT,
  escapeRegExp,
  type Family,
  familyOf,
  STACK_NOISE,
} from "./rules.ts";

/** How many lines after its first one a report may run (lockup reports with all-CPU backtraces are long). */
export const MAX_REPORT_LINES = 1500;
/** How many lines before a report are kept for context (e.g. "sysrq: Trigger a crash"). */
export const PREFIX_LINES = 60;

export interface Extent {
  family: Family;
  /** Index of the header line. */
  start: number;
  /** Exclusive index where this report's own lines stop. */
  end: number;
  /** Index to resume looking for the next report. */
  next: number;
  context: string;
  /** Lines just before the report in its context (they often say what triggered it). */
  prefix: LogLine[];
  /** The report's lines in its context, unreliable frames included. */
  body: LogLine[];
  /** The text titles are computed from: reliable lines only, in context. */
  titleText: string;
  /** The lines of titleText (it is their join, each line ended by "\n"). */
  titleLines: string[];
  /** Index of an `---[ end trace` line that will end the report 40 lines on, unless a panic follows; else -1. */
  endTrace: number;
  /** The report's end was found (a line that ends it): lines added after `end` cannot change it. */
  closed: boolean;
}

/** Lines naming noise that interrupts a stack (one search instead of one per string). */
const NOISE_LINE = new RegExp(STACK_NOISE.map(escapeRegExp).join("|"));
const REBOOT = /^(?:Linux version \d|Command line: |Booting the kernel|Decompressing Linux)/;

/** LogLine.marks: the line says the machine booted again; it names stack noise. */
const REBOOTED = 1;
const NOISE = 2;

/** A line's marks, found once: every line is asked as it comes, and again each time a report's window grows. */
function marks(line: LogLine): number {
  if (line.marks < 0)
    line.marks = (REBOOT.test(line.text) ? REBOOTED : 0) | (NOISE_LINE.test(line.text) ? NOISE : 0);
  return line.marks;
}

/**
 * Can this line end a report that is still open? Besides these, only a new header, the length limit and the
 * end-of-trace deadline (see END_TRACE) end one. findReport decides; this says when to ask it.
 */
export function mayEndReport(line: LogLine): boolean {
  return line.text.startsWith("---[ end Kernel panic") || marks(line) !== 0;
}

/** An end-of-trace marker ends its report this many lines on, unless a panic follows. */
export const END_TRACE_LINES = 40;

/** Is this line the first line of a report? */
export function headerFamily(line: LogLine): Family | undefined {
  if (line.family === undefined) line.family = (ANY_HEADER.test(line.text) && familyOf(line.text)) || null;
  return line.family ?? undefined;
}

export function isQuestionable(text: string): boolean {
  // An unreliable frame, `? func+0x1/0x2` (`[<addr>] ? ` on old kernels, which the same test finds).
  return text.includes(" ? ") && !text.includes("<EOI>");
}

function questionable(line: LogLine): boolean {
  if (line.questionable === undefined) line.questionable = isQuestionable(line.text);
  return line.questionable;
}

/** Find the first report at or after `from`; undefined when there is none. */
export function findReport(lines: LogLine[], from: number): Extent | undefined {
  let start = -1;
  let family: Family | undefined;
  for (let i = from; i < lines.length; i++) {
    family = headerFamily(lines[i]);
    if (family) {
      start = i;
      break;
    }
  }
  if (!family || start < 0) return undefined;
  const head = lines[start];
  const context = contextOf(head);
  const tagged = context !== "" && context !== "console";

  const maxPrefix = context.startsWith("T") ? 50 : 5;
  const prefix: LogLine[] = [];
  for (let i = start - 1; i >= 0 && start - i <= PREFIX_LINES * 10 && prefix.length < maxPrefix; i--) {
    const l = lines[i];
    if (contextOf(l) === context && l.text.length > 0 && !questionable(l)) prefix.unshift(l);
  }

  const limit = Math.min(lines.length, start + MAX_REPORT_LINES);
  let second = -1;
  let end = limit;
  let endTrace = -1;
  let cpuTraceback = false;
  let skipText = false;
  let textLines = 0;
  let closed = false;
  const minLines = head.text.includes("BUG: KMSAN:") ? 16 : 22;
  const body: LogLine[] = [];
  const titleLines: string[] = [];
  let titleEnd = 0;
  for (let j = start; j < limit; j++) {
    const line = lines[j];
    const text = line.text;
    const isHead = j === start;
    if (!isHead) {
      const m = marks(line);
      if (second < 0) {
        if (headerFamily(line) && !anyMatches(CONTINUES_REPORT, text)) second = j;
        else if (m & NOISE) second = j;
      }
      if (m & REBOOTED) {
        end = j;
        closed = true;
        break;
      }
      if (second === j && !tagged) {
        end = j;
        closed = true;
        break;
      }
    }
    const ctx = contextOf(line);
    const inContext = ctx === context || (cpuTraceback && ctx.startsWith("C"));
    if (!isHead && !inContext) continue;
    // A report can stop at its end marker; a panic that follows the oops belongs to it.
    if (endTrace >= 0 && j - endTrace > END_TRACE_LINES) {
      end = endTrace + 1;
      closed = true;
      break;
    }
    body.push(line);
    if (text.startsWith("---[ end Kernel panic")) {
      end = j + 1;
      closed = true;
      break;
    }
    if (text.startsWith("---[ end trace")) endTrace = j;
    if (text.includes("Kernel panic - not syncing")) endTrace = -1;
    if (!isHead && questionable(line)) continue;
    textLines++;
    let skipLine = skipText;
    if (text.includes("Disabling lock debugging due to kernel taint")) skipLine = true;
    else if (text.includes("Sending NMI from CPU")) cpuTraceback = true;
    else if (
      textLines > minLines &&
      (text.includes("Kernel panic - not syncing") ||
        text.includes("WARNING: possible circular locking dependency detected"))
    ) {
      skipText = true;
      skipLine = true;
    }
    if (!isHead && skipLine) continue;
    titleLines.push(text);
    if (second < 0 || tagged) titleEnd = titleLines.length;
  }
  if (endTrace >= 0 && end === limit && limit === lines.length) end = Math.max(endTrace + 1, end);
  const next = second >= 0 ? Math.max(second, start + 1) : Math.max(end, start + 1);
  titleLines.length = titleEnd;
  const titleText = titleLines.join("\n") + "\n";
  return { family, start, end, next, context, prefix, body, titleText, titleLines, endTrace, closed };
}
