/** Runs the report reader over one file in a fresh process, reading it as `kdx oops` does, and prints its own figures as JSON. */
import { statSync } from "node:fs";
import { readTextChunks } from "../src/cli/io/text-input.ts";
import { literalScanLibrary, literalScanner } from "../src/platform/node/literal-scan.ts";
import { MAX_LINE } from "../src/report/lines.ts";
import { ReportScanner } from "../src/report/reader.ts";
import { HEADER_LITERALS } from "../src/report/rules.ts";

const file = process.argv[2];
const t0 = process.hrtime.bigint();
// Headers found as kdx oops finds them: natively in the raw bytes where it can, else by the reader's regex.
const scan = process.env.KDX_BENCH_NO_NATIVE ? undefined : literalScanner(HEADER_LITERALS, MAX_LINE);
const scanner = new ReportScanner();
let reports = 0;
await readTextChunks(
  file,
  (text, headers) => {
    reports += scanner.push(text, headers).length;
  },
  scan,
);
reports += scanner.finish().length;
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const bytes = statSync(file).size;
const search = scan ? (literalScanLibrary() ?? "native") : "regex";
console.log(JSON.stringify({ bytes, seconds, reports, maxRssKb: process.resourceUsage().maxRSS, search }));
