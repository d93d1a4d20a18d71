/** Runs the report reader over one file in a fresh process and prints its own figures as JSON. */
import { createReadStream, statSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { ReportScanner } from "../src/report/reader.ts";

const file = process.argv[2];
const t0 = process.hrtime.bigint();
const scanner = new ReportScanner();
const decoder = new StringDecoder("utf8");
let reports = 0;
for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
  reports += scanner.push(decoder.write(chunk as Buffer)).length;
}
reports += scanner.push(decoder.end()).length + scanner.finish().length;
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const bytes = statSync(file).size;
console.log(JSON.stringify({ bytes, seconds, reports, maxRssKb: process.resourceUsage().maxRSS }));
