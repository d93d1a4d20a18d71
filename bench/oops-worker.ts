/** Runs the report reader over one file in a fresh process, reading it as `kdx oops` does, and prints its own figures as JSON. */
import { statSync } from "node:fs";
import { readTextChunks } from "../src/cli/io/text-input.ts";
import { ReportScanner } from "../src/report/reader.ts";

const file = process.argv[2];
const t0 = process.hrtime.bigint();
const scanner = new ReportScanner();
let reports = 0;
await readTextChunks(file, (text) => {
  reports += scanner.push(text).length;
});
reports += scanner.finish().length;
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const bytes = statSync(file).size;
console.log(JSON.stringify({ bytes, seconds, reports, maxRssKb: process.resourceUsage().maxRSS }));
