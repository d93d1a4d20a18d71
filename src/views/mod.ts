/** crash's mod, and kdx.mod/1. */
import type { ModuleInfo } from "../analysis/modules.ts";

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

export function modJson(mods: ModuleInfo[]): string {
  return `${JSON.stringify({
    schema: "kdx.mod/1",
    modules: mods.map((m) => ({
      module: `0x${m.module.toString(16)}`,
      name: m.name,
      base: `0x${m.base.toString(16)}`,
      size: m.size,
    })),
  })}\n`;
}
