import { readFileSync, readdirSync } from "node:fs";
import { parseReports } from "/work/main/src/report/reader.ts";
const dir = "/work/shared/fixtures/oops/syzkaller-report";
let ok = 0, total = 0, fp = 0, corrOk = 0, corrTotal = 0;
for (const f of readdirSync(dir).sort((a, b) => +a - +b)) {
  const data = readFileSync(`${dir}/${f}`, "latin1");
  const sep = data.indexOf("\n\n");
  const head = data.slice(0, sep);
  const log = data.slice(sep + 2);
  const title = /^TITLE: (.*)$/m.exec(head)?.[1];
  const corrupted = /^CORRUPTED: Y/m.test(head);
  const alts = [...head.matchAll(/^ALT: (.*)$/gm)].map((m) => m[1]);
  const reps = parseReports(log);
  const got = reps[0]?.title;
  if (!title) { if (reps.length) { fp++; console.log(`FP ${f}: ${got}`); } continue; }
  total++;
  if (got === title) ok++; else console.log(`MISS ${f}: want «${title}» got «${got}»`);
  if (corrupted) { corrTotal++; if (reps[0]?.corrupted) corrOk++; else console.log(`NOTCORR ${f}`); }
}
console.log(`titles ${ok}/${total} = ${(100*ok/total).toFixed(1)}%  false-positive files ${fp}  corrupted flagged ${corrOk}/${corrTotal}`);
