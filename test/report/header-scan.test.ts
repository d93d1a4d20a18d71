/**
 * kdx oops finds report headers in a log's raw bytes with Hyperscan (native/log-scan) where it can: the lines
 * it marks are the lines the reader's own regex marks, and the reports read are the same, whether a chunk is
 * plain ASCII (searched natively) or holds UTF-8 (searched as text).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readTextChunks } from "../../src/cli/io/text-input.ts";
import { literalScanLibrary, literalScanner } from "../../src/platform/node/literal-scan.ts";
import { MAX_LINE } from "../../src/report/lines.ts";
import { ReportScanner } from "../../src/report/reader.ts";
import { ANY_HEADER, HEADER_LITERALS } from "../../src/report/rules.ts";
import { fixtureConsoleLogs, syzkallerReports, tempDir } from "../helpers.ts";

/** The fixtures' console logs, then the syzkaller corpus's reports, one after the other. */
function fixtureLog(): string {
  return [...fixtureConsoleLogs("latin1"), ...syzkallerReports("latin1")].join("\n");
}

const scan = literalScanner(HEADER_LITERALS, MAX_LINE);

test("the native header search runs here (log-scan built, libhyperscan5 installed)", () => {
  assert.ok(scan, "no native search: is libhyperscan5 installed and native/log-scan built?");
  assert.match(literalScanLibrary() ?? "", /^Hyperscan \d+\.\d+/);
});

test("the native index of a chunk: header lines as the reader's regex finds them, line count, long lines", () => {
  // The fixtures with some over-long lines among them (one at the very start, one right before a header).
  const long = "x".repeat(MAX_LINE + 1);
  const text = `${long}\n${fixtureLog().replace("\nBUG: ", `\n${long}\nBUG: `)}\n${long}y\n${long}`;
  const index = scan!(Buffer.from(text, "latin1"));
  const lines = text.split("\n");
  assert.equal(index.lines, lines.length - 1);
  assert.ok(index.hits.length > 300, `${index.hits.length} occurrences`);
  let at = 0;
  let line = 0;
  for (let i = 0; i < index.hits.length; i++) {
    const h = index.hits[i]!;
    assert.ok(i === 0 || h >= index.hits[i - 1]!, "in increasing order");
    for (let nl = text.indexOf("\n", at); nl !== -1 && nl < h; nl = text.indexOf("\n", at)) {
      line++;
      at = nl + 1;
    }
    assert.equal(index.hitLines[i], line, `hit ${i} at ${h}`);
  }
  const want = new Set<number>();
  lines.forEach((l, i) => {
    if (ANY_HEADER.test(l)) want.add(i);
  });
  assert.ok(want.size > 300, `${want.size} header lines`);
  assert.deepEqual(
    [...new Set(Array.from(index.hitLines))],
    [...want].sort((a, b) => a - b),
  );
  // Long: whole lines over MAX_LINE (the last, not ended by a newline, is not whole).
  const longLines = lines.slice(0, -1).flatMap((l, i) => (l.length > MAX_LINE ? [i] : []));
  assert.deepEqual(Array.from(index.longLines), longLines);
  assert.equal(longLines.length, 3);
  for (const [k, i] of longLines.entries())
    assert.equal(index.longStarts[k], lines.slice(0, i).join("\n").length + (i ? 1 : 0));
});

async function readAll(file: string, withScan: boolean): Promise<string> {
  const scanner = new ReportScanner();
  const reports: unknown[] = [];
  await readTextChunks(
    file,
    (text, headers) => reports.push(...scanner.push(text, headers)),
    withScan ? scan : undefined,
  );
  reports.push(...scanner.finish());
  return JSON.stringify(reports);
}

test("reports read with the native search are the reports read without it, ASCII or UTF-8", async () => {
  const dir = tempDir();
  const ascii = join(dir, "ascii.log");
  // Three times the fixtures (over a MiB: several chunks), over-long lines among them, then again with UTF-8
  // in it, which is searched as text: a comm with an accent, a line cut in the middle of a character by a
  // chunk's end.
  const log = fixtureLog();
  const long = "z".repeat(MAX_LINE * 3);
  writeFileSync(
    ascii,
    `${log}\n${long}\n${log.replaceAll("\nCall Trace:", `\n${long}\nCall Trace:`)}\n${log}\n${long}`,
  );
  const utf8 = join(dir, "utf8.log");
  writeFileSync(utf8, `${log.replaceAll("Comm: ", "Comm: é")}\n${"ü".repeat(1 << 19)}\n${log}\n`);
  for (const file of [ascii, utf8]) {
    const native = await readAll(file, true);
    assert.ok(native.length > 1_000_000);
    assert.equal(native, await readAll(file, false), file);
  }
});
