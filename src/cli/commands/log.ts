/** `kdx log DUMP`: the kernel log as crash's `log` prints it. */
import { parseArgs } from "node:util";
import { formatCrashLog } from "../../analysis/printk/format.ts";
import { readKernelLog } from "../../analysis/printk/index.ts";
import { callerLabel, type KernelLog } from "../../analysis/printk/records.ts";
import { bootTime as kernelBootTime, pidMaxChars } from "../../analysis/system.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { reportWarnings } from "../../platform/node/open-kernel.ts";
import { KdxError } from "../../util/errors.ts";
import type { SessionCommand } from "../session.ts";

export const LOG_SCHEMA = "kdx.log/1";

const HELP = `usage: kdx log [options] DUMP      (in the shell: log [options])

Print the kernel log saved in a vmcore, as crash's "log" command does.

options:
  -t        no timestamps
  -T        wall-clock timestamps (boot time from the kernel's timekeeper)
  -P        the caller (thread T<pid> or CPU C<n>) of each message, padded for pid_max
  -m        each message's log level, as <N>
  -d        dev_printk metadata (SUBSYSTEM=, DEVICE=) / the dictionary
  --json    {"schema": "${LOG_SCHEMA}", "format", "records": [{seq, ts, level, facility, caller, text, ...}]}
`;

const decoder = new TextDecoder();

export function logJson(log: KernelLog): object {
  return {
    schema: LOG_SCHEMA,
    format: log.format,
    warnings: log.warnings,
    records: log.records.map((r) => ({
      seq: Number(r.seq),
      ts: Number(r.tsNsec) / 1e9,
      level: r.level,
      facility: r.facility,
      caller: r.callerId !== undefined ? callerLabel(r.callerId) : undefined,
      text: r.text ? decoder.decode(r.text) : null,
      subsystem: r.subsystem,
      device: r.device,
      dict: r.dict,
    })),
  };
}

/** Seconds since the epoch at boot, from the dump's wall clock at crash time. */
/**
 * Boot time for -T: the timekeeper's own (as crash uses) when the kernel's symbols and types can be read;
 * otherwise the crash time minus the last record's uptime.
 */
function bootTime(kernel: Kernel, log: KernelLog): number {
  try {
    return kernelBootTime(kernel);
  } catch (e) {
    if (!(e instanceof KdxError)) throw e;
  }
  const stamp = kernel.dump.info.timestamp;
  const crashSec = kernel.vmcoreinfo.crashTime ?? (stamp ? Math.floor(stamp.getTime() / 1000) : undefined);
  if (crashSec === undefined)
    throw new KdxError(
      "-T needs the crash time, and this dump records none (no CRASHTIME, no dump header time)",
    );
  const last = log.records.at(-1);
  return crashSec - (last ? Number(last.tsNsec / 1_000_000_000n) : 0);
}

/** crash pads callers to the width of the kernel's pid_max; 8 when it cannot be read. */
function callerWidth(kernel: Kernel): number {
  try {
    return pidMaxChars(kernel);
  } catch (e) {
    if (e instanceof KdxError) return 8;
    throw e;
  }
}

export const log: SessionCommand = {
  name: "log",
  help: HELP,
  run({ kernel }, argv, out) {
    const { values } = parseArgs({
      args: argv,
      options: {
        t: { type: "boolean", short: "t" },
        T: { type: "boolean", short: "T" },
        P: { type: "boolean", short: "P" },
        m: { type: "boolean", short: "m" },
        d: { type: "boolean", short: "d" },
        json: { type: "boolean" },
      },
    });
    const log = readKernelLog(kernel);
    reportWarnings("log", log.warnings);
    if (values.json) {
      out.write(`${JSON.stringify(logJson(log))}\n`);
      return;
    }
    out.write(
      formatCrashLog(log.records, {
        noTime: values.t,
        bootTime: values.T ? bootTime(kernel, log) : undefined,
        caller: values.P,
        pidMaxChars: values.P ? callerWidth(kernel) : undefined,
        level: values.m,
        dict: values.d,
      }),
    );
  },
};
