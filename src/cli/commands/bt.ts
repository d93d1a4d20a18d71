/** `bt`: a task's kernel stack, as crash prints it. */
import { parseArgs } from "node:util";
import { backtrace, frameContents, panicCpu } from "../../analysis/backtrace.ts";
import { type PsRow, psRows, tasksMatching } from "../../analysis/tasks.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import { btJson, renderBacktraces, type SourceLine } from "../../views/bt.ts";
import { sourceLines } from "../io/source-lines.ts";
import type { SessionCommand } from "../session.ts";

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
    const { kernel } = session;
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
    const bts = hits.map((r) => backtrace(kernel, r));
    if (values.json) {
      out.write(btJson(bts));
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
      const addrs = bts.flatMap((bt) =>
        bt.items.flatMap((x) => (x.kind === "frame" && !x.guess ? [x.ip] : [])),
      );
      lines = sourceLines(session.vmlinux, addrs);
    }
    out.write(
      renderBacktraces(bts, kernel.arch.registers, (bt) => ({
        lines,
        words: values.f ? frameContents(kernel, bt.items) : undefined,
      })),
    );
  },
};
