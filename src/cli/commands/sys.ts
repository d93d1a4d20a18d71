/** `kdx sys DUMP`: crash's system banner, from the dump alone. */
import { parseArgs } from "node:util";
import { sys as sysRecord, taintLetters } from "../../analysis/system.ts";
import { renderSys, renderTaint, sysJson, taintJson } from "../../views/sys.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

const HELP = `usage: kdx sys [-t] [--json] [--system-map FILE] DUMP      (in the shell: sys [-t] [--json])

The dead machine at a glance, as crash's "sys" prints it: CPUs, date, uptime,
load average, tasks, uname, memory, the panic message.

options:
  -t                 the taint flags: the kernel's tainted_mask and its letters, as crash's sys -t
  --json             the same as JSON
${SYSTEM_MAP_HELP}`;

export const sys: SessionCommand = {
  name: "sys",
  help: HELP,
  run({ dump, kernel, path }, argv, out) {
    const { values } = parseArgs({
      args: argv,
      options: { t: { type: "boolean", short: "t" }, json: { type: "boolean" } },
    });
    if (values.t) {
      const t = taintLetters(kernel);
      out.write(values.json ? taintJson(t) : renderTaint(t));
      return;
    }
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
