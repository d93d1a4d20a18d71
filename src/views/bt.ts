/** Backtraces as crash's bt prints them, and as kdx.bt/1 JSON. */
import type { Backtrace, BacktraceItem, FrameWords } from "../analysis/backtrace.ts";
import type { RegisterLayout, Registers } from "../kernel/arch/architecture.ts";
import type { Resolved } from "../kernel/symbols/symbol-table.ts";
import { taskHeader } from "./task.ts";

const hex16 = (v: bigint) => v.toString(16).padStart(16, "0");
const named = (s: Resolved) => `${s.name}${s.offset ? `+${s.offset}` : ""}`;

/** A file:line under a frame (bt -l). */
export interface SourceLine {
  file: string;
  line: number;
}

/** crash's register block: the exception's function (in kernel mode), then the layout's rows. */
export function regsBlock(
  layout: RegisterLayout,
  r: Registers,
  user: boolean,
  symbol: Resolved | undefined,
): string[] {
  const lines: string[] = [];
  if (!user) lines.push(`    [exception ${layout.ipLabel}: ${symbol ? named(symbol) : hex16(r[layout.ip])}]`);
  for (const row of layout.rows)
    lines.push(
      `    ${row.map(([label, reg, digits]) => `${label}: ${r[reg].toString(16).padStart(digits, "0")}`).join("  ")}`,
    );
  return lines;
}

function wordLines(w: FrameWords): string[] {
  if (!w) return ["    (frame contents unreadable)"];
  const lines: string[] = [];
  for (let i = 0; i < w.words.length; i += 2)
    lines.push(
      `    ${hex16(w.at + BigInt(i * 8))}: ${w.words
        .slice(i, i + 2)
        .map(hex16)
        .join(" ")} `,
    );
  return lines;
}

const NOTES = {
  fromRecordedRegisters: "    (from the CPU's registers as the dump recorded them)",
  scan: "    bt: last resort, a scan of the rest of the stack: return addresses found there, not proven frames",
};

/** The notes a walk starts with, in the order kdx prints them. */
function notes(bt: Backtrace): string[] {
  const out: string[] = [];
  if (bt.withoutUnwindTables)
    out.push(`    (no ${bt.unwindTables} tables in this kernel: frames from prologues and frame pointers)`);
  if (bt.fromRecordedRegisters) out.push(NOTES.fromRecordedRegisters);
  return out;
}

export interface BtOptions {
  /** bt -f: each frame's words, by item index. */
  words?: Map<number, FrameWords>;
  /** bt -l: source lines by return address. */
  lines?: Map<bigint, SourceLine>;
}

/** One task's frames, as crash prints them under the task's header. */
export function renderBt(bt: Backtrace, layout: RegisterLayout, opts: BtOptions = {}): string[] {
  const lines = notes(bt);
  let n = 0;
  bt.items.forEach((it, k) => {
    if (it.kind === "frame") {
      const s = it.caller;
      // A guess from the last-resort scan is marked as the kernel marks unreliable entries: "? ".
      lines.push(
        `${`#${n++}`.padStart(3)} [${hex16(it.frameAddress)}] ${it.guess ? "? " : ""}${s ? s.name : "(unknown)"} at ${hex16(it.ip)}${s?.module ? ` [${s.module}]` : ""}`,
      );
      const src = opts.lines?.get(it.ip);
      if (src) lines.push(`    ${src.file}: ${src.line}`);
      if (opts.words?.has(k)) lines.push(...wordLines(opts.words.get(k)));
    } else if (it.kind === "regs") lines.push(...regsBlock(layout, it.regs, it.user, it.symbol));
    else if (it.kind === "left-stack") lines.push(`--- <${it.stack}> ---`);
    else if (it.kind === "scan") lines.push(NOTES.scan);
    else lines.push(`    bt: ${it.reason}`);
  });
  return lines;
}

/** Tasks' backtraces, each under crash's context line, separated by an empty line. */
export function renderBacktraces(
  bts: Backtrace[],
  layout: RegisterLayout,
  opts: (bt: Backtrace) => BtOptions = () => ({}),
): string {
  return bts.map((bt) => `${taskHeader(bt.task)}\n${renderBt(bt, layout, opts(bt)).join("\n")}\n`).join("\n");
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** kdx.bt/1's item: notes and stack changes as the text's lines ("marker"). */
function itemJson(it: BacktraceItem): object {
  if (it.kind === "frame")
    return {
      kind: "frame",
      frame: hex(it.frameAddress),
      ip: hex(it.ip),
      function: it.symbol?.name,
      offset: it.symbol?.offset,
      module: it.symbol?.module,
      reliable: !it.guess,
    };
  if (it.kind === "regs")
    return {
      kind: "regs",
      user: it.user,
      at: hex(it.at),
      regs: Object.fromEntries(Object.entries(it.regs).map(([k, v]) => [k, hex(v)])),
    };
  if (it.kind === "left-stack") return { kind: "marker", text: `--- <${it.stack}> ---` };
  if (it.kind === "scan") return { kind: "marker", text: NOTES.scan };
  return it;
}

export function btJson(bts: Backtrace[]): string {
  const tasks = bts.map((bt) => ({
    pid: bt.task.pid,
    task: hex(bt.task.task),
    cpu: bt.task.cpu,
    comm: bt.task.comm,
    items: [...notes(bt).map((text) => ({ kind: "marker", text })), ...bt.items.map(itemJson)],
  }));
  return `${JSON.stringify({ schema: "kdx.bt/1", tasks })}\n`;
}
