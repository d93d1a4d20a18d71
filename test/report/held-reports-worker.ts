/**
 * Child of held-reports.test.ts (it needs --expose-gc): reads a log of `count` crashes each after about 1 MiB
 * of boot lines, a chunk of over 1 MiB each (each a string of its own, as the reader's chunks are), keeps every
 * report, and prints the heap in use after a full GC.
 */
import { readFileSync } from "node:fs";
import { ReportScanner } from "../../src/report/reader.ts";
import type { Report } from "../../src/report/types.ts";

const [consolePath, countArg] = process.argv.slice(2);
const text = readFileSync(consolePath!, "utf8");
const crashAt = text.indexOf("BUG: kernel NULL pointer dereference");
const boot = text.slice(0, text.lastIndexOf("\n", crashAt - 2000) + 1);
const crash = text.slice(boot.length);
const filler = boot.repeat(Math.ceil((1 << 20) / boot.length));
const scanner = new ReportScanner();
const held: Report[] = [];
for (let i = 0; i < Number(countArg); i++) {
  // Each chunk is a fresh string, as the file reader's are.
  held.push(...scanner.push(`${filler}${crash}`.slice(0)));
}
held.push(...scanner.finish());
(globalThis as { gc?: () => void }).gc?.();
console.log(JSON.stringify({ reports: held.length, heapMB: process.memoryUsage().heapUsed / 2 ** 20 }));
