/**
 * A native search for literal strings in raw bytes: `log-scan` (native/log-scan, the system's Hyperscan), for
 * kdx oops's header search, several times faster than V8's regex engine over a whole log; it counts the
 * chunk's lines as it goes, so that the reader can skip runs of quiet lines whole. Where it cannot run
 * (not built, libhyperscan5 not installed, a CPU without SSSE3) there is none, and the caller searches text.
 */
import { createRequire } from "node:module";
import type { ChunkIndex } from "../../report/reader.ts";

type LogScan = typeof import("log-scan");

let logScan: LogScan | null | undefined;

function load(): LogScan | undefined {
  if (logScan === undefined) {
    try {
      logScan = createRequire(import.meta.url)("log-scan") as LogScan;
      if (!logScan.version()) logScan = null;
    } catch {
      logScan = null;
    }
  }
  return logScan ?? undefined;
}

/**
 * The report reader's index of a chunk of bytes (ChunkIndex): where any of `literals` occur, which lines they
 * are on, and which lines are longer than `maxLine`. Undefined when no native search is available here.
 */
export function literalScanner(
  literals: readonly string[],
  maxLine: number,
): ((bytes: Uint8Array) => ChunkIndex) | undefined {
  const m = load();
  if (!m) return undefined;
  try {
    const set = m.compile([...literals]);
    return (bytes) => {
      // [lines, H, (hit, line) × H, L, (start, line) × L], pairs taken apart here.
      const a = m.scan(set, bytes, maxLine);
      const h = a[1]!;
      const l = a[2 + 2 * h]!;
      const hits = new Int32Array(h);
      const hitLines = new Int32Array(h);
      for (let i = 0; i < h; i++) {
        hits[i] = a[2 + 2 * i]!;
        hitLines[i] = a[3 + 2 * i]!;
      }
      const longStarts = new Int32Array(l);
      const longLines = new Int32Array(l);
      for (let i = 0, at = 3 + 2 * h; i < l; i++) {
        longStarts[i] = a[at + 2 * i]!;
        longLines[i] = a[at + 2 * i + 1]!;
      }
      return { hits, hitLines, lines: a[0]!, longStarts, longLines };
    };
  } catch {
    return undefined;
  }
}

/** The Hyperscan version the native search uses, or undefined when there is none. */
export function literalScanLibrary(): string | undefined {
  const v = load()?.version();
  return v ? `Hyperscan ${v.split(" ")[0]}` : undefined;
}
