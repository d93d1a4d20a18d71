/** kdx ps and kdx mod with nothing but the dump print exactly what crash printed, on every fixture dump. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { kdx } from "../helpers.ts";

for (const d of fixtureDumps()) {
  test(`${d.id}: kdx ps = crash ps, every column of every row`, () => {
    const r = kdx(["ps", d.path]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(d.oracles, "crash-ps.txt"), "utf8"));
  });
}

test("kdx ps --json: the panic task of the kdump capture", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const o = JSON.parse(kdx(["ps", "--json", d.path]).stdout);
  assert.equal(o.schema, "kdx.ps/1");
  const sh = o.tasks.find((t: { pid: number }) => t.pid === d.manifest.crash.bt_pid);
  assert.equal(sh.comm, d.manifest.crash.bt_command);
  assert.equal(sh.active, true);
  assert.equal(sh.task, `0x${(d.manifest.crash as unknown as { bt_task: string }).bt_task}`);
});

for (const d of fixtureDumps()) {
  test(`${d.id}: kdx mod = crash mod`, () => {
    const r = kdx(["mod", d.path]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(d.oracles, "crash-mod.txt"), "utf8"));
  });
}
