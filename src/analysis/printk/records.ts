/** One kernel log record, as both log formats store it. */
export interface LogRecord {
  seq: bigint;
  /** Nanoseconds since boot (local clock). */
  tsNsec: bigint;
  /** Console log level 0–7. */
  level: number;
  facility: number;
  /** printk caller: a thread id, or a CPU number with the top bit set (CONFIG_PRINTK_CALLER). */
  callerId: number | undefined;
  /** The message bytes as stored (may hold newlines and non-ASCII); undefined for a data-less record. */
  text: Uint8Array | undefined;
  /** dev_printk's metadata (the dictionary in older kernels). */
  subsystem?: string;
  device?: string;
  /** Older kernels' free-form dictionary (KEY=value lines). */
  dict?: string;
}

export interface KernelLog {
  format: "printk_ringbuffer" | "log_buf";
  records: LogRecord[];
  /** What could not be read: lost records, unreadable pages. */
  warnings: string[];
}

const CALLER_CPU = 0x80000000;

/** "T123" for a thread, "C1" for a CPU, as the kernel prints caller ids. */
export function callerLabel(id: number): string {
  return id >= CALLER_CPU ? `C${id - CALLER_CPU}` : `T${id}`;
}
