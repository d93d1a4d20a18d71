/**
 * Titling a report: pick the rule whose pattern appears first, find the
 * guilty frame by skipping generic frames, and normalise the result so the
 * same bug gets the same title on every machine and every run.
 */
import {
  ANY_STACK_START,
  anyMatches,
  CORRUPTING_LINES,
  FAMILIES,
  type Family,
  FRAME_LINES,
  GENERIC_FRAMES,
  STACK_STARTS,
  type StackPart,
  type StackRule,
  stripSyscallPrefix,
  type TitleRule,
} from "./rules.ts";

export interface Titled {
  title: string;
  rule?: TitleRule;
  /** The guilty frames chosen, one per "trace" section of the rule. */
  frames: string[];
  corrupted?: string;
}

const GENERIC_SKIP = new RegExp(GENERIC_FRAMES.join("|"));

/**
 * Answers remembered, up to a bound: testing a frame against the generic-frame alternation takes tens of
 * microseconds, and logs name the same kernel functions again and again.
 */
class RememberedTest {
  private readonly seen = new Map<string, boolean>();
  constructor(private readonly pattern: RegExp) {}
  test(s: string): boolean {
    let answer = this.seen.get(s);
    if (answer === undefined) {
      answer = this.pattern.test(s);
      if (this.seen.size >= 8192) this.seen.clear();
      this.seen.set(s, answer);
    }
    return answer;
  }
}

const isGenericFrame = new RememberedTest(GENERIC_SKIP);

/** Whether a frame is skipped by a stack rule: generic, or one of the rule's own skips. */
class FrameSkipper {
  private readonly own: RegExp | undefined;
  constructor(skip: string[] | undefined) {
    this.own = skip?.length ? new RegExp(skip.join("|")) : undefined;
  }
  test(frame: string): boolean {
    return isGenericFrame.test(frame) || (this.own?.test(frame) ?? false);
  }
}

const skipCache = new Map<StackRule, FrameSkipper>();

function skipperFor(stack: StackRule): FrameSkipper {
  let r = skipCache.get(stack);
  if (!r) {
    r = new FrameSkipper(stack.skip);
    skipCache.set(stack, r);
  }
  return r;
}

function firstMatch(res: RegExp[], s: string): RegExpExecArray | null {
  for (const r of res) {
    const m = r.exec(s);
    if (m) return m;
  }
  return null;
}

function addFrames(frames: string[], m: RegExpExecArray | null, skip: FrameSkipper): void {
  if (!m) return;
  for (let i = 1; i < m.length; i++) {
    const f = m[i];
    if (f !== undefined && !skip.test(f)) frames.push(f);
  }
}

/** Walk a stack rule over the report lines: one chosen frame per trace, "corrupted" where none. */
function walkParts(
  lines: string[],
  parts: StackPart[],
  stack: StackRule,
  skip: FrameSkipper,
): { results: string[]; ok: boolean } {
  const results: string[] = [];
  let raw: string[] = [];
  let ok = true;
  let traces = 0;
  let li = 0;
  const choose = (): void => {
    const stripped = raw.map(stripSyscallPrefix);
    const idx = raw.length === 0 ? -1 : stack.pick ? stack.pick(stripped) : 0;
    if (idx < 0) {
      results.push("corrupted");
      ok = false;
    } else results.push(stack.rename ? stack.rename(stripped[idx]) : stripped[idx]);
    raw = [];
  };
  for (let pi = 0; ; pi++) {
    if (pi === parts.length || (parts[pi] === "trace" && traces > 0)) choose();
    if (pi === parts.length) break;
    const part = parts[pi];
    if (part === "trace") {
      traces++;
      while (li < lines.length) {
        const ln = lines[li++];
        if (anyMatches(CORRUPTING_LINES, ln)) {
          ok = false;
          break;
        }
        if (ANY_STACK_START.test(ln)) break;
        const next = parts[pi + 1];
        if (next !== undefined && next !== "trace") {
          const m = next.exec(ln);
          if (m) {
            addFrames(raw, m, skip);
            pi++;
            break;
          }
        }
        addFrames(raw, firstMatch(FRAME_LINES, ln), skip);
      }
    } else {
      while (li < lines.length) {
        const ln = lines[li++];
        if (anyMatches(CORRUPTING_LINES, ln)) {
          ok = false;
          break;
        }
        const m = part.exec(ln);
        if (m) {
          addFrames(raw, m, skip);
          break;
        }
      }
    }
  }
  return { results, ok };
}

/** Title templates cut once into literal text and argument numbers (`{2}`: the second). */
const templates = new Map<string, (string | number)[]>();

/**
 * A title template filled in: `{1}`, `{2}`… are the match's groups, then the frames picked from the stack.
 * Both are read in place (arrays joined here would differ in kind from report to report, and the optimised
 * code that joined them would be thrown away each time a new kind came by).
 */
function fill(template: string, groups: RegExpExecArray, frames: string[]): string {
  let parts = templates.get(template);
  if (!parts) {
    parts = template.split(/\{(\d+)\}/).map((p, i) => (i % 2 ? Number(p) : p));
    templates.set(template, parts);
  }
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (typeof p !== "number") out += p;
    else out += (p < groups.length ? groups[p] : frames[p - groups.length]) ?? "";
  }
  return out;
}

/**
 * `text.slice(from).split("\n")` where text is `lines.join("\n") + "\n"`, from the lines themselves: one
 * string is cut instead of the whole rest being split again.
 */
function linesFrom(text: string, from: number, lines: string[] | undefined): string[] {
  if (!lines) return text.slice(from).split("\n");
  let pos = 0;
  let i = 0;
  while (i < lines.length && pos + lines[i].length < from) {
    pos += lines[i].length + 1;
    i++;
  }
  if (i === lines.length) return [""];
  const out = [lines[i].slice(from - pos)];
  for (let k = i + 1; k < lines.length; k++) out.push(lines[k]);
  out.push("");
  return out;
}

/**
 * Rules whose pattern cannot match across a line break (no `\n`, `\s`, `\W`, `\D`, negated class, `$`,
 * lookaround or flag that could reach past one): their first match in a report's first line is found by
 * searching that line alone.
 */
const CROSSES_LINES = /\\n|\\s|\\W|\\D|\[\^|\$|\(\?[=!<]/;
const SINGLE_LINE = new Set<TitleRule>(
  FAMILIES.flatMap((f) => f.rules).filter((r) => r.match.flags === "" && !CROSSES_LINES.test(r.match.source)),
);

/**
 * Each rule's first match in the report text, or null; only the earliest position counts, so a rule that
 * can only match after it may be given as null. The header line nearly always holds the earliest match: the
 * single-line rules search that line first, and the whole text only when no rule matches in it (a family
 * has up to 35 rules; searching each over a whole report was most of the titling time).
 */
function firstMatches(text: string, rules: TitleRule[]): (RegExpExecArray | null)[] {
  const lineEnd = text.indexOf("\n");
  const head = lineEnd < 0 ? text : text.slice(0, lineEnd);
  const found: (RegExpExecArray | null)[] = new Array(rules.length);
  let inHead = false;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    const m = SINGLE_LINE.has(r) ? r.match.exec(head) : r.match.exec(text);
    if (m !== null && m.index < head.length) inHead = true;
    found[i] = m;
  }
  if (inHead) return found;
  for (let i = 0; i < rules.length; i++)
    if (SINGLE_LINE.has(rules[i]!)) found[i] = rules[i]!.match.exec(text);
  return found;
}

/**
 * Choose the rule and build the raw (not yet normalised) title for a report text; `lines`, when the caller
 * has them, are the text's lines (it is their join), which saves splitting it again.
 */
export function describe(text: string, family: Family, lines?: string[]): Titled {
  const matches = firstMatches(text, family.rules);
  let start = text.length;
  let best: Titled | undefined;
  let matchedTitle = false;
  for (let ri = 0; ri < family.rules.length; ri++) {
    const rule = family.rules[ri];
    const tm = matches[ri];
    if (!tm || tm.index > start) continue;
    if (tm.index === start && best) continue;
    if (tm.index < start) {
      best = undefined;
      start = tm.index;
    }
    matchedTitle = true;
    let m: RegExpExecArray | null = tm;
    if (rule.report) {
      m = rule.report.exec(text);
      if (!m) continue;
    }
    let corrupted: string | undefined;
    let frames: string[] = [];
    if (rule.stack) {
      const stack = rule.stack;
      const rest = linesFrom(text, m.index, lines);
      const walk = (parts: StackPart[]) => walkParts(rest, parts, stack, skipperFor(stack));
      let r = walk(stack.parts);
      if (!r.ok && stack.parts2) r = walk(stack.parts2);
      frames = r.results;
      if (!r.ok) corrupted = "extracted no frames";
    }
    best = { title: fill(rule.title, m, frames), rule, frames, corrupted };
  }
  if (!best) {
    const pos = text.indexOf(family.header);
    const end = text.indexOf("\n", pos);
    return {
      title: text.slice(pos, end === -1 ? undefined : end),
      frames: [],
      corrupted: matchedTitle ? "matched title but not report regexp" : undefined,
    };
  }
  if (!best.corrupted && best.rule?.corrupted) best.corrupted = "report format is marked as corrupted";
  return best;
}

/** Up to `n` lines of `text` from `from` on, as `text.slice(from).split("\n").slice(0, n)` gives them. */
function firstLines(text: string, from: number, n: number): string[] {
  const out: string[] = [];
  let pos = from;
  while (out.length < n) {
    const nl = text.indexOf("\n", pos);
    if (nl === -1) {
      out.push(text.slice(pos));
      break;
    }
    out.push(text.slice(pos, nl));
    pos = nl + 1;
  }
  return out;
}

/** Is a report whose title came out fine still damaged (no usable stack trace)? */
export function missingStack(text: string, rule: TitleRule | undefined, title: string): string | undefined {
  if (/\[ *[0-9]+\.[0-9]+\]/.test(title)) return "title matches corrupted regexp";
  if (!rule || rule.noStack) return undefined;
  let hasStack = false;
  for (const key of STACK_STARTS) {
    const m = key.exec(text);
    if (!m) continue;
    // Only the first lines after the stack's start are looked at: split no further than that.
    const frames = firstLines(text, m.index, 16);
    if (frames.length < 4) return "call trace is missed";
    let bad = true;
    for (let i = 1; i < 16 && i < frames.length; i++) {
      if (ANY_STACK_START.test(frames[i])) break;
      if (frames[i].includes("(stack is not available)") || FRAME_LINES.some((r) => r.test(frames[i]))) {
        hasStack = true;
        bad = false;
        break;
      }
    }
    if (bad) return "no frames in a stack trace";
  }
  return hasStack ? undefined : "no stack trace in report";
}

const NORMALISE: [RegExp, string][] = [
  [/syz-executor\.?[0-9]+((\/|:)[0-9]+)?/g, "syz-executor"],
  [/syzkaller[0-9]+((\/|:)[0-9]+)?/g, "syzkaller"],
  // Anything that looks like an address.
  [/([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}/g, "$1ADDR"],
  [/([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})/g, "IP"],
  // file:line
  [/(\.\w+)(:[0-9]+)+/g, "$1:LINE"],
  // func+0x12/0x20: offsets and sizes change with every build.
  [/([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+\/0x[0-9a-z]+/g, "$1"],
  [/CPU#[0-9]+/g, "CPU"],
  // Remaining decimal numbers (repeated: matches can overlap, as in "0,1,2").
  [/(\W)(\d+)(\W|$)/g, "$1NUM$3"],
  // Digits inside names are kept (cfg80211), unless absurdly long.
  [/(\d+){7,}/g, "NUM"],
];

/** Make a title stable: no addresses, numbers, offsets or control characters; at most 120 bytes. */
export function normaliseTitle(title: string): string {
  let s = title;
  for (const [from, to] of NORMALISE) {
    // Most titles hold nothing for most rules: a test costs less than a replace that changes nothing.
    from.lastIndex = 0;
    if (!from.test(s)) continue;
    for (;;) {
      const next = s.replace(from, to);
      if (next === s) break;
      s = next;
    }
  }
  let out = "";
  let prev = " ";
  for (let i = 0; i < s.length && i < 120; i++) {
    let ch = s[i];
    if (ch === "\t") ch = " ";
    else if (ch < " " || ch >= "\x7f") continue;
    if (ch === " " && prev === " ") continue;
    out += ch;
    prev = ch;
  }
  return out.trim();
}
