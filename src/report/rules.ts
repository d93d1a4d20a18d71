/**
 * What kernel crash reports look like, and how each kind is titled.
 *
 * Titles follow the conventions of syzkaller/syzbot (the titles kernel
 * developers see in bug reports): "<what> in <guilty function>". A rule says
 * how a report's first line is recognised, which captured strings go into the
 * title, and how the guilty frame is found (a sequence of anchors in the
 * report, with "trace" standing for "parse a stack trace here").
 */

export type CrashKind =
  | "null-deref"
  | "paging-request"
  | "general-protection"
  | "stack-segment"
  | "bug"
  | "warning"
  | "divide-error"
  | "invalid-opcode"
  | "int3"
  | "double-fault"
  | "stack-protector"
  | "stack-overflow"
  | "soft-lockup"
  | "hard-lockup"
  | "hung-task"
  | "rcu-stall"
  | "kasan"
  | "kfence"
  | "kmsan"
  | "kcsan"
  | "ubsan"
  | "lockdep"
  | "refcount"
  | "list-corruption"
  | "memory-leak"
  | "bad-page"
  | "sleep-in-atomic"
  | "panic"
  | "machine-check"
  | "sysrq"
  | "oom"
  | "fault"
  | "other";

/** A step in finding the guilty frame: a pattern to reach (capturing frames), or a stack trace to parse. */
export type StackPart = RegExp | "trace";

export interface StackRule {
  parts: StackPart[];
  /** Tried when `parts` yields no frame. */
  parts2?: StackPart[];
  /** Extra frame-name patterns to skip for this kind. */
  skip?: string[];
  /** Custom choice of frame among all (stripped) frames: returns its index or -1. */
  pick?: (frames: string[]) => number;
  /** Replacement name for the picked frame (e.g. grouping synchronize_* hangs). */
  rename?: (frame: string) => string;
}

export interface TitleRule {
  kind: CrashKind;
  /** Matched against the report text; its position decides which rule wins. */
  match: RegExp;
  /** When present, must also match; its groups (not match's) fill the title. */
  report?: RegExp;
  /** Title template: `{N}` is the N-th captured string (groups, then frames). */
  title: string;
  stack?: StackRule;
  /** The report has no stack trace to expect (do not flag it corrupted for that). */
  noStack?: boolean;
  /** Matching this rule means the report lost its real header. */
  corrupted?: boolean;
}

export interface Family {
  /** Literal text whose presence on a line starts a report of this family. */
  header: string;
  /** Lines containing the header that are not crashes. */
  not?: RegExp[];
  rules: TitleRule[];
  /** True for events worth listing that are not crashes (OOM kills). */
  event?: boolean;
}

const PC = String.raw`\[\<?(?:0x)?[0-9a-f]+\>?\]`;
const FUNC = String.raw`([a-zA-Z0-9_]+)(?:\.|\+)`;
const SRC = String.raw`([a-zA-Z0-9\-_/.]+\.[a-z]+:[0-9]+)`;

/** Build a pattern with the {{PC}}, {{FUNC}} and {{SRC}} shorthands expanded. */
export function re(src: string, flags = ""): RegExp {
  return new RegExp(
    src.replaceAll("{{PC}}", PC).replaceAll("{{FUNC}}", FUNC).replaceAll("{{SRC}}", SRC),
    flags,
  );
}

/** The faulting-instruction line: x86 `RIP:`, old `IP:`, powerpc `NIP`, arm `pc :` / `PC is at`. */
export const RIP_FRAME = re(
  String.raw`(?:IP|NIP|pc |PC is at):? (?:(?:[0-9]+:)?(?:{{PC}} +){0,2}{{FUNC}}|(?:[0-9]+:)?0x[0-9a-f]+|(?:[0-9]+:)?{{PC}} +\[< *\(null\)>\] +\(null\)|[0-9]+: +\(null\))`,
);
export const CALL_TRACE = /(?:Call (?:T|t)race:)|(?:Backtrace:)/;

/** Lines that open a stack trace. */
export const STACK_STARTS: RegExp[] = [
  /Call (?:T|t)race/,
  /Allocated:/,
  /Allocated by task [0-9]+:/,
  /Freed:/,
  /Freed by task [0-9]+:/,
  // "backtrace:" but not "stack backtrace:"
  /[^k] backtrace(?: \(crc [0-9a-fA-F]*\))?:/,
  /Backtrace:/,
  /Uninit was stored to memory at/,
];

/** Any of STACK_STARTS, as one search (lines are tested against all of them). */
export const ANY_STACK_START = new RegExp(STACK_STARTS.map((r) => r.source).join("|"));

/** A frame line: optional `[<pc>]` columns, then `name+0x…`. */
export const FRAME_LINES: RegExp[] = [
  re(String.raw`^ *(?:{{PC}} ){0,2}{{FUNC}}`),
  re(String.raw`^ *{{PC}} \(([a-zA-Z0-9_.]+)\) from {{PC}} \({{FUNC}}`),
];

/** Functions that are never the culprit: reporting, sanitizers, locking, allocation and string helpers. */
export const GENERIC_FRAMES: string[] = [
  "__sanitizer",
  "__asan",
  "kasan",
  "hwasan",
  "__msan",
  "kmsan",
  "kcsan_setup_watchpoint",
  "check_memory_region",
  "check_heap_object",
  "check_object",
  "read_word_at_a_time",
  "(read|write)_once_.*nocheck",
  "print_address_description",
  "panic",
  "invalid_op",
  "report_bug",
  "fixup_bug",
  "print_report",
  "print_usage_bug",
  "do_error",
  "_trap$|do_trap",
  "show_stack",
  "dump_stack",
  "walk_stack",
  "dump_backtrace",
  "warn_slowpath",
  "warn_alloc",
  "warn_bogus",
  "__warn",
  "alloc_page",
  "k?v?(?:m|z|c)alloc",
  "krealloc",
  "kmem_cache",
  "allocate_slab",
  "folio_(?:alloc|unlock)",
  "filemap_alloc_folio",
  "__filemap_get_folio",
  "find_or_create_page",
  "do_read_cache_folio",
  "read_cache_page",
  "pagecache_get_page",
  "grab_cache_page_write_begin",
  "slab_",
  "debug_object",
  "timer_is_static_object",
  "work_is_static_object",
  "__might_fault",
  "print_unlock",
  "imbalance_bug",
  "lockdep",
  "bh_enable",
  "bh_disable",
  "perf_trace",
  "lock_acquire",
  "lock_release",
  "lock_class",
  "mark_lock",
  "(reacquire|mark)_held_locks",
  "raw_spin_rq",
  "spin_lock",
  "spin_trylock",
  "spin_unlock",
  "read_lock",
  "read_trylock",
  "write_lock",
  "write_trylock",
  "read_unlock",
  "write_unlock",
  "^down$",
  "down_read",
  "down_write",
  "down_trylock",
  "up_read",
  "up_write",
  "^mutex_",
  "^__mutex_",
  "^rt_mutex_",
  "owner_on_cpu",
  "osq_lock",
  "osq_unlock",
  "atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)",
  "(set|clear|change|test)_bit",
  "__wake_up",
  "^refcount_",
  "^kref_",
  "ref_tracker",
  "seqprop_assert",
  "memcpy",
  "memcmp",
  "memset",
  "memchr",
  "memmove",
  "memdup",
  "strcmp",
  "strncmp",
  "strcpy",
  "strlcpy",
  "strncpy",
  "strscpy",
  "strlen",
  "strstr",
  "strnstr",
  "strnlen",
  "strchr",
  "strdup",
  "strndup",
  "copy_to_user",
  "copy_from_user",
  "copy_to_iter",
  "copy_from_iter",
  "copy_page_to_iter",
  "copy_page_from_iter",
  "copy_folio_to_iter",
  "^copyin$",
  "^copyout$",
  "put_user",
  "get_user",
  "might_fault",
  "might_sleep",
  "list_add",
  "list_del",
  "list_replace",
  "list_move",
  "list_splice",
  "^rb_",
  "^__rb_",
  "_indirect_thunk_",
  "string",
  "pointer",
  "snprintf",
  "scnprintf",
  "kasprintf",
  "kvasprintf",
  "printk",
  "va_format",
  "dev_info",
  "dev_notice",
  "dev_warn",
  "dev_err",
  "dev_alert",
  "dev_crit",
  "dev_emerg",
  "program_check_exception",
  "program_check_common",
  "del_timer",
  "flush_work",
  "__cancel_work_timer",
  "cancel_work_sync",
  "try_to_grab_pending",
  "flush_workqueue",
  "drain_workqueue",
  "destroy_workqueue",
  "queue_work",
  "finish_wait",
  "kthread_stop",
  "kobject_",
  "add_uevent_var",
  "get_device_parent",
  "device_add",
  "device_del",
  "device_unregister",
  "device_destroy",
  "device_release",
  "devres_release_all",
  "hwrng_unregister",
  "i2c_del_adapter",
  "__unregister_client",
  "device_for_each_child",
  "rollback_registered",
  "unregister_netdev",
  "sysfs_remove",
  "device_remove_file",
  "tty_unregister_device",
  "dummy_urb_enqueue",
  "usb_kill_urb",
  "usb_kill_anchored_urbs",
  "usb_control_msg",
  "usb_hcd_submit_urb",
  "usb_submit_urb",
  "^complete$",
  "wait_for_completion",
  "^kv?free$",
  "kfree_skb",
  "readb$",
  "readw$",
  "readl$",
  "readq$",
  "writeb$",
  "writew$",
  "writel$",
  "writeq$",
  "logic_in",
  "logic_out",
  "^crc\\d+",
  "crc_itu_t",
  "__might_resched",
  "assertfail",
  "^iput$",
  "^iput_final$",
  "^ihold$",
  "hex_dump_to_buffer",
  "print_hex_dump",
  "^klist_",
  "(trace|lockdep)_(hard|soft)irq",
  "^(un)?lock_page",
  "stack_trace_consume_entry",
  "arch_stack_walk",
  "stack_trace_save",
  "insert_work",
  "__queue_delayed_work",
  "queue_delayed_work_on",
  "ida_free",
  "do_(kernel|translation)_fault",
  "do_mem_abort",
  "el1_abort",
  "el1h_64_sync(?:_handler)?",
  "print_tainted",
  "xas_(?:start|load|find)",
  "find_lock_entries",
  "truncate_inode_pages_range",
  "__phys_addr",
  "__fortify_report",
  "cleanup_srcu_struct",
  "rhashtable_lookup",
  "extract_(user|iter)_to_sg",
  "drop_nlink",
  "^get_taint$",
  "^put_device$",
  "lock_timer_base",
  "__timer_delete_sync",
  "sk_stop_timer_sync",
  "__mod_timer",
  "fast_dput",
  "dput",
];

/** Lines that mean a fault-injection trace got mixed into the report. */
export const CORRUPTING_LINES: RegExp[] = [
  /^( \[<?(?:0x)?[0-9a-f]+>?\])? should_fail(slab)?(\.[a-z0-9.]+)?\+0x/,
];

/** System-call wrapper prefixes that different architectures add to the same function. */
export const SYSCALL_PREFIXES = [
  "SYSC_",
  "SyS_",
  "sys_",
  "__x64_",
  "__ia32_",
  "__arm64_",
  "____sys_",
  "___sys_",
  "__sys_",
  "__se_",
  "__se_sys_",
  "__do_sys_",
  "compat_SYSC_",
  "compat_SyS_",
  "ksys_",
];

/** Stripping the wrapper prefixes: the shortest result wins. */
export function stripSyscallPrefix(frame: string): string {
  let best = frame;
  for (const p of SYSCALL_PREFIXES) {
    if (frame.startsWith(p) && frame.length - p.length < best.length) best = frame.slice(p.length);
  }
  return best;
}

// Where a stall or lockup is anchored: the dispatching function, whose caller names the work.
const STALL_ANCHORS = [
  "process_one_work",
  "do_syscall_",
  "do_fast_syscall_",
  "sysenter_dispatch",
  "tracesys_phase2",
  "el0_svc_handler",
  "invoke_syscall",
  "ret_fast_syscall",
  "netif_receive_skb",
  "do_softirq",
  "call_timer_fn",
  "_run_timers",
  "run_timer_softirq",
  "hrtimer_run",
  "run_ksoftirqd",
  "smpboot_thread_fn",
  "^kthread$",
  "start_secondary",
  "cpu_startup_entry",
  "ret_from_fork",
  "vfs_write",
  "vfs_read",
  "vfs_iter_read",
  "vfs_iter_write",
  "do_iter_read",
  "do_iter_write",
  "call_read_iter",
  "call_write_iter",
  "new_sync_read",
  "new_sync_write",
  "vfs_ioctl",
  "ksys_ioctl",
  "compat_ioctl",
  "compat_sys_ioctl",
  "blkdev_driver_ioctl",
  "blkdev_ioctl",
  "do_iter_readv_writev",
  "^call_mmap",
  "mmap_region",
  "do_mmap",
  "do_dentry_open",
  "vfs_open",
  "^sock_sendmsg",
  "^sock_recvmsg",
  "^sock_release",
  "^__sock_release",
  "^setsockopt$",
  "kernel_setsockopt",
  "sock_common_setsockopt",
  "^listen$",
  "kernel_listen",
  "sk_common_release",
  "^sock_mmap",
  "^accept$",
  "kernel_accept",
  "^sock_do_ioctl",
  "^sock_ioctl",
  "^compat_sock_ioctl",
  "^nfnetlink_rcv_msg",
  "^rtnetlink_rcv_msg",
  "^netlink_dump",
  "^(sys_)?(socketpair|connect|ioctl)",
  "__do_fault",
  "do_page_fault",
  "^page_fault$",
  "__fput",
  "task_work_run",
  "exit_to_usermode",
  "smp_call_function",
  "tasklet_action",
  "tasklet_hi_action",
];
/** Any of them, as one search (each frame is tested against all). */
const ANY_STALL_ANCHOR = new RegExp(STALL_ANCHORS.join("|"));

/**
 * Stalls and lockups loop somewhere inside a piece of work; the top frame is
 * random. Name them after the frame just above the first dispatcher
 * (syscall entry, workqueue, timer, softirq…), which identifies the work.
 */
export function pickStallFrame(frames: string[]): number {
  for (let i = 0; i < frames.length; i++) {
    if (ANY_STALL_ANCHOR.test(frames[i])) {
      if (frames[i].includes("smp_call_function")) return i;
      return i === 0 ? 0 : i - 1;
    }
  }
  return -1;
}

const HUNG_ANCHORS = [
  "rtnl_lock",
  "synchronize_rcu",
  "synchronize_srcu",
  "synchronize_net",
  "synchronize_sched",
];
const HUNG_SKIP = [
  "sched",
  "_lock",
  "_slowlock",
  "down",
  "rwsem",
  "completion",
  "kthread",
  "wait",
  "synchronize",
  "context_switch",
  "__switch_to",
  "cancel_delayed_work",
  "rcu_barrier",
];

/** A hung task is a victim: group hangs on rtnl_lock and on RCU grace periods, else skip the waiting frames. */
export function pickHungFrame(frames: string[]): number {
  for (let i = 0; i < frames.length; i++) {
    if (HUNG_ANCHORS.some((a) => frames[i].includes(a))) return i;
  }
  return frames.findIndex((f) => !HUNG_SKIP.some((s) => f.includes(s)));
}

function renameHung(frame: string): string {
  for (const a of HUNG_ANCHORS.slice(1)) if (frame.includes(a)) return "synchronize_rcu";
  for (const a of HUNG_ANCHORS.slice(0, 1)) if (frame.includes(a)) return a;
  return frame;
}

const ripThenTrace: StackRule = { parts: [RIP_FRAME, CALL_TRACE, "trace"] };
const traceOnly = (skip?: string[]): StackRule => ({ parts: [CALL_TRACE, "trace"], skip });
/** WARNINGs trap at the RIP, or (older kernels) only print a call trace. */
const warningStack = (...skip: string[]): StackRule => ({
  parts: [new RegExp(`(?:${RIP_FRAME.source}|--- interrupt: [0-9]+ at ${FUNC})`), "trace"],
  parts2: [CALL_TRACE, "trace"],
  skip,
});
const renameStall = (f: string): string => (f.includes("smp_call_function") ? "smp_call_function" : f);
const stall = (parts: StackPart[], skip?: string[]): StackRule => ({
  parts,
  skip,
  pick: pickStallFrame,
  rename: renameStall,
});

const FAMILY_TABLE: Family[] = [
  {
    header: "BUG:",
    not: [/ODEBUG:/, /Boot_DEBUG:/, /xlog_status:/, /DEBUG:/, /BUG: no syscalls can create resource/],
    rules: [
      {
        kind: "kasan",
        match: /BUG: KASAN:/,
        report: re(
          String.raw`BUG: KASAN: ([a-z\-]+) in {{FUNC}}(?:.*\n)+?.*(Read|Write) (?:of size|at addr) (?:[0-9a-f]+)`,
        ),
        title: "KASAN: {1} {3} in {4}",
        stack: {
          parts: [re(String.raw`BUG: KASAN: (?:[a-z\-]+) in {{FUNC}}`), CALL_TRACE, "trace"],
          skip: ["kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"],
        },
      },
      {
        kind: "kasan",
        match: /BUG: KASAN:/,
        report: re(
          String.raw`BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}`,
        ),
        title: "KASAN: invalid-free in {2}",
        stack: {
          parts: [
            re(String.raw`BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}`),
            CALL_TRACE,
            "trace",
          ],
          skip: ["slab_", "kfree", "vunmap", "vfree"],
        },
      },
      {
        kind: "kasan",
        match: /BUG: KASAN: ([a-z-]+) on address(?:.*\n)+?.*(Read|Write) of size ([0-9]+)/,
        title: "KASAN: {1} {2}",
      },
      { kind: "kasan", match: /BUG: KASAN: (.*)/, title: "KASAN: {1}", corrupted: true },
      {
        kind: "kmsan",
        match: /BUG: KMSAN: kernel-usb-infoleak/,
        report: re(String.raw`BUG: KMSAN: kernel-usb-infoleak in {{FUNC}}`),
        title: "KMSAN: kernel-usb-infoleak in {2}",
        stack: {
          parts: ["trace", /(Local variable .* created at:|Uninit was created at:)/, "trace"],
          skip: [
            "alloc_skb",
            "usb_submit_urb",
            "usb_start_wait_urb",
            "usb_bulk_msg",
            "usb_interrupt_msg",
            "usb_control_msg",
          ],
        },
        noStack: true,
      },
      {
        kind: "kmsan",
        match: /BUG: KMSAN:/,
        report: re(String.raw`BUG: KMSAN: ([a-z\-]+) in {{FUNC}}`),
        title: "KMSAN: {1} in {3}",
        stack: {
          parts: ["trace", /(Local variable .* created at:|Uninit was created at:)/, "trace"],
          skip: ["alloc_skb", "netlink_ack", "netlink_rcv_skb", "_encrypt$", "^(?:crypto|cipher|drbg|rng)_"],
        },
        noStack: true,
      },
      { kind: "kcsan", match: /BUG: KCSAN:/, report: /BUG: KCSAN: (.*)/, title: "KCSAN: {1}", noStack: true },
      {
        kind: "kfence",
        match: re(String.raw`BUG: KFENCE: (use-after-free|out-of-bounds) (read|write) in {{FUNC}}`),
        title: "KFENCE: {1} {2} in {4}",
        stack: { parts: [re(String.raw`BUG: KFENCE: (?:[a-z\- ]+) in {{FUNC}}`), "trace"] },
      },
      {
        kind: "kfence",
        match: re(String.raw`BUG: KFENCE: invalid free in {{FUNC}}`),
        title: "KFENCE: invalid free in {2}",
        noStack: true,
        stack: { parts: [re(String.raw`BUG: KFENCE: (?:[a-z\- ]+) in {{FUNC}}`), "trace"] },
      },
      {
        kind: "kfence",
        match: re(String.raw`BUG: KFENCE: invalid (read|write) in {{FUNC}}`),
        title: "KFENCE: invalid {1} in {3}",
        stack: { parts: [re(String.raw`BUG: KFENCE: (?:[a-z\- ]+) in {{FUNC}}`), "trace"] },
      },
      {
        kind: "kfence",
        match: re(String.raw`BUG: KFENCE: memory corruption in {{FUNC}}`),
        title: "KFENCE: memory corruption in {2}",
        noStack: true,
        stack: { parts: [re(String.raw`BUG: KFENCE: (?:[a-z\- ]+) in {{FUNC}}`), "trace"] },
      },
      {
        kind: "paging-request",
        match:
          /BUG: (?:unable to handle kernel paging request|unable to handle page fault for address|Unable to handle kernel data access)/,
        title: "BUG: unable to handle kernel paging request in {1}",
        stack: ripThenTrace,
      },
      {
        kind: "null-deref",
        match:
          /BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|Kernel NULL pointer dereference)/,
        title: "BUG: unable to handle kernel NULL pointer dereference in {1}",
        stack: ripThenTrace,
      },
      {
        // The header is printed by two printk() calls; the second half can be lost.
        kind: "paging-request",
        match: /BUG: (?:unable to handle kernel|Unable to handle kernel)/,
        title: "BUG: unable to handle kernel",
        corrupted: true,
      },
      {
        kind: "bug",
        match:
          /BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion|bad magic|wrong owner|wrong CPU|trylock failure on UP)/,
        title: "BUG: {1} {2} in {3}",
        stack: traceOnly(["spin_", "_lock", "_unlock"]),
      },
      {
        kind: "soft-lockup",
        match: /BUG: soft lockup/,
        title: "BUG: soft lockup in {1}",
        stack: stall([RIP_FRAME, CALL_TRACE, "trace"]),
      },
      {
        kind: "lockdep",
        match: /BUG: .*still has locks held!/,
        report: re(String.raw`BUG: .*still has locks held!(?:.*\n)+?.*{{PC}} +{{FUNC}}`),
        title: "BUG: still has locks held in {1}",
      },
      {
        kind: "sleep-in-atomic",
        match: /BUG: scheduling while atomic/,
        title: "BUG: scheduling while atomic in {1}",
        stack: traceOnly(["schedule"]),
      },
      {
        kind: "lockdep",
        match: /BUG: lock held when returning to user space/,
        report: re(
          String.raw`BUG: lock held when returning to user space(?:.*\n)+?.*leaving the kernel with locks still held(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}`,
        ),
        title: "BUG: lock held when returning to user space in {1}",
        noStack: true,
      },
      {
        kind: "lockdep",
        match: /BUG: bad unlock balance detected!/,
        title: "BUG: bad unlock balance in {1}",
        stack: { parts: [re("{{PC}} +{{FUNC}}"), CALL_TRACE, "trace"] },
      },
      {
        kind: "lockdep",
        match: /BUG: held lock freed!/,
        report: re(String.raw`BUG: held lock freed!(?:.*\n)+?.*{{PC}} +{{FUNC}}`),
        title: "BUG: held lock freed in {1}",
      },
      {
        kind: "bug",
        match: /BUG: Bad rss-counter state/,
        title: "BUG: Bad rss-counter state",
        noStack: true,
      },
      {
        kind: "bug",
        match: /BUG: non-zero nr_ptes on freeing mm/,
        title: "BUG: non-zero nr_ptes on freeing mm",
        noStack: true,
      },
      {
        kind: "bug",
        match: /BUG: non-zero nr_pmds on freeing mm/,
        title: "BUG: non-zero nr_pmds on freeing mm",
        noStack: true,
      },
      {
        kind: "bug",
        match: /BUG: Dentry .* still in use/,
        report: /BUG: Dentry .* still in use \([0-9]+\) \[(unmount) of ([^\]]+)\]/,
        title: "BUG: Dentry still in use in {1}",
      },
      {
        kind: "bad-page",
        match: /BUG: Bad page (state|cache)/,
        title: "BUG: Bad page {1} in {2}",
        stack: {
          parts: [/page last allocated/, "trace"],
          skip: [
            "(free|put|get|update|release)_page",
            "free_unref",
            "^_*folio",
            "truncate_inode_pages",
            "page_frag_free",
            "alloc",
            "vmap",
            "page_owner",
          ],
        },
      },
      { kind: "bad-page", match: /BUG: Bad page map/, title: "BUG: Bad page map" },
      { kind: "bug", match: /BUG: workqueue lockup/, title: "BUG: workqueue lockup", noStack: true },
      {
        kind: "sleep-in-atomic",
        match: /BUG: sleeping function called from invalid context at (.*)/,
        title: "BUG: sleeping function called from invalid context in {2}",
        stack: traceOnly(),
      },
      {
        kind: "bug",
        match: /BUG: using ([a-z_]+)\(\) in preemptible/,
        title: "BUG: using {1}() in preemptible code in {2}",
        stack: traceOnly(["dump_stack", "preemption", "preempt", "debug_", "processor_id", "this_cpu"]),
      },
      {
        kind: "bug",
        match: /BUG: workqueue leaked lock or atomic/,
        report: /BUG: workqueue leaked lock or atomic(?:.*\n)+?.*last function: ([a-zA-Z0-9_]+)\n/,
        title: "BUG: workqueue leaked lock or atomic in {1}",
        noStack: true,
      },
      {
        kind: "memory-leak",
        match: /BUG: memory leak/,
        title: "memory leak in {1}",
        stack: {
          parts: [/backtrace(?: \(crc [0-9a-fA-F]*\))?:/, "trace"],
          skip: [
            "kmemleak",
            "mmap",
            "kmem",
            "slab",
            "alloc",
            "create_object",
            "idr_get",
            "list_lru_init",
            "kasprintf",
            "kvasprintf",
            "pcpu_create",
            "strdup",
            "strndup",
            "memdup",
          ],
        },
      },
      {
        kind: "stack-overflow",
        match: /BUG: .*stack guard page was hit at/,
        title: "BUG: stack guard page was hit in {1}",
        stack: stall([RIP_FRAME, CALL_TRACE, "trace"]),
      },
      {
        kind: "lockdep",
        match: /BUG: Invalid wait context/,
        title: "WARNING: locking bug in {1}",
        stack: traceOnly(["lock_sock", "release_sock"]),
      },
      { kind: "bug", match: /BUG:\s*(?:\n|$)/, title: "BUG: corrupted", corrupted: true },
    ],
  },
  {
    header: "WARNING:",
    not: [
      /WARNING: \/etc\/ssh\/moduli does not exist, using fixed modulus/,
      /WARNING: workqueue cpumask: online intersect > possible intersect/,
      /WARNING: [Tt]he mand mount option/,
      /WARNING: Unsupported flag value\(s\) of 0x%x in DT_FLAGS_1/,
      /WARNING: Unprivileged eBPF is enabled with eIBRS/,
      /WARNING: fbcon: Driver '(.*)' missed to adjust virtual screen size/,
      /WARNING: See https.* for mitigation options./,
      /WARNING: kernel not compiled with CPU_SRSO/,
      /EXT4-[Ff][Ss](?: \(.*\))?:/,
      /warning: .* uses (deprecated v2 capabilities|wireless extensions)/i,
      /XFS \(\w+\): WARNING/,
    ],
    rules: [
      {
        kind: "warning",
        match: /WARNING: .*lib\/debugobjects\.c.* (?:debug_print|debug_check|at)/,
        title: "WARNING: ODEBUG bug in {1}",
        stack: warningStack(
          "debug_",
          "rcu",
          "hrtimer_",
          "timer_",
          "work_",
          "percpu_",
          "vunmap",
          "vfree",
          "__free_",
          "debug_check",
          "kobject_",
        ),
      },
      {
        kind: "warning",
        match: /WARNING: .*mm\/usercopy\.c.* (?:usercopy_warn|at)/,
        title: "WARNING: bad usercopy in {1}",
        stack: warningStack("usercopy", "__check"),
      },
      {
        kind: "warning",
        match: /WARNING: .*lib\/kobject\.c.* (?:kobject_|at)/,
        title: "WARNING: kobject bug in {1}",
        stack: warningStack("kobject_"),
      },
      {
        kind: "warning",
        match: /WARNING: .*fs\/proc\/generic\.c.* (?:proc_register|at)/,
        title: "WARNING: proc registration bug in {1}",
        stack: warningStack("proc_"),
      },
      {
        kind: "refcount",
        match: /WARNING: .*lib\/refcount\.c.* (?:refcount_|at)/,
        title: "WARNING: refcount bug in {1}",
        stack: warningStack("refcount", "kobject_"),
      },
      {
        kind: "lockdep",
        match: /WARNING: .*kernel\/locking\/lockdep\.c.*lock_/,
        title: "WARNING: locking bug in {1}",
        stack: warningStack("lock_sock", "release_sock"),
      },
      {
        kind: "lockdep",
        match: /WARNING: .*still has locks held!/,
        report: re(String.raw`WARNING: .*still has locks held!(?:.*\n)+?.*at: {{FUNC}}`),
        title: "WARNING: still has locks held in {1}",
      },
      {
        kind: "lockdep",
        match: /WARNING: Nested lock was not taken/,
        title: "WARNING: nested lock was not taken in {1}",
        stack: warningStack(),
      },
      {
        kind: "lockdep",
        match: /WARNING: lock held when returning to user space/,
        report: re(
          String.raw`WARNING: lock held when returning to user space(?:.*\n)+?.*leaving the kernel with locks still held(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}`,
        ),
        title: "WARNING: lock held when returning to user space in {1}",
        noStack: true,
      },
      {
        kind: "warning",
        match: /WARNING: .*mm\/.*\.c.* k?.?malloc/,
        title: "WARNING: kmalloc bug in {1}",
        stack: warningStack("kmalloc", "krealloc", "slab", "kmem"),
      },
      {
        kind: "warning",
        match: /WARNING: .*mm\/vmalloc.c.*__vmalloc_node/,
        title: "WARNING: zero-size vmalloc in {1}",
        stack: warningStack(),
      },
      {
        kind: "warning",
        match: /WARNING: .* usb_submit_urb/,
        title: "WARNING in {1}/usb_submit_urb",
        stack: warningStack(
          "usb_submit_urb",
          "usb_start_wait_urb",
          "usb_bulk_msg",
          "usb_interrupt_msg",
          "usb_control_msg",
        ),
      },
      {
        kind: "warning",
        match: re(String.raw`WARNING: {{SRC}} at 0x\d+, CPU#\d+`),
        title: "WARNING in {2}",
        stack: warningStack(),
      },
      {
        kind: "warning",
        match: re(String.raw`WARNING: .* at {{SRC}} {{FUNC}}`),
        title: "WARNING in {3}",
        stack: warningStack(),
      },
      {
        kind: "warning",
        match: re(String.raw`WARNING: {{SRC}} at {{FUNC}}`),
        title: "WARNING in {3}",
        stack: warningStack(),
      },
      {
        kind: "warning",
        match: re(String.raw`WARNING: \[.*\] {{SRC}} at {{FUNC}}.*`),
        title: "WARNING in {3}",
        stack: warningStack(),
      },
      {
        kind: "lockdep",
        match: /WARNING: possible circular locking dependency detected/,
        report: /WARNING: possible circular locking dependency detected(?:.*\n)+?.*is trying to acquire lock/,
        title: "possible deadlock in {1}",
        stack: {
          parts: [re("at: (?:{{PC}} +)?{{FUNC}}"), re("at: (?:{{PC}} +)?{{FUNC}}"), "trace"],
          skip: ["process_one_work", "flush_workqueue", "drain_workqueue", "destroy_workqueue"],
        },
      },
      {
        kind: "lockdep",
        match: /WARNING: possible irq lock inversion dependency detected/,
        report: re(
          String.raw`WARNING: possible irq lock inversion dependency detected(?:.*\n)+?.*just changed the state of lock(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}`,
        ),
        title: "possible deadlock in {1}",
      },
      {
        kind: "lockdep",
        match: /WARNING: .*-safe -> .*-unsafe lock order detected/,
        title: "possible deadlock in {1}",
        stack: { parts: [/which became (?:.*) at:/, "trace"] },
      },
      {
        kind: "lockdep",
        match: /WARNING: possible recursive locking detected/,
        report: re(
          String.raw`WARNING: possible recursive locking detected(?:.*\n)+?.*is trying to acquire lock(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}`,
        ),
        title: "possible deadlock in {1}",
      },
      {
        kind: "lockdep",
        match: /WARNING: inconsistent lock state/,
        report: re(
          String.raw`WARNING: inconsistent lock state(?:.*\n)+?.*takes(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}`,
        ),
        title: "inconsistent lock state in {2}",
        stack: traceOnly(),
      },
      {
        kind: "lockdep",
        match: /WARNING: suspicious RCU usage/,
        report: re(String.raw`WARNING: suspicious RCU usage(?:.*\n)+?.*?{{SRC}}`),
        title: "WARNING: suspicious RCU usage in {2}",
        stack: traceOnly(["rcu", "kmem", "slab"]),
      },
      {
        kind: "warning",
        match: /WARNING: kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([^']+)' value/,
        title: "WARNING: kernel stack regs has bad '{1}' value",
        noStack: true,
      },
      {
        kind: "warning",
        match: /WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]* has bad value/,
        title: "WARNING: kernel stack frame pointer has bad value",
        noStack: true,
      },
      {
        kind: "lockdep",
        match: /WARNING: bad unlock balance detected!/,
        title: "WARNING: bad unlock balance in {1}",
        stack: { parts: [re("{{PC}} +{{FUNC}}"), CALL_TRACE, "trace"] },
      },
      {
        kind: "lockdep",
        match: /WARNING: held lock freed!/,
        report: re(String.raw`WARNING: held lock freed!(?:.*\n)+?.*at:(?: {{PC}})? +{{FUNC}}`),
        title: "WARNING: held lock freed in {1}",
      },
      {
        kind: "warning",
        match: /WARNING: kernel stack regs .* has bad 'bp' value/,
        title: "WARNING: kernel stack regs has bad value",
        noStack: true,
      },
      {
        kind: "warning",
        match: /WARNING: kernel stack frame pointer .* has bad value/,
        title: "WARNING: kernel stack regs has bad value",
        noStack: true,
      },
      { kind: "warning", match: /WARNING:\s*(?:\n|$)/, title: "WARNING: corrupted", corrupted: true },
    ],
  },
  {
    header: "INFO:",
    not: [
      /INFO: lockdep is turned off/,
      /INFO: Stall ended before state dump start/,
      /INFO: NMI handler/,
      /INFO: recovery required on readonly filesystem/,
      /(handler|interrupt).*took too long/,
      /INFO: sys_.* is not present in \/proc\/kallsyms/,
      /INFO: no syscalls can create resource/,
      /rmt_storage:INFO:/,
      /_INFO:/,
    ],
    rules: [
      ...[
        ["possible circular locking dependency detected", "is trying to acquire lock"],
        ["possible irq lock inversion dependency detected", "just changed the state of lock"],
        ["SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected", "is trying to acquire"],
        ["possible recursive locking detected", "is trying to acquire lock"],
      ].map(
        ([what, then]): TitleRule => ({
          kind: "lockdep",
          match: new RegExp(`INFO: ${what}`),
          report: re(`INFO: ${what} \\](?:.*\\n)+?.*${then}(?:.*\\n)+?.*at: {{PC}} +{{FUNC}}`),
          title: "possible deadlock in {1}",
        }),
      ),
      {
        kind: "lockdep",
        match: /INFO: inconsistent lock state/,
        report: re(
          String.raw`INFO: inconsistent lock state \](?:.*\n)+?.*takes(?:.*\n)+?.*at: {{PC}} +{{FUNC}}`,
        ),
        title: "inconsistent lock state in {1}",
      },
      {
        kind: "rcu-stall",
        match: /INFO: rcu_(?:preempt|sched|bh|tasks\w*) (?:self-)?detected(?: expedited)? stalls?/,
        title: "INFO: rcu detected stall in {1}",
        stack: {
          parts: [/apic_timer_interrupt/, RIP_FRAME, "trace"],
          parts2: [/(?:apic_timer_interrupt|Exception stack|el1h_64_irq)/, "trace"],
          skip: ["apic_timer_interrupt", "rcu"],
          pick: pickStallFrame,
          rename: renameStall,
        },
      },
      {
        kind: "lockdep",
        match: /INFO: trying to register non-static key/,
        title: "INFO: trying to register non-static key in {1}",
        stack: traceOnly(["stack", "lock", "IRQ"]),
      },
      {
        kind: "lockdep",
        match: /INFO: suspicious RCU usage/,
        report: re(String.raw`INFO: suspicious RCU usage(?:.*\n)+?.*?{{SRC}}`),
        title: "INFO: suspicious RCU usage in {2}",
        stack: traceOnly(["rcu", "kmem", "slab"]),
      },
      {
        kind: "hung-task",
        match: /INFO: task .* blocked for more than [0-9]+ seconds/,
        title: "INFO: task hung in {1}",
        stack: { parts: [CALL_TRACE, "trace"], pick: pickHungFrame, rename: renameHung },
      },
      {
        kind: "hung-task",
        match: /INFO: task .* can't die for more than .* seconds/,
        title: "INFO: task can't die in {1}",
        stack: traceOnly(["schedule"]),
      },
      // Old-style KASAN reports that lost their header.
      { kind: "kasan", match: /INFO: (Freed|Allocated) in (.*)/, title: "INFO: {1} in {2}", corrupted: true },
      { kind: "other", match: /INFO:\s*(?:\n|$)/, title: "INFO: corrupted", corrupted: true },
    ],
  },
  {
    header: "Unable to handle kernel",
    rules: [
      {
        kind: "paging-request",
        match: /Unable to handle kernel (paging request|NULL pointer dereference|access to user memory)/,
        title: "BUG: unable to handle kernel {1} in {2}",
        stack: ripThenTrace,
      },
    ],
  },
  {
    header: "general protection fault",
    not: [/general protection fault .* error:\d+ in /],
    rules: [
      {
        kind: "general-protection",
        match: /general protection fault.*:/,
        title: "general protection fault in {1}",
        stack: ripThenTrace,
      },
    ],
  },
  {
    header: "stack segment: ",
    rules: [
      {
        kind: "stack-segment",
        match: /stack segment: /,
        title: "stack segment fault in {1}",
        stack: ripThenTrace,
      },
    ],
  },
  {
    header: "Kernel panic",
    rules: [
      {
        kind: "stack-protector",
        match: /Kernel panic - not syncing: stack-protector:/,
        report: re(
          String.raw`Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: {{FUNC}}`,
        ),
        title: "kernel panic: stack is corrupted in {1}",
        noStack: true,
      },
      {
        kind: "stack-protector",
        match: /Kernel panic - not syncing: stack-protector:/,
        report: /Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: [a-f0-9]+/,
        title: "kernel panic: stack is corrupted in {1}",
        stack: traceOnly(["stack_chk"]),
      },
      {
        kind: "stack-overflow",
        match: /Kernel panic - not syncing: corrupted stack end/,
        report: /Kernel panic - not syncing: corrupted stack end detected inside scheduler/,
        title: "kernel panic: corrupted stack end in {1}",
        stack: stall([CALL_TRACE, "trace"], ["schedule", "retint_kernel"]),
      },
      {
        kind: "stack-overflow",
        match: /Kernel panic - not syncing: kernel stack overflow/,
        title: "kernel stack overflow in {1}",
        stack: stall([CALL_TRACE, "trace"], ["bad_stack"]),
      },
      {
        kind: "panic",
        match: /Kernel panic - not syncing: Attempted to kill init!/,
        title: "kernel panic: Attempted to kill init!",
      },
      {
        kind: "panic",
        match: /Kernel panic - not syncing: Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+/,
        title: "kernel panic: Couldn't open N_TTY ldisc",
      },
      {
        kind: "machine-check",
        match: /Kernel panic - not syncing: (Fatal [Mm]achine check|Machine check.*)/,
        title: "kernel panic: {1}",
        noStack: true,
      },
      // Printed after an oops/WARNING/hung task: seen first, the real header was lost.
      {
        kind: "panic",
        match: /Kernel panic - not syncing: Fatal exception/,
        title: "kernel panic: Fatal exception",
        corrupted: true,
      },
      {
        kind: "panic",
        match: /Kernel panic - not syncing: panic_on_warn set/,
        title: "kernel panic: panic_on_warn set",
        corrupted: true,
      },
      {
        kind: "panic",
        match: /Kernel panic - not syncing: hung_task: blocked tasks/,
        title: "kernel panic: hung_task: blocked tasks",
        corrupted: true,
      },
      { kind: "panic", match: /Kernel panic - not syncing: (.*)/, title: "kernel panic: {1}" },
    ],
  },
  {
    header: "PANIC: double fault",
    rules: [
      {
        kind: "double-fault",
        match: /PANIC: double fault/,
        title: "PANIC: double fault in {1}",
        stack: { parts: [RIP_FRAME] },
      },
    ],
  },
  {
    header: "kernel BUG",
    rules: [
      {
        kind: "bug",
        match: /kernel BUG at mm\/usercopy.c/,
        title: "BUG: bad usercopy in {1}",
        stack: traceOnly(["usercopy", "__check"]),
      },
      {
        kind: "list-corruption",
        match: /kernel BUG at lib\/list_debug.c/,
        title: "BUG: corrupted list in {1}",
        stack: traceOnly(),
      },
      {
        kind: "bug",
        match: /kernel BUG at (.*)/,
        title: "kernel BUG in {2}",
        stack: { parts: [RIP_FRAME, CALL_TRACE, "trace"], skip: ["^skb_"] },
      },
    ],
  },
  { header: "Kernel BUG", rules: [{ kind: "bug", match: /Kernel BUG (.*)/, title: "kernel BUG {1}" }] },
  {
    header: "BUG kmalloc-",
    rules: [{ kind: "bug", match: /BUG kmalloc-.*: Object already free/, title: "BUG: Object already free" }],
  },
  {
    header: "divide error:",
    rules: [
      {
        kind: "divide-error",
        match: /divide error: /,
        title: "divide error in {1}",
        stack: { parts: [RIP_FRAME] },
      },
    ],
  },
  {
    // Misspelt so by x86/entry between 5.8 and 5.9.
    header: "divide_error:",
    rules: [
      {
        kind: "divide-error",
        match: /divide_error: /,
        title: "divide error in {1}",
        stack: { parts: [RIP_FRAME] },
      },
    ],
  },
  {
    header: "invalid opcode:",
    rules: [
      {
        kind: "invalid-opcode",
        match: /invalid opcode: /,
        title: "invalid opcode in {1}",
        stack: { parts: [RIP_FRAME] },
      },
    ],
  },
  {
    header: "int3: ",
    rules: [{ kind: "int3", match: /int3: /, title: "int3 in {1}", stack: ripThenTrace }],
  },
  {
    header: "UBSAN:",
    rules: [
      {
        kind: "ubsan",
        match: /UBSAN:/,
        report: /UBSAN: Undefined behaviour in/,
        title: "UBSAN: undefined-behaviour in {1}",
        stack: traceOnly(["ubsan", "overflow"]),
      },
      {
        kind: "ubsan",
        match: /UBSAN: array-index-out-of-bounds in/,
        title: "UBSAN: array-index-out-of-bounds in {1}",
        stack: traceOnly(["ubsan", "overflow"]),
      },
      {
        kind: "ubsan",
        match: /UBSAN:/,
        report: /UBSAN: (.*?) in/,
        title: "UBSAN: {1} in {2}",
        stack: traceOnly(["ubsan", "overflow"]),
      },
    ],
  },
  {
    header: "Watchdog detected hard LOCKUP",
    rules: [
      {
        kind: "hard-lockup",
        match: /Watchdog detected hard LOCKUP/,
        title: "BUG: hard lockup in {1}",
        stack: { parts: [RIP_FRAME] },
      },
    ],
  },
  {
    header: "unregister_netdevice: waiting for",
    rules: [
      {
        kind: "other",
        match: /unregister_netdevice: waiting for (?:.*) to become free/,
        title: "unregister_netdevice: waiting for DEV to become free",
        noStack: true,
      },
    ],
  },
  {
    header: "VFS: Close: file count is 0",
    rules: [
      {
        kind: "other",
        match: /VFS: Close: file count is 0/,
        title: "VFS: Close: file count is zero (use-after-free)",
        noStack: true,
      },
    ],
  },
  {
    header: "VFS: Busy inodes after unmount",
    rules: [
      {
        kind: "other",
        match: /VFS: Busy inodes after unmount/,
        title: "VFS: Busy inodes after unmount (use-after-free)",
        noStack: true,
      },
    ],
  },
  {
    header: "Internal error:",
    rules: [{ kind: "fault", match: /Internal error:/, title: "Internal error in {1}", stack: ripThenTrace }],
  },
  {
    header: "Unhandled fault:",
    rules: [
      { kind: "fault", match: /Unhandled fault:/, title: "Unhandled fault in {1}", stack: ripThenTrace },
    ],
  },
  {
    header: "Alignment trap:",
    rules: [{ kind: "fault", match: /Alignment trap:/, title: "Alignment trap in {1}", stack: ripThenTrace }],
  },
  {
    header: "trusty: panic",
    rules: [
      {
        kind: "panic",
        match: /trusty: panic.* ASSERT FAILED/,
        report: /trusty: panic \(.*?\):(?: DEBUG)? ASSERT FAILED at \(.*?\): (.+)/,
        title: "trusty: ASSERT FAILED: {1}",
        noStack: true,
      },
      {
        kind: "panic",
        match: /trusty: panic.* ASSERT FAILED.*: *(.*)/,
        title: "trusty: ASSERT FAILED: {1}",
        corrupted: true,
      },
      {
        kind: "panic",
        match: /trusty: panic/,
        report: /trusty: panic \(.*?\): (.+)/,
        title: "trusty: panic: {1}",
        noStack: true,
      },
    ],
  },
  {
    header: "rust_kernel: panicked",
    rules: [
      {
        kind: "panic",
        match: /rust_kernel: panicked/,
        report: /rust_kernel: panicked at [^\n]*?\n(.+?)\n/,
        title: "{1} in {2}",
        stack: traceOnly(["__rustc::rust_begin_unwind"]),
      },
    ],
  },
  {
    // x86 MCE (arch/x86/kernel/cpu/mce): the hardware reports an uncorrected error.
    header: "Machine Check Exception:",
    rules: [
      {
        kind: "machine-check",
        match: /Machine Check Exception:/,
        report: /Machine check: (.*)/,
        title: "machine check: {1}",
        noStack: true,
      },
      {
        kind: "machine-check",
        match: /Machine Check Exception:/,
        title: "machine check exception",
        noStack: true,
      },
    ],
  },
  // syzkaller's own fatal markers, seen in fuzzing consoles.
  {
    header: "SYZFAIL:",
    rules: [{ kind: "other", match: /SYZFAIL:(.*)/, title: "SYZFAIL:{1}", noStack: true }],
  },
  {
    header: "SYZFATAL:",
    rules: [{ kind: "other", match: /SYZFATAL:(.*)/, title: "SYZFATAL:{1}", noStack: true }],
  },
  {
    // The OOM killer is an event, not a crash: listed, never titled as a bug.
    header: "invoked oom-killer:",
    event: true,
    rules: [
      {
        kind: "oom",
        match: /(\S+) invoked oom-killer:/,
        title: "out of memory: {1} invoked oom-killer",
        noStack: true,
      },
    ],
  },
];

/*
 * The table above, each object rebuilt with every field in one order (absent ones undefined): families, rules
 * and stack rules each of one shape. The reader reads them on every report; objects of many shapes make V8
 * throw its optimised code away each time it meets another (and recompile it, which costs ~100 ms of a CPU).
 */
const uniformStacks = new Map<StackRule, StackRule>();
function uniformStack(s: StackRule): StackRule {
  // A stack rule shared by several title rules stays shared (its frame skipper is cached by identity).
  let u = uniformStacks.get(s);
  if (!u) {
    u = { parts: s.parts, parts2: s.parts2, skip: s.skip, pick: s.pick, rename: s.rename };
    uniformStacks.set(s, u);
  }
  return u;
}
function uniformRule(r: TitleRule): TitleRule {
  return {
    kind: r.kind,
    match: r.match,
    report: r.report,
    title: r.title,
    stack: r.stack && uniformStack(r.stack),
    noStack: r.noStack,
    corrupted: r.corrupted,
  };
}
export const FAMILIES: Family[] = FAMILY_TABLE.map((f) => ({
  header: f.header,
  not: f.not,
  rules: f.rules.map(uniformRule),
  event: f.event,
}));

/** Which family a log line opens, if any. */
export function familyOf(text: string): Family | undefined {
  for (const f of FAMILIES) {
    if (!text.includes(f.header)) continue;
    if (f.not?.some((r) => r.test(text))) continue;
    return f;
  }
  return undefined;
}

/** Lines that match a header but belong to the report already under way. */
export const CONTINUES_REPORT: RegExp[] = [
  /invalid opcode: 0000/,
  /Kernel panic - not syncing/,
  /unregister_netdevice: waiting for/,
  /PANIC: double fault/,
  /Internal error:/,
];

/** Non-bug messages that carry their own stack trace: seen inside a report, they corrupt it. */
export const STACK_NOISE = [
  "vmalloc: allocation failure:",
  "FAULT_INJECTION: forcing a failure",
  "FAULT_FLAG_ALLOW_RETRY missing",
];

/** Does any of the patterns match s? (A loop: `res.some((r) => r.test(s))` makes a closure per line tested.) */
export function anyMatches(res: readonly RegExp[], s: string): boolean {
  for (let i = 0; i < res.length; i++) if (res[i]!.test(s)) return true;
  return false;
}

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The alternation of `words` as a prefix tree, `BUG(?::| kmalloc-)|W(?:ARNING:|atchdog…)|…`: it matches
 * where the plain alternation does, and the regex engine tries one branch per character instead of one
 * per word, which makes the search over a whole log about a quarter faster.
 */
export function prefixTree(words: string[]): string {
  if (words.includes("")) return ""; // a word ends here: a longer one adds no new match position
  const next = new Map<string, string[]>();
  for (const w of words) {
    const rest = next.get(w[0]);
    if (rest) rest.push(w.slice(1));
    else next.set(w[0], [w.slice(1)]);
  }
  const branches = [...next].map(([c, rest]) => escapeRegExp(c) + prefixTree(rest));
  return branches.length === 1 ? branches[0] : `(?:${branches.join("|")})`;
}

/** Every family's header: the literal text a report's first line holds. */
export const HEADER_LITERALS: readonly string[] = [...new Set(FAMILIES.map((f) => f.header))];

/** A fast pre-filter: does the line contain any family header at all? */
export const ANY_HEADER = new RegExp(prefixTree([...HEADER_LITERALS]));
