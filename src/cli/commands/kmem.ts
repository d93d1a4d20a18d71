/** `kdx kmem -i DUMP`: crash's memory summary. */
import { parseArgs } from "node:util";
import { type MemInfo, memInfo } from "../../analysis/memory.ts";
import { UsageError } from "../../util/errors.ts";
import { type SessionCommand, SYSTEM_MAP_HELP } from "../session.ts";

const HELP = `usage: kdx kmem -i[=shared] [--json] [--system-map FILE] DUMP      (in the shell: kmem -i [--json])

The dead kernel's memory use, as crash's "kmem -i" prints it: total, free, used,
buffers, cached, slab, huge pages, swap, commit limit and committed.

options:
  -i=shared          also SHARED, pages mapped more than once, counted over every
                     struct page (slow on big machines; crash 9 counts it only then)
  --json             the same as JSON
${SYSTEM_MAP_HELP}`;

/** crash's pages_to_size: "0", "128 KB", "92.3 MB", "98 MB" (a ".0" dropped), "3.9 GB". */
function size(pages: number): string {
  const kb = pages * 4;
  if (kb === 0) return "0";
  if (kb < 1024) return `${kb} KB`;
  const mb = kb / 1024;
  return (mb < 1024 ? `${mb.toFixed(1)} MB` : `${(mb / 1024).toFixed(1)} GB`).replace(".0 ", " ");
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
    ...(m.sharedPages === undefined ? [] : [row("SHARED", m.sharedPages, total)]),
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

export const kmem: SessionCommand = {
  name: "kmem",
  help: HELP,
  run({ kernel }, argv, out) {
    // crash spells the option "-i=shared"; parseArgs would take "=shared" for more short options.
    const shared = argv.includes("-i=shared");
    const { values } = parseArgs({
      args: argv.map((a) => (a === "-i=shared" ? "-i" : a)),
      options: { i: { type: "boolean", short: "i" }, json: { type: "boolean" } },
    });
    if (!values.i) throw new UsageError("kmem supports -i (the memory summary) so far");
    const m = memInfo(kernel, { shared });
    out.write(
      values.json ? `${JSON.stringify({ schema: "kdx.kmem-i/1", pageSize: 4096, ...m })}\n` : renderKmemI(m),
    );
  },
};
