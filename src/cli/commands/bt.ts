/** `bt`: a task's kernel stack, as crash prints it. */
import { parseArgs } from "node:util";
import { OrcTables } from "../../analysis/stack/orc.ts";
import { activeTaskStart, irqStack, sleepingTaskStart } from "../../analysis/stack/task-stack.ts";
import { type BtItem, type PtRegs, unwind } from "../../analysis/stack/unwind.ts";
import { type PsRow, psRows } from "../../analysis/tasks.ts";
import type { Dump } from "../../dump/physical-memory.ts";
import { prstatus } from "../../dump/prstatus.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import type { SessionCommand } from "../session.ts";
import { taskHeader } from "./task.ts";

const hex16 = (v: bigint) => v.toString(16).padStart(16, "0");

/** crash's register block: RIP/RSP/RFLAGS, then pairs of general registers, ORIG_RAX, CS, SS. */
export function regsBlock(kernel: Kernel, r: PtRegs, user: boolean): string[] {
  const lines: string[] = [];
  if (!user) {
    const s = kernel.symbols.resolve(r.ip);
    lines.push(`    [exception RIP: ${s ? `${s.name}${s.offset ? `+${s.offset}` : ""}` : hex16(r.ip)}]`);
  }
  const row = (pairs: [string, bigint][]) =>
    `    ${pairs.map(([k, v]) => `${k.padStart(3)}: ${hex16(v)}`).join("  ")}`;
  lines.push(
    `    RIP: ${hex16(r.ip)}  RSP: ${hex16(r.sp)}  RFLAGS: ${r.flags.toString(16).padStart(8, "0")}`,
  );
  lines.push(
    row([
      ["RAX", r.ax],
      ["RBX", r.bx],
      ["RCX", r.cx],
    ]),
  );
  lines.push(
    row([
      ["RDX", r.dx],
      ["RSI", r.si],
      ["RDI", r.di],
    ]),
  );
  lines.push(
    row([
      ["RBP", r.bp],
      ["R8", r.r8],
      ["R9", r.r9],
    ]),
  );
  lines.push(
    row([
      ["R10", r.r10],
      ["R11", r.r11],
      ["R12", r.r12],
    ]),
  );
  lines.push(
    row([
      ["R13", r.r13],
      ["R14", r.r14],
      ["R15", r.r15],
    ]),
  );
  lines.push(
    `    ORIG_RAX: ${hex16(r.orig_ax)}  CS: ${r.cs.toString(16).padStart(4, "0")}  SS: ${r.ss.toString(16).padStart(4, "0")}`,
  );
  return lines;
}

export function renderBt(kernel: Kernel, items: BtItem[]): string[] {
  const lines: string[] = [];
  let n = 0;
  for (const it of items) {
    if (it.kind === "frame") {
      // A return address at the very start of a function follows a call that never returns (to panic, say)
      // at the end of the one before: that one is the caller, as the kernel's own %pB would say.
      let s = kernel.symbols.resolve(it.ip);
      if (s?.offset === 0) s = kernel.symbols.resolve(it.ip - 1n) ?? s;
      const name = s ? s.name : "(unknown)";
      lines.push(
        `${`#${n++}`.padStart(3)} [${hex16(it.frameAddress)}] ${name} at ${hex16(it.ip)}${s?.module ? ` [${s.module}]` : ""}`,
      );
    } else if (it.kind === "regs") lines.push(...regsBlock(kernel, it.regs, it.user));
    else if (it.kind === "marker") lines.push(it.text);
    else lines.push(`    bt: ${it.reason}`);
  }
  return lines;
}

let tables: WeakMap<Kernel, OrcTables> | undefined;
export function orcOf(kernel: Kernel): OrcTables {
  tables ??= new WeakMap();
  let t = tables.get(kernel);
  if (!t) {
    t = new OrcTables(kernel);
    tables.set(kernel, t);
  }
  return t;
}

/** The walk for one task: a running one from its CPU's registers and stacks, a sleeping one from its switch frame. */
export function taskBacktrace(kernel: Kernel, dump: Dump, r: PsRow, orc: OrcTables): BtItem[] {
  if (!r.active) return unwind(kernel, orc, sleepingTaskStart(kernel, r.task));
  const cpuRegs = prstatus(dump.notes)[r.cpu];
  const irq = irqStack(kernel, r.cpu);
  return unwind(kernel, orc, activeTaskStart(kernel, r.task, r.cpu, cpuRegs), irq ? [irq] : []);
}

export const bt: SessionCommand = {
  name: "bt",
  summary: "bt PID|TASK: a sleeping task's kernel stack (ORC), as crash prints it",
  help: `usage: bt PID|TASK      (kdx bt PID|TASK DUMP)

The task's kernel stack, unwound with the kernel's own ORC tables from the
dump: crash's frames (#N [frame address] function at return address), the
exception frames on the way, and the user-mode registers where the stack
began. A task that was running starts where crash starts it: at machine_kexec
(kdump) or panic on its stacks, else at its CPU's saved registers.
`,
  run({ kernel, dump }, argv, out) {
    const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError("bt PID|TASK");
    const arg = positionals[0];
    const rows = psRows(kernel);
    const byAddr = /^(0x)?[0-9a-f]{9,16}$/i.test(arg)
      ? BigInt(arg.startsWith("0x") ? arg : `0x${arg}`)
      : undefined;
    const hits =
      byAddr !== undefined
        ? rows.filter((r) => r.task === byAddr)
        : rows.filter((r) => String(r.pid) === arg);
    if (!hits.length) throw new KdxError(`${arg}: no such task`);
    const orc = orcOf(kernel);
    hits.forEach((r, i) => {
      if (i) out.write("\n");
      out.write(`${taskHeader(r)}\n`);
      out.write(`${renderBt(kernel, taskBacktrace(kernel, dump, r, orc)).join("\n")}\n`);
    });
  },
};
