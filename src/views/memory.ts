/** crash's rd, dis and sym, and kdx.rd/1, kdx.dis/1, kdx.sym/1. */
import type { Disassembly, MemoryWords, SymbolAnswer } from "../analysis/memory-read.ts";
import type { Resolved } from "../kernel/symbols/symbol-table.ts";
import { hexBytes } from "../util/bytes.ts";
import { KdxError } from "../util/errors.ts";

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** rd: hex words, then the same bytes as ASCII, 16 bytes a line. */
export function renderRd(m: MemoryWords): string {
  const { width } = m;
  const perLine = 16 / width;
  const lines: string[] = [];
  for (let i = 0; i < m.values.length; i += perLine) {
    const words: string[] = [];
    for (let k = i; k < Math.min(m.values.length, i + perLine); k++) {
      const r = m.symbols?.[k];
      words.push(
        r
          ? `${r.name}${r.offset ? `+${r.offset}` : ""}`.padEnd(16)
          : m.values[k].toString(16).padStart(width * 2, "0"),
      );
    }
    const chunk = m.bytes.subarray(i * width, Math.min(m.values.length, i + perLine) * width);
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(
      `${(m.address + BigInt(i * width)).toString(16).padStart(16, "0")}:  ${words.join(" ").padEnd(perLine * (width * 2 + 1) - 1)}   ${ascii}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function rdJson(m: MemoryWords): string {
  return `${JSON.stringify({ schema: "kdx.rd/1", address: hex(m.address), physical: m.physical, width: m.width, values: m.values.map(hex) })}\n`;
}

const label = (r: Resolved | undefined) => (r ? `<${r.name}${r.offset ? `+${r.offset}` : ""}>` : "");

/** dis as crash (through gdb) prints it: "0xffffffff8153a1c5 <sysrq_handle_crash+5>:\tpush   %rbp". */
export function renderDis(d: Disassembly): string {
  return d.instructions
    .map((i) => {
      const target = i.branchTarget !== undefined && i.target ? ` ${label(i.target)}` : "";
      return `0x${i.ip.toString(16)} ${label(i.symbol)}:\t${i.text}${target}\n`;
    })
    .join("");
}

export function disJson(d: Disassembly): string {
  return `${JSON.stringify({
    schema: "kdx.dis/1",
    instructions: d.instructions.map((i) => ({
      address: hex(i.ip),
      label: label(i.symbol).slice(1, -1) || undefined,
      bytes: hexBytes(d.bytes, Number(i.ip - d.start), Number(i.ip - d.start) + i.length),
      text: i.text,
      target: i.branchTarget !== undefined ? hex(i.branchTarget) : undefined,
      targetLabel: i.branchTarget !== undefined ? label(i.target).slice(1, -1) || undefined : undefined,
    })),
  })}\n`;
}

/** sym's lines; a query with no answer is the command's error, as crash makes it. */
export function renderSym(answers: SymbolAnswer[]): string {
  return answers
    .map((a) => {
      if ("error" in a) throw new KdxError(`${a.query}: ${a.error}`);
      if (a.address !== undefined)
        return `${a.address.toString(16).padStart(16, "0")} (${a.type}) ${a.name}${a.module ? ` [${a.module}]` : ""}\n`;
      const addr = BigInt(a.query.startsWith("0x") ? a.query : `0x${a.query}`);
      return `${addr.toString(16).padStart(16, "0")} (${a.type}) ${a.name}${a.offset ? `+${a.offset}` : ""}${a.module ? ` [${a.module}]` : ""}\n`;
    })
    .join("");
}

export function symJson(answers: SymbolAnswer[]): string {
  return `${JSON.stringify({
    schema: "kdx.sym/1",
    symbols: answers.map((a) =>
      "address" in a && a.address !== undefined ? { ...a, address: hex(a.address) } : a,
    ),
  })}\n`;
}
