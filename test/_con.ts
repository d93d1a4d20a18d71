import { readFileSync } from "node:fs";
import { parseReports } from "../src/report/reader.ts";
for (const f of process.argv.slice(2)) {
  const reps = parseReports(readFileSync(f, "utf8"));
  for (const r of reps) {
    const { lines, trace, registers, code, ...rest } = r;
    console.log(f, JSON.stringify({ ...rest, code: code?.faulting, ntrace: trace.length, regs: Object.keys(registers).length }));
  }
}
