/**
 * The dead kernel's tasks, found as crash and drgn find them: init_task, every process on its `tasks`
 * list, every thread of each on its signal's thread list. Fields come through BTF offsets.
 */
import { cpuIds } from "../kernel/helpers/cpumask.ts";
import { listEntries } from "../kernel/helpers/list.ts";
import { perCpu, percpuCounterSum } from "../kernel/helpers/percpu.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { kobject } from "../kernel/types/object.ts";

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
 * low 32 bits). Looked up once per kernel's BTF: readTask runs for every task.
 */
const stateMember = new WeakMap<object, string>();
function taskStateMember(kernel: Kernel): string {
  const btf = kernel.btf;
  let m = stateMember.get(btf);
  if (m === undefined) {
    m = btf.has("task_struct", "__state") ? "__state" : "state";
    stateMember.set(btf, m);
  }
  return m;
}

export function readTask(kernel: Kernel, task: bigint): TaskInfo {
  const btf = kernel.btf;
  const off = (m: string) => BigInt(btf.offsetof("task_struct", m));
  const parent = kernel.readU64(task + off("real_parent"));
  const pid = kernel.readU32(task + off("pid"));
  return {
    task,
    pid,
    tgid: kernel.readU32(task + off("tgid")),
    // Idle tasks (pid 0) have no parent to crash, though the secondary CPUs' were forked by init.
    ppid: parent && pid !== 0 ? kernel.readU32(parent + off("pid")) : 0,
    comm: kernel.readCString(task + off("comm"), 16),
    kernelThread: kernel.readU64(task + off("mm")) === 0n,
    state: kernel.readU32(task + off(taskStateMember(kernel))),
    exitState: kernel.readU32(task + off("exit_state")),
  };
}

/** Every task but the idle tasks of secondary CPUs (which are on no list): processes and their threads. */
export function listTasks(kernel: Kernel): TaskInfo[] {
  const btf = kernel.btf;
  const init = kernel.symbol("init_task");
  const tasksOff = btf.offsetof("task_struct", "tasks");
  const signalOff = BigInt(btf.offsetof("task_struct", "signal"));
  const threadNodeOff = btf.offsetof("task_struct", "thread_node");
  const threadHeadOff = BigInt(btf.offsetof("signal_struct", "thread_head"));
  const out: TaskInfo[] = [];
  for (const leader of [init, ...listEntries(kernel, init + BigInt(tasksOff), tasksOff)]) {
    const signal = kernel.readU64(leader + signalOff);
    const threads = signal ? [...listEntries(kernel, signal + threadHeadOff, threadNodeOff)] : [];
    for (const t of threads.length ? threads : [leader]) out.push(readTask(kernel, t));
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
  const btf = kernel.btf;
  const nodeData = kernel.symbol("node_data");
  const present = BigInt(btf.offsetof("pglist_data", field));
  const nodes = Number(kernel.readU32(kernel.symbol("nr_node_ids")));
  let total = 0;
  for (let n = 0; n < Math.min(nodes, 1024); n++) {
    const pgdat = kernel.readU64(nodeData + BigInt(n) * 8n);
    if (pgdat) total += Number(kernel.readU64(pgdat + present));
  }
  return total;
}

/** crash's `ps`: every task, the idle task of each CPU, the task running on each CPU marked active. */
export function psRows(kernel: Kernel): PsRow[] {
  const btf = kernel.btf;
  const task = btf.find("task_struct", "struct")!;
  const hasCpu = btf.find("task_struct", "struct")!.members!.some((m) => m.name === "cpu");
  const cpuOff = BigInt(btf.offsetof("task_struct", hasCpu ? "cpu" : "thread_info.cpu"));
  const mmOff = BigInt(btf.offsetof("task_struct", "mm"));
  const totalVm = BigInt(btf.offsetof("mm_struct", "total_vm"));
  const mmRss = BigInt(btf.offsetof("mm_struct", "rss_stat"));
  // Before 6.2 each thread caches rss deltas (SPLIT_RSS_COUNTING) that crash adds in.
  const taskRss = task.members!.some((m) => m.name === "rss_stat")
    ? BigInt(btf.offsetof("task_struct", "rss_stat.count"))
    : undefined;
  const curr = BigInt(btf.offsetof("rq", "curr"));
  const idle = BigInt(btf.offsetof("rq", "idle"));
  const running = new Set<bigint>();
  const idles: bigint[] = [];
  for (const cpu of cpuIds(kernel)) {
    const rq = perCpu(kernel, "runqueues", cpu);
    running.add(kernel.readU64(rq + curr));
    idles.push(kernel.readU64(rq + idle));
  }
  // The mm counters: atomic_long_t until 6.2, struct percpu_counter since (summed as the kernel's
  // percpu_counter_sum_positive does: the shared count plus every CPU's delta, none below 0).
  const rssType = btf.resolve(btf.member(btf.find("mm_struct", "struct")!.id, "rss_stat").type);
  const rssElem = rssType.kind === "array" ? btf.resolve(rssType.array!.type) : undefined;
  const percpuRss = rssElem?.kind === "struct" && rssElem.name === "percpu_counter";
  const mmCounter = (mm: bigint, c: number): number =>
    percpuRss
      ? Number(
          percpuCounterSum(kobject(kernel, "struct percpu_counter", mm + mmRss + BigInt(c * rssElem.size!))),
        )
      : Number(BigInt.asIntN(64, kernel.readU64(mm + mmRss + BigInt(c) * 8n)));
  const tasks = listTasks(kernel);
  const known = new Set(tasks.map((t) => t.task));
  for (const t of idles) if (t && !known.has(t)) tasks.push(readTask(kernel, t));

  // RSS per thread group: the mm's counters plus every thread's cached deltas.
  const rssOf = new Map<bigint, number>();
  for (const t of tasks) {
    const mm = kernel.readU64(t.task + mmOff);
    if (!mm) continue;
    let pages = rssOf.get(mm);
    if (pages === undefined) {
      pages = 0;
      for (const c of [MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES]) pages += mmCounter(mm, c);
    }
    if (taskRss !== undefined)
      for (const c of [MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES])
        pages +=
          kernel.read(t.task + taskRss + BigInt(c) * 4n, 4).reduce((v, b, i) => v + b * 2 ** (8 * i), 0) | 0;
    rssOf.set(mm, pages);
  }
  const physPages = nodePages(kernel, "node_spanned_pages");
  return tasks
    .map((t) => {
      const mm = kernel.readU64(t.task + mmOff);
      const rssPages = mm ? Math.max(0, rssOf.get(mm) ?? 0) : 0;
      return {
        ...t,
        active: running.has(t.task),
        cpu: kernel.readU32(t.task + cpuOff),
        st: stateLetters(t.state, t.exitState),
        vsz: mm ? Number(kernel.readU64(mm + totalVm)) * 4 : 0,
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
