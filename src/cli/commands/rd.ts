/** `rd`: read memory as crash's rd shows it: words in hex, then the bytes as ASCII. */
import { parseArgs } from "node:util";
import { KdxError, UsageError } from "../../util/errors.ts";
import type { Session, SessionCommand } from "../session.ts";

function parseAddress(session: Session, arg: string): bigint {
  if (/^(0x)?[0-9a-f]+$/i.test(arg)) return BigInt(arg.startsWith("0x") ? arg : `0x${arg}`);
  const s = session.kernel.symbols.lookup(arg);
  if (!s) throw new KdxError(`${arg}: neither an address nor a symbol`);
  return s.address;
}

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
    const addr = parseAddress(session, positionals[0]);
    const bytes = values.p
      ? session.dump.memory.read(addr, count * width)
      : session.kernel.read(addr, count * width);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (values.json) {
      const words: string[] = [];
      for (let k = 0; k < count; k++) {
        let v = 0n;
        for (let b = width - 1; b >= 0; b--) v = (v << 8n) | BigInt(bytes[k * width + b]);
        words.push(`0x${v.toString(16)}`);
      }
      out.write(
        `${JSON.stringify({ schema: "kdx.rd/1", address: `0x${addr.toString(16)}`, physical: values.p === true, width, values: words })}\n`,
      );
      return;
    }
    const perLine = 16 / width;
    const lines: string[] = [];
    for (let i = 0; i < count; i += perLine) {
      const words: string[] = [];
      for (let k = i; k < Math.min(count, i + perLine); k++) {
        const at = k * width;
        const v =
          width === 8
            ? dv.getBigUint64(at, true)
            : BigInt(
                width === 4 ? dv.getUint32(at, true) : width === 2 ? dv.getUint16(at, true) : dv.getUint8(at),
              );
        const r = values.s && width === 8 ? session.kernel.symbols.resolveAny(v) : undefined;
        words.push(
          r && session.kernel.arch.isKernelAddress(v)
            ? `${r.name}${r.offset ? `+${r.offset}` : ""}`.padEnd(16)
            : v.toString(16).padStart(width * 2, "0"),
        );
      }
      const chunk = bytes.subarray(i * width, Math.min(count, i + perLine) * width);
      const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
      lines.push(
        `${(addr + BigInt(i * width)).toString(16).padStart(16, "0")}:  ${words.join(" ").padEnd(perLine * (width * 2 + 1) - 1)}   ${ascii}`,
      );
    }
    out.write(`${lines.join("\n")}\n`);
  },
};
