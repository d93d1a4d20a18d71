/**
 * syzkaller's own report-parser corpus: the first report's title must equal
 * TITLE: for ≥90% of the files that have one; files without one hold no crash;
 * CORRUPTED: Y files are flagged. Prints the score.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parseReports } from "../../src/report/reader.ts";
import { fixture } from "../helpers.ts";

const DIR = fixture("oops/syzkaller-report");

interface Case {
  name: string;
  title?: string;
  corrupted: boolean;
  log: string;
}

function load(): Case[] {
  return readdirSync(DIR)
    .sort((a, b) => Number(a) - Number(b))
    .map((name) => {
      const data = readFileSync(`${DIR}/${name}`, "utf8");
      const sep = data.indexOf("\n\n");
      const head = data.slice(0, sep);
      return {
        name,
        title: /^TITLE: (.*)$/m.exec(head)?.[1],
        corrupted: /^CORRUPTED: Y/m.test(head),
        log: data.slice(sep + 2),
      };
    });
}

test("syzkaller corpus: titles, no false positives, corrupted reports flagged", (t) => {
  const cases = load();
  assert.ok(cases.length > 200, "the corpus is there");
  const misses: string[] = [];
  const falsePositives: string[] = [];
  const unflagged: string[] = [];
  let titled = 0;
  let right = 0;
  let corrupted = 0;
  for (const c of cases) {
    const first = parseReports(c.log)[0];
    if (!c.title) {
      if (first) falsePositives.push(`${c.name}: ${first.title}`);
      continue;
    }
    titled++;
    if (first?.title === c.title) right++;
    else misses.push(`${c.name}: want "${c.title}", got "${first?.title}"`);
    if (c.corrupted) {
      corrupted++;
      if (!first?.corrupted) unflagged.push(c.name);
    }
  }
  const score = (100 * right) / titled;
  t.diagnostic(
    `titles: ${right}/${titled} = ${score.toFixed(1)}%; corrupted flagged ${corrupted - unflagged.length}/${corrupted}`,
  );
  for (const m of misses) t.diagnostic(`miss ${m}`);
  console.log(`syzkaller corpus score: ${right}/${titled} titles = ${score.toFixed(1)}%`);
  assert.ok(score >= 90, `title score ${score.toFixed(1)}% < 90%`);
  assert.deepEqual(falsePositives, []);
  assert.deepEqual(unflagged, []);
});
