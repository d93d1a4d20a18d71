/**
 * struct/whatis from the dump's BTF: the panic task's pid, comm, state and parent read the values crash's ps
 * shows for it; layouts and offsets come out as gdb/crash print them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { kdx } from "../helpers.ts";

for (const d of fixtureDumps().filter((x) =>
  ["6.1-kdump/vmcore", "6.1-null/vmcore.elf", "6.1-sysrq/vmcore.kdump-zlib"].includes(x.id),
)) {
  test(`${d.id}: struct task_struct of the panic task agrees with crash's ps`, () => {
    // The panic task: crash's ps marks the tasks running on each CPU; the MANIFEST names the one that died.
    const ps = readFileSync(join(d.oracles, "crash-ps.txt"), "utf8").split("\n");
    const row = ps.find(
      (l) => l.startsWith(">") && new RegExp(`\\s${d.manifest.crash.bt_pid}\\s`).test(l.slice(0, 10)),
    )!;
    const [, pid, ppid, , task, st, , , , comm] = row.split(/\s+/);
    const r = kdx(["struct", "task_struct.pid,comm,__state,real_parent", task, d.path]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines[0], `  pid = ${pid},`);
    // As gdb prints a char array for crash: every byte but the last NUL (crash's task -R shows the same).
    assert.match(lines[1], new RegExp(`^  comm = "${comm}(\\\\000)*[^"]*",$`));
    assert.equal(lines[2], `  __state = ${st === "RU" ? 0 : -1},`);
    const parent = /real_parent = (0x[0-9a-f]+),/.exec(lines[3])![1];
    const p = kdx(["struct", "task_struct.pid", parent, d.path]);
    assert.equal(p.stdout, `  pid = ${ppid},\n`);
  });
}

test("struct layouts, -o offsets, whole objects, whatis", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const r = kdx([
    "-c",
    "struct list_head -o; whatis pid_type; struct uts_namespace.name init_uts_ns; struct nosuch",
    d.path,
  ]);
  // struct nosuch fails, so -c's exit status is 1; the commands before it answered.
  assert.equal(r.status, 1);
  assert.ok(
    r.stdout.startsWith(
      "struct list_head {\n   [0] struct list_head *next;\n   [8] struct list_head *prev;\n}\nSIZE: 16\nenum pid_type {\n    PIDTYPE_PID = 0,",
    ),
    r.stdout,
  );
  assert.match(r.stdout, /release = "6\.1\.0-56-cloud-amd64(\\000)+",/);
  assert.match(r.stderr, /struct: struct nosuch: no such type in the kernel's or its modules' BTF/);
});

test("task: crash's context header for each task, then its task_struct", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
  const headers = readFileSync(join(d.oracles, "crash-foreach-bt.txt"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("PID: "));
  // pid 0 names both idle tasks, as crash's `task 0` would.
  const r = kdx(["-c", "task -R pid 0; task -R pid 1; task -R pid 102", d.path]);
  assert.equal(r.status, 0, r.stderr);
  const got = r.stdout.split("\n").filter((l) => l.startsWith("PID: "));
  const want = headers.filter((l) => /^PID: (0|1|102) /.test(l));
  assert.deepEqual(got, want);
  assert.match(r.stdout, /^ {2}pid = 102,$/m);
});

test("types a module defines come from its own BTF (qemu_fw_cfg's struct fw_cfg_sysfs_entry)", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
  const r = kdx(["struct", "-o", "fw_cfg_sysfs_entry", d.path]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    "struct fw_cfg_sysfs_entry {\n   [0] struct kobject kobj;\n  [64] u32 size;\n  [68] u16 select;\n  [70] char name[56];\n [128] struct list_head list;\n}\nSIZE: 144\n",
  );
});
