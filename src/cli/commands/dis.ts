/** `dis`: disassemble kernel code as crash (through gdb) shows it, branch targets named. */
import { parseArgs } from "node:util";
import { hexBytes } from "../../util/bytes.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import type { SessionCommand } from "../session.ts";

export const dis: SessionCommand = {
  name: "dis",
  help: `usage: dis SYMBOL|ADDRESS [COUNT]      (kdx dis ... DUMP)

Disassembles the whole function a symbol names (or COUNT instructions from an
address) from the dead kernel's memory, in AT&T syntax, each line as crash
prints it: "0xffffffff8153a1c5 <sysrq_handle_crash+5>:\\tpush   %rbp".
`,
  run(session, argv, out) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: "boolean" } },
    });
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError("dis SYMBOL|ADDRESS [COUNT]");
    const table = session.kernel.symbols;
    const [what, countArg] = positionals;
    let start: bigint;
    if (/^(0x)?[0-9a-f]{9,16}$/i.test(what)) start = BigInt(what.startsWith("0x") ? what : `0x${what}`);
    else {
      const s = table.lookup(what);
      if (!s) throw new KdxError(`${what}: no such symbol`);
      start = s.address;
    }
    const count = countArg ? Number.parseInt(countArg, 10) : undefined;
    if (count !== undefined && (!Number.isFinite(count) || count < 1))
      throw new UsageError(`dis: bad count ${countArg}`);
    const fn = table.resolve(start);
    // The whole function when no count is given: up to the next symbol.
    const length = count !== undefined ? count * 15 : fn ? fn.size - fn.offset : 256;
    const bytes = session.kernel.read(start, Math.min(length, 1 << 20));
    const label = (a: bigint) => {
      const r = table.resolve(a);
      return r ? `<${r.name}${r.offset ? `+${r.offset}` : ""}>` : "";
    };
    const decoded = session.kernel.arch.disassemble(bytes, start, count);
    if (values.json) {
      out.write(
        `${JSON.stringify({
          schema: "kdx.dis/1",
          instructions: decoded.map((i) => ({
            address: `0x${i.ip.toString(16)}`,
            label: label(i.ip).slice(1, -1) || undefined,
            bytes: hexBytes(bytes, Number(i.ip - start), Number(i.ip - start) + i.length),
            text: i.text,
            target: i.branchTarget !== undefined ? `0x${i.branchTarget.toString(16)}` : undefined,
            targetLabel:
              i.branchTarget !== undefined ? label(i.branchTarget).slice(1, -1) || undefined : undefined,
          })),
        })}\n`,
      );
      return;
    }
    for (const ins of decoded) {
      let text = ins.text;
      if (ins.branchTarget !== undefined) {
        const l = label(ins.branchTarget);
        if (l) text += ` ${l}`;
      }
      out.write(`0x${ins.ip.toString(16)} ${label(ins.ip)}:\t${text}\n`);
    }
  },
};
