/** Every console log of the real-panic fixtures parses to the crash its MANIFEST describes. */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parseReports } from "../../src/report/reader.ts";
import { fixture } from "../helpers.ts";

interface Manifest {
  kernel_release: string;
  crash_type: string;
  console_panic: string;
  console_first_cpu_pid_comm: [number, number, string];
  console_kernel_offset?: string;
}

/** What kdx must call each crash the factory made, from its crash_type. */
const EXPECT: Record<string, { kind: string; title: string }> = {
  null: {
    kind: "null-deref",
    title: "BUG: unable to handle kernel NULL pointer dereference in crashmod_do_null",
  },
  gpf: { kind: "general-protection", title: "general protection fault in crashmod_do_gpf" },
  bug: { kind: "bug", title: "kernel BUG in crashmod_do_bug" },
  warn: { kind: "warning", title: "WARNING in crashmod_do_warn" },
  softlockup: { kind: "soft-lockup", title: "BUG: soft lockup in proc_reg_write" },
  hungtask: { kind: "hung-task", title: "INFO: task hung in crashmod_do_hungtask" },
  sysrq: { kind: "sysrq", title: "kernel panic: sysrq triggered crash" },
  "sysrq (kdump capture)": { kind: "sysrq", title: "kernel panic: sysrq triggered crash" },
};

const dirs = readdirSync(fixture("vmcore")).filter((d) => existsSync(fixture("vmcore", d, "console.log")));

test("there are console logs to check", () => assert.ok(dirs.length >= 8));

for (const dir of dirs) {
  test(`console log of ${dir}`, () => {
    const m = JSON.parse(readFileSync(fixture("vmcore", dir, "MANIFEST.json"), "utf8")) as Manifest;
    const reports = parseReports(readFileSync(fixture("vmcore", dir, "console.log"), "utf8"));
    assert.equal(reports.length, 1, reports.map((r) => r.title).join("; "));
    const r = reports[0];
    const want = EXPECT[m.crash_type];
    assert.ok(want, `no expectation for crash type ${m.crash_type}`);
    assert.equal(r.kind, want.kind);
    assert.equal(r.title, want.title);
    assert.equal(r.corrupted, false, r.corruptedReason);
    const [cpu, pid, comm] = m.console_first_cpu_pid_comm;
    assert.deepEqual([r.cpu, r.pid, r.comm], [cpu, pid, comm]);
    assert.equal(r.release, m.kernel_release);
    assert.equal(r.panic, m.console_panic);
    if (m.console_kernel_offset) assert.equal(r.kernelOffset, m.console_kernel_offset);
    assert.ok(
      r.trace.some((f) => f.kind === "frame" && f.reliable),
      "has a call trace",
    );
  });
}
