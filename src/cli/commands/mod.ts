/** `kdx mod DUMP`: the loaded modules, as crash's `mod` lists them. */
import { parseArgs } from "node:util";
import { listModules, type ModuleInfo } from "../../analysis/modules.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

const HELP = `usage: kdx mod [--json] [--system-map FILE] DUMP      (in the shell: mod [--json])

The modules the dead kernel had loaded: struct module address, name, load
address and size, as crash's "mod" lists them.

options:
  --json             the same as JSON
${SYSTEM_MAP_HELP}`;

/** crash's mkstring(CENTER|LJUST). */
const center = (s: string, w: number) => {
  const left = Math.max(0, Math.floor((w - s.length) / 2));
  return (" ".repeat(left) + s).padEnd(w);
};

export function renderMod(mods: ModuleInfo[], symbolsFrom: string): string {
  const nameW = Math.max(4, ...mods.map((m) => m.name.length));
  const sizeW = Math.max(4, ...mods.map((m) => String(m.size).length));
  const lines = [
    `${center("MODULE", 16)}  ${"NAME".padEnd(nameW)}  ${center("BASE", 16)}  ${"SIZE".padStart(sizeW)}  OBJECT FILE`,
  ];
  for (const m of mods)
    lines.push(
      `${m.module.toString(16).padStart(16, "0")}  ${m.name.padEnd(nameW)}  ${m.base.toString(16).padStart(16, "0")}  ${String(m.size).padStart(sizeW)}  (not loaded)  [${symbolsFrom}]`,
    );
  return `${lines.join("\n")}\n`;
}

export const mod: SessionCommand = {
  name: "mod",
  help: HELP,
  run({ kernel }, argv, out) {
    const { values } = parseArgs({ args: argv, options: { json: { type: "boolean" } } });
    const mods = listModules(kernel);
    if (values.json)
      out.write(
        `${JSON.stringify({
          schema: "kdx.mod/1",
          modules: mods.map((m) => ({
            module: `0x${m.module.toString(16)}`,
            name: m.name,
            base: `0x${m.base.toString(16)}`,
            size: m.size,
          })),
        })}\n`,
      );
    // crash's words for "no module object file; symbols from the module's own kallsyms in memory", which is
    // where kdx takes them from too (kernel/symbols/module-kallsyms.ts).
    else out.write(renderMod(mods, "CONFIG_KALLSYMS"));
  },
};
