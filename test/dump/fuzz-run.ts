/**
 * `npm run fuzz -- --minutes N [--sys-every K]`: the fuzz campaigns of the test, with fresh seeds, round
 * after round over every fuzzed format until the time is up; `sys` on every mutant by default. Stops at the
 * first mutant that ends in anything but a KdxError, printing its seed and patches to reproduce it.
 */
import { parseArgs } from "node:util";
import { fixtureDumps } from "../dump-fixtures.ts";
import { campaign, FUZZED } from "./fuzz-campaign.ts";

const { values } = parseArgs({
  options: { minutes: { type: "string", default: "10" }, "sys-every": { type: "string", default: "1" } },
});
const end = Date.now() + Number(values.minutes) * 60_000;
const sysEvery = Number(values["sys-every"]);
const dumps = fixtureDumps().filter((d) => FUZZED.includes(d.id));
const totals: Record<string, number> = {};
let rounds = 0;
while (Date.now() < end) {
  for (const d of dumps) {
    const seed = (Math.random() * 2 ** 32) >>> 0;
    try {
      const r = await campaign(d.path, seed, 200, sysEvery);
      for (const [k, v] of Object.entries(r.outcomes)) totals[k] = (totals[k] ?? 0) + v;
    } catch (e) {
      console.error(`${d.id}, seed ${seed}: ${(e as Error).message}`);
      process.exit(1);
    }
    if (Date.now() >= end) break;
  }
  rounds++;
  console.log(`round ${rounds}: ${JSON.stringify(totals)}`);
}
console.log(`no failures in ${Object.values(totals).reduce((a, b) => a + b, 0)} mutants`);
