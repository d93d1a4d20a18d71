/**
 * kdx oops finds report headers in a log's raw bytes with Hyperscan (native/log-scan) where it can: the lines
 * it marks are the lines the reader's own regex marks, and the reports read are the same, whether a chunk is
 * plain ASCII (searched natively) or holds UTF-8 (searched as text).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readTextChunks } from "../../src/cli/io/text-input.ts";
import { literalScanLibrary, literalScanner } from "../../src/platform/node/literal-scan.ts";
import { ReportScanner } from "../../src/report/reader.ts";
import { ANY_HEADER, HEADER_LITERALS } from "../../src/report/rules.ts";
import { fixture, tempDir } from "../helpers.ts";

/** The fixtures' console logs, then the syzkaller corpus's reports, one after the other. */
function fixtureLog(): string {
  const parts = readdirSync(fixture("vmcore"))
    .map((d) => fixture(`vmcore/${d}/console.log`))
    .filter(existsSync)
    .map((f) => readFileSync(f, "latin1"));
  const syz = fixture("oops/syzkaller-report");
  for (const f of readdirSync(syz)) {
    const data = readFileSync(join(syz, f), "latin1");
    parts.push(data.slice(data.indexOf("\n\n") + 2));
  }
  return parts.join("\n");
}

const scan = literalScanner(HEADER_LITERALS);

test("the native header search runs here (log-scan built, libhyperscan5 installed)", () => {
  assert.ok(scan, "no native search: is libhyperscan5 installed and native/log-scan built?");
  assert.match(literalScanLibrary() ?? "", /^Hyperscan \d+\.\d+/);
});

test("the lines the native search marks are the lines the reader's regex marks", () => {
  const text = fixtureLog();
  const bytes = Buffer.from(text, "latin1");
  const found = scan!(bytes);
  assert.ok(found.length > 300, `${found.length} occurrences`);
  for (let i = 1; i < found.length; i++) assert.ok(found[i]! >= found[i - 1]!, "in increasing order");
  const marked = new Set<number>();
  let line = 0;
  let at = 0;
  for (const f of found) {
    for (let nl = text.indexOf("\n", at); nl !== -1 && nl < f; nl = text.indexOf("\n", at)) {
      line++;
      at = nl + 1;
    }
    marked.add(line);
  }
  const want = new Set<number>();
  text.split("\n").forEach((l, i) => {
    if (ANY_HEADER.test(l)) want.add(i);
  });
  assert.ok(want.size > 300, `${want.size} header lines`);
  assert.deepEqual(
    [...marked].sort((a, b) => a - b),
    [...want].sort((a, b) => a - b),
  );
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
  // Three times the fixtures (over a MiB: several chunks), then again with UTF-8 in it, which is searched as
  // text: a comm and a module name with accents, a line cut in the middle of a character by a chunk's end.
  const log = fixtureLog();
  writeFileSync(ascii, `${log}\n${log}\n${log}\n`);
  const utf8 = join(dir, "utf8.log");
  writeFileSync(utf8, `${log.replaceAll("Comm: ", "Comm: é")}\n${"ü".repeat(1 << 19)}\n${log}\n`);
  for (const file of [ascii, utf8]) {
    const native = await readAll(file, true);
    assert.ok(native.length > 1_000_000);
    assert.equal(native, await readAll(file, false), file);
  }
});
