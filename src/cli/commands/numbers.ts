/** crash's number tools: eval, ascii, ptob, btop, ptov. */
import { evaluate, parseCount, parseHex, physToVirt } from "../../analysis/numbers.ts";
import { UsageError } from "../../util/errors.ts";
import { renderAscii, renderConversion, renderEval, renderPtov } from "../../views/numbers.ts";
import type { SessionCommand } from "../session.ts";

export const evalCommand: SessionCommand = {
  name: "eval",
  help: `usage: eval [-b] (expression) | value      (kdx eval ... DUMP)

An expression "x operator y" (+ - & | ^ * % / << >>; parentheses optional) or one
value, in hexadecimal, decimal, octal and binary, as crash's eval prints it.
Numbers are hex with 0x (or hex digits), else decimal; k, m and g multiply by
1024, 1 MB and 1 GB; ~ complements; a symbol stands for its address.
  -b   the bit positions set in the result
`,
  run({ kernel }, argv, out) {
    const bits = argv[0] === "-b";
    const words = argv.filter((a, i) => !(i === 0 && (a === "-b" || a === "-l")));
    if (!words.length) throw new UsageError("eval [-b] (expression) | value");
    out.write(renderEval(evaluate(kernel, words.join(" ")), bits));
  },
};

export const ascii: SessionCommand = {
  name: "ascii",
  help: `usage: ascii VALUE ...      (kdx ascii ... DUMP)

Each hexadecimal VALUE's eight bytes, lowest first, as ASCII characters
(<NUL>, <LF>, … for control characters, <xx> above 0x7f), as crash prints them.
`,
  run(_session, argv, out) {
    if (!argv.length) throw new UsageError("ascii VALUE ...");
    for (const a of argv) out.write(renderAscii(parseHex(a)));
  },
};

export const ptob: SessionCommand = {
  name: "ptob",
  help: `usage: ptob PFN ...      (kdx ptob ... DUMP)

A page frame number (decimal, or hex with 0x) as the physical address of its page.
`,
  run({ kernel }, argv, out) {
    if (!argv.length) throw new UsageError("ptob PFN ...");
    const shift = BigInt(Math.log2(kernel.arch.pageSize));
    for (const a of argv) {
      const pfn = parseCount(a);
      out.write(renderConversion(pfn, pfn << shift));
    }
  },
};

export const btop: SessionCommand = {
  name: "btop",
  help: `usage: btop ADDRESS ...      (kdx btop ... DUMP)

A physical address (hexadecimal) as the number of the page frame it is in.
`,
  run({ kernel }, argv, out) {
    if (!argv.length) throw new UsageError("btop ADDRESS ...");
    const shift = BigInt(Math.log2(kernel.arch.pageSize));
    for (const a of argv) {
      const addr = parseHex(a);
      out.write(renderConversion(addr, addr >> shift));
    }
  },
};

export const ptov: SessionCommand = {
  name: "ptov",
  help: `usage: ptov PHYSICAL ...      (kdx ptov ... DUMP)

A physical address (hexadecimal) as its kernel virtual address in the direct map.
`,
  run({ kernel }, argv, out) {
    if (!argv.length) throw new UsageError("ptov PHYSICAL ...");
    out.write(renderPtov(argv.map((a) => [physToVirt(kernel, parseHex(a)), parseHex(a)])));
  },
};

export const wr: SessionCommand = {
  name: "wr",
  help: `usage: wr ...

crash's wr writes to live memory. A dump is a record of memory that is gone:
kdx opens it read-only, and wr always refuses.
`,
  run() {
    throw new UsageError(
      "a dump is read-only: kdx never writes to the memory it records (wr works only on a live system, in crash)",
    );
  },
};
