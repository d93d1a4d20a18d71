/** The article's RHEL 8 sysrq report: what the fixture's README says kdx must show. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseReports } from "../../src/report/reader.ts";
import { fixture, kdx } from "../helpers.ts";

const SEED = fixture("oops/seed-rhel8-sysrq-vmcore-dmesg.txt");

test("seed report: every field the fixture README expects", () => {
  const reports = parseReports(readFileSync(SEED, "utf8"));
  assert.equal(reports.length, 1);
  const r = reports[0];
  assert.equal(r.title, "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash");
  assert.equal(r.cpu, 0);
  assert.equal(r.pid, 6631);
  assert.equal(r.comm, "bash");
  assert.deepEqual(
    r.taint?.flags.map((f) => f.letter),
    ["O", "E"],
  );
  assert.match(r.taint!.text, /^G\s+OE$/);
  assert.equal(r.rip?.cs, "0010");
  assert.equal(r.rip?.mode, "kernel");
  // No module: the field is there, undefined (every symbol reference has one shape), and JSON leaves it out.
  assert.deepEqual(r.rip?.symbol, {
    name: "sysrq_handle_crash",
    offset: 0x12,
    size: 0x20,
    module: undefined,
  });
  assert.equal(BigInt(r.fault!.address!), 0n);
  assert.equal(r.fault?.pageFault?.code, 2);
  assert.equal(r.fault?.pageFault?.access, "write");
  assert.equal(r.fault?.pageFault?.cause, "not-present page");
  assert.equal(r.fault?.pageFault?.mode, "kernel");
  assert.equal(r.code?.faulting?.text, "movb $0x1,0x0");
  assert.equal(r.code?.faulting?.bytes, "c6 04 25 00 00 00 00 01");
  assert.equal(r.trigger, "sysrq");
  // Cut before its registers and call trace: flagged, not passed off as whole.
  assert.equal(r.corrupted, true);
  assert.equal(r.trace.length, 0);
});

test("seed report: the human view explains each field correctly", () => {
  const { status, stdout } = kdx(["oops", SEED]);
  assert.equal(status, 0);
  for (const expected of [
    "BUG: unable to handle kernel NULL pointer dereference in sysrq_handle_crash",
    "CPU 0 · PID 6631 · Comm bash",
    "O: an out-of-tree module was loaded",
    "E: an unsigned module was loaded",
    "0010:sysrq_handle_crash+0x12/0x20",
    "the CPU was in kernel mode",
    "an offset and a size, not a line number",
    "kernel-mode write of 0x0000000000000000 — not-present page",
    "bit 1 W/R  = 1: the access was a write",
    "movb $0x1,0x0",
    "starting at the byte <c6>",
    "corrupted  yes",
  ]) {
    assert.ok(stdout.includes(expected), `missing: ${expected}`);
  }
  // Plain text when not on a terminal.
  assert.ok(!stdout.includes("\x1b["));
});
