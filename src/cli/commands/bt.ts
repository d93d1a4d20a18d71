/** `bt`: a task's kernel stack, as crash prints it. */
import { parseArgs } from "node:util";
import { OrcTables } from "../../analysis/stack/orc.ts";
import {
  activeTaskStart,
  cpuRegisters,
  irqStack,
  nmiStack,
  sleepingTaskStart,
} from "../../analysis/stack/task-stack.ts";
import { type BtItem, type PtRegs, unwind } from "../../analysis/stack/unwind.ts";
import { type PsRow, psRows } from "../../analysis/tasks.ts";
import type { Dump } from "../../dump/physical-memory.ts";
import { prstatus } from "../../dump/prstatus.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import { type SourceLine, sourceLines } from "../io/source-lines.ts";
import type { SessionCommand } from "../session.ts";
import { taskHeader, tasksMatching } from "./task.ts";

const hex16 = (v: bigint) => v.toString(16).padStart(16, "0");

/** The general registers in crash's rows of three. */
const GENERAL_REGS: [string, keyof PtRegs][][] = [
  [
    ["RAX", "ax"],
    ["RBX", "bx"],
    ["RCX", "cx"],
  ],
  [
    ["RDX", "dx"],
    ["RSI", "si"],
    ["RDI", "di"],
  ],
  [
    ["RBP", "bp"],
    ["R8", "r8"],
    ["R9", "r9"],
  ],
  [
    ["R10", "r10"],
    ["R11", "r11"],
    ["R12", "r12"],
  ],
  [
    ["R13", "r13"],
    ["R14", "r14"],
    ["R15", "r15"],
  ],
];

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
  for (const trio of GENERAL_REGS) lines.push(row(trio.map(([label, name]) => [label, r[name]])));
  lines.push(
    `    ORIG_RAX: ${hex16(r.orig_ax)}  CS: ${r.cs.toString(16).padStart(4, "0")}  SS: ${r.ss.toString(16).padStart(4, "0")}`,
  );
  return lines;
}

/** bt -f: the stack words a frame holds, from above its return address up to the next frame, two per line. */
function frameWords(kernel: Kernel, from: bigint, to: bigint): string[] {
  if (to <= from || to - from > 8192n) return [];
  let words: Uint8Array;
  try {
    words = kernel.read(from, Number(to - from));
  } catch {
    return [`    (frame contents unreadable)`];
  }
  const dv = new DataView(words.buffer, words.byteOffset, words.byteLength);
  const lines: string[] = [];
  for (let i = 0; i + 8 <= words.length; i += 16) {
    const w = [dv.getBigUint64(i, true)];
    if (i + 16 <= words.length) w.push(dv.getBigUint64(i + 8, true));
    lines.push(`    ${hex16(from + BigInt(i))}: ${w.map(hex16).join(" ")} `);
  }
  return lines;
}

export function renderBt(
  kernel: Kernel,
  items: BtItem[],
  opts: { frames?: boolean; lines?: Map<bigint, SourceLine> } = {},
): string[] {
  const lines: string[] = [];
  let n = 0;
  for (const [k, it] of items.entries()) {
    if (it.kind === "frame") {
      // A return address at the very start of a function follows a call that never returns (to panic, say)
      // at the end of the one before: that one is the caller, as the kernel's own %pB would say.
      let s = kernel.symbols.resolve(it.ip);
      if (s?.offset === 0) s = kernel.symbols.resolve(it.ip - 1n) ?? s;
      const name = s ? s.name : "(unknown)";
      // A guess from the last-resort scan is marked as the kernel marks unreliable entries: "? ".
      lines.push(
        `${`#${n++}`.padStart(3)} [${hex16(it.frameAddress)}] ${it.guess ? "? " : ""}${name} at ${hex16(it.ip)}${s?.module ? ` [${s.module}]` : ""}`,
      );
      // bt -l: the source line under the frame, as crash prints it.
      const src = opts.lines?.get(it.ip);
      if (src) lines.push(`    ${src.file}: ${src.line}`);
      if (opts.frames) {
        const next = items.slice(k + 1).find((x) => x.kind === "frame" || x.kind === "regs");
        const end = next?.kind === "frame" ? next.frameAddress : next?.kind === "regs" ? next.at : undefined;
        if (end !== undefined) lines.push(...frameWords(kernel, it.frameAddress + 8n, end));
      }
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
  const walk = (): BtItem[] => {
    if (!r.active) return unwind(kernel, orc, sleepingTaskStart(kernel, r.task));
    const cpuRegs = cpuRegisters(kernel, prstatus(dump.notes)).cpus[r.cpu];
    const regions = [irqStack(kernel, r.cpu), nmiStack(kernel, r.cpu)].filter((x) => x !== undefined);
    const start = activeTaskStart(kernel, r.task, r.cpu, cpuRegs);
    const items = unwind(kernel, orc, start, regions);
    // Started from the registers the dump recorded (QEMU: the vCPU at dump time, not at the crash): say so.
    return start.exact
      ? [{ kind: "marker", text: "    (from the CPU's registers as the dump recorded them)" }, ...items]
      : items;
  };
  // Without ORC every frame is measured from a prologue or a frame pointer: less certain, and said so.
  return orc.available
    ? walk()
    : [
        {
          kind: "marker",
          text: "    (no ORC tables in this kernel: frames from prologues and frame pointers)",
        },
        ...walk(),
      ];
}

/** The CPU that panicked (panic_cpu), when the kernel recorded one. */
export function panicCpu(kernel: Kernel): number | undefined {
  const sym = kernel.symbols.lookup("panic_cpu");
  if (!sym) return undefined;
  const v = kernel.readU32(sym.address) | 0;
  return v >= 0 ? v : undefined;
}

function btJson(kernel: Kernel, r: PsRow, items: BtItem[]): object {
  return {
    pid: r.pid,
    task: `0x${r.task.toString(16)}`,
    cpu: r.cpu,
    comm: r.comm,
    items: items.map((it) => {
      if (it.kind === "frame") {
        const s = kernel.symbols.resolve(it.ip);
        return {
          kind: "frame",
          frame: `0x${it.frameAddress.toString(16)}`,
          ip: `0x${it.ip.toString(16)}`,
          function: s?.name,
          offset: s?.offset,
          module: s?.module,
          reliable: !it.guess,
        };
      }
      if (it.kind === "regs")
        return {
          kind: "regs",
          user: it.user,
          at: `0x${it.at.toString(16)}`,
          regs: Object.fromEntries(Object.entries(it.regs).map(([k, v]) => [k, `0x${v.toString(16)}`])),
        };
      return it;
    }),
  };
}

export const bt: SessionCommand = {
  name: "bt",
  help: `usage: bt [-a | -c CPU | PID|TASK] [-f] [--json]      (kdx bt ... DUMP)

A task's kernel stack, unwound with the kernel's own ORC tables from the dump:
crash's frames (#N [frame address] function at return address), exception
frames, IRQ/NMI stack changes, and the user-mode registers where the stack
began. Without an argument, the task that panicked. A running task starts
where crash starts it: machine_kexec (kdump) or panic on its stacks,
crash_nmi_callback on its NMI stack, else its CPU's recorded registers.
  -a        the task on every CPU        -c CPU   the task on that CPU
  -f        each frame's stack words, between its return address and the next frame
  -l        each frame's source file and line (needs the vmlinux with debug info given
            with the dump: kdx vmlinux DUMP, or --system-map vmlinux)
`,
  run(session, argv, out) {
    const { kernel, dump } = session;
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        a: { type: "boolean", short: "a" },
        c: { type: "string", short: "c" },
        f: { type: "boolean", short: "f" },
        l: { type: "boolean", short: "l" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length > 1) throw new UsageError("bt [-a | -c CPU | PID|TASK]");
    const rows = psRows(kernel);
    let hits: PsRow[];
    if (values.a) hits = rows.filter((r) => r.active).sort((a, b) => a.cpu - b.cpu);
    else if (values.c !== undefined) hits = rows.filter((r) => r.active && String(r.cpu) === values.c);
    else if (positionals.length) hits = tasksMatching(rows, positionals[0]);
    else {
      // The current context: the task `set` chose, else the one that panicked.
      const cur = session.context ?? rows.find((r) => r.active && r.cpu === panicCpu(kernel))?.task;
      hits = rows.filter((r) => r.task === cur);
    }
    if (!hits.length)
      throw new KdxError(
        `${positionals[0] ?? (values.c !== undefined ? `CPU ${values.c}` : "the panic task")}: no such task`,
      );
    const orc = orcOf(kernel);
    const walks = hits.map((r) => ({ r, items: taskBacktrace(kernel, dump, r, orc) }));
    if (values.json) {
      out.write(
        `${JSON.stringify({ schema: "kdx.bt/1", tasks: walks.map(({ r, items }) => btJson(kernel, r, items)) })}\n`,
      );
      return;
    }
    let lines: Map<bigint, SourceLine> | undefined;
    if (values.l) {
      if (!session.vmlinux)
        throw new UsageError(
          "bt -l needs the kernel's vmlinux with debug info, given with the dump (kdx vmlinux DUMP, or --system-map vmlinux)",
        );
      // As crash does: the line of the address itself (for a return address, the innermost inlined line
      // there), not of the call before it.
      const addrs = walks.flatMap(({ items }) =>
        items.filter((x) => x.kind === "frame" && !x.guess).map((x) => (x as { ip: bigint }).ip),
      );
      lines = sourceLines(session.vmlinux, addrs);
    }
    walks.forEach(({ r, items }, i) => {
      if (i) out.write("\n");
      out.write(`${taskHeader(r)}\n${renderBt(kernel, items, { frames: values.f, lines }).join("\n")}\n`);
    });
  },
};
