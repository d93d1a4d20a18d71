/** `foreach bt`: crash's loop of a command over every task (bt and task so far). */
import { parseArgs } from "node:util";
import { psRows } from "../../analysis/tasks.ts";
import { UsageError } from "../../util/errors.ts";
import type { SessionCommand } from "../session.ts";
import { orcOf, renderBt, taskBacktrace } from "./bt.ts";
import { taskHeader } from "./task.ts";

export const foreach: SessionCommand = {
  name: "foreach",
  help: `usage: foreach bt      (kdx foreach bt DUMP)

Every task's kernel stack, in crash's order (by PID, idle tasks by CPU),
each under its context header, blocks separated by an empty line.
`,
  run({ kernel, dump }, argv, out) {
    const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
    if (positionals[0] !== "bt" || positionals.length !== 1) throw new UsageError("foreach bt");
    const orc = orcOf(kernel);
    psRows(kernel).forEach((r, i) => {
      if (i) out.write("\n");
      out.write(`${taskHeader(r)}\n${renderBt(kernel, taskBacktrace(kernel, dump, r, orc)).join("\n")}\n`);
    });
  },
};
