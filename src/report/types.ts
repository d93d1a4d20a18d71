import type { DecodedCode } from "./code.ts";
import type { PageFaultCode } from "./pagefault.ts";
import type { CrashKind } from "./rules.ts";
import type { TaintFlag } from "./taint.ts";

/** Version of the JSON shape below; bumped on any incompatible change. */
export const REPORT_SCHEMA = "kdx.oops/1";

/** A `function+0x12/0x20 [module]` reference. */
export interface SymbolRef {
  name: string;
  /** Bytes into the function. */
  offset: number;
  /** The function's length in bytes. */
  size: number;
  module?: string;
}

export interface Frame {
  kind: "frame";
  /** Which stack the frame was on: TASK, IRQ, NMI, SOFTIRQ, an exception stack (#DF, #MC…), or "" when not marked. */
  context: string;
  /** Raw return address, when printed (`[<ffffffff8108f1c2>]`). */
  address?: string;
  symbol?: SymbolRef;
  /** `? ` entries: a text address found on the stack, not proven to be a return address. */
  reliable: boolean;
  /** Source location, when a symbolizer with line tables gave one. */
  file?: string;
  line?: number;
  inlined?: { name: string; file: string; line: number }[];
  text: string;
}

/** A register block inside the trace: an exception or interrupt frame (pt_regs), or the user-mode state at entry. */
export interface RegsFrame {
  kind: "regs";
  context: string;
  rip: Rip;
  registers: Record<string, string>;
  code?: DecodedCode;
}

export interface Rip {
  /** Code segment selector: 0010 is the kernel's, 0033 the 64-bit user one. */
  cs?: string;
  mode?: "kernel" | "user";
  address?: string;
  symbol?: SymbolRef;
  text: string;
}

export interface Fault {
  /** The address that was accessed (CR2 for page faults, the decoded address for GPFs). */
  address?: string;
  /** Page-fault error code, decoded bit by bit. */
  pageFault?: PageFaultCode;
  /** Human summary of the #PF lines, e.g. "supervisor write access in kernel mode". */
  description?: string;
  /** For GPFs: "probably for non-canonical address …". */
  note?: string;
}

export interface Report {
  kind: CrashKind;
  /** An event (OOM kill) rather than a crash. */
  event: boolean;
  title: string;
  corrupted: boolean;
  corruptedReason?: string;
  /** Stable across machines and runs of the same bug: for de-duplication. */
  signature: string;
  /** The guilty function chosen for the title. */
  guiltyFrame?: string;
  /** 1-based line numbers of the report in the input. */
  startLine: number;
  endLine: number;
  time?: number;
  header: string;
  /** What the lines just before said, when it explains the crash (e.g. sysrq). */
  trigger?: string;
  bugAt?: { file: string; line: number };
  release?: string;
  build?: string;
  cpu?: number;
  pid?: number;
  comm?: string;
  kdumpLoaded?: boolean;
  /** For hung-task reports: the task that was blocked (cpu/pid/comm are the reporter's, khungtaskd). */
  blockedTask?: { comm: string; pid: number };
  taint?: { text: string; flags: TaintFlag[] };
  hardware?: string;
  oops?: { code?: string; count?: number; config: string[] };
  fault?: Fault;
  rip?: Rip;
  /** Source line of the RIP, when a vmlinux with line tables was given. */
  ripSource?: { file: string; line: number; inlined?: { name: string; file: string; line: number }[] };
  code?: DecodedCode;
  registers: Record<string, string>;
  trace: (Frame | RegsFrame)[];
  modules?: { name: string; flags?: string }[];
  unloadedModules?: string[];
  panic?: string;
  kernelOffset?: string;
  lines: string[];
}
