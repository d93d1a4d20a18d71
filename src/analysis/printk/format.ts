/**
 * The two log texts users compare against: makedumpfile --dump-dmesg (the vmcore-dmesg.txt of a kdump
 * directory) and crash's `log`. They differ in small ways that matter for byte-identical output:
 * makedumpfile prints caller ids in an 8-wide column and escapes unprintable bytes as \xNN (sign-extended,
 * as C's signed char makes them), skips data-less records; crash prints '.' for them, and an empty line.
 */
import { callerLabel, type LogRecord } from "./records.ts";

const NL = 10;

function isPrintOrSpace(b: number): boolean {
  return (b >= 0x20 && b < 0x7f) || (b >= 9 && b <= 13);
}

function timestamp(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const usec = (ns % 1_000_000_000n) / 1000n;
  return `[${sec.toString().padStart(5)}.${usec.toString().padStart(6, "0")}] `;
}

/** A growable byte buffer: output is bytes, not text, so the escapes come out exactly. */
class Bytes {
  private buf = new Uint8Array(1 << 16);
  length = 0;
  private ensure(n: number) {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.length));
    this.buf = b;
  }
  ascii(s: string) {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.length++] = s.charCodeAt(i) & 0xff;
  }
  byte(b: number) {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Exactly what makedumpfile 1.7.6 --dump-dmesg writes. */
export function formatMakedumpfile(records: LogRecord[]): Uint8Array {
  const out = new Bytes();
  for (const r of records) {
    if (!r.text) continue;
    let prefix = timestamp(r.tsNsec);
    if (r.callerId !== undefined) prefix += `[${callerLabel(r.callerId).padStart(8)}] `;
    out.ascii(prefix);
    const indent = `\n${" ".repeat(prefix.length)}`;
    for (const b of r.text) {
      if (b === NL) out.ascii(indent);
      else if (isPrintOrSpace(b)) out.byte(b);
      else out.ascii(`\\x${(b >= 0x80 ? 0xffffff00 + b : b).toString(16).padStart(2, "0")}`);
    }
    out.byte(NL);
  }
  return out.result();
}

export interface CrashLogOptions {
  /** -t: no timestamps. */
  noTime?: boolean;
  /** -T: wall-clock times, from the boot time in seconds since the epoch. */
  bootTime?: number;
  /** -P: caller ids, padded as crash pads them for the kernel's pid_max. */
  caller?: boolean;
  pidMaxChars?: number;
  /** -m: the log level, as <N>. */
  level?: boolean;
  /** -d: dev_printk metadata / dictionary. */
  dict?: boolean;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** ctime(3) in UTC: "Wed Nov 25 03:13:09 2026". */
export function ctimeUtc(sec: number): string {
  const d = new Date(sec * 1000);
  const p = (n: number) => n.toString().padStart(2, "0");
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${d.getUTCDate().toString().padStart(2)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** What crash's `log` prints, with its -t, -T, -P, -m and -d options. */
export function formatCrashLog(records: LogRecord[], opts: CrashLogOptions = {}): Uint8Array {
  const out = new Bytes();
  for (const r of records) {
    if (!r.text) {
      out.byte(NL);
      continue;
    }
    let prefix = "";
    if (!opts.noTime) {
      if (opts.bootTime !== undefined)
        prefix += `[${ctimeUtc(opts.bootTime + Number(r.tsNsec / 1_000_000_000n))}] `;
      else prefix += timestamp(r.tsNsec);
    }
    if (opts.caller && r.callerId !== undefined)
      prefix += `[${callerLabel(r.callerId).padStart(opts.pidMaxChars ?? 8)}] `;
    if (opts.level) prefix += `<${r.level.toString(16)}>`;
    out.ascii(prefix);
    const indent = `\n${" ".repeat(prefix.length)}`;
    for (const b of r.text) {
      if (b === NL) out.ascii(indent);
      else out.byte(isPrintOrSpace(b) ? b : 0x2e);
    }
    if (opts.dict) {
      if (r.subsystem) out.ascii(`${indent}SUBSYSTEM=${r.subsystem}`);
      if (r.device) out.ascii(`${indent}DEVICE=${r.device}`);
      if (r.dict) for (const line of r.dict.split("\0")) if (line) out.ascii(`${indent}${line}`);
    }
    out.byte(NL);
  }
  return out.result();
}

/** Plain text for the report reader: each record's lines with a dmesg-style timestamp and caller. */
export function formatForReports(records: LogRecord[]): string {
  return new TextDecoder().decode(formatMakedumpfile(records));
}

/** What kexec-tools' vmcore-dmesg writes: no caller ids, continuation lines not indented, \xNN unsigned. */
export function formatVmcoreDmesg(records: LogRecord[]): Uint8Array {
  const out = new Bytes();
  for (const r of records) {
    if (!r.text) continue;
    out.ascii(timestamp(r.tsNsec));
    for (const b of r.text) {
      if (isPrintOrSpace(b)) out.byte(b);
      else out.ascii(`\\x${b.toString(16).padStart(2, "0")}`);
    }
    out.byte(NL);
  }
  return out.result();
}
