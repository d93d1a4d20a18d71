/** `sym`: address → symbol+offset, symbol → address, as crash's sym. */
import { parseArgs } from "node:util";
import { symbolAnswer } from "../../analysis/memory-read.ts";
import { KdxError } from "../../util/errors.ts";
import { renderSym, symJson } from "../../views/memory.ts";
import type { SessionCommand } from "../session.ts";

export const sym: SessionCommand = {
  name: "sym",
  help: `usage: sym ADDRESS|NAME ...        (kdx sym ADDRESS|NAME ... DUMP)

For an address, the symbol it falls in and the offset ("ffffffff8153a1c4 (t) sysrq_handle_crash+4");
for a name, its address and type. Symbols come from the kallsyms in the dump (or --system-map).
`,
  run({ kernel }, argv, out) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: "boolean" } },
    });
    if (!positionals.length) throw new KdxError("sym takes an address or a symbol name");
    const answers = positionals.map((arg) => symbolAnswer(kernel, arg));
    if (values.json) out.write(symJson(answers));
    // Line by line: the answers before a query with none are printed before its error.
    else for (const a of answers) out.write(renderSym([a]));
  },
};
