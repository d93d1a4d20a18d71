/**
 * The dead kernel's tasks, found as crash and drgn find them: init_task, every process on its `tasks`
 * list, every thread of each on its signal's thread list, read as typed objects through BTF.
 */
import { cpuIds } from "../kernel/helpers/cpumask.ts";
import { listForEachEntry } from "../kernel/helpers/list.ts";
import { perCpu, percpuCounterSum } from "../kernel/helpers/percpu.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { type KernelObject, kobject } from "../kernel/types/object.ts";

export interface TaskInfo {
  task: bigint;
  pid: number;
  tgid: number;
  ppid: number;
  comm: string;
  /** No mm: a kernel thread (crash shows its name in brackets). */
  kernelThread: boolean;
  state: number;
  exitState: number;
}

/**
 * task_struct's state member: `__state` since 5.14 (an unsigned int), `state` before (a long, read in its
 * low 32 bits).
 */
function taskStateMember(kernel: Kernel): string {
  return kernel.memo("tasks.state-member", () =>
    kernel.btf.has("task_struct", "__state") ? "__state" : "state",
  );
}

const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));

export function readTask(kernel: Kernel, task: bigint): TaskInfo {
  const t = kobject(kernel, "struct task_struct", task);
  const pid = u32(t.member("pid").value());
  const parent = t.member("real_parent").value();
  return {
    task,
    pid,
    tgid: u32(t.member("tgid").value()),
    // Idle tasks (pid 0) have no parent to crash, though the secondary CPUs' were forked by init.
    ppid: parent && pid !== 0 ? u32(kobject(kernel, "struct task_struct", parent).member("pid").value()) : 0,
    comm: t.member("comm").string(16),
    kernelThread: t.member("mm").value() === 0n,
    state: u32(t.member(taskStateMember(kernel)).value()),
    exitState: u32(t.member("exit_state").value()),
  };
}

/** Every task but the idle tasks of secondary CPUs (which are on no list): processes and their threads. */
export function listTasks(kernel: Kernel): TaskInfo[] {
  const init = kobject(kernel, "struct task_struct", kernel.symbol("init_task"));
  const out: TaskInfo[] = [];
  for (const leader of [init, ...listForEachEntry(init.member("tasks"), "struct task_struct", "tasks")]) {
    const signal = leader.member("signal").value();
    const threads = signal
      ? [
          ...listForEachEntry(
            leader.member("signal").deref().member("thread_head"),
            "struct task_struct",
            "thread_node",
          ),
        ]
      : [];
    for (const t of threads.length ? threads : [leader]) out.push(readTask(kernel, t.address));
  }
  return out;
}

/** crash's two-letter task states (task_state_string), from __state and exit_state. */
export function stateLetters(state: number, exitState: number): string {
  if (exitState & 0x20) return "ZO";
  if (exitState & 0x10) return "DE";
  if (state === 0) return "RU";
  if ((state & 0x402) === 0x402) return "ID"; // TASK_IDLE: uninterruptible, not counted in the load
  if (state & 0x1) return "IN";
  if (state & 0x2) return "UN";
  if (state & 0x4) return "ST";
  if (state & 0x8) return "TR";
  if (state & 0x40) return "PA";
  if (state & 0x80) return "DE";
  if (state & 0x200) return "WA";
  if (state & 0x800) return "NE";
  return "??";
}

export interface PsRow extends TaskInfo {
  active: boolean;
  cpu: number;
  st: string;
  /** KiB */
  vsz: number;
  rss: number;
  pctMem: number;
}

const MM_FILEPAGES = 0;
const MM_ANONPAGES = 1;
const MM_SHMEMPAGES = 3;

/**
 * Pages over every memory node: "node_present_pages" is the machine's memory (crash's sys MEMORY);
 * "node_spanned_pages" includes holes, and is what crash divides by for ps's %MEM.
 */
export function nodePages(kernel: Kernel, field: "node_present_pages" | "node_spanned_pages"): number {
  const nodes = Math.min(kernel.readU32(kernel.symbol("nr_node_ids")), 1024);
  const nodeData = kernel.symbol("node_data");
  let total = 0;
  for (let n = 0; n < nodes; n++) {
    const pgdat = kernel.readU64(nodeData + BigInt(n) * 8n);
    if (pgdat) total += Number(kobject(kernel, "struct pglist_data", pgdat).member(field).value());
  }
  return total;
}

/** The mm's resident pages of one kind (MM_FILEPAGES, …): an atomic_long_t until 6.2, a percpu_counter since. */
function mmCounter(mm: KernelObject, counter: number): number {
  const c = mm.member("rss_stat");
  // Before 6.2: struct mm_rss_stat { atomic_long_t count[NR_MM_COUNTERS]; }.
  if (c.type.kind !== "array") return Number(c.member("count").index(counter).member("counter").value());
  return Number(percpuCounterSum(c.index(counter)));
}

/** crash's `ps`: every task, the idle task of each CPU, the task running on each CPU marked active. */
export function psRows(kernel: Kernel): PsRow[] {
  const btf = kernel.btf;
  // The CPU a task last ran on: task_struct.cpu since 5.16, thread_info.cpu before.
  const cpuMember = btf.has("task_struct", "cpu") ? "cpu" : "thread_info.cpu";
  // Before 6.2 each thread caches rss deltas (SPLIT_RSS_COUNTING) that crash adds in.
  const threadDeltas = btf.has("task_struct", "rss_stat");
  const running = new Set<bigint>();
  const idles: bigint[] = [];
  for (const cpu of cpuIds(kernel)) {
    const rq = kobject(kernel, "struct rq", perCpu(kernel, "runqueues", cpu));
    running.add(rq.member("curr").value());
    idles.push(rq.member("idle").value());
  }
  const tasks = listTasks(kernel);
  const known = new Set(tasks.map((t) => t.task));
  for (const t of idles) if (t && !known.has(t)) tasks.push(readTask(kernel, t));

  // RSS per thread group: the mm's counters plus every thread's cached deltas.
  const COUNTERS = [MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES];
  const rssOf = new Map<bigint, number>();
  for (const t of tasks) {
    const task = kobject(kernel, "struct task_struct", t.task);
    const mm = task.member("mm");
    if (!mm.value()) continue;
    let pages = rssOf.get(mm.value()) ?? COUNTERS.reduce((n, c) => n + mmCounter(mm.deref(), c), 0);
    if (threadDeltas)
      for (const c of COUNTERS) pages += Number(task.member("rss_stat.count").index(c).value());
    rssOf.set(mm.value(), pages);
  }
  const physPages = nodePages(kernel, "node_spanned_pages");
  return tasks
    .map((t) => {
      const task = kobject(kernel, "struct task_struct", t.task);
      const mm = task.member("mm");
      const rssPages = mm.value() ? Math.max(0, rssOf.get(mm.value()) ?? 0) : 0;
      return {
        ...t,
        active: running.has(t.task),
        cpu: Number(task.member(cpuMember).value()),
        st: stateLetters(t.state, t.exitState),
        vsz: mm.value() ? Number(mm.deref().member("total_vm").value()) * 4 : 0,
        rss: rssPages * 4,
        pctMem: physPages ? (rssPages * 100) / physPages : 0,
      };
    })
    .sort((a, b) => a.pid - b.pid || a.cpu - b.cpu);
}

/** Tasks a PID (every thread with it; pid 0 names each CPU's idle task) or a task_struct address names. */
export function tasksMatching(rows: PsRow[], arg: string): PsRow[] {
  if (/^(0x)?[0-9a-f]{9,16}$/i.test(arg)) {
    const addr = BigInt(arg.startsWith("0x") ? arg : `0x${arg}`);
    return rows.filter((r) => r.task === addr);
  }
  return rows.filter((r) => String(r.pid) === arg);
}

/** A task's parent (task->parent, as crash's ps -p and -c follow it). */
export function parentOf(kernel: Kernel, task: bigint): bigint {
  return kobject(kernel, "struct task_struct", task).member("parent").value();
}

/** When the task last ran, in the runqueue clock's nanoseconds (sched_info.last_arrival): crash's ps -l. */
export function lastRun(kernel: Kernel, task: bigint): bigint {
  return kobject(kernel, "struct task_struct", task).member("sched_info.last_arrival").value();
}

/** A CPU's runqueue clock (rq->clock), nanoseconds. */
export function rqClock(kernel: Kernel, cpu: number): bigint {
  return kobject(kernel, "struct rq", perCpu(kernel, "runqueues", cpu))
    .member("clock")
    .value();
}

/** A sleeping task's saved kernel stack pointer (thread.sp): crash's ps -s KSTACKP. */
export function savedStackPointer(kernel: Kernel, task: bigint): bigint {
  return kobject(kernel, "struct task_struct", task).member("thread.sp").value();
}
