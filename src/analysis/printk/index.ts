/** The kernel log of a dump, whichever format the kernel kept it in. */

import type { Kernel } from "../../kernel/kernel.ts";
import { KdxError } from "../../util/errors.ts";
import { hasLogBuf, readLogBuf } from "./log-buf.ts";
import type { KernelLog } from "./records.ts";
import { hasPrintkRingbuffer, readPrintkRingbuffer } from "./ringbuffer.ts";

export type { KernelLog, LogRecord } from "./records.ts";

export function readKernelLog(kernel: Kernel): KernelLog {
  try {
    if (hasPrintkRingbuffer(kernel)) return readPrintkRingbuffer(kernel);
    if (hasLogBuf(kernel)) return readLogBuf(kernel);
  } catch (e) {
    if (e instanceof KdxError) throw new KdxError(`the kernel log cannot be read: ${e.message}`);
    throw e;
  }
  throw new KdxError(
    "VMCOREINFO locates no kernel log: neither SYMBOL(prb) (Linux 5.10+) nor SYMBOL(log_buf) with log_first_idx (3.5 – 5.9)",
  );
}
