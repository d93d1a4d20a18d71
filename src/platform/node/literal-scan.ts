/**
 * A native search for literal strings in raw bytes: `log-scan` (native/log-scan, the system's Hyperscan), for
 * kdx oops's header search, several times faster than V8's regex engine over a whole log. Where it cannot run
 * (not built, libhyperscan5 not installed, a CPU without SSSE3) there is none, and the caller searches text.
 */
import { createRequire } from "node:module";

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
 * Where any of `literals` occur in a chunk of bytes: the offset of the last byte of each occurrence, in
 * increasing order. Undefined when no native search is available here.
 */
export function literalScanner(literals: readonly string[]): ((bytes: Uint8Array) => Int32Array) | undefined {
  const m = load();
  if (!m) return undefined;
  try {
    const set = m.compile([...literals]);
    return (bytes) => m.scan(set, bytes);
  } catch {
    return undefined;
  }
}

/** The Hyperscan version the native search uses, or undefined when there is none. */
export function literalScanLibrary(): string | undefined {
  const v = load()?.version();
  return v ? `Hyperscan ${v.split(" ")[0]}` : undefined;
}
