/** `sym`: address → symbol+offset, symbol → address, as crash's sym. */
import { parseArgs } from "node:util";
import { KdxError } from "../../util/errors.ts";
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
    const table = kernel.symbols;
    if (values.json) {
      const symbols = positionals.map((arg) => {
        if (/^(0x)?[0-9a-f]{9,16}$/i.test(arg)) {
          const r = table.resolveAny(BigInt(arg.startsWith("0x") ? arg : `0x${arg}`));
          return r
            ? { query: arg, name: r.name, type: r.type, offset: r.offset, module: r.module }
            : { query: arg, error: "no symbol there" };
        }
        const s = table.lookup(arg);
        return s
          ? {
              query: arg,
              name: s.name,
              type: s.type,
              address: `0x${s.address.toString(16)}`,
              module: s.module,
            }
          : { query: arg, error: "no such symbol" };
      });
      out.write(`${JSON.stringify({ schema: "kdx.sym/1", symbols })}\n`);
      return;
    }
    for (const arg of positionals) {
      if (/^(0x)?[0-9a-f]{9,16}$/i.test(arg)) {
        const addr = BigInt(arg.startsWith("0x") ? arg : `0x${arg}`);
        const r = table.resolveAny(addr);
        if (!r) throw new KdxError(`${arg}: no symbol there`);
        out.write(
          `${addr.toString(16).padStart(16, "0")} (${r.type}) ${r.name}${r.offset ? `+${r.offset}` : ""}${r.module ? ` [${r.module}]` : ""}\n`,
        );
      } else {
        const s = table.lookup(arg);
        if (!s) throw new KdxError(`${arg}: no such symbol`);
        out.write(
          `${s.address.toString(16).padStart(16, "0")} (${s.type}) ${s.name}${s.module ? ` [${s.module}]` : ""}\n`,
        );
      }
    }
  },
};
