/**
 * With nothing but the dump — kallsyms and BTF from its memory, page tables walked — the task list agrees
 * with crash's `ps` (crash 8.0.6 with the debug vmlinux): PID, PPID, task address and command, row by row.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { listTasks } from "../../src/analysis/tasks.ts";
import { openDump } from "../../src/dump/open-dump.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";

/** crash's ps rows: [active, pid, ppid, cpu, task, state, comm]. */
function crashPs(file: string) {
  return readFileSync(file, "utf8")
    .split("\n")
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const m = /^(>?)\s*(\d+)\s+(\d+)\s+(\d+)\s+([0-9a-f]+)\s+(\S+)\s+\S+\s+\d+\s+\d+\s+(.*)$/.exec(l);
      assert.ok(m, `unparsed ps row: ${l}`);
      return { pid: Number(m[2]), ppid: Number(m[3]), task: m[5], comm: m[7] };
    });
}

for (const d of fixtureDumps()) {
  test(`${d.id}: tasks from kallsyms + BTF match crash's ps`, () => {
    const dump = openDump(new FileSource(d.path), nodeCodecs);
    try {
      const kernel = new Kernel(dump);
      const tasks = listTasks(kernel);
      // crash also lists the idle task of each secondary CPU, which is on no task list.
      const want = crashPs(join(d.oracles, "crash-ps.txt")).filter(
        (r) => !(r.pid === 0 && r.task !== kernel.symbol("init_task").toString(16)),
      );
      const got = tasks
        .map((t) => ({
          pid: t.pid,
          ppid: t.ppid,
          task: t.task.toString(16),
          comm: t.kernelThread ? `[${t.comm}]` : t.comm,
        }))
        .sort((a, b) => a.pid - b.pid);
      assert.deepEqual(got, want);
    } finally {
      dump.close();
    }
  });
}
