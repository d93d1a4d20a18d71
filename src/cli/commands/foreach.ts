/** `foreach bt`: crash's loop of a command over every task (bt and task so far). */
import { parseArgs } from "node:util";
import { backtrace } from "../../analysis/backtrace.ts";
import { psRows } from "../../analysis/tasks.ts";
import { UsageError } from "../../util/errors.ts";
import { renderBacktraces } from "../../views/bt.ts";
import type { SessionCommand } from "../session.ts";

export const foreach: SessionCommand = {
  name: "foreach",
  help: `usage: foreach bt      (kdx foreach bt DUMP)

Every task's kernel stack, in crash's order (by PID, idle tasks by CPU),
each under its context header, blocks separated by an empty line.
`,
  run({ kernel }, argv, out) {
    const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
    if (positionals[0] !== "bt" || positionals.length !== 1) throw new UsageError("foreach bt");
    // Each task is walked and written in turn: the first lines come at once on a big machine.
    psRows(kernel).forEach((r, i) => {
      if (i) out.write("\n");
      out.write(renderBacktraces([backtrace(kernel, r)], kernel.arch.registers));
    });
  },
};
