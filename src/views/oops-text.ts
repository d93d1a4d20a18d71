/** The human view of `kdx oops`: each field, then what it means. */
import { EXPLAIN, explainFrame, explainRip } from "../report/explain.ts";
import { GPL_MEANING } from "../report/taint.ts";
import type { Frame, RegsFrame, Report } from "../report/types.ts";
import type { Style } from "./style.ts";

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Texts wrapped so far: most are the same explanations, again for every report of a long log. */
const WRAPPED = new Map<string, readonly string[]>();

/** `text` cut into lines of at most `width` characters after `indent` (don't change the lines returned). */
function wrap(text: string, indent: string, width = 100): readonly string[] {
  const key = `${width} ${indent}\n${text}`;
  let lines = WRAPPED.get(key);
  if (lines === undefined) {
    lines = wrapWords(text, indent, width);
    if (WRAPPED.size >= 1024) WRAPPED.clear();
    WRAPPED.set(key, lines);
  }
  return lines;
}

function wrapWords(text: string, indent: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width - indent.length) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
}

function frameText(f: Frame): string {
  const s = f.symbol;
  let t = s
    ? `${s.name}+${hex(s.offset)}/${hex(s.size)}${s.module ? ` [${s.module}]` : ""}`
    : (f.address ?? f.text);
  if (f.file) t += `  ${f.file}:${f.line}`;
  return (f.reliable ? "  " : "? ") + t;
}

function registerLines(regs: Record<string, string>): string[] {
  const names = Object.keys(regs);
  const out: string[] = [];
  for (let i = 0; i < names.length; i += 3) {
    out.push(
      names
        .slice(i, i + 3)
        .map((n) => `${n.padStart(8)}: ${regs[n].padEnd(16)}`)
        .join("  "),
    );
  }
  return out;
}

/** One report as text; `total` undefined when the count is not known yet (a long log printed as it is read). */
export function renderReport(
  r: Report,
  index: number,
  total: number | undefined,
  st: Style,
  explain: boolean,
): string {
  const out: string[] = [];
  const say = (text: string): void => {
    if (explain && text) for (const l of wrap(text, "      ")) out.push(st.dim(l));
  };
  const field = (name: string, value: string): void => {
    out.push(`  ${st.cyan(name.padEnd(10))} ${value}`);
  };
  out.push(
    st.bold(
      `── Report ${index + 1}${total === undefined ? "" : ` of ${total}`} · lines ${r.startLine}–${r.endLine}${r.time !== undefined ? ` · [${r.time.toFixed(6)}]` : ""}`,
    ),
  );
  out.push(st.bold(r.event ? st.yellow(r.title) : st.red(r.title)));
  field(
    "kind",
    `${r.kind}${r.event ? " (an event, not a crash)" : ""}${r.trigger === "sysrq" ? " — triggered on purpose through sysrq" : ""}`,
  );
  field("signature", `${r.signature}  (same bug ⇒ same signature: title + top frames, no addresses)`);
  if (r.corrupted) field("corrupted", st.yellow(`yes — ${r.corruptedReason}`));
  field("header", r.header);
  say(EXPLAIN.header);
  if (r.blockedTask)
    field("blocked", `${r.blockedTask.comm} (PID ${r.blockedTask.pid}) — the task that hung`);
  if (r.cpu !== undefined || r.pid !== undefined) {
    field("task", `CPU ${r.cpu ?? "?"} · PID ${r.pid ?? "?"} · Comm ${r.comm ?? "?"}`);
    say(EXPLAIN.cpu);
  }
  if (r.release)
    field("kernel", `${r.release}${r.build ? ` ${r.build}` : ""}${r.kdumpLoaded ? " · kdump loaded" : ""}`);
  if (r.kdumpLoaded) say("Kdump: loaded — a capture kernel was ready, so a vmcore should have been saved.");
  if (r.taint) {
    field("tainted", r.taint.text || "no (Not tainted)");
    if (explain) {
      say(EXPLAIN.tainted);
      if (r.taint.text.includes("G")) out.push(st.dim(`        ${GPL_MEANING}`));
      for (const f of r.taint.flags) out.push(st.dim(`        ${f.letter}: ${f.meaning} (bit ${f.bit})`));
    }
  }
  if (r.hardware) {
    field("hardware", r.hardware);
    say(EXPLAIN.hardware);
  }
  if (r.bugAt) field("bug at", `${r.bugAt.file}:${r.bugAt.line}  (the BUG_ON/WARN_ON statement that fired)`);
  if (r.oops) {
    field("oops", `${r.oops.code ?? ""} [#${r.oops.count}] ${r.oops.config.join(" ")}`);
    say(EXPLAIN.oops(r));
  }
  if (r.fault) {
    const f = r.fault;
    const pf = f.pageFault;
    const what = pf
      ? `${pf.mode}-mode ${pf.access} of ${f.address ?? "?"} — ${pf.cause}`
      : `address ${f.address ?? "?"}`;
    field("fault", what + (f.note ? ` (${f.note})` : ""));
    if (f.description) say(`#PF: ${f.description}.`);
    if (pf && explain) {
      out.push(st.dim(`      error code ${hex(pf.code)}, bit by bit:`));
      for (const b of pf.bits)
        out.push(st.dim(`        bit ${b.bit} ${b.name.padEnd(4)} = ${b.set ? 1 : 0}: ${b.meaning}`));
    }
    if (f.address && /^0x0*[0-9a-f]{1,3}$/.test(f.address))
      say(
        "An address this small is a NULL pointer plus a field offset: a member of a struct reached through a NULL pointer.",
      );
  }
  if (r.rip) {
    field(
      "RIP",
      `${r.rip.cs ? `${r.rip.cs}:` : ""}${r.rip.text}${r.ripSource ? `  ${r.ripSource.file}:${r.ripSource.line}` : ""}`,
    );
    say(explainRip(r.rip));
  }
  if (r.code?.faulting) {
    const c = r.code;
    const trapByte = c.raw.match(/[<(]([0-9a-f]{2})[>)]/)?.[1] ?? "";
    field("code", `${st.bold(c.faulting!.text)}  (faulting instruction, starting at the byte <${trapByte}>)`);
    say(
      EXPLAIN.code +
        (c.deliberateTrap
          ? " This is a deliberate trap instruction: BUG() and WARN() use ud2 to enter the kernel's report path."
          : ""),
    );
    for (const i of c.instructions) {
      const line = `${i.faulting ? "*" : " "}${hex(i.offset - c.trapOffset)
        .replace("0x-", "-0x")
        .padStart(6)}:  ${i.bytes.padEnd(32)} ${i.text}`;
      out.push(`      ${i.faulting ? st.bold(line) : st.dim(line)}`);
    }
  }
  if (Object.keys(r.registers).length) {
    field("registers", "");
    for (const l of registerLines(r.registers)) out.push(`    ${l}`);
    say(EXPLAIN.registers);
  }
  if (r.trace.length) {
    field("call trace", `${r.trace.length} entries, innermost first`);
    say(EXPLAIN.trace);
    let ctx = "";
    let firstUnreliable = true;
    for (const e of r.trace) {
      if (e.context !== ctx) {
        if (e.context) out.push(`    ${st.dim(`<${e.context}>`)}`);
        ctx = e.context;
      }
      if (e.kind === "frame") {
        const line = `    ${frameText(e)}`;
        out.push(e.reliable ? line : st.dim(line));
        if (explain && !e.reliable && firstUnreliable) {
          firstUnreliable = false;
          for (const l of wrap(explainFrame(e), "        ")) out.push(st.dim(l));
        }
      } else out.push(...regsBlock(e, st));
    }
    const firstReliable = r.trace.find(
      (e): e is Frame => e.kind === "frame" && e.reliable && e.symbol !== undefined,
    );
    if (explain && firstReliable)
      for (const l of wrap(explainFrame(firstReliable), "        ")) out.push(st.dim(l));
  }
  if (r.modules) {
    field(
      "modules",
      r.modules.map((m) => (m.flags ? `${m.name}(${m.flags})` : m.name)).join(" ") || "(none)",
    );
    say(EXPLAIN.modules);
  }
  if (r.panic !== undefined) {
    field("panic", r.panic);
    say(EXPLAIN.panic);
  }
  if (r.kernelOffset) {
    field("kaslr", r.kernelOffset);
    say(EXPLAIN.kernelOffset);
  }
  return out.join("\n");
}

function regsBlock(e: RegsFrame, st: Style): string[] {
  const out = [
    `    ${st.yellow(`── exception frame: RIP ${e.rip.cs ? `${e.rip.cs}:` : ""}${e.rip.text}${e.rip.mode === "user" ? " (user mode: where the task entered the kernel)" : ""}`)}`,
  ];
  if (e.code?.faulting) out.push(`       code at RIP: ${e.code.faulting.text}`);
  for (const l of registerLines(e.registers)) out.push(`    ${st.dim(l)}`);
  return out;
}
