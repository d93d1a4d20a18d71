/**
 * The typed object view (drgn-style) over a real dump: members by path, pointers followed, arrays indexed,
 * bitfields, container_of, list and hlist iteration — checked against crash's ps of the same dump.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openDump } from "../../src/dump/open-dump.ts";
import { hlistForEachEntry, listForEachEntry } from "../../src/kernel/helpers/list.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { kobject } from "../../src/kernel/types/object.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";

test("objects: init_task's list of tasks, parents, comm, pid links, bitfields", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const dump = openDump(new FileSource(d.path), nodeCodecs);
  try {
    const kernel = new Kernel(dump);
    const init = kobject(kernel, "struct task_struct", kernel.symbol("init_task"));
    assert.equal(init.member("comm").string(), "swapper/0");
    assert.equal(init.member("pid").value(), 0n);
    // Every process on init_task.tasks, with its parent's pid through a followed pointer.
    const rows = new Map<number, [number, string]>();
    for (const t of listForEachEntry(init.member("tasks"), "struct task_struct", "tasks"))
      rows.set(Number(t.member("pid").value()), [
        Number(t.member("real_parent").deref().member("pid").value()),
        t.member("comm").string(),
      ]);
    const ps = readFileSync(join(d.oracles, "crash-ps.txt"), "utf8").split("\n").slice(1).filter(Boolean);
    for (const line of ps) {
      const [pid, ppid, , , , , , , comm] = line.replace(/^>/, " ").trim().split(/\s+/);
      line.replace(/^>/, " ").trim().split(/\s+/).length === 9
        ? ["", ...line.replace(/^>/, " ").trim().split(/\s+/)]
        : ["", ...line.replace(/^>/, " ").trim().split(/\s+/)];
      if (pid === "0") continue;
      assert.deepEqual(rows.get(Number(pid)), [Number(ppid), comm.replace(/^\[(.*)\]$/, "$1")], line);
    }
    // container_of back from a member to its task, array indexing, a bitfield (0 or 1).
    const sh = [...listForEachEntry(init.member("tasks"), "struct task_struct", "tasks")].find(
      (t) => t.member("pid").value() === 105n,
    )!;
    assert.equal(sh.member("tasks").containerOf("struct task_struct", "tasks").address, sh.address);
    assert.equal(String.fromCharCode(Number(sh.member("comm").index(0).value())), "s");
    assert.ok([0n, 1n].includes(sh.member("sched_reset_on_fork").value()));
    // hlist: the task's pid is on its struct pid's tasks[PIDTYPE_PID] hlist through pid_links[0].
    const pid = sh.member("thread_pid").deref();
    const onList = [...hlistForEachEntry(pid.member("tasks").index(0), "struct task_struct", "pid_links")];
    assert.deepEqual(
      onList.map((t) => t.address),
      [sh.address],
    );
  } finally {
    dump.close();
  }
});
