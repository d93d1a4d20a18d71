/** `kdx kmem -i DUMP`: crash's memory summary. */
import { parseArgs } from "node:util";
import { type MemInfo, memInfo } from "../../analysis/memory.ts";
import { UsageError } from "../../util/errors.ts";
import { openKernel } from "../io/dump-input.ts";

export const HELP = `usage: kdx kmem -i [--json] [--system-map FILE] DUMP

The dead kernel's memory use, as crash's "kmem -i" prints it: total, free, used,
shared, buffers, cached, slab, huge pages, swap, commit limit and committed.

options:
  --json             the same as JSON
  --system-map FILE  the kernel's System.map (or a copy of /proc/kallsyms) instead of the kallsyms in
                     the dump (for kernels whose VMCOREINFO does not locate kallsyms)
`;

/** crash's pages_to_size: "0", "128 KB", "92.3 MB", "3.9 GB". */
function size(pages: number): string {
  const kb = pages * 4;
  if (kb === 0) return "0";
  if (kb < 1024) return `${kb} KB`;
  const mb = kb / 1024;
  return mb < 1024 ? `${mb.toFixed(1)} MB` : `${(mb / 1024).toFixed(1)} GB`;
}

export function renderKmemI(m: MemInfo): string {
  const row = (label: string, pages: number, of?: [number, string]) => {
    const pct = of
      ? `${String(of[0] ? Math.floor((pages * 100) / of[0]) : 0).padStart(4)}% of ${of[1]}`
      : "         ----";
    return `${label.padStart(13)}${String(pages).padStart(9)}${size(pages).padStart(13)}${of ? " " : ""}${pct}`;
  };
  const total: [number, string] = [m.totalPages, "TOTAL MEM"];
  const huge: [number, string] = [m.hugeTotal, "TOTAL HUGE"];
  const swap: [number, string] = [m.swapTotal, "TOTAL SWAP"];
  return `${[
    "                 PAGES        TOTAL      PERCENTAGE",
    row("TOTAL MEM", m.totalPages),
    row("FREE", m.freePages, total),
    row("USED", m.totalPages - m.freePages, total),
    row("SHARED", m.sharedPages, total),
    row("BUFFERS", m.bufferPages, total),
    row("CACHED", m.cachedPages, total),
    row("SLAB", m.slabPages, total),
    "",
    row("TOTAL HUGE", m.hugeTotal),
    row("HUGE FREE", m.hugeFree, huge),
    "",
    row("TOTAL SWAP", m.swapTotal),
    row("SWAP USED", m.swapTotal - m.swapFree, swap),
    row("SWAP FREE", m.swapFree, swap),
    "",
    row("COMMIT LIMIT", m.commitLimit),
    row("COMMITTED", m.committed, [m.commitLimit, "TOTAL LIMIT"]),
  ].join("\n")}\n`;
}

export async function kmemCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      i: { type: "boolean", short: "i" },
      json: { type: "boolean" },
      "system-map": { type: "string" },
    },
  });
  if (!values.i) throw new UsageError("kdx kmem supports -i (the memory summary) so far");
  if (positionals.length !== 1) throw new UsageError("kdx kmem -i takes one DUMP");
  const { dump, kernel } = openKernel(positionals[0], "kmem", { systemMap: values["system-map"] });
  try {
    const m = memInfo(kernel);
    out.write(
      values.json ? `${JSON.stringify({ schema: "kdx.kmem-i/1", pageSize: 4096, ...m })}\n` : renderKmemI(m),
    );
    return 0;
  } finally {
    dump.close();
  }
}
