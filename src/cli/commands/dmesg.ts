/** `kdx dmesg DUMP [OUT]`: the kernel log of a dump, as makedumpfile --dump-dmesg or vmcore-dmesg write it. */
import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatMakedumpfile, formatVmcoreDmesg } from "../../analysis/printk/format.ts";
import { readKernelLog } from "../../analysis/printk/index.ts";
import { openKernel, reportWarnings } from "../../platform/node/open-kernel.ts";
import { UsageError } from "../../util/errors.ts";

export const HELP = `usage: kdx dmesg [options] DUMP [OUT]

Write the kernel log saved in a vmcore (any format kdx reads) to OUT, or to
standard output: byte for byte what "makedumpfile --dump-dmesg DUMP OUT" writes
(the makedumpfile-dmesg.txt / vmcore-dmesg.txt of a kdump directory).

options:
  --format FMT   makedumpfile (default): caller ids, continuation lines indented
                 vmcore-dmesg: what kexec-tools' vmcore-dmesg writes
`;

export async function dmesgCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: "string", default: "makedumpfile" } },
  });
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError("kdx dmesg takes DUMP [OUT]");
  const format = values.format as string;
  if (format !== "makedumpfile" && format !== "vmcore-dmesg")
    throw new UsageError(`--format takes makedumpfile or vmcore-dmesg, not "${format}"`);
  const [file, target] = positionals;
  const { dump, kernel } = openKernel(file, "dmesg");
  try {
    const log = readKernelLog(kernel);
    reportWarnings("dmesg", log.warnings);
    const bytes =
      format === "makedumpfile" ? formatMakedumpfile(log.records) : formatVmcoreDmesg(log.records);
    if (!target) {
      out.write(bytes);
      return 0;
    }
    // Never leave a half-written log under the final name.
    const tmp = `${target}.incomplete`;
    try {
      writeFileSync(tmp, bytes);
      renameSync(tmp, target);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {}
      throw new UsageError(`cannot write ${target}: ${(e as Error).message}`);
    }
    process.stderr.write(`The dmesg log is saved to ${target}.\n`);
    return 0;
  } finally {
    dump.close();
  }
}
