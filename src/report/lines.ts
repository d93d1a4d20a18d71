/**
 * One line of a kernel log, with whatever the transport put in front of the
 * message taken off: syslog/journal prefixes, `<N>` levels, `[ time]` stamps
 * and `[ T123]` / `[ C1]` caller ids (CONFIG_PRINTK_CALLER).
 */
import type { Family } from "./rules.ts";

export interface LogLine {
  /** 1-based line number in the input. */
  no: number;
  /** The message text, prefixes and trailing CR removed. */
  text: string;
  /** The `12.345678` of a `[ 12.345678]` stamp (seconds since boot), when there is one; see lineTime. */
  stamp?: string;
  /** Caller id without brackets and padding: `T123` (task) or `C1` (CPU). */
  caller?: string;
  /** True when a printk timestamp prefix was present. */
  stamped: boolean;
  /**
   * Whether the line starts a report, cached by the segmenter (which asks again each time a report's window
   * grows): the family, null for none. A scanner that already knows the line holds no header sets null.
   */
  family?: Family | null;
  /** Whether the line is an unreliable (`? `) trace entry, cached by the segmenter, which asks several times. */
  questionable?: boolean;
  /**
   * What the line says of the report around it (segment.ts: a reboot, stack noise), cached likewise; -1 until
   * asked (a number from the start: a field that changed from undefined to numbers would change every line's
   * shape, and optimised code that had met the old one would be thrown away).
   */
  marks: number;
}

/** Kernel lines are at most ~1 KiB; anything far longer is not a log line and is cut. */
export const MAX_LINE = 4096;

const SYSLOG_PREFIX =
  /^(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) \S+ kernel: /;
const HUMAN_STAMP = /^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\] ?/;
const LEVEL = /^<\d{1,3}>/;
const DROPPED = /^\*\* \d+ printk messages dropped \*\* /;
const LOGIN_JUNK = /^.{0,200}? login: (?=<\d|\[ *\d)/;

/** Every line has the same shape (fields in one order, none added later): code that walks lines stays fast. */
function logLine(no: number, text: string, stamped: boolean, stamp?: string, caller?: string): LogLine {
  return { no, text, stamp, caller, stamped, family: undefined, questionable: undefined, marks: -1 };
}

/** Seconds since boot of a stamped line (converted only for the lines that need it: few do). */
export function lineTime(line: LogLine): number | undefined {
  return line.stamp === undefined ? undefined : Number(line.stamp);
}

/** The first character code of `s`, or -1 when it is empty (charCodeAt's NaN would deoptimise the caller). */
const firstCode = (s: string): number => (s.length > 0 ? s.charCodeAt(0) : -1);

const JOURNAL_HOST = /^\S+ kernel: /;

/**
 * `[ 12.345678]`, a ` [ T123]` / `[C1]` caller id after it and one space, at the start of a line: the seconds and
 * the caller id captured. A regex, not a loop over characters: V8's regex engine reads a line several times
 * faster than charCodeAt does, and the match holds the two strings the line keeps anyway.
 */
const STAMP = /^\[ *(\d+\.\d+)\](?: ?\[ *([CT]\d+)\])? ?/;

/** Parse one raw line (without its newline). */
export function parseLine(raw: string, no: number): LogLine {
  let s = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
  if (s.endsWith("\r")) s = s.slice(0, -1);
  // Fast path: the common `[    5.310003] msg` form.
  const c0 = firstCode(s);
  if (c0 !== 0x5b /* [ */) {
    if (c0 === 0x3c /* < */) s = s.replace(LEVEL, "");
    else if (c0 === 0x2a /* * */) s = s.replace(DROPPED, "");
    else {
      const sys = SYSLOG_PREFIX.exec(s);
      if (sys) s = s.slice(sys[0].length);
      else if (s.includes(" login: ")) s = s.replace(LOGIN_JUNK, "");
    }
    if (firstCode(s) !== 0x5b) {
      if (firstCode(s) === 0x3c) s = s.replace(LEVEL, "");
      if (firstCode(s) !== 0x5b) return logLine(no, s, false);
    }
  }
  const m = STAMP.exec(s);
  if (m) {
    let text = s.slice(m[0].length);
    // journalctl -o short-monotonic: `[  566.651975] host kernel: msg`
    const host = JOURNAL_HOST.exec(text);
    if (host) text = text.slice(host[0].length);
    // crash's `log -m` and `dmesg -x` put the level after the stamp.
    if (firstCode(text) === 0x3c) text = text.replace(LEVEL, "");
    return logLine(no, text, true, m[1], m[2]);
  }
  const h = HUMAN_STAMP.exec(s);
  if (h) return logLine(no, s.slice(h[0].length), true);
  return logLine(no, s, false);
}

/**
 * The "context" a line belongs to, for separating interleaved output: the
 * caller id when the kernel prints one, otherwise whether the line was
 * stamped at all (console output vs. raw text).
 */
export function contextOf(line: LogLine): string {
  if (line.caller) return line.caller;
  return line.stamped ? "console" : "";
}
