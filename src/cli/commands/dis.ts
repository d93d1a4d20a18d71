/** `dis`: disassemble kernel code as crash (through gdb) shows it, branch targets named. */
import { parseArgs } from "node:util";
import { disassemble } from "../../analysis/memory-read.ts";
import { KdxError, UsageError } from "../../util/errors.ts";
import { disJson, renderDis } from "../../views/memory.ts";
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
    const [what, countArg] = positionals;
    let start: bigint;
    if (/^(0x)?[0-9a-f]{9,16}$/i.test(what)) start = BigInt(what.startsWith("0x") ? what : `0x${what}`);
    else {
      const s = session.kernel.symbols.lookup(what);
      if (!s) throw new KdxError(`${what}: no such symbol`);
      start = s.address;
    }
    const count = countArg ? Number.parseInt(countArg, 10) : undefined;
    if (count !== undefined && (!Number.isFinite(count) || count < 1))
      throw new UsageError(`dis: bad count ${countArg}`);
    const d = disassemble(session.kernel, start, count);
    out.write(values.json ? disJson(d) : renderDis(d));
  },
};
