import { openSync, readSync, statSync } from "node:fs";
import { Utf8ChunkDecoder } from "../src/util/utf8-chunks.ts";
import { ReportScanner } from "../src/report/reader.ts";
const file = process.argv[2];
const t0 = process.hrtime.bigint();
const scanner = new ReportScanner();
let reports = 0;
const fd = openSync(file, "r"); const dec = new Utf8ChunkDecoder();
for (;;) { const buf = Buffer.allocUnsafe(1 << 20); const n = readSync(fd, buf, 0, buf.length, null); if (n === 0) break; reports += scanner.push(dec.write(buf.subarray(0, n))).length; }
reports += scanner.push(dec.end()).length;
reports += scanner.finish().length;
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ bytes: statSync(file).size, seconds, reports }));
