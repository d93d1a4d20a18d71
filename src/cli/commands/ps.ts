/** `ps`: crash's process list, from the dump alone (kallsyms and BTF in its memory). */
import { parseArgs } from "node:util";
import { psRows } from "../../analysis/tasks.ts";
import { psJson, renderPs } from "../../views/ps.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

export const ps: SessionCommand = {
  name: "ps",
  help: `usage: kdx ps [--json] [--system-map FILE] DUMP      (in the shell: ps [--json])

Every task of the dead kernel, as crash's "ps" lists it: ">" marks the task
running on each CPU; kernel threads' names are in brackets.

options:
  --json             {"schema": "kdx.ps/1", "tasks": [...]}
${SYSTEM_MAP_HELP}`,
  run({ kernel }, argv, out) {
    const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" } } });
    const rows = psRows(kernel);
    out.write(values.json ? psJson(rows) : renderPs(rows));
  },
};
