/**
 * With the kernel's own debug vmlinux (Debian's linux-image-6.1.0-56-cloud-amd64-dbg, as crash was run for
 * the oracles): its .symtab names the frames as crash does, and `bt -l` adds each frame's source line
 * from its DWARF line tables, as crash 8.0.6 does.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { kdx, ROOT } from "../helpers.ts";

const VMLINUX = "/usr/lib/debug/boot/vmlinux-6.1.0-56-cloud-amd64";
const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;

function needVmlinux(): void {
  assert.ok(
    existsSync(VMLINUX),
    `${VMLINUX} is missing: apt-get install linux-image-6.1.0-56-cloud-amd64-dbg (.ci/run does)`,
  );
}

test("with the debug vmlinux: bt and foreach bt are crash's, frame for frame", () => {
  needVmlinux();
  const r = kdx(["-c", "bt; foreach bt", d.path, VMLINUX]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    readFileSync(join(d.oracles, "crash-bt.txt"), "utf8") +
      readFileSync(join(d.oracles, "crash-foreach-bt.txt"), "utf8"),
  );
});

test("bt -l: each frame's source file and line under it, as crash 8.0.6 prints them", () => {
  needVmlinux();
  const r = kdx(["bt", "-l", "--system-map", VMLINUX, d.path]);
  assert.equal(r.status, 0, r.stderr);
  // Recorded from crash 8.0.6 on the same dump and vmlinux (test/oracles/crash-8.0.6/README.md).
  assert.equal(
    r.stdout,
    readFileSync(join(ROOT, "test/oracles/crash-8.0.6/6.1-kdump-vmcore.bt-l.txt"), "utf8"),
  );
});

test("bt -l without a vmlinux says what it needs", () => {
  const r = kdx(["bt", "-l", d.path]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bt -l needs the kernel's vmlinux with debug info/);
});
