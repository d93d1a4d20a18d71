/** `rd`: read memory as crash's rd shows it: words in hex, then the bytes as ASCII. */
import { parseArgs } from "node:util";
import { addressOf, readWords } from "../../analysis/memory-read.ts";
import { UsageError } from "../../util/errors.ts";
import { rdJson, renderRd } from "../../views/memory.ts";
import type { SessionCommand } from "../session.ts";

export const rd: SessionCommand = {
  name: "rd",
  help: `usage: rd [-p] [-8|-16|-32|-64] [-s] ADDRESS|SYMBOL [COUNT]      (kdx rd ... DUMP)

COUNT units (default 1) at a kernel virtual address, or a physical one with -p,
as crash's rd shows them: hex words, then the same bytes as ASCII. -s shows
words that are kernel addresses as symbol+offset.
`,
  run(session, argv, out) {
    // crash spells widths as -8 -16 -32 -64, which are not option names to parseArgs.
    const widthArg = argv.find((a) => /^-(8|16|32|64)$/.test(a));
    const { values, positionals } = parseArgs({
      args: argv.filter((a) => a !== widthArg),
      allowPositionals: true,
      options: {
        p: { type: "boolean", short: "p" },
        s: { type: "boolean", short: "s" },
        json: { type: "boolean" },
      },
    });
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError("rd ADDRESS [COUNT]");
    const width = widthArg ? Number(widthArg.slice(1)) / 8 : 8;
    const count = positionals[1] ? Number.parseInt(positionals[1], 10) : 1;
    if (!Number.isFinite(count) || count < 1 || count > 1 << 20)
      throw new UsageError(`rd: bad count ${positionals[1]}`);
    const words = readWords(session.kernel, addressOf(session.kernel, positionals[0]), {
      width,
      count,
      physical: values.p === true,
      symbols: values.s === true,
    });
    out.write(values.json ? rdJson(words) : renderRd(words));
  },
};
