/**
 * The form reports take: keys in the documented order, `code` (decoded when first read) in its place, kept by
 * JSON and by a structured clone (the collection server's worker sends reports that way), whether the report
 * or an exception frame in its trace carries it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseReports } from "../../src/report/reader.ts";
import type { RegsFrame, Report } from "../../src/report/types.ts";
import { fixtureConsoleLogs, syzkallerReports } from "../helpers.ts";

/** The README's schema table: `Report`'s keys, in their order. */
const REPORT_KEYS = [
  "kind",
  "event",
  "title",
  "corrupted",
  "corruptedReason",
  "signature",
  "guiltyFrame",
  "startLine",
  "endLine",
  "time",
  "header",
  "trigger",
  "bugAt",
  "release",
  "build",
  "cpu",
  "pid",
  "comm",
  "kdumpLoaded",
  "blockedTask",
  "taint",
  "hardware",
  "oops",
  "fault",
  "rip",
  "ripSource",
  "code",
  "registers",
  "trace",
  "modules",
  "unloadedModules",
  "panic",
  "kernelOffset",
  "lines",
];
const FRAME_KEYS = ["kind", "context", "address", "symbol", "reliable", "file", "line", "inlined", "text"];
const REGS_KEYS = ["kind", "context", "rip", "registers", "code"];

/** Every report of the fixtures' console logs and of the syzkaller corpus. */
function fixtureReports(): Report[] {
  return [...fixtureConsoleLogs(), ...syzkallerReports()].flatMap((t) => parseReports(t));
}

function assertInOrder(keys: string[], order: string[], label: string): void {
  const at = keys.map((k) => order.indexOf(k));
  assert.ok(
    at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1]!)),
    `${label}: keys ${keys.join(",")} not in the order ${order.join(",")}`,
  );
}

test("reports, frames and exception frames list their keys in the documented order; code is in its place", () => {
  const reports = fixtureReports();
  let withCode = 0;
  let regsWithCode = 0;
  for (const r of reports) {
    const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    assertInOrder(Object.keys(json), REPORT_KEYS, r.title);
    assert.equal("code" in json, r.code !== undefined, `${r.title}: code in JSON`);
    if (r.code) withCode++;
    for (const [i, f] of (json.trace as Record<string, unknown>[]).entries()) {
      assertInOrder(Object.keys(f), f.kind === "regs" ? REGS_KEYS : FRAME_KEYS, `${r.title}, frame ${i}`);
      if (f.kind === "regs" && f.code) regsWithCode++;
    }
  }
  // Not a vacuous pass: the fixtures have dozens of the one and over a hundred of the other.
  assert.ok(withCode >= 50, `${withCode} reports with code`);
  assert.ok(regsWithCode >= 100, `${regsWithCode} exception frames with code`);
});

test("code is decoded once, read alike through JSON and a structured clone, and can be replaced", () => {
  const reports = fixtureReports();
  const r = reports.find((x) => x.code?.faulting && x.trace.some((f) => f.kind === "regs" && f.code))!;
  assert.ok(r, "a report with code of its own and in an exception frame");
  const code = r.code!;
  assert.equal(r.code, code, "decoded once, then the same object");
  assert.ok(code.instructions.length > 0);
  const clone = structuredClone(r);
  assert.deepEqual(clone.code, code);
  const regs = r.trace.find((f): f is RegsFrame => f.kind === "regs" && f.code !== undefined)!;
  const cloneRegs = clone.trace[r.trace.indexOf(regs)] as RegsFrame;
  assert.deepEqual(cloneRegs.code, regs.code);
  assert.deepEqual(JSON.parse(JSON.stringify(r)).code, JSON.parse(JSON.stringify(code)));
  // Two reports never share a decoded listing.
  const other = reports.find((x) => x.code && x.code.raw !== code.raw)!;
  assert.notEqual(other.code, code);
  r.code = undefined;
  assert.equal(r.code, undefined);
  assert.equal("code" in JSON.parse(JSON.stringify(r)), false);
});
