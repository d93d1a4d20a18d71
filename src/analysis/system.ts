/**
 * What crash's `sys` says of the dead machine, read from the dump alone: the clock (timekeeper), uptime
 * (jiffies and HZ), load average, CPUs online, the uts name, memory, taint, and the panic message.
 */
import { cpumask } from "../kernel/helpers/cpumask.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { type KernelObject, kobject } from "../kernel/types/object.ts";
import { KdxError } from "../util/errors.ts";
import { formatCrashLog } from "./printk/format.ts";
import { readKernelLog } from "./printk/index.ts";
import { nodePages, psRows } from "./tasks.ts";

export interface SystemInfo {
  cpus: number;
  offline: number;
  /** Seconds since the epoch, from the timekeeper at the crash. */
  date: number;
  uptimeSeconds: number;
  loadAverage: [string, string, string];
  tasks: number;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  mhz: number;
  memoryBytes: number;
  tainted: boolean;
  taintMask: bigint;
  panic: string | undefined;
}

const FSHIFT = 11n;

/** The panic message from the log, as crash picks it: the last line that is a "Kernel panic" (not its end marker). */
export function panicMessage(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (line.startsWith("Kernel panic - not syncing")) return line;
  }
  return undefined;
}

/** What crash's sys says, the panic message taken from the kernel's own log. */
export function sys(kernel: Kernel): SystemInfo {
  const log = readKernelLog(kernel);
  return systemInfo(
    kernel,
    new TextDecoder().decode(formatCrashLog(log.records, { noTime: true })).split("\n"),
  );
}

export function systemInfo(kernel: Kernel, logLines: string[]): SystemInfo {
  const u64 = (s: string, off = 0n) => kernel.readU64(kernel.symbol(s) + off);

  const date = Number(timekeeperObject(kernel).member("xtime_sec").value());

  const hz = kernelHz(kernel);
  const uptimeSeconds = Number(jiffiesSinceBoot(kernel, hz) / BigInt(hz));

  const load = [0n, 1n, 2n].map((i) => {
    // Rounded as /proc/loadavg rounds it: + FIXED_1/200 before splitting.
    const v = u64("avenrun", i * 8n) + (1n << FSHIFT) / 200n;
    return `${v >> FSHIFT}.${(((v & ((1n << FSHIFT) - 1n)) * 100n) >> FSHIFT).toString().padStart(2, "0")}`;
  }) as [string, string, string];

  const online = cpumask(kernel, "__cpu_online_mask").length;
  const present = cpumask(kernel, "__cpu_present_mask").length;

  const uts = kobject(kernel, "struct uts_namespace", kernel.symbol("init_uts_ns")).member("name");
  const field = (name: string) => uts.member(name).string(65);
  const taintMask = u64("tainted_mask");

  return {
    cpus: present,
    offline: present - online,
    date,
    uptimeSeconds,
    loadAverage: load,
    tasks: psRows(kernel).length,
    nodename: field("nodename"),
    release: field("release"),
    version: field("version"),
    machine: field("machine"),
    mhz: kernel.arch.cpuMhz(kernel) ?? 0,
    memoryBytes: nodePages(kernel, "node_present_pages") * 4096,
    tainted: taintMask !== 0n,
    taintMask,
    panic: panicMessage(logLines),
  };
}

/** jiffies_64 less INITIAL_JIFFIES, which starts the count 300 s before wrapping 32 bits. */
function jiffiesSinceBoot(kernel: Kernel, hz: number): bigint {
  return kernel.readU64(kernel.symbol("jiffies_64")) - BigInt.asUintN(32, BigInt(-300 * hz));
}

/** The HZ values Linux can be configured with (kernel/Kconfig.hz). */
const HZ_CHOICES = [100, 250, 300, 1000];

/**
 * The kernel's HZ: from tick_nsec (a variable until 7.x made it the constant TICK_NSEC), else the one of
 * Kconfig's choices under which jiffies agree with the timekeeper's monotonic clock. crash reads CONFIG_HZ
 * from an in-kernel config, or guesses 1000 on x86_64.
 */
export function kernelHz(kernel: Kernel): number {
  const tickNsec = kernel.symbols.lookup("tick_nsec");
  if (tickNsec) {
    const hz = Math.round(1e9 / Number(kernel.readU64(tickNsec.address)));
    // A damaged dump can give any number here: only a HZ a kernel can have is taken.
    if (HZ_CHOICES.includes(hz)) return hz;
  }
  const mono = Number(timekeeperObject(kernel).member("tkr_mono.base").value()) / 1e9;
  let best = HZ_CHOICES[0];
  let bestErr = Number.POSITIVE_INFINITY;
  for (const hz of HZ_CHOICES) {
    const err = Math.abs(Number(BigInt.asIntN(64, jiffiesSinceBoot(kernel, hz))) / hz - mono);
    if (err < bestErr) [best, bestErr] = [hz, err];
  }
  return best;
}

/**
 * The address of the kernel's timekeeper. Since 6.13 tk_core is a `struct tk_data` (in BTF), and since
 * 6.17 the first of `timekeeper_data[]`; before, tk_core was an anonymous { seqcount_raw_spinlock_t seq;
 * struct timekeeper timekeeper; } that BTF does not describe, the timekeeper following the seqcount at
 * 8-byte alignment.
 */
export function timekeeper(kernel: Kernel): bigint {
  const btf = kernel.btf;
  if (btf.has("tk_data", "timekeeper")) {
    const data = kernel.symbols.lookup("timekeeper_data") ?? kernel.symbols.lookup("tk_core");
    if (!data) throw new KdxError("the kernel has neither timekeeper_data nor tk_core: no clock to read");
    return kobject(kernel, "struct tk_data", data.address).member("timekeeper").address;
  }
  const seqSize = btf.sizeof(btf.find("seqcount_raw_spinlock_t")!.id);
  return kernel.symbol("tk_core") + BigInt((seqSize + 7) & ~7);
}

/**
 * When the machine booted, in seconds since the epoch, as the kernel itself knows it: the timekeeper's
 * offs_real - offs_boot (getboottime64), both read through BTF.
 */
export function bootTime(kernel: Kernel): number {
  const tk = timekeeperObject(kernel);
  return Number((tk.member("offs_real").value() - tk.member("offs_boot").value()) / 1_000_000_000n);
}

function timekeeperObject(kernel: Kernel): KernelObject {
  return kobject(kernel, "struct timekeeper", timekeeper(kernel));
}

/** crash's width for caller ids in `log -P`: from the kernel's pid_max. */
export function pidMaxChars(kernel: Kernel): number {
  const pidMax = kernel.readU32(kernel.symbol("pid_max"));
  return pidMax <= 99999 ? 6 : pidMax <= 999999 ? 7 : 8;
}

/**
 * The taint letters as crash's sys -t shows them (show_kernel_taints): the kernel's own taint_flags[]
 * table, each set bit's c_true, each clear bit's c_false unless it is blank, '-' or 'G'. The table's
 * length is its symbol's size over struct taint_flag's (no debuginfo says it), bounded by 64.
 */
export function taintLetters(kernel: Kernel): { mask: bigint; letters: string } {
  const mask = kernel.readU64(kernel.symbol("tainted_mask"));
  const first = kobject(kernel, "struct taint_flag", kernel.symbol("taint_flags"));
  const count = Math.min(64, Math.floor((kernel.symbols.extent("taint_flags") ?? 0) / first.size));
  let letters = "";
  for (let i = 0; i < count; i++) {
    const flag = first.element(i);
    const set = (mask >> BigInt(i)) & 1n;
    const c = String.fromCharCode(Number(flag.member(set ? "c_true" : "c_false").value()));
    if (!/^[A-Z]$/.test(String.fromCharCode(Number(flag.member("c_true").value())))) break;
    if (set || (c !== " " && c !== "-" && c !== "G")) letters += c;
  }
  return { mask, letters };
}
