/** `kdx sys DUMP`: crash's system banner, from the dump alone. */
import { parseArgs } from "node:util";
import { sys as sysRecord } from "../../analysis/system.ts";
import { renderSys, sysJson } from "../../views/sys.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

const HELP = `usage: kdx sys [--json] [--system-map FILE] DUMP      (in the shell: sys [--json])

The dead machine at a glance, as crash's "sys" prints it: CPUs, date, uptime,
load average, tasks, uname, memory, the panic message.

options:
  --json             the same as JSON
${SYSTEM_MAP_HELP}`;

export const sys: SessionCommand = {
  name: "sys",
  help: HELP,
  run({ dump, kernel, path }, argv, out) {
    const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" } } });
    const s = sysRecord(kernel);
    const context = {
      dumpfile: path,
      partial: (dump.info.dumpLevel ?? 0) > 0,
      symbols: kernel.symbols.source,
      types: kernel.btf.source,
    };
    out.write(values.json ? sysJson(s, context) : renderSys(s, context));
  },
};
