/**
 * `p`/`px`: a kernel variable's value. BTF carries the types of per-CPU variables only; those print as crash
 * prints per-CPU data (the type, then each CPU's address). Other globals have no type in BTF: kdx reads them
 * as an unsigned long and says so, rather than guess.
 */
import { parseArgs } from "node:util";
import { perCpu } from "../../kernel/helpers/percpu.ts";
import { declare } from "../../kernel/types/c-decl.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import { formatValue } from "../../views/btf-value.ts";
import type { Session, SessionCommand } from "../session.ts";

function print(hex: boolean) {
  return ({ kernel }: Session, argv: string[], out: NodeJS.WritableStream) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: "boolean" } },
    });
    if (positionals.length !== 1) throw new UsageError(`${hex ? "px" : "p"} SYMBOL`);
    const name = positionals[0];
    const sym = kernel.symbols.lookup(name);
    if (!sym) throw new KdxError(`${name}: no such symbol`);
    const btf = kernel.btf;
    const v = btf.find(name, "var");
    if (v && sym.type.toUpperCase() === "A") {
      const cpus = kernel.readU32(kernel.symbol("nr_cpu_ids"));
      if (values.json) {
        const addresses = Array.from(
          { length: Math.min(cpus, 8192) },
          (_, c) => `0x${perCpu(kernel, name, c).toString(16)}`,
        );
        out.write(
          `${JSON.stringify({ schema: "kdx.p/1", name, perCpu: true, type: declare(btf, v.type ?? 0, name), addresses })}\n`,
        );
        return;
      }
      out.write(`PER-CPU DATA TYPE:\n  ${declare(btf, v.type ?? 0, name)};\nPER-CPU ADDRESSES:\n`);
      for (let c = 0; c < Math.min(cpus, 8192); c++)
        out.write(`  [${c}]: ${perCpu(kernel, name, c).toString(16)}\n`);
      return;
    }
    if (v) {
      const size = btf.sizeof(v.type ?? 0);
      out.write(`${name} = ${formatValue(kernel, v.type ?? 0, kernel.read(sym.address, size), "")}\n`);
      return;
    }
    const value = kernel.readU64(sym.address);
    if (values.json) {
      out.write(
        `${JSON.stringify({ schema: "kdx.p/1", name, perCpu: false, typed: false, value: `0x${value.toString(16)}` })}\n`,
      );
      return;
    }
    out.write(
      `${name} = ${hex ? `0x${value.toString(16)}` : value.toString()}  (no type in BTF: read as unsigned long)\n`,
    );
  };
}

export const p: SessionCommand = {
  name: "p",
  help: `usage: p SYMBOL      (kdx p SYMBOL DUMP)

A kernel variable's value. Per-CPU variables (typed in BTF) show their type and
each CPU's address, as crash prints them; other globals, which BTF does not type,
are read as an unsigned long, and say so.
`,
  run: print(false),
};

export const px: SessionCommand = {
  name: "px",
  help: "usage: px SYMBOL      (kdx px SYMBOL DUMP)\n\nAs p, numbers in hexadecimal.\n",
  run: print(true),
};
