/**
 * What crash's `sys` says of the dead machine, read from the dump alone: the clock (timekeeper), uptime
 * (jiffies and HZ), load average, CPUs online, the uts name, memory, taint, and the panic message.
 */
import type { Kernel } from "../kernel/kernel.ts";
import { cstring } from "../util/bytes.ts";
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

function bits(b: Uint8Array): number {
  let n = 0;
  for (const x of b) for (let v = x; v; v &= v - 1) n++;
  return n;
}

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
  const btf = kernel.btf;
  const u64 = (s: string, off = 0n) => kernel.readU64(kernel.symbol(s) + off);

  const date = Number(kernel.readU64(timekeeper(kernel) + BigInt(btf.offsetof("timekeeper", "xtime_sec"))));

  const hz = kernelHz(kernel);
  const uptimeSeconds = Number(jiffiesSinceBoot(kernel, hz) / BigInt(hz));

  const load = [0n, 1n, 2n].map((i) => {
    // Rounded as /proc/loadavg rounds it: + FIXED_1/200 before splitting.
    const v = u64("avenrun", i * 8n) + (1n << FSHIFT) / 200n;
    return `${v >> FSHIFT}.${(((v & ((1n << FSHIFT) - 1n)) * 100n) >> FSHIFT).toString().padStart(2, "0")}`;
  }) as [string, string, string];

  const nrCpus = kernel.readU32(kernel.symbol("nr_cpu_ids"));
  const maskBytes = Math.ceil(nrCpus / 8);
  const online = bits(kernel.read(kernel.symbol("__cpu_online_mask"), maskBytes));
  const present = bits(kernel.read(kernel.symbol("__cpu_present_mask"), maskBytes));

  const uts = kernel.read(
    kernel.symbol("init_uts_ns") +
      BigInt(kernel.vmcoreinfo.offset("uts_namespace.name") ?? btf.offsetof("uts_namespace", "name")),
    6 * 65,
  );
  const field = (i: number) => cstring(uts, i * 65, 65);
  const taintMask = u64("tainted_mask");

  return {
    cpus: present,
    offline: present - online,
    date,
    uptimeSeconds,
    loadAverage: load,
    tasks: psRows(kernel).length,
    nodename: field(1),
    release: field(2),
    version: field(3),
    machine: field(4),
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
  const btf = kernel.btf;
  const monoNs = kernel.readU64(timekeeper(kernel) + BigInt(btf.offsetof("timekeeper", "tkr_mono.base")));
  const mono = Number(BigInt.asIntN(64, monoNs)) / 1e9;
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
    return data.address + BigInt(btf.offsetof("tk_data", "timekeeper"));
  }
  const seqSize = btf.sizeof(btf.find("seqcount_raw_spinlock_t")!.id);
  return kernel.symbol("tk_core") + BigInt((seqSize + 7) & ~7);
}

/**
 * When the machine booted, in seconds since the epoch, as the kernel itself knows it: the timekeeper's
 * offs_real - offs_boot (getboottime64), both read through BTF.
 */
export function bootTime(kernel: Kernel): number {
  const btf = kernel.btf;
  const tk = timekeeper(kernel);
  const ns = (m: string) => BigInt.asIntN(64, kernel.readU64(tk + BigInt(btf.offsetof("timekeeper", m))));
  return Number((ns("offs_real") - ns("offs_boot")) / 1_000_000_000n);
}

/** crash's width for caller ids in `log -P`: from the kernel's pid_max. */
export function pidMaxChars(kernel: Kernel): number {
  const pidMax = kernel.readU32(kernel.symbol("pid_max"));
  return pidMax <= 99999 ? 6 : pidMax <= 999999 ? 7 : 8;
}
