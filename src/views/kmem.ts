/** crash's kmem -i, and kdx.kmem-i/1. */
import type { MemInfo } from "../analysis/memory.ts";

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

export function kmemIJson(m: MemInfo): string {
  return `${JSON.stringify({ schema: "kdx.kmem-i/1", pageSize: 4096, ...m })}\n`;
}
