/** `kdx collect`: makedumpfile's work, with its option names — filter, compress, write a dump crash reads. */
import { parseArgs } from "node:util";
import { DUMP_LEVEL_NAMES } from "../../analysis/page-filter.ts";
import { type CollectSummary, collect, collectElf } from "../../capture/collect.ts";
import type { Compression } from "../../dump/codecs/index.ts";
import { FlattenedRestorer, FlattenedSink, type OutputSink } from "../../dump/flattened-stream.ts";
import { Kernel } from "../../kernel/kernel.ts";
import { compressorLibrary } from "../../platform/node/compress-batch.ts";
import { inlineCompressor, threadedCompressor } from "../../platform/node/compress-pool.ts";
import { openDumpFile, reportWarnings } from "../../platform/node/open-kernel.ts";
import { AtomicOutputFile, fdAppender, INCOMPLETE_SUFFIX } from "../../platform/node/output-file.ts";
import { KdxError, UsageError } from "../../util/errors.ts";

export const HELP = `usage: kdx collect [options] VMCORE OUT     write a filtered, compressed dump to OUT
       kdx collect -F [options] VMCORE         the same as a flattened stream on standard output
       kdx collect -R OUT                      restore a flattened stream (standard input) into OUT
       kdx collect --dump-dmesg VMCORE OUT     the kernel log, as makedumpfile --dump-dmesg

What makedumpfile does in kdump's capture kernel, with its option names: drop the
pages a dump level names (decided from the kernel's struct pages, with VMCOREINFO
alone), compress the rest page by page, and write makedumpfile's kdump-compressed
format, which crash, makedumpfile and kdx read. VMCORE is any dump kdx reads
(/proc/vmcore, an ELF or kdump-compressed file, a flattened stream).

OUT is written as OUT${INCOMPLETE_SUFFIX} and renamed to OUT only when whole.

options:
  -d LEVEL           pages to leave out, a sum of: 1 zero pages, 2 page cache,
                     4 private page cache, 8 user data, 16 free pages (default 0;
                     kdump uses 31)
  -c | -l | -p | -z  compress pages with zlib, LZO, snappy or zstd (default: none)
  -E                 write an ELF core instead (uncompressed; what makedumpfile -E writes)
  -F                 write the flattened format to standard output (for ssh)
  -R                 read a flattened stream from standard input and write OUT
  -f                 overwrite OUT if it exists
  --num-threads N    compress N batches at once on threads (default 0: on the main thread)
  --message-level N  a sum of: 1 progress, 2 common messages, 4 errors,
                     8 debug (the compressor and its threads), 16 the page
                     statistics (default 23)
  --dump-dmesg       write only the kernel log (as "kdx dmesg VMCORE OUT")
`;

const ML_PROGRESS = 1;
const ML_COMMON = 2;
const ML_DEBUG = 8;
const ML_REPORT = 16;

function hex(n: number): string {
  return `0x${n.toString(16).padStart(16, "0")}`;
}

/** makedumpfile's statistics block (message level 16). */
export function formatSummary(s: CollectSummary, writeBytes: number): string {
  const e = s.excluded;
  const excluded = e.zero + e.cache + e.cachePrivate + e.user + e.free + e.hwpoison + e.offline;
  const remaining = s.originalPages - excluded;
  const lines = [
    `Original pages  : ${hex(s.originalPages)}`,
    `  Excluded pages   : ${hex(excluded)}`,
    `    Pages filled with zero  : ${hex(e.zero)}`,
    `    Non-private cache pages : ${hex(e.cache)}`,
    `    Private cache pages     : ${hex(e.cachePrivate)}`,
    `    User process data pages : ${hex(e.user)}`,
    `    Free pages              : ${hex(e.free)}`,
    `    Hwpoison pages          : ${hex(e.hwpoison)}`,
    `    Offline pages           : ${hex(e.offline)}`,
    `  Remaining pages  : ${hex(remaining)}`,
    `  (The number of pages is reduced to ${s.originalPages ? Math.floor((remaining * 100) / s.originalPages) : 0}%.)`,
    `Memory Hole     : ${hex(s.totalPages - s.originalPages)}`,
    "--------------------------------------------------",
    `Total pages     : ${hex(s.totalPages)}`,
    `Write bytes     : ${writeBytes}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** A progress line on a terminal: pages done, input MB/s, time left. */
function progressBar(enabled: boolean, pageSize: number) {
  const start = Date.now();
  let last = 0;
  const draw = (done: number, total: number, final = false) => {
    const now = Date.now();
    if (!enabled || (!final && now - last < 200)) return;
    last = now;
    const frac = total ? done / total : 1;
    const secs = Math.max((now - start) / 1000, 1e-3);
    const mbps = (done * pageSize) / 1048576 / secs;
    const eta = frac > 0 ? Math.round((secs / frac) * (1 - frac)) : 0;
    const width = 30;
    const fill = Math.round(frac * width);
    process.stderr.write(
      `\rCopying data [${"=".repeat(fill)}${" ".repeat(width - fill)}] ${(frac * 100).toFixed(1).padStart(5)}%  ${done}/${total} pages  ${mbps.toFixed(0)} MB/s  ETA ${Math.floor(eta / 60)}:${String(eta % 60).padStart(2, "0")}${final ? "\n" : ""}`,
    );
  };
  return draw;
}

async function restore(target: string, force: boolean, ml: number): Promise<number> {
  const out = new AtomicOutputFile(target, { force });
  const restorer = new FlattenedRestorer(out, "standard input");
  try {
    for await (const chunk of process.stdin) restorer.push(chunk as Buffer);
    const p = restorer.end();
    out.commit();
    if (ml & ML_COMMON) process.stderr.write(`The dumpfile is saved to ${target} (${p.records} records).\n`);
    return 0;
  } catch (e) {
    const keep = restorer.progress.bytes > 0;
    out.abort(keep);
    if (keep && e instanceof KdxError)
      throw new KdxError(`${e.message}; what arrived is kept as ${out.partPath}`);
    throw e;
  }
}

export async function collectCommand(argv: string[], _out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      d: { type: "string", short: "d", default: "0" },
      c: { type: "boolean", short: "c" },
      l: { type: "boolean", short: "l" },
      p: { type: "boolean", short: "p" },
      z: { type: "boolean", short: "z" },
      F: { type: "boolean", short: "F" },
      R: { type: "boolean", short: "R" },
      E: { type: "boolean", short: "E" },
      f: { type: "boolean", short: "f" },
      "num-threads": { type: "string", default: "0" },
      "message-level": { type: "string", default: "23" },
      "dump-dmesg": { type: "boolean" },
    },
  });
  const ml = Number(values["message-level"]);
  if (!Number.isInteger(ml) || ml < 0 || ml > 31) throw new UsageError("--message-level takes 0 to 31");

  if (values["dump-dmesg"]) {
    const { dmesgCommand } = await import("./dmesg.ts");
    return dmesgCommand(positionals, process.stdout);
  }
  if (values.R) {
    if (positionals.length !== 1)
      throw new UsageError("kdx collect -R takes OUT (the stream comes on standard input)");
    if (process.stdin.isTTY)
      throw new UsageError(
        "kdx collect -R reads the flattened stream from standard input: redirect or pipe it in",
      );
    return restore(positionals[0]!, !!values.f, ml);
  }

  const level = Number(values.d);
  if (!/^\d+$/.test(values.d!) || level > 31)
    throw new UsageError(`-d takes a dump level from 0 to 31, not "${values.d}"`);
  const methods = (["c", "l", "p", "z"] as const).filter((k) => values[k]);
  if (methods.length > 1) throw new UsageError("give one of -c, -l, -p, -z");
  const compression: Compression | undefined = ({ c: "zlib", l: "lzo", p: "snappy", z: "zstd" } as const)[
    methods[0] as "c"
  ];
  const threads = Number(values["num-threads"]);
  if (!Number.isInteger(threads) || threads < 0 || threads > 256)
    throw new UsageError("--num-threads takes 0 to 256");
  if (values.E && compression)
    throw new UsageError("-E writes uncompressed ELF: it takes none of -c, -l, -p, -z");
  const flat = !!values.F;
  if (positionals.length !== (flat ? 1 : 2))
    throw new UsageError(
      flat
        ? "kdx collect -F takes VMCORE (the stream goes to standard output)"
        : "kdx collect takes VMCORE OUT",
    );
  if (flat && process.stdout.isTTY)
    throw new UsageError("-F writes a binary stream: redirect standard output to a file or a pipe");
  const [input, target] = positionals as [string, string | undefined];

  // Threads start first: worker threads (for the npm stand-ins) boot while the dump is opened and filtered.
  const pool = compression && threads > 0 ? threadedCompressor(compression, threads) : undefined;
  let dump: ReturnType<typeof openDumpFile> | undefined;
  let file: AtomicOutputFile | undefined;
  try {
    dump = openDumpFile(input);
    reportWarnings("collect", dump.info.warnings);
    const kernel = new Kernel(dump);
    let sink: OutputSink;
    let flatSink: FlattenedSink | undefined;
    let bytes: () => number;
    if (flat) {
      const app = fdAppender(1);
      flatSink = new FlattenedSink(app.emit);
      sink = flatSink;
      bytes = app.bytes;
    } else {
      file = new AtomicOutputFile(target!, { force: !!values.f });
      sink = file;
      const f = file;
      bytes = () => f.bytesWritten;
    }
    const compressor = pool ?? (compression ? inlineCompressor(compression) : undefined);
    const draw = progressBar(!!(ml & ML_PROGRESS) && !!process.stderr.isTTY, dump.memory.pageSize);
    const summary = values.E
      ? await collectElf(dump, kernel, sink, { dumpLevel: level, onProgress: draw })
      : await collect(dump, kernel, sink, compressor, { dumpLevel: level, compression, onProgress: draw });
    draw(
      summary.remainingPages + summary.excluded.zero,
      summary.remainingPages + summary.excluded.zero,
      true,
    );
    flatSink?.end();
    file?.commit();
    reportWarnings("collect", summary.warnings);
    if (ml & ML_DEBUG && compression) {
      const where = pool ? `, ${pool.describe()}` : "";
      process.stderr.write(`Compression: ${compressorLibrary(compression)}${where}.\n`);
    }
    if (ml & ML_REPORT)
      process.stderr.write(`\n${formatSummary(summary, bytes() - summary.rewrittenBytes)}\n`);
    if (ml & ML_COMMON) {
      const what = DUMP_LEVEL_NAMES.filter(([bit]) => level & bit).map(([, n]) => n);
      process.stderr.write(
        `${flat ? "The dumpfile was written to standard output" : `The dumpfile is saved to ${target}`} (dump level ${level}${what.length ? `: ${what.join(", ")} left out` : ""}${compression ? `, ${compression}` : ""}).\n`,
      );
    }
    // Memory the input did not hold is missing from the output too: the dump is not whole, and the status says so.
    if (summary.unreadablePages.length) {
      process.stderr.write(
        `kdx collect: the input lacks ${summary.unreadablePages.length} of its pages (is it truncated?): ${flat ? "the stream" : target} is not a whole dump${values.E ? "" : " and its header says so"}\n`,
      );
      return 1;
    }
    return 0;
  } catch (e) {
    if (file) {
      const keep = file.bytesWritten > 0;
      file.abort(keep);
      if (keep && e instanceof KdxError)
        throw new KdxError(`${e.message}; the partial dump is kept as ${file.partPath}, marked incomplete`);
    }
    throw e;
  } finally {
    await pool?.close();
    dump?.close();
  }
}
