/**
 * Reports outlive the text they came from: kdx oops holds up to 256 of them, and kdx serve keeps them. A
 * report must then hold only its own lines, not the input chunk it was cut from (V8 makes a substring a view
 * of its parent string): 64 crashes, each after 1 MiB of a real boot log, held together must not keep the
 * 64 MiB of chunks alive.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { fixture, ROOT } from "../helpers.ts";

test("reports held after their input is gone keep only their own text, not the 1 MiB chunks they were read from", () => {
  const r = spawnSync(
    process.execPath,
    [
      "--expose-gc",
      "--import",
      "tsx",
      join(ROOT, "test/report/held-reports-worker.ts"),
      fixture("vmcore/6.1-null/console.log"),
      "64",
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  const { reports, heapMB } = JSON.parse(r.stdout) as { reports: number; heapMB: number };
  assert.equal(reports, 64);
  // The chunks alone are 64 MiB; the reports themselves are well under 10.
  assert.ok(heapMB < 40, `${heapMB.toFixed(1)} MiB of heap in use with 64 reports held`);
});
