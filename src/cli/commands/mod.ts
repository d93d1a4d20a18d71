/** `kdx mod DUMP`: the loaded modules, as crash's `mod` lists them. */
import { parseArgs } from "node:util";
import { listModules, type ModuleInfo } from "../../analysis/modules.ts";
import { UsageError } from "../../util/errors.ts";
import { openKernel } from "../io/dump-input.ts";

export const HELP = `usage: kdx mod [--json] [--system-map FILE] DUMP

The modules the dead kernel had loaded: struct module address, name, load
address and size, as crash's "mod" lists them.

options:
  --json             the same as JSON
  --system-map FILE  the kernel's System.map (or a copy of /proc/kallsyms) instead of the kallsyms in
                     the dump (for kernels whose VMCOREINFO does not locate kallsyms)
`;

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

export async function modCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: "boolean" }, "system-map": { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError("kdx mod takes one DUMP");
  const { dump, kernel } = openKernel(positionals[0], "mod", { systemMap: values["system-map"] });
  try {
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
    // crash's words for "no module object file, symbols from the module's in-memory kallsyms"; kdx reads the
    // modules' own kallsyms with the symbol work of issue 4 (not yet: module addresses resolve to nothing).
    else out.write(renderMod(mods, "CONFIG_KALLSYMS"));
    return 0;
  } finally {
    dump.close();
  }
}
