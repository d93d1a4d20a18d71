/**
 * The kernel helpers (kernel/helpers/) on one dump of each kernel, against crash's own answers: the task
 * list, per-CPU variables, CPU masks, percpu_counter sums, find_task through the pid IDR (an XArray), the
 * vmap areas' rbtree against the kernel's own sorted list, and a task's VMAs from its maple tree; and a list damaged in a copy (a loop, a NULL)
 * ends in a CorruptionError naming it and saying what is wrong (not "does not end" after 4M entries).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { psRows } from "../../src/analysis/tasks.ts";
import { ElfCore } from "../../src/dump/elf-core.ts";
import { openDump } from "../../src/dump/open-dump.ts";
import { cpuIds, cpumask } from "../../src/kernel/helpers/cpumask.ts";
import { listForEach, listForEachEntry, llistForEachEntry } from "../../src/kernel/helpers/list.ts";
import { mtForEach } from "../../src/kernel/helpers/maple-tree.ts";
import { perCpu, percpuCounterSum } from "../../src/kernel/helpers/percpu.ts";
import { findTask } from "../../src/kernel/helpers/pid.ts";
import { rbtreeInorderForEach } from "../../src/kernel/helpers/rbtree.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { kobject } from "../../src/kernel/types/object.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { CorruptionError } from "../../src/util/errors.ts";
import { fixtureDumps } from "../dump-fixtures.ts";
import { PatchedSource, wordPatch } from "../patched-source.ts";

const ONE_OF_EACH = ["5.10-null/vmcore.elf", "6.1-null/vmcore.elf", "7.2-null/vmcore.elf"];

for (const d of fixtureDumps().filter((x) => ONE_OF_EACH.includes(x.id))) {
  test(`${d.id}: list, per_cpu, cpumask, percpu_counter, IDR/XArray, rbtree and maple tree walks agree with crash`, () => {
    const dump = openDump(new FileSource(d.path), nodeCodecs);
    try {
      const k = new Kernel(dump);
      const oracle = (name: string) => readFileSync(join(d.oracles, name), "utf8");
      // init_task.tasks holds every thread-group leader but init_task itself.
      const init = kobject(k, "struct task_struct", k.symbol("init_task"));
      const leaders = [...listForEachEntry(init.member("tasks"), "struct task_struct", "tasks")];
      const psLeaders = oracle("crash-ps.txt")
        .split("\n")
        .slice(1)
        .filter((l) => l.trim())
        .map((l) => l.slice(1).trim().split(/\s+/))
        .filter(([pid]) => pid !== "0");
      const rows = psRows(k);
      const tgids = new Set(rows.filter((r) => r.pid !== 0).map((r) => r.tgid));
      assert.equal(leaders.length, tgids.size);
      assert.ok(leaders.length <= psLeaders.length);
      for (const t of leaders) assert.ok(tgids.has(Number(t.member("pid").value())));

      // per_cpu(runqueues, cpu).cpu is the CPU itself; the online mask is what crash's CPUS line says.
      for (const cpu of cpuIds(k))
        assert.equal(
          kobject(k, "struct rq", perCpu(k, "runqueues", cpu))
            .member("cpu")
            .value(),
          BigInt(cpu),
        );
      const cpus = /CPUS: (\d+)(?: \[OFFLINE: (\d+)\])?/.exec(oracle("crash-sys.txt"))!;
      assert.equal(cpumask(k, "__cpu_online_mask").length, Number(cpus[1]) - Number(cpus[2] ?? 0));

      // The panicking sh's RSS, as crash's ps shows it: file + anon + shmem pages of its mm.
      const sh = /^>\s+(\d+)\s+\d+\s+\d+\s+([0-9a-f]+)\s+\S+\s+\S+\s+\d+\s+(\d+)\s+sh$/m.exec(
        oracle("crash-ps.txt"),
      )!;
      const mm = kobject(k, "struct task_struct", BigInt(`0x${sh[2]}`)).member("mm");
      const rss = mm.member("rss_stat");
      // Since 6.2 an array of percpu_counter; before, struct mm_rss_stat (atomic_long_t count[]).
      if (rss.type.kind === "array") {
        const pages = [0, 1, 3].reduce((n, c) => n + percpuCounterSum(rss.index(c)), 0n);
        assert.equal(
          pages * 4n,
          BigInt(sh[3]),
          "percpu_counter_sum of MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES",
        );
      } else assert.equal(rss.typeName, "struct mm_rss_stat");

      // find_task (the pid namespace's IDR, an XArray, then the pid's hlist) names every task crash lists.
      for (const [pid, task] of psLines(oracle("crash-ps.txt")))
        if (pid !== 0) assert.equal(findTask(k, pid)?.address, task, `find_task(${pid})`);

      // The vmap areas' rbtree, in order, is the kernel's own sorted vmap_area_list (where it keeps one).
      // (7.x keeps the busy areas per node; the free areas' tree is still one.)
      const root = k.symbols.lookup("vmap_area_root") ?? k.symbols.lookup("free_vmap_area_root");
      assert.ok(root, "a vmap area tree");
      const inTree = [...rbtreeInorderForEach(k, root.address)];
      const starts = inTree.map((n) => containerStart(k, n));
      assert.ok(
        inTree.length > 10 && starts.every((v, i) => i === 0 || v > starts[i - 1]),
        "in address order",
      );
      if (root.name === "vmap_area_root" && k.symbols.lookup("vmap_area_list")) {
        const listOff = BigInt(k.btf.offsetof("vmap_area", "list"));
        const rbOff = BigInt(k.btf.offsetof("vmap_area", "rb_node"));
        const onList = [...listForEach(k, k.symbol("vmap_area_list"))].map((n) => n - listOff + rbOff);
        assert.deepEqual(inTree, onList);
      }

      // The panic task's VMAs from its mm's maple tree (6.1+) are crash's vm list, address for address.
      const vm = oracle("crash-vm.txt");
      const vmas = [...vm.matchAll(/^([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s/gm)].map((m) => [
        BigInt(`0x${m[1]}`),
        BigInt(`0x${m[2]}`),
        BigInt(`0x${m[3]}`) - 1n,
      ]);
      const owner = kobject(k, "struct task_struct", BigInt(`0x${/TASK: ([0-9a-f]+)/.exec(vm)![1]}`)).member(
        "mm",
      );
      if (k.btf.has("mm_struct", "mm_mt")) {
        const got = [...mtForEach(k, owner.member("mm_mt").address)].map(([first, last, e]) => [
          e,
          first,
          last,
        ]);
        assert.deepEqual(got, vmas);
      } else assert.ok(k.btf.has("mm_struct", "mmap"), "before 6.1 the VMAs are a list (mm->mmap)");
    } finally {
      dump.close();
    }
  });
}

/** [pid, task] of every line of crash's ps. */
function psLines(ps: string): [number, bigint][] {
  return [...ps.matchAll(/^[> ]\s*(\d+)\s+\d+\s+\d+\s+([0-9a-f]{16})\s/gm)].map((m) => [
    Number(m[1]),
    BigInt(`0x${m[2]}`),
  ]);
}

/** A vmap_area's va_start, from its rb_node's address. */
function containerStart(k: Kernel, node: bigint): bigint {
  return k.readU64(
    node - BigInt(k.btf.offsetof("vmap_area", "rb_node")) + BigInt(k.btf.offsetof("vmap_area", "va_start")),
  );
}

test("a list that loops, or meets a NULL, in a copy of a dump: a CorruptionError naming the list and the fault", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
  const file = new FileSource(d.path);
  const clean = new ElfCore(file);
  const k0 = new Kernel(clean);
  const head = k0.symbol("init_task") + BigInt(k0.btf.offsetof("task_struct", "tasks"));
  const nodes = [...listForEach(k0, head)];
  const offsetOf = (va: bigint) => {
    const pa = k0.mm.translate(va);
    return clean.rawPages.offset(Number(pa / 4096n)) + Number(pa % 4096n);
  };
  for (const [what, value, message] of [
    ["a loop", nodes[2], /^list at 0x[0-9a-f]+: loops: entry 0x[0-9a-f]+ comes again after \d+ entries$/],
    ["a NULL", 0n, /^list at 0x[0-9a-f]+: a NULL next pointer after 5 entries$/],
  ] as const) {
    const k = new Kernel(new ElfCore(new PatchedSource(file, wordPatch(offsetOf(nodes[4]), value))));
    assert.throws(
      () => [...listForEach(k, head)],
      (e: unknown) => e instanceof CorruptionError && message.test(e.message),
      what,
    );
  }
  file.close();
});

test("llist_for_each_entry: two tasks queued for a remote wake-up on CPU 0's call_single_queue, in a copy of a dump", () => {
  // As ttwu_queue_wakelist queues them: the per-CPU llist_head's first → task A's wake_entry.llist → task
  // B's → NULL. The dump's queue is empty at the crash; the copy fills it.
  const d = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
  const file = new FileSource(d.path);
  const clean = new ElfCore(file);
  const k0 = new Kernel(clean);
  const offsetOf = (va: bigint) => {
    const pa = k0.mm.translate(va);
    return clean.rawPages.offset(Number(pa / 4096n)) + Number(pa % 4096n);
  };
  const queue = perCpu(k0, "call_single_queue", 0);
  const [a, b] = psRows(k0)
    .filter((r) => !r.active && r.pid > 1)
    .slice(0, 2);
  const node = (t: bigint) => t + BigInt(k0.btf.offsetof("task_struct", "wake_entry.llist"));
  const patches = new Map([
    ...wordPatch(offsetOf(queue), node(a.task)),
    ...wordPatch(offsetOf(node(a.task)), node(b.task)),
    ...wordPatch(offsetOf(node(b.task)), 0n),
  ]);
  const k = new Kernel(new ElfCore(new PatchedSource(file, patches)));
  const head = kobject(k, "struct llist_head", queue);
  assert.deepEqual(
    [...llistForEachEntry(head, "struct task_struct", "wake_entry.llist")].map((t) =>
      t.member("pid").value(),
    ),
    [BigInt(a.pid), BigInt(b.pid)],
  );
  assert.deepEqual(
    [...llistForEachEntry(kobject(k0, "struct llist_head", queue), "struct task_struct", "wake_entry.llist")],
    [],
  );
  file.close();
});
