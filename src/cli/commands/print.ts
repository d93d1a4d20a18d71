/**
 * `p`/`px`/`pd` (and `p/x`, `p/d`): a kernel variable's value, or a member of it (`p init_task.comm`), as
 * crash prints it: "NAME = $N = VALUE", "$N = VALUE" for an expression, numbered in the session's value
 * history. The type comes from BTF, else from kdx's table of the globals crash users print, else from the
 * symbol's extent (analysis/globals.ts); JSON says which. Per-CPU variables print as crash prints per-CPU
 * data: the type, then each CPU's address.
 */
import { parseArgs } from "node:util";
import { globalType } from "../../analysis/globals.ts";
import { cpuIds } from "../../kernel/helpers/cpumask.ts";
import { perCpu } from "../../kernel/helpers/percpu.ts";
import { declare } from "../../kernel/types/c-decl.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import { formatValue, valueJson } from "../../views/btf-value.ts";
import type { Session, SessionCommand } from "../session.ts";

function print(radix: "x" | "d" | undefined) {
  return (session: Session, argv: string[], out: NodeJS.WritableStream) => {
    const { kernel } = session;
    // p/x and p/d arrive as a first word "/x" (the shell splits "p/x").
    let hex = radix === "x";
    const args = [...argv];
    if (args[0] === "/x" || args[0] === "/d") hex = args.shift() === "/x";
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: "boolean" } },
    });
    if (positionals.length !== 1) throw new UsageError("p SYMBOL[.member...]");
    const expression = positionals[0];
    const [name, ...path] = expression.split(".");
    const sym = kernel.symbols.lookup(name);
    if (!sym) throw new KdxError(`${name}: no such symbol`);
    const g = globalType(kernel, name);
    if (!g)
      throw new KdxError(`${name}: no type known for it (not in BTF, not in kdx's table, no symbol size)`);
    const { btf } = g;
    if (g.perCpu) {
      const addresses = cpuIds(kernel).map((c) => perCpu(kernel, name, c));
      if (values.json) {
        out.write(
          `${JSON.stringify({ schema: "kdx.p/1", name, perCpu: true, type: declare(btf, g.typeId, name), addresses: addresses.map((a) => `0x${a.toString(16)}`) })}\n`,
        );
        return;
      }
      out.write(`PER-CPU DATA TYPE:\n  ${declare(btf, g.typeId, name)};\nPER-CPU ADDRESSES:\n`);
      for (const [c, a] of addresses.entries()) out.write(`  [${c}]: ${a.toString(16)}\n`);
      return;
    }
    let typeId = g.typeId;
    let address = sym.address;
    if (path.length) {
      const m = btf.member(typeId, path.join("."));
      if (m.bitSize) throw new UsageError(`${expression}: a bitfield; print the struct that holds it`);
      typeId = m.type;
      address += BigInt(m.bitOffset / 8);
    }
    const bytes = kernel.read(address, btf.sizeof(typeId));
    session.values = (session.values ?? 0) + 1;
    const n = session.values;
    if (values.json) {
      out.write(
        `${JSON.stringify({ schema: "kdx.p/1", name, expression, history: n, perCpu: false, typeFrom: g.from, type: btf.typeName(typeId), address: `0x${address.toString(16)}`, value: valueJson(kernel, typeId, bytes, 0, btf) })}\n`,
      );
      return;
    }
    const value = formatValue(kernel, typeId, bytes, "", 0, btf, hex);
    out.write(path.length ? `$${n} = ${value}\n` : `${name} = $${n} = ${value}\n`);
  };
}

const HELP = (
  name: string,
  what: string,
) => `usage: ${name} SYMBOL[.member...] [--json]      (kdx ${name} ... DUMP)

${what} as crash prints it: "jiffies = $1 = 4294893641", or "$2 = …" for a member
("p init_task.comm"), each value numbered in the session's history. The type
comes from the kernel's BTF, else kdx's table of the globals crash users print,
else the symbol's size (--json says which). Per-CPU variables show their type
and each CPU's address.
`;

export const p: SessionCommand = {
  name: "p",
  help: HELP("p", "A kernel variable's value,"),
  run: print(undefined),
};
export const px: SessionCommand = { name: "px", help: HELP("px", "As p, in hexadecimal,"), run: print("x") };
export const pd: SessionCommand = { name: "pd", help: HELP("pd", "As p, in decimal,"), run: print("d") };
