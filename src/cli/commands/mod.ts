/** `kdx mod DUMP`: the loaded modules, as crash's `mod` lists them. */
import { parseArgs } from "node:util";
import { listModules } from "../../analysis/modules.ts";
import { modJson, renderMod } from "../../views/mod.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

const HELP = `usage: kdx mod [--json] [--system-map FILE] DUMP      (in the shell: mod [--json])

The modules the dead kernel had loaded: struct module address, name, load
address and size, as crash's "mod" lists them.

options:
  --json             the same as JSON
${SYSTEM_MAP_HELP}`;

export const mod: SessionCommand = {
  name: "mod",
  help: HELP,
  run({ kernel }, argv, out) {
    const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" } } });
    const mods = listModules(kernel);
    if (values.json) out.write(modJson(mods));
    // crash's words for "no module object file; symbols from the module's own kallsyms in memory", which is
    // where kdx takes them from too (kernel/symbols/module-kallsyms.ts).
    else out.write(renderMod(mods, "CONFIG_KALLSYMS"));
  },
};
